"""Export to Lava-dl's netx HDF5 format (Loihi 2): `to_netx(model, path, input_shape)`, and `read_netx` to check one.

netx describes a *sequential* network of CUBA blocks (lava-dl ``netx/README.md``, ``netx/hdf5.py`` and
``slayer/block/base.py``'s ``export_hdf5``): ``/layer/0 .. /layer/n-1``, each with ``type`` and ``shape`` (C, H, W)::

    input    {shape, type}
    flatten  {shape, type}
    conv     {shape, type, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, weight, [bias],
              neuron}
    dense    {shape, type, inFeatures, outFeatures, weight, [bias], neuron}
    neuron   {type='CUBA', iDecay, vDecay, vThMant, refDelay, gradedSpike}
    /simulation {Ts, tSample}   (optional)

A CUBA neuron, in the fixed point of lava-dl (state unit 2^-12, decays in 2^-12)::

    u[t] = u[t-1]·(4096 - iDecay)/4096 + W·s[t]        (W in units of 1/64: the file holds 64·w)
    v[t] = v[t-1]·(4096 - vDecay)/4096 + u[t] + bias  (the file holds 64·bias)
    spike when v > vThMant/64, then v = 0

What fits, and how our neurons map (through `to_nir`, at the ``dt`` the neurons were converted with):

- a chain ``input -> {Conv2d | Linear} -> neuron -> ... `` with ``Flatten`` only before a Linear; no pooling, no
  residual joins (netx would need ``concat``, which lava-dl 0.6's reader does not implement), no trailing layer
  without neurons;
- IF (``r·dt = 1``, ``v_reset = 0``): ``iDecay = 4096, vDecay = 0``;
- LIF with ``decay_input=False`` (``r = tau/dt``), ``v_reset = v_leak = 0``: ``iDecay = 4096,
  vDecay = 4096·dt/tau``, which must be a whole number (tau = 2 -> 2048); ``decay_input=True`` scales the input by
  1/tau, which CUBA cannot;
- snnTorch ``Leaky(reset='zero')``: ``vDecay = 4096·(1 - beta)``;
- one threshold, decay and reset per layer; weights on the 8-bit grid: multiples of 1/32 in [-4, 3.96875]
  (64·w even, in [-256, 254]); biases multiples of 1/64; thresholds multiples of 1/64.

``quantize=True`` rounds weights and biases to the grid (this changes the network: check its accuracy); without it,
a weight off the grid raises `ExportError` naming the layer. Loihi, like NIR, fires when v > threshold; our IF/LIF
fire when v >= threshold, so the two differ only when v lands exactly on the threshold. Lava itself maps
``iDecay`` to its ``du = iDecay - 1``, which leaves 1/4096 of the current for ``iDecay = 4096``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from snnmodels.export.errors import ExportError, import_optional
from snnmodels.export.to_nir import DEFAULT_DT, to_nir

__all__ = ["NETX_LAYER_KEYS", "NetxExport", "read_netx", "to_netx"]

W_SCALE = 64  # weights, biases and thresholds are stored in units of 1/64
P_SCALE = 4096  # decays in units of 1/4096
_W_MIN, _W_MAX = -256, 254  # 8-bit weights: 64·w is even and in this range
_BIAS_LIMIT = 4096  # Loihi's 13-bit signed bias mantissa
_VTH_LIMIT = 1 << 17  # Loihi's 17-bit threshold mantissa

# required datasets per layer type (the published layout)
NETX_LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "input": ("type", "shape"),
    "flatten": ("type", "shape"),
    "conv": (
        "type",
        "shape",
        "inChannels",
        "outChannels",
        "kernelSize",
        "stride",
        "padding",
        "dilation",
        "groups",
        "weight",
        "neuron",
    ),
    "dense": ("type", "shape", "inFeatures", "outFeatures", "weight", "neuron"),
}
_NEURON_KEYS = ("type", "iDecay", "vDecay", "vThMant", "refDelay")


@dataclass(frozen=True)
class NetxExport:
    """What `to_netx` wrote: the file, one line per layer, and the largest rounding of a weight or bias (0 if none)."""

    path: Path
    layers: tuple[str, ...]
    max_rounding: float


def _uniform(a: np.ndarray, what: str, name: str) -> float:
    values = np.unique(np.asarray(a, dtype=np.float64))
    if values.size != 1:
        raise ExportError(
            f"netx: {what} of layer {name!r} varies across neurons ({values[:4]}...); a CUBA layer has one value"
        )
    return float(values[0])


def _whole(value: float, what: str, name: str) -> int:
    k = round(value)
    if abs(value - k) > 1e-9 * max(1.0, abs(value)):
        raise ExportError(f"netx: {what} of layer {name!r} is {value!r}, not a whole number")
    return int(k)


def _neuron(node: Any, name: str, dt: float) -> dict[str, Any]:
    """CUBA parameters of a NIR IF / LIF node (see the module docstring)."""
    kind = type(node).__name__
    if kind not in ("IF", "LIF"):
        raise ExportError(
            f"netx: layer {name!r} is followed by a {kind} node; netx blocks end in a CUBA neuron (IF or LIF)"
        )
    if np.any(np.asarray(node.v_reset) != 0):
        raise ExportError(
            f"netx: neuron {name!r} resets to {_uniform(node.v_reset, 'v_reset', name)}; CUBA resets to 0"
        )
    if kind == "IF":
        gain = _uniform(np.asarray(node.r) * dt, "r·dt", name)
        if abs(gain - 1.0) > 1e-9:
            raise ExportError(f"netx: IF {name!r} scales its input by r·dt = {gain}; CUBA adds it unscaled")
        v_decay = 0
    else:
        if np.any(np.asarray(node.v_leak) != 0):
            raise ExportError(f"netx: LIF {name!r} leaks towards v_leak != 0; CUBA leaks towards 0")
        decay = _uniform(dt / np.asarray(node.tau, dtype=np.float64), "dt/tau", name)
        gain = _uniform(np.asarray(node.r) * dt / np.asarray(node.tau, dtype=np.float64), "r·dt/tau", name)
        if abs(gain - 1.0) > 1e-9:
            raise ExportError(
                f"netx: LIF {name!r} scales its input by r·dt/tau = {gain:.6g} (decay_input=True); CUBA adds the "
                "input unscaled: use decay_input=False"
            )
        v_decay = _whole(decay * P_SCALE, "vDecay = 4096·dt/tau", name)
    threshold = _uniform(node.v_threshold, "v_threshold", name)
    v_th = _whole(threshold * W_SCALE, "vThMant = 64·v_threshold", name)
    if not 0 < v_th < _VTH_LIMIT:
        raise ExportError(f"netx: threshold of {name!r} gives vThMant={v_th}, outside (0, {_VTH_LIMIT})")
    return {"type": "CUBA", "iDecay": P_SCALE, "vDecay": v_decay, "vThMant": v_th, "refDelay": 1, "gradedSpike": False}


def _on_grid(
    a: np.ndarray, step: float, lo: float, hi: float, what: str, name: str, quantize: bool
) -> tuple[np.ndarray, float]:
    """(a in units of ``step`` as integers, largest rounding); raises unless ``quantize`` when a is off the grid."""
    a = np.asarray(a, dtype=np.float64)
    k = np.clip(np.round(a / step), lo, hi)
    err = float(np.abs(k * step - a).max()) if a.size else 0.0
    if err > 1e-12 and not quantize:
        raise ExportError(
            f"netx: {what} of layer {name!r} are off the grid of {step} in [{lo * step}, {hi * step}] (off by up to "
            f"{err:.3g}); train with quantized weights, or pass quantize=True to round them (check the accuracy)"
        )
    return k, err


def _ends(graph: Any) -> tuple[str, str]:
    kinds = {name: type(node).__name__ for name, node in graph.nodes.items()}
    inputs = [k for k, v in kinds.items() if v == "Input"]
    outputs = [k for k, v in kinds.items() if v == "Output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ExportError(f"netx: the graph needs one Input and one Output node, got {inputs} and {outputs}")
    return inputs[0], outputs[0]


def _chain(graph: Any) -> list[str]:
    """The nodes between the Input and the Output, in order; raises unless the graph is one chain."""
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    for s, d in graph.edges:
        succ.setdefault(s, []).append(d)
        pred.setdefault(d, []).append(s)
    first, last = _ends(graph)
    order, node = [], first
    while True:
        order.append(node)
        if len(pred.get(node, [])) > 1:
            raise ExportError(
                f"netx: node {node!r} sums several inputs (a residual join); netx is sequential and lava-dl's reader "
                "has no 'concat'"
            )
        nxt = succ.get(node, [])
        if not nxt:
            break
        if len(nxt) > 1:
            raise ExportError(
                f"netx: node {node!r} feeds {nxt} (a branch, e.g. a residual connection); netx is sequential and "
                "lava-dl's reader has no 'concat'"
            )
        node = nxt[0]
    if node != last or len(order) != len(graph.nodes):
        raise ExportError(f"netx: the graph is not a single chain from {first!r} to {last!r}")
    return order[1:-1]


def _write_str(group: Any, key: str, value: str) -> None:
    # lava-dl's NetDict reads strings as a (1,) array of fixed-length bytes, as slayer writes them
    group.create_dataset(key, (1,), "S10", [value.encode("ascii")])


def to_netx(
    model: nn.Module | Any,
    path: str | Path,
    input_shape: Sequence[int] | None = None,
    *,
    dt: float | None = None,
    quantize: bool = False,
    T: int | None = None,
) -> NetxExport:
    """Write a sequential CUBA network as a lava-dl netx HDF5 file (``.net``).

    Args:
        model: a multi-step model (converted with `to_nir` at ``dt``), or a ``nir.NIRGraph``.
        path: the file to write.
        input_shape: one sample at one step, e.g. ``(2, 34, 34)`` (not needed for a graph).
        dt: the step in seconds the NIR time constants are divided by: for a model, that of the conversion
            (default `DEFAULT_DT`; the decays per step do not depend on it); for a graph, default the ``dt`` its
            metadata records (as `to_nir` writes it), else `DEFAULT_DT`.
        quantize: round weights and biases to the 8-bit grid instead of refusing them.
        T: written as ``/simulation/tSample`` when given.

    Returns:
        a `NetxExport`.

    Raises:
        ExportError: the network does not fit netx/CUBA (the message names the layer and the constraint).
    """
    h5py = import_optional("h5py", "to_netx")
    nir = import_optional("nir", "to_netx")
    if isinstance(model, nir.NIRGraph):
        graph = model
        if dt is None:
            dt = float((graph.metadata or {}).get("dt", DEFAULT_DT))
    else:
        if input_shape is None:
            raise ValueError("to_netx needs input_shape (one sample at one step, e.g. (2, 34, 34)) for a model")
        dt = DEFAULT_DT if dt is None else dt
        graph = to_nir(model, input_shape, dt=dt)
    names = _chain(graph)
    first = graph.nodes[_ends(graph)[0]]
    layers: list[dict[str, Any]] = [{"type": "input", "shape": np.asarray(first.input_type["input"])}]
    lines = [f"input {tuple(int(s) for s in layers[0]['shape'])}"]
    rounding = 0.0
    i = 0
    while i < len(names):
        name, node = names[i], graph.nodes[names[i]]
        kind = type(node).__name__
        if kind == "Flatten":
            nxt = graph.nodes[names[i + 1]] if i + 1 < len(names) else None
            if type(nxt).__name__ not in ("Affine", "Linear"):
                raise ExportError(f"netx: Flatten {name!r} must come right before a Linear layer")
            layers.append({"type": "flatten", "shape": np.asarray(node.output_type["output"])})
            lines.append(f"flatten {name}")
            i += 1
            continue
        if kind not in ("Conv2d", "Affine", "Linear"):
            raise ExportError(
                f"netx: node {name!r} ({kind}) has no netx layer; netx takes Conv2d or Linear layers, each followed by "
                "an IF/LIF neuron, and Flatten before a Linear (no pooling: use strided convolutions)"
            )
        if i + 1 >= len(names):
            raise ExportError(f"netx: {kind} {name!r} is the last layer; every netx layer ends in a neuron")
        neuron_name = names[i + 1]
        neuron_node = graph.nodes[neuron_name]
        layer: dict[str, Any] = {"neuron": _neuron(neuron_node, neuron_name, dt)}
        w, err_w = _on_grid(node.weight, 2 / W_SCALE, _W_MIN / 2, _W_MAX / 2, "weights", name, quantize)
        layer["weight"] = (2 * w).astype(np.float32)  # 64·w, the integer mantissas, as slayer writes them
        rounding = max(rounding, err_w)
        bias = getattr(node, "bias", None)
        if bias is not None and np.any(np.asarray(bias) != 0):
            b, err_b = _on_grid(bias, 1 / W_SCALE, -_BIAS_LIMIT, _BIAS_LIMIT - 1, "biases", name, quantize)
            layer["bias"] = b.astype(np.float32)
            rounding = max(rounding, err_b)
        out_shape = np.asarray(neuron_node.output_type["output"])
        if kind == "Conv2d":
            if isinstance(node.padding, str):
                raise ExportError(f"netx: Conv2d {name!r} uses padding={node.padding!r}; netx needs numbers")
            layer.update(
                type="conv",
                shape=out_shape,
                inChannels=int(node.weight.shape[1] * int(node.groups)),
                outChannels=int(node.weight.shape[0]),
                kernelSize=np.asarray(node.weight.shape[2:]),
                stride=np.asarray(node.stride),
                padding=np.asarray(node.padding),
                dilation=np.asarray(node.dilation),
                groups=int(node.groups),
            )
        else:
            layer.update(
                type="dense",
                shape=out_shape,
                inFeatures=int(node.weight.shape[1]),
                outFeatures=int(node.weight.shape[0]),
            )
        layers.append(layer)
        lines.append(
            f"{layer['type']} {name} + {type(neuron_node).__name__} {neuron_name} -> {tuple(int(s) for s in out_shape)}"
        )
        i += 2
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        for k, layer in enumerate(layers):
            g = f.create_group(f"layer/{k}")
            for key, value in layer.items():
                if key == "type":
                    _write_str(g, key, value)
                elif key == "neuron":
                    for nk, nv in value.items():
                        if nk == "type":
                            _write_str(g, f"neuron/{nk}", nv)
                        else:
                            g.create_dataset(f"neuron/{nk}", data=nv)
                else:
                    g.create_dataset(key, data=value)
        if T is not None:
            f.create_dataset("simulation/Ts", data=1)
            f.create_dataset("simulation/tSample", data=int(T))
    return NetxExport(path, tuple(lines), rounding)


def _read_str(ds: Any) -> str:
    value = ds[0] if ds.shape else ds[()]
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def read_netx(path: str | Path) -> list[dict[str, Any]]:
    """Read a netx file back, checking it against the published layout.

    Returns:
        one dict per layer in order: ``type`` (str), the layer's datasets as numpy values, and ``neuron`` as a
        dict for conv/dense layers.

    Raises:
        ExportError: a missing layer index, an unknown type, a missing key, a weight that is not an 8-bit mantissa,
            or shapes that do not chain.
    """
    h5py = import_optional("h5py", "read_netx")
    with h5py.File(path, "r") as f:
        if "layer" not in f:
            raise ExportError(f"{path}: no /layer group; not a netx file")
        group = f["layer"]
        keys = sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else -1)
        if keys != [str(k) for k in range(len(keys))]:
            raise ExportError(f"{path}: layers must be numbered 0..n-1, got {list(group.keys())}")
        out: list[dict[str, Any]] = []
        for k in keys:
            g = group[k]
            if "type" not in g:
                raise ExportError(f"{path}: layer {k} has no 'type'")
            kind = _read_str(g["type"])
            if kind not in NETX_LAYER_KEYS:
                raise ExportError(f"{path}: layer {k} has type {kind!r}; known: {sorted(NETX_LAYER_KEYS)}")
            missing = [key for key in NETX_LAYER_KEYS[kind] if key not in g]
            if missing:
                raise ExportError(f"{path}: {kind} layer {k} lacks {missing}")
            layer: dict[str, Any] = {"type": kind}
            for key in g:
                if key == "type":
                    continue
                if key == "neuron":
                    n = g["neuron"]
                    miss = [nk for nk in _NEURON_KEYS if nk not in n]
                    if miss:
                        raise ExportError(f"{path}: neuron of layer {k} lacks {miss}")
                    layer["neuron"] = {nk: (_read_str(n[nk]) if nk == "type" else n[nk][()]) for nk in n}
                else:
                    layer[key] = g[key][()]
            out.append(layer)
    if not out or out[0]["type"] != "input":
        raise ExportError(f"{path}: layer 0 must be the input layer")
    for k, layer in enumerate(out):
        if "weight" in layer:
            w = np.asarray(layer["weight"])
            if np.any(w != np.round(w)) or w.min(initial=0) < _W_MIN or w.max(initial=0) > _W_MAX:
                raise ExportError(f"{path}: layer {k} weights are not 8-bit mantissas in [{_W_MIN}, {_W_MAX}]")
        if layer["type"] == "dense" and layer["weight"].shape != (layer["outFeatures"], layer["inFeatures"]):
            raise ExportError(f"{path}: dense layer {k} weight shape {layer['weight'].shape} != (out, in)")
        if layer["type"] in ("dense", "conv") and layer["neuron"]["type"] not in ("CUBA", "LOIHI"):
            raise ExportError(f"{path}: layer {k} neuron type {layer['neuron']['type']!r} is not CUBA")
    _check_shapes(out, path)
    return out


def _check_shapes(layers: list[dict[str, Any]], path: str | Path) -> None:
    """Each layer's input is the previous layer's shape; conv output sizes follow from kernel, stride and padding."""
    prev = tuple(int(s) for s in np.atleast_1d(layers[0]["shape"]))
    for k, layer in enumerate(layers[1:], start=1):
        shape = tuple(int(s) for s in np.atleast_1d(layer["shape"]))
        if layer["type"] == "flatten" and int(np.prod(shape)) != int(np.prod(prev)):
            raise ExportError(f"{path}: flatten layer {k} changes the number of values {prev} -> {shape}")
        if layer["type"] == "dense" and int(layer["inFeatures"]) != int(np.prod(prev)):
            raise ExportError(f"{path}: dense layer {k} takes {layer['inFeatures']} inputs after shape {prev}")
        if layer["type"] == "conv":
            c, h, w = prev
            kh, kw = (int(v) for v in np.atleast_1d(layer["kernelSize"]))
            sh, sw = (int(v) for v in np.broadcast_to(layer["stride"], 2))
            ph, pw = (int(v) for v in np.broadcast_to(layer["padding"], 2))
            dh, dw = (int(v) for v in np.broadcast_to(layer["dilation"], 2))
            want = (
                int(layer["outChannels"]),
                (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
                (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1,
            )
            if int(layer["inChannels"]) != c or shape != want:
                raise ExportError(f"{path}: conv layer {k} maps {prev} to {shape}, expected {want}")
        prev = shape
