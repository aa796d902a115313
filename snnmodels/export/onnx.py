"""Export one time step of a model to ONNX: ``(x, state_0, ..., state_k) -> (y, state_0', ..., state_k')``.

ONNX has no notion of a spiking neuron's memory, so the exported graph is a pure function of one step: every
neuron's membrane comes in as an input and goes out as an output, and the caller loops over time
(`run_onnx` does). The states start at rest; their initial values and the neurons they belong to are stored in
the model's ``metadata_props`` (``snnmodels.states``, JSON) and returned by `to_onnx`.

Spikes are the plain Heaviside step (``>=`` for IF/LIF/PLIF, ``>`` for Leaky, as our neurons): no surrogate,
this is for inference. BatchNorm runs with its running statistics, Dropout is off. The graph is float32
(onnxruntime has no float64 convolution); `to_onnx` checks it with onnxruntime against the model over ``T``
steps before returning, and raises if they differ by more than ``atol``.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from snnmodels.base import MemoryModule, reset_net, set_step_mode
from snnmodels.export.errors import ExportError, import_optional
from snnmodels.export.nir_converters import converts_as
from snnmodels.functional.leaky import leaky_step
from snnmodels.functional.multistep import charge, neuron_step
from snnmodels.functional.surrogate import heaviside
from snnmodels.layers import Dropout
from snnmodels.neurons import IFNode, Leaky, LeakyParallel, LIFNode, NonSpikingLIFNode, ParametricLIFNode
from snnmodels.spiking import Lowpass, SpikingActivation

__all__ = ["OnnxExport", "run_onnx", "to_onnx"]

_SJ_NEURONS = (IFNode, LIFNode, ParametricLIFNode)
_NEURONS = (*_SJ_NEURONS, NonSpikingLIFNode, Leaky)  # the modules whose state becomes an ONNX input and output
_WHOLE_SEQUENCE = (LeakyParallel, Lowpass, SpikingActivation)  # integrate over the time axis inside forward
_OPSET = 17


@dataclass(frozen=True)
class OnnxExport:
    """What `to_onnx` wrote.

    Attributes:
        path: the ``.onnx`` file.
        state_names: ONNX input names of the states, in order (outputs are the same names + ``'_out'``).
        neurons: the qualified module name of the neuron each state belongs to.
        initial_values: the value each state starts at (a sequence starts at rest).
        state_shapes: per-sample shape of each state (the batch dimension comes first and is dynamic).
        max_abs_diff: the largest difference onnxruntime showed against the model in the check (None: no check).
    """

    path: Path
    state_names: tuple[str, ...]
    neurons: tuple[str, ...]
    initial_values: tuple[float, ...]
    state_shapes: tuple[tuple[int, ...], ...]
    max_abs_diff: float | None = field(default=None, compare=False)


class _Context:
    """The states of one step, passed to the neuron wrappers beside the model's own forward."""

    def __init__(self, n: int) -> None:
        self.states_in: list[Tensor | None] = [None] * n
        self.states_out: list[Tensor | None] = [None] * n
        self.shapes: list[tuple[int, ...] | None] = [None] * n


class _StepNeuron(nn.Module):
    """One neuron module as a function of (input, state): reads its state from the context, writes the new one."""

    def __init__(self, neuron: nn.Module, index: int, ctx: _Context) -> None:
        super().__init__()
        self.neuron = neuron
        self.index = index
        self.ctx = ctx
        if isinstance(neuron, Leaky | NonSpikingLIFNode):
            self.rest = 0.0
        else:
            self.rest = 0.0 if neuron.v_reset is None else float(neuron.v_reset)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Any:
        v = self.ctx.states_in[self.index]
        if v is None:  # the shape-finding run
            v = x.new_full(x.shape, self.rest)
            self.ctx.shapes[self.index] = tuple(x.shape[1:])
        n = self.neuron
        if isinstance(n, Leaky):
            spk, mem = leaky_step(
                x,
                v,
                n.beta,
                n.threshold,
                p=n.params,
                surrogate=_strict_heaviside,
                graded_spikes_factor=n.graded_spikes_factor,
                state_quant=n.state_quant,
            )
            self.ctx.states_out[self.index] = mem
            return (spk, mem) if (not n.init_hidden or n.output) else spk
        if isinstance(n, NonSpikingLIFNode):
            if n.decode is not None:
                raise ExportError(f"NonSpikingLIFNode(decode={n.decode!r}) reduces over time; one ONNX step cannot")
            v_next = charge(x, v, n.dynamics())
            self.ctx.states_out[self.index] = v_next
            return v_next
        q = n.w.sigmoid() if isinstance(n, ParametricLIFNode) else None
        spike, v_next, _ = neuron_step(x, v, n.dynamics(), heaviside, q)  # type: ignore[operator]
        self.ctx.states_out[self.index] = v_next
        return spike


def _strict_heaviside(x: Tensor) -> Tensor:
    return heaviside(x, inclusive=False)


class _Step(nn.Module):
    """``forward(x, *states) -> (y, *new_states)`` around a single-step copy of the model."""

    def __init__(self, model: nn.Module, ctx: _Context) -> None:
        super().__init__()
        self.model = model
        self.ctx = ctx

    def forward(self, x: Tensor, *states: Tensor) -> tuple[Tensor, ...]:
        self.ctx.states_in = list(states) if states else [None] * len(self.ctx.states_in)
        y = self.model(x)
        if not isinstance(y, Tensor):
            raise ExportError(f"the model returns {type(y).__name__}; ONNX export needs it to return one tensor")
        return (y, *self.ctx.states_out)  # type: ignore[arg-type]


def _wrap_neurons(model: nn.Module) -> tuple[_Context, list[str], list[_StepNeuron]]:
    neurons = [(name, m) for name, m in model.named_modules() if isinstance(m, _NEURONS)]
    ctx = _Context(len(neurons))
    wrappers = []
    for i, (name, m) in enumerate(neurons):
        if not converts_as(type(m), _NEURONS):  # a subclass may change the update: registered only
            raise ExportError(f"neuron {name!r} of type {type(m).__name__} has no single-step ONNX form")
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        w = _StepNeuron(m, i, ctx)
        setattr(parent, child, w)
        wrappers.append(w)
    wrapped = {id(m) for _, m in neurons}
    for name, m in model.named_modules():
        # any other module with memory would hide state from the exported step; these run over all steps at once
        dropout = isinstance(m, Dropout) or converts_as(type(m), (Dropout,))  # identity in eval()
        stateful = isinstance(m, MemoryModule) and not dropout and id(m) not in wrapped
        if stateful or isinstance(m, _WHOLE_SEQUENCE):
            raise ExportError(f"{type(m).__name__} {name!r} keeps state between steps that the ONNX step cannot carry")
    return ctx, [name for name, _ in neurons], wrappers


def run_onnx(model: Any, x_seq: np.ndarray | Tensor, states: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Run an exported step over a sequence with onnxruntime.

    Args:
        model: the ``.onnx`` path or an ``onnxruntime.InferenceSession``.
        x_seq: input [T, N, *input_shape] (cast to float32).
        states: the initial states (default: at rest, from the model's metadata).

    Returns:
        outputs [T, N, ...] as float32.
    """
    ort = import_optional("onnxruntime", "run_onnx")
    sess = (
        model
        if isinstance(model, ort.InferenceSession)
        else ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    )
    meta = json.loads(sess.get_modelmeta().custom_metadata_map.get("snnmodels.states", "[]"))
    x = x_seq.detach().cpu().numpy() if isinstance(x_seq, Tensor) else np.asarray(x_seq)
    x = x.astype(np.float32)
    N = x.shape[1]
    if states is None:
        current = [np.full((N, *s["shape"]), s["initial"], dtype=np.float32) for s in meta]
    else:
        current = [np.asarray(s, dtype=np.float32) for s in states]
    names = [s["name"] for s in meta]
    ys = []
    for t in range(x.shape[0]):
        out = sess.run(None, {"x": x[t], **dict(zip(names, current, strict=True))})
        ys.append(out[0])
        current = out[1:]
    return np.stack(ys)


def to_onnx(
    model: nn.Module,
    path: str | Path,
    input_shape: Sequence[int],
    *,
    T: int = 8,
    check: bool = True,
    atol: float = 1e-5,
    seed: int = 0,
) -> OnnxExport:
    """Write one time step of ``model`` as an ONNX graph and check it with onnxruntime over ``T`` steps.

    Args:
        model: a multi-step model ([T, N, *input_shape] -> [T, N, ...]) of snnmodels layers and neurons (IF, LIF,
            PLIF, Leaky, NonSpikingLIFNode, and the peer-named ones of ``snnmodels.compat``). It is not changed (a
            float32 single-step copy, reset to rest, is exported).
        path: the ``.onnx`` file to write.
        input_shape: one sample at one step, e.g. ``(2, 34, 34)``.
        T: steps of the check; check: run it (needs onnxruntime); atol: the largest difference it accepts.
        seed: of the check's random input (binary spikes with probability 0.2, like event frames).

    Returns:
        an `OnnxExport` describing the state inputs.

    Raises:
        ExportError: a module with state that has no single-step form, or the check failed.
    """
    import_optional("onnx", "to_onnx")
    path = Path(path)
    input_shape = tuple(int(s) for s in input_shape)
    if isinstance(model, _NEURONS):  # the wrapper replaces neurons inside a parent module
        model = nn.Sequential(model)
    reference = copy.deepcopy(model).float().eval()
    reset_net(reference)  # the exported step starts at rest, whatever state the model was left in
    set_step_mode(reference, "m")
    stepper_model = copy.deepcopy(reference)
    set_step_mode(stepper_model, "s")
    ctx, names, wrappers = _wrap_neurons(stepper_model)
    step = _Step(stepper_model, ctx).eval()
    x0 = torch.zeros(2, *input_shape)
    with torch.no_grad():
        first = step(x0)
    shapes = list(ctx.shapes)
    if any(s is None for s in shapes):
        unused = [n for n, s in zip(names, shapes, strict=True) if s is None]
        raise ExportError(f"neurons {unused} are never called by the model's forward; remove them to export")
    states0 = tuple(first[1:])
    state_names = tuple(f"state_{i}" for i in range(len(names)))
    dynamic = {"x": {0: "batch"}, "y": {0: "batch"}}
    for s in state_names:
        dynamic[s] = {0: "batch"}
        dynamic[f"{s}_out"] = {0: "batch"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # the TorchScript-based exporter is deprecated in torch >= 2.9; the dynamo one needs onnxscript, which is
        # not among our dependencies. Its tracer also warns about Python floats it records as constants.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            step,
            (x0, *states0),
            str(path),
            dynamo=False,
            opset_version=_OPSET,
            input_names=["x", *state_names],
            output_names=["y", *[f"{s}_out" for s in state_names]],
            dynamic_axes=dynamic,
        )
    initial = tuple(w.rest for w in wrappers)
    meta = [
        {"name": n, "neuron": q, "initial": v, "shape": list(s)}  # type: ignore[arg-type]
        for n, q, v, s in zip(state_names, names, initial, shapes, strict=True)
    ]
    onnx = import_optional("onnx", "to_onnx")
    proto = onnx.load(str(path))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "snnmodels.states", json.dumps(meta)
    onnx.save(proto, str(path))
    result = OnnxExport(path, state_names, tuple(names), initial, tuple(shapes))  # type: ignore[arg-type]
    if not check:
        return result
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(T, 2, *input_shape, generator=gen) < 0.2).float()
    with torch.no_grad():
        ours = reference(x)
    if not isinstance(ours, Tensor):
        raise ExportError(f"the model returns {type(ours).__name__}; ONNX export needs it to return one tensor")
    theirs = run_onnx(path, x)
    diff = float(np.abs(theirs - ours.numpy()).max()) if ours.numel() else 0.0
    if not diff <= atol:
        step_bad = int(np.abs(theirs - ours.numpy()).reshape(T, -1).max(1).argmax())
        raise ExportError(
            f"onnxruntime disagrees with the model by {diff:.3g} (> atol={atol}) from step {step_bad} on; "
            f"the file {path} is kept for inspection"
        )
    return OnnxExport(path, state_names, tuple(names), initial, tuple(shapes), diff)
