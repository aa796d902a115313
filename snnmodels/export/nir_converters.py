"""NIR converters for single modules: ``MODULE_CONVERTERS`` maps a module type to ``(module, Site) -> nodes``.

`snnmodels.export.to_nir` traces a model and calls these for each module it meets; the neuron contract and
the list of what converts to what are in its docstring. Each converter returns the chain of NIR nodes that
computes the module on one sample, or raises `ExportError` saying why it cannot.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from snnmodels import layers
from snnmodels.ann2snn.graph import TimeFolded
from snnmodels.ann2snn.modules import Rescale, ScaledIF
from snnmodels.export.errors import ExportError
from snnmodels.export.from_nir import NIRNetwork
from snnmodels.neurons import IFNode, Leaky, LeakyParallel, LIFNode, NonSpikingLIFNode, ParametricLIFNode
from snnmodels.recurrent import ElementWiseRecurrent, LinearRecurrent, SynapseFilter

__all__ = [
    "BATCHNORMS",
    "FOLD_TARGETS",
    "MODULE_CONVERTERS",
    "Site",
    "adaptive_matrix",
    "as_tuple",
    "converts_as",
    "flatten_nodes",
    "soft_reset_if_graph",
]


@dataclass(frozen=True)
class Site:
    """Where a module is called: its name, per-sample shapes (no T, no N), dt, and a BatchNorm to fold in."""

    name: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    dt: float
    bn: nn.Module | None = None
    pool: np.ndarray | None = None  # [K, HW]: an adaptive average pool folded into a Linear's columns


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _arr(t: Tensor | float, shape: tuple[int, ...] = ()) -> np.ndarray:
    a = t.detach().cpu().double().numpy() if isinstance(t, Tensor) else np.asarray(t, dtype=np.float64)
    try:
        return np.array(np.broadcast_to(a, shape), dtype=np.float64)
    except ValueError:
        raise ExportError(f"a parameter of shape {a.shape} does not broadcast to the neuron shape {shape}") from None


def _weights(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _bn_affine(bn: nn.Module, name: str) -> tuple[Tensor, Tensor]:
    """(scale, shift) of a BatchNorm in eval mode, in float64: y = x·scale + shift per channel."""
    if getattr(bn, "running_mean", None) is None or getattr(bn, "running_var", None) is None:
        raise ExportError(
            f"BatchNorm {name!r} keeps no running statistics (track_running_stats=False), so it normalizes with "
            "the statistics of each batch: that has no fixed NIR equivalent"
        )
    var = bn.running_var.detach().double()  # type: ignore[union-attr]
    mean = bn.running_mean.detach().double()  # type: ignore[union-attr]
    gamma = bn.weight.detach().double() if bn.weight is not None else torch.ones_like(var)  # type: ignore[union-attr]
    beta = bn.bias.detach().double() if bn.bias is not None else torch.zeros_like(var)  # type: ignore[union-attr]
    scale = gamma / torch.sqrt(var + bn.eps)  # type: ignore[operator]
    return scale, beta - mean * scale


def _folded(m: nn.Module, site: Site) -> tuple[np.ndarray, np.ndarray | None]:
    """Weight and bias of a Conv/Linear with ``site.bn`` folded in (computed in float64, stored in m's dtype)."""
    w = m.weight.detach()  # type: ignore[union-attr]
    b = None if m.bias is None else m.bias.detach()  # type: ignore[union-attr]
    if site.pool is not None:  # columns over (C, K) pooled cells -> columns over (C, HW) input cells
        K = site.pool.shape[0]
        cols = w.double().reshape(w.shape[0], -1, K) @ torch.from_numpy(site.pool)
        w = cols.reshape(w.shape[0], -1).to(w.dtype)
    if site.bn is None:
        return _weights(w), None if b is None else _weights(b)
    scale, shift = _bn_affine(site.bn, site.name)
    w64 = w.double() * scale.view(-1, *([1] * (w.dim() - 1)))
    b64 = (torch.zeros_like(scale) if b is None else b.double()) * scale + shift
    return w64.to(w.dtype).cpu().numpy(), b64.to(w.dtype).cpu().numpy()


def as_tuple(v: Any, n: int) -> tuple[int, ...]:
    """A module's size argument as an n-tuple (``3`` -> ``(3, 3)`` for n=2; tuples pass through)."""
    return tuple(v) if isinstance(v, tuple | list) else (int(v),) * n


# ---------------------------------------------------------------------------------------------------------------
# module converters: (module, site) -> chain of NIR nodes


def _linear(m: nn.Module, site: Site) -> list[Any]:
    import nir

    if len(site.in_shape) != 1:
        raise ExportError(
            f"Linear {site.name!r} acts on samples of shape {site.in_shape}; NIR Affine takes 1-D samples, so "
            "flatten before it"
        )
    w, b = _folded(m, site)
    return [nir.Linear(weight=w) if b is None else nir.Affine(weight=w, bias=b)]


def _conv(dims: int) -> Callable[[nn.Module, Site], list[Any]]:
    def convert(m: nn.Module, site: Site) -> list[Any]:
        import nir

        if m.padding_mode != "zeros":  # type: ignore[union-attr]
            raise ExportError(
                f"Conv{dims}d {site.name!r} pads with {m.padding_mode!r}; NIR convolutions pad with zeros"  # type: ignore[union-attr]
            )
        w, b = _folded(m, site)
        if b is None:
            b = np.zeros(w.shape[0], dtype=w.dtype)
        w = _ungroup(w, int(m.groups))  # type: ignore[union-attr]
        padding = m.padding if isinstance(m.padding, str) else np.array(as_tuple(m.padding, dims))  # type: ignore[union-attr]
        spatial = site.in_shape[1:]
        cls = nir.Conv1d if dims == 1 else nir.Conv2d
        return [
            cls(
                input_shape=int(spatial[0]) if dims == 1 else tuple(spatial),
                weight=w,
                stride=np.array(as_tuple(m.stride, dims)),  # type: ignore[union-attr]
                padding=padding,
                dilation=np.array(as_tuple(m.dilation, dims)),  # type: ignore[union-attr]
                groups=1,
                bias=b,
            )
        ]

    return convert


def _batchnorm(m: nn.Module, site: Site) -> list[Any]:
    """A BatchNorm with no Conv/Linear to fold into: a per-channel (depthwise, 1x1) Conv, or a diagonal Affine."""
    import nir

    scale, shift = _bn_affine(m, site.name)
    dtype = next((p.dtype for p in m.parameters()), torch.float32)
    C = site.in_shape[0]
    s = scale.to(dtype).cpu().numpy()
    b = shift.to(dtype).cpu().numpy()
    if len(site.in_shape) == 1:
        return [nir.Affine(weight=np.diag(s), bias=b)]
    dims = len(site.in_shape) - 1
    if dims not in (1, 2):
        raise ExportError(f"BatchNorm {site.name!r} on samples of shape {site.in_shape} has no NIR equivalent")
    weight = _ungroup(s.reshape(C, 1, *([1] * dims)), C)  # a diagonal 1x1 convolution
    cls = nir.Conv1d if dims == 1 else nir.Conv2d
    spatial: Any = int(site.in_shape[1]) if dims == 1 else tuple(site.in_shape[1:])
    ones = np.ones(dims, dtype=int)
    return [cls(input_shape=spatial, weight=weight, stride=ones, padding=0 * ones, dilation=ones, groups=1, bias=b)]


def _ungroup(w: np.ndarray, groups: int) -> np.ndarray:
    """A grouped convolution's weight [Co, Ci/g, ...] as the equal dense one [Co, Ci, ...] (block diagonal).

    NIR 1.0.8 takes a Conv node's input channels to be weight.shape[1], so a grouped Conv fails its own type
    check (and ``nir.read``); the extra weights are zeros, which add exactly nothing.
    """
    if groups == 1:
        return w
    co, ci_g = w.shape[:2]
    dense = np.zeros((co, ci_g * groups, *w.shape[2:]), dtype=w.dtype)
    per_group = co // groups
    for g in range(groups):
        rows = slice(g * per_group, (g + 1) * per_group)
        dense[rows, g * ci_g : (g + 1) * ci_g] = w[rows]
    return dense


def _pool_node(
    kind: str, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...], site: Site
) -> Any:
    import nir

    node = getattr(nir, kind)(np.array(kernel), np.array(stride), np.array(padding))
    # NIR leaves pooling types undefined; we know them from the example run
    node.input_type = {"input": np.array(site.in_shape)}
    node.output_type = {"output": np.array(site.out_shape)}
    return node


def _avgpool(m: nn.Module, site: Site) -> list[Any]:
    kernel = as_tuple(m.kernel_size, 2)  # type: ignore[union-attr]
    stride = kernel if m.stride is None else as_tuple(m.stride, 2)  # type: ignore[union-attr]
    padding = as_tuple(m.padding, 2)  # type: ignore[union-attr]
    if m.ceil_mode:  # type: ignore[union-attr]
        raise ExportError(f"AvgPool2d {site.name!r} uses ceil_mode=True; NIR pooling windows must fit the input")
    if any(padding) and not m.count_include_pad:  # type: ignore[union-attr]
        raise ExportError(
            f"AvgPool2d {site.name!r} divides by the unpadded window (count_include_pad=False); NIR AvgPool2d "
            "divides by the kernel area"
        )
    divisor = m.divisor_override  # type: ignore[union-attr]
    if divisor not in (None, 1):
        raise ExportError(
            f"AvgPool2d {site.name!r} divides by {divisor}; only the kernel area (AvgPool2d) or 1 (SumPool2d) "
            "are NIR primitives"
        )
    return [_pool_node("SumPool2d" if divisor == 1 else "AvgPool2d", kernel, stride, padding, site)]


def _adaptive_avgpool(m: nn.Module, site: Site) -> list[Any]:
    (_, H, W), (_, h, w) = site.in_shape, site.out_shape
    if H % h or W % w:
        raise ExportError(
            f"AdaptiveAvgPool2d {site.name!r} maps {H}x{W} to {h}x{w}, which needs windows of unequal size; NIR "
            "can only take it when a Flatten and a Linear follow it (it is then folded into the Linear). Choose an "
            "input size divisible by the output size, or use an AvgPool2d"
        )
    kernel = (H // h, W // w)
    return [_pool_node("AvgPool2d", kernel, kernel, (0, 0), site)]


def adaptive_matrix(in_hw: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """[oh·ow, H·W]: the adaptive average pool of one channel as a matrix (rows: output cells)."""
    H, W = in_hw
    eye = torch.eye(H * W, dtype=torch.float64).view(H * W, 1, H, W)
    return torch.nn.functional.adaptive_avg_pool2d(eye, out_hw).reshape(H * W, -1).T.contiguous().numpy()


def _maxpool(m: nn.Module, site: Site) -> list[Any]:
    raise ExportError(
        f"MaxPool2d {site.name!r} cannot be exported: NIR has no max pooling. Build the model's average-pooling "
        "variant (e.g. snnmodels.layers.AvgPool2d, or the zoo model's avg-pool option) and fine-tune it; "
        "PLIF nets lose about 0.35 pp on DVS Gesture with average pooling"
    )


def flatten_nodes(site: Site, full_start: int, full_end: int) -> list[Any]:
    """NIR nodes for flattening dims ``full_start..full_end`` of a ``[T, N, ...]`` tensor (T and N kept)."""
    import nir

    rank = len(site.in_shape) + 2
    start = full_start if full_start >= 0 else rank + full_start
    end = full_end if full_end >= 0 else rank + full_end
    if start < 2:
        raise ExportError(
            f"Flatten {site.name!r} merges the time or batch dimension of [T, N, ...] (start_dim={full_start} on a "
            f"{rank}-D tensor); use snnmodels.layers.Flatten in multi-step mode, or torch.flatten(x, 2)"
        )
    if end <= start:
        return []
    per_end = end - 2
    return [
        nir.Flatten(
            input_type={"input": np.array(site.in_shape)},
            start_dim=start - 2,
            end_dim=-1 if per_end == len(site.in_shape) - 1 else per_end,
        )
    ]


def _flatten(m: nn.Module, site: Site) -> list[Any]:
    start, end = int(m.start_dim), int(m.end_dim)  # type: ignore[union-attr]
    if isinstance(m, layers.Flatten):  # its dimensions count after T
        start, end = start + 1, end if end < 0 else end + 1
    return flatten_nodes(site, start, end)


def _voting(m: nn.Module, site: Site) -> list[Any]:
    import nir

    if len(site.in_shape) != 1:
        raise ExportError(f"VotingLayer {site.name!r} on samples of shape {site.in_shape}: NIR needs 1-D samples")
    n_in, n_out, k = site.in_shape[0], site.out_shape[0], m.voting_size  # type: ignore[union-attr]
    w = np.zeros((n_out, n_in), dtype=np.float64)
    for o in range(n_out):
        w[o, o * k : (o + 1) * k] = 1.0 / k
    return [nir.Linear(weight=w)]


def _seq_to_ann(m: nn.Module, site: Site) -> list[Any]:
    body = m.body  # type: ignore[union-attr]
    convert = MODULE_CONVERTERS.get(type(body))
    if convert is None or convert is _seq_to_ann:
        raise ExportError(
            f"SeqToANN {site.name!r} wraps {type(body).__name__}; only a single supported layer can be exported "
            "from it (unwrap it into multi-step layers)"
        )
    if isinstance(body, nn.Flatten) and not isinstance(body, layers.Flatten):
        return flatten_nodes(site, int(body.start_dim) + 1, body.end_dim if body.end_dim < 0 else body.end_dim + 1)
    return convert(body, site)


def _hard_reset(m: nn.Module, site: Site) -> float:
    if m.v_reset is None:  # type: ignore[union-attr]
        raise ExportError(
            f"{type(m).__name__} {site.name!r} uses a soft reset (v_reset=None, subtract the threshold); NIR neurons "
            "reset to v_reset. Train or fine-tune with v_reset=0.0 to export"
        )
    return float(m.v_reset)  # type: ignore[union-attr]


def soft_reset_if_graph(v_threshold: Any, shape: tuple[int, ...], dt: float) -> Any:
    """An IF neuron with a soft reset (subtract the threshold) as a recurrent NIR subgraph.

    NIR's IF resets to v_reset, so the soft reset is written with an integrator whose own spikes, scaled by
    -v_threshold, come back as input one step later: I(r=1/dt) -> Threshold -> Scale(-v_threshold) -> I. Per
    step v[t] = v[t-1] - v_threshold·z[t-1] + x[t] and z[t] = H(v[t] - v_threshold): our soft-reset IF.
    """
    import nir

    thr = _arr(v_threshold, shape)
    nodes = {
        "input": nir.Input(input_type={"input": np.array(shape)}),
        "integrator": nir.I(r=np.full(shape, 1.0 / dt)),
        "threshold": nir.Threshold(threshold=thr),
        "reset": nir.Scale(scale=-thr),
        "output": nir.Output(output_type={"output": np.array(shape)}),
    }
    edges = [
        ("input", "integrator"),
        ("integrator", "threshold"),
        ("threshold", "reset"),
        ("reset", "integrator"),
        ("threshold", "output"),
    ]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"snnmodels": "soft-reset IF"}, type_check=False)


def _if(m: nn.Module, site: Site) -> list[Any]:
    import nir

    shape = site.out_shape
    if m.v_reset is None:  # type: ignore[union-attr]
        return [soft_reset_if_graph(m.v_threshold, shape, site.dt)]
    v_reset = _hard_reset(m, site)
    return [
        nir.IF(r=_arr(1.0 / site.dt, shape), v_threshold=_arr(m.v_threshold, shape), v_reset=_arr(v_reset, shape))  # type: ignore[arg-type]
    ]


def _lif_node(tau: float, decay_input: bool, m: nn.Module, site: Site) -> Any:
    import nir

    v_reset = _hard_reset(m, site)
    shape = site.out_shape
    return nir.LIF(
        tau=_arr(tau * site.dt, shape),
        r=_arr(1.0 if decay_input else tau, shape),
        v_leak=_arr(v_reset, shape),
        v_threshold=_arr(m.v_threshold, shape),  # type: ignore[arg-type]
        v_reset=_arr(v_reset, shape),
    )


def _lif(m: nn.Module, site: Site) -> list[Any]:
    return [_lif_node(m.tau, m.decay_input, m, site)]  # type: ignore[arg-type]


def _plif(m: nn.Module, site: Site) -> list[Any]:
    tau = float(1.0 / torch.sigmoid(m.w.detach().double()))  # type: ignore[union-attr]
    return [_lif_node(tau, m.decay_input, m, site)]  # type: ignore[arg-type]


def _nonspiking_lif(m: nn.Module, site: Site) -> list[Any]:
    """The leaky integrator v += (x - v)/tau: ``LI(tau=tau·dt, r=1, v_leak=0)``, which NIR outputs as its v."""
    import nir

    if m.decode is not None:  # type: ignore[union-attr]
        raise ExportError(
            f"NonSpikingLIFNode {site.name!r} decodes its membrane over time (decode={m.decode!r}); NIR has no "  # type: ignore[union-attr]
            "reduction over time: export with decode=None (the SHD/SSC zoo nets: readout='mean'), which outputs the "
            "membranes at every step, and reduce them over time after the NIR graph"
        )
    shape = site.out_shape
    return [nir.LI(tau=_arr(m.tau * site.dt, shape), r=_arr(1.0, shape), v_leak=_arr(0.0, shape))]  # type: ignore[operator]


def _leaky(m: nn.Module, site: Site) -> list[Any]:
    import nir

    shape = site.out_shape
    reset = m.reset_mechanism  # type: ignore[union-attr]
    if reset == "subtract":
        raise ExportError(
            f"Leaky {site.name!r} uses reset_mechanism='subtract' (a soft reset); NIR neurons reset to v_reset. "
            "Use reset_mechanism='zero' to export"
        )
    if m.state_quant is not None:  # type: ignore[union-attr]
        raise ExportError(f"Leaky {site.name!r} quantizes its membrane (state_quant); NIR has no such node")
    beta = _arr(m.beta.clamp(0, 1), shape)  # type: ignore[union-attr,operator]
    threshold = _arr(m.threshold, shape)  # type: ignore[arg-type]
    zeros = np.zeros(shape)
    ones = beta == 1.0
    if ones.any() and not ones.all():
        raise ExportError(
            f"Leaky {site.name!r} mixes beta = 1 (no leak) with beta < 1 in one layer; NIR needs one node type "
            "per layer (split the layer or keep beta < 1)"
        )
    if ones.all():
        gain = np.full(shape, 1.0 / site.dt)
        chain = (
            [nir.IF(r=gain, v_threshold=threshold, v_reset=zeros)]
            if reset == "zero"
            else [nir.I(r=gain), nir.Threshold(threshold=threshold)]
        )
    else:
        tau, r = site.dt / (1.0 - beta), 1.0 / (1.0 - beta)
        chain = (
            [nir.LIF(tau=tau, r=r, v_leak=zeros, v_threshold=threshold, v_reset=zeros)]
            if reset == "zero"
            else [nir.LI(tau=tau, r=r, v_leak=zeros), nir.Threshold(threshold=threshold)]
        )
    factor = _arr(m.graded_spikes_factor, shape)  # type: ignore[arg-type]
    if not np.all(factor == 1.0):
        chain.append(nir.Scale(scale=factor))
    return chain


def _rescale(m: nn.Module, site: Site) -> list[Any]:
    import nir

    return [nir.Scale(scale=_arr(m.scale, site.out_shape))]  # type: ignore[arg-type]


def _scaled_if(m: nn.Module, site: Site) -> list[Any]:
    """A converted ReLU, s·IF(x·v_th/s): Scale, the IF (a soft reset is a recurrent subgraph), Scale."""
    neuron = m.if_node  # type: ignore[union-attr]
    convert = MODULE_CONVERTERS.get(type(neuron))
    if convert is None:
        raise ExportError(f"ScaledIF {site.name!r} holds a {type(neuron).__name__}, which has no NIR converter")
    inner = Site(f"{site.name}.if_node", site.out_shape, site.out_shape, site.dt)
    return _rescale(m.scaler0, site) + convert(neuron, inner) + _rescale(m.scaler1, site)  # type: ignore[arg-type]


def _subgraph(name: str, shape_in: tuple[int, ...], shape_out: tuple[int, ...], nodes: dict[str, Any],
              edges: list[tuple[str, str]]) -> Any:  # fmt: skip
    import nir

    nodes = {"input": nir.Input(input_type={"input": np.array(shape_in)}), **nodes}
    nodes["output"] = nir.Output(output_type={"output": np.array(shape_out)})
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"snnmodels": name}, type_check=False)


def _loop_body(m: nn.Module, site: Site) -> tuple[dict[str, Any], str, str]:
    """The sub-module of a recurrent container as named NIR nodes: (nodes, first name, last name)."""
    sub = m.sub_module  # type: ignore[union-attr]
    convert = MODULE_CONVERTERS.get(type(sub))
    if convert is None:
        raise ExportError(
            f"{type(m).__name__} {site.name!r} wraps a {type(sub).__name__}, which has no NIR converter; put one "
            "neuron (or another exportable module) inside the loop"
        )
    chain = convert(sub, Site(f"{site.name}.sub_module", site.out_shape, site.out_shape, site.dt))
    if not chain:
        raise ExportError(f"{type(m).__name__} {site.name!r} wraps a module that exports to nothing")
    names = [f"sub_module_{i}" for i in range(len(chain))]
    return dict(zip(names, chain, strict=True)), names[0], names[-1]


def _linear_recurrent(m: nn.Module, site: Site) -> list[Any]:
    """y[t] = sub(W_x x[t] + b + W_y y[t-1]): a subgraph whose cycle-closing edge carries W_y y of the step before."""
    import nir

    n_in = m.in_features  # type: ignore[union-attr]
    if site.out_shape[-1:] != (m.out_features,) or len(site.out_shape) != 1:  # type: ignore[union-attr]
        raise ExportError(f"LinearRecurrent {site.name!r}: NIR export takes [T, N, features] only")
    w = _weights(m.rc.weight)  # type: ignore[union-attr]
    bias = m.rc.bias  # type: ignore[union-attr]
    body, first, last = _loop_body(m, site)
    forward = nir.Linear(weight=w[:, :n_in]) if bias is None else nir.Affine(weight=w[:, :n_in], bias=_weights(bias))
    nodes = {"rc_input": forward, "rc_recurrent": nir.Linear(weight=w[:, n_in:]), **body}
    edges = [("input", "rc_input"), ("rc_input", first), (last, "rc_recurrent"), ("rc_recurrent", first)]
    edges += [*list(itertools.pairwise(list(body))), (last, "output")]
    return [_subgraph("LinearRecurrent", site.in_shape, site.out_shape, nodes, edges)]


def _elementwise_recurrent(m: nn.Module, site: Site) -> list[Any]:
    """y[t] = sub(x[t] + y[t-1]): the output comes back into the loop's first node (NIR sums its inputs)."""
    if m.combine is not operator.add:  # type: ignore[union-attr]
        raise ExportError(
            f"ElementWiseRecurrent {site.name!r} combines with {getattr(m.combine, '__name__', m.combine)!r}; NIR "
            "can only add the fed-back output (combine=operator.add)"
        )
    body, first, last = _loop_body(m, site)
    edges = [("input", first), (last, first), (last, "output"), *itertools.pairwise(list(body))]
    return [_subgraph("ElementWiseRecurrent", site.in_shape, site.out_shape, body, edges)]


def _refuse(why: str) -> Callable[[nn.Module, Site], list[Any]]:
    def convert(m: nn.Module, site: Site) -> list[Any]:
        raise ExportError(f"{type(m).__name__} {site.name!r} cannot be exported to NIR: {why}")

    return convert


def _nothing(m: nn.Module, site: Site) -> list[Any]:
    return []


# module type -> converter; exact types only, so a subclass that changes the computation is never mistaken
# for its parent (add it here with its own converter)
MODULE_CONVERTERS: dict[type[nn.Module], Callable[[nn.Module, Site], list[Any]]] = {
    nn.Linear: _linear,
    layers.Linear: _linear,
    nn.Conv1d: _conv(1),
    layers.Conv1d: _conv(1),
    nn.Conv2d: _conv(2),
    layers.Conv2d: _conv(2),
    nn.BatchNorm1d: _batchnorm,
    layers.BatchNorm1d: _batchnorm,
    nn.BatchNorm2d: _batchnorm,
    layers.BatchNorm2d: _batchnorm,
    nn.AvgPool2d: _avgpool,
    layers.AvgPool2d: _avgpool,
    nn.AdaptiveAvgPool2d: _adaptive_avgpool,
    layers.AdaptiveAvgPool2d: _adaptive_avgpool,
    nn.MaxPool2d: _maxpool,
    layers.MaxPool2d: _maxpool,
    nn.Flatten: _flatten,
    layers.Flatten: _flatten,
    layers.VotingLayer: _voting,
    layers.SeqToANN: _seq_to_ann,
    nn.Dropout: _nothing,
    layers.Dropout: _nothing,
    nn.Identity: _nothing,
    IFNode: _if,
    LIFNode: _lif,
    ParametricLIFNode: _plif,
    Leaky: _leaky,
    NonSpikingLIFNode: _nonspiking_lif,
    LeakyParallel: _refuse("its membrane passes through a ReLU and never resets; NIR has no such neuron"),
    NIRNetwork: _refuse("a NIRNetwork nested in another model; export the NIRNetwork itself"),
    # ANN -> SNN conversion (snnmodels.ann2snn)
    Rescale: _rescale,
    ScaledIF: _scaled_if,
    # stateful synapses and self-connections (snnmodels.recurrent)
    LinearRecurrent: _linear_recurrent,
    ElementWiseRecurrent: _elementwise_recurrent,
    SynapseFilter: _refuse(
        "its decay depends on the input (I - (1 - x)·I/tau + x), which no NIR node has; use a CubaLIF neuron "
        "(snnTorch Synaptic) for a synaptic current"
    ),
    TimeFolded: _refuse(
        "it runs a tensor function over the batch with time folded in, which NIR has no node for; write that "
        "part of the ANN with modules (nn.Flatten, pooling, ...) before converting"
    ),
}

BATCHNORMS = (nn.BatchNorm1d, layers.BatchNorm1d, nn.BatchNorm2d, layers.BatchNorm2d)
FOLD_TARGETS = (nn.Linear, layers.Linear, nn.Conv1d, layers.Conv1d, nn.Conv2d, layers.Conv2d)


def converts_as(cls: type, kinds: tuple[type, ...]) -> bool:
    """Whether module type ``cls`` converts as one of ``kinds``: it is one, or a subclass registered with the
    converter of one (the SpikingJelly-named layers and neurons are, by ``register_like``, which finds it through
    their class hierarchy). An unregistered subclass is not: it may compute something else than its parent."""
    convert = MODULE_CONVERTERS.get(cls)
    return convert is not None and any(MODULE_CONVERTERS.get(k) is convert for k in kinds)
