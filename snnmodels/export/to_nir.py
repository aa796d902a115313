"""Export a multi-step model to NIR: `to_nir(model, input_shape, dt=1e-4) -> nir.NIRGraph`.

The model is traced with torch.fx (our layers and neurons stay leaves), run once on a small example to learn
every shape, and each call is converted through the `MODULE_CONVERTERS` table (module type -> converter) or the
small set of tensor functions below. Anything else raises `ExportError` naming the module and why; nothing is
approximated silently.

Neuron contract (NIR is continuous-time; ``dt`` is the step, in seconds, that the model's time constants are
measured in):

================================  ================================================================================
snnmodels module                   NIR node
================================  ================================================================================
``IFNode`` (hard reset)            ``IF(r=1/dt, v_threshold, v_reset)``
``LIFNode(tau, decay_input)``      ``LIF(tau=tau·dt, r=1 if decay_input else tau, v_leak=v_reset, v_threshold,
                                   v_reset)``
``ParametricLIFNode``              as ``LIFNode`` with its current tau = 1/sigmoid(w)
``Leaky(beta, reset='zero')``      ``LIF(tau=dt/(1-beta), r=1/(1-beta), v_leak=0, v_threshold, v_reset=0)``;
                                   beta = 1 gives ``IF(r=1/dt)``
``Leaky(reset='none')``            ``LI`` (or ``I`` for beta = 1) followed by ``Threshold``
``NonSpikingLIFNode(tau)``         ``LI(tau=tau·dt, r=1, v_leak=0)``, which outputs v (``decode=None`` only)
graded_spikes_factor != 1          a ``Scale`` node after the neuron
================================  ================================================================================

Forward Euler of those NIR nodes at ``dt`` is our update, term for term. What NIR cannot say:

- soft reset (``v_reset=None``, ``reset_mechanism='subtract'``): NIR neurons reset to ``v_reset``. An IFNode's
  soft reset is written as a recurrent subgraph (`nir_converters.soft_reset_if_graph`); the others are refused.
- the firing rule: our IF/LIF/PLIF fire when v >= v_threshold, NIR (and Norse, snnTorch, Loihi) when
  v > v_threshold. The threshold is written unchanged, so the two agree unless v lands exactly on it (see
  `from_nir`'s ``fire_at_threshold`` to reproduce ours to the bit). snnTorch's ``Leaky`` already fires on >.
- initial state: ours is v_reset (IF) or v_leak = v_reset (LIF); `from_nir` starts there too.

Other modules:

- Linear -> Affine (Linear without bias); Conv1d/Conv2d -> Conv1d/Conv2d (a missing bias becomes zeros; grouped
  convolutions are written dense, with block-diagonal weights, see `nir_converters._ungroup`);
- BatchNorm is folded into the Conv/Linear before it, with its running statistics (the export is of the model in
  ``eval()`` mode); a BatchNorm with nothing to fold into becomes a diagonal 1x1 Conv (or Affine);
- AvgPool2d -> AvgPool2d (``divisor_override=1`` -> SumPool2d); AdaptiveAvgPool2d that divides its input evenly ->
  AvgPool2d, and one that does not, when a Flatten and a Linear follow, is folded into that Linear;
- Flatten / ``torch.flatten`` -> Flatten; VotingLayer -> Linear (block averaging); Dropout and Identity ->
  nothing (inference);
- ``a + b`` of two tensors -> two edges into the next node (NIR sums them: SEW 'ADD'); ``x * c`` for a number c
  -> Scale.

MaxPool2d (see `avgpool_variant`), SEW 'AND'/'IAND' (products of tensors), concatenation, and readouts over time
(``x.mean(0)``) have no NIR primitive.
"""

from __future__ import annotations

import copy
import inspect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from snnmodels import layers
from snnmodels.base import MemoryModule, set_step_mode
from snnmodels.export.errors import ExportError, import_optional
from snnmodels.export.from_nir import NIRNetwork
from snnmodels.export.nir_converters import (
    BATCHNORMS,
    FOLD_TARGETS,
    MODULE_CONVERTERS,
    Site,
    adaptive_matrix,
    as_tuple,
    converts_as,
    flatten_nodes,
)
from snnmodels.neurons import NonSpikingLIFNode

__all__ = ["DEFAULT_DT", "MODULE_CONVERTERS", "Site", "avgpool_variant", "to_nir"]

DEFAULT_DT = 1e-4  # seconds per step; SpikingJelly's and snnTorch's NIR exporters use the same

# sizes of the example run that learns the shapes: distinct, so that a layer mixing up T and N is caught
_EXAMPLE_T, _EXAMPLE_N = 2, 1


@dataclass(frozen=True)
class _Val:
    """A tensor of the model as the sum of the outputs of some NIR nodes."""

    sources: tuple[str, ...]
    shape: tuple[int, ...]


@dataclass(frozen=True)
class _Pair:
    """A (spikes, membrane) tuple, as a multi-step ``Leaky`` returns."""

    spikes: _Val
    owner: str


# ---------------------------------------------------------------------------------------------------------------
# tracing


class _Tracer(torch.fx.Tracer):
    """Keeps as leaves the table's modules, their subclasses, stateful modules and any module without children,
    so that one with no converter is named, not traced into (a neuron holding a surrogate module has children,
    and its forward cannot be traced)."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if (
            type(m) in MODULE_CONVERTERS
            or next(m.children(), None) is None
            or isinstance(m, (MemoryModule, *MODULE_CONVERTERS))
        ):
            return True
        return super().is_leaf_module(m, module_qualified_name)


def _trace(model: nn.Module) -> torch.fx.GraphModule:
    params = list(inspect.signature(model.forward).parameters.values())
    concrete = {p.name: p.default for p in params[1:] if p.default is not inspect.Parameter.empty}
    try:
        graph = _Tracer().trace(model, concrete_args=concrete or None)
    except Exception as err:  # fx raises many types (TraceError, TypeError, NotImplementedError...)
        raise ExportError(
            f"cannot trace {type(model).__name__} with torch.fx ({type(err).__name__}: {err}); to_nir needs a "
            "forward whose control flow does not depend on tensor values, taking one [T, N, ...] tensor"
        ) from err
    return torch.fx.GraphModule(model, graph)


def _where(node: torch.fx.Node) -> str:
    trace = node.meta.get("stack_trace") or ""
    last = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    return f" ({last[-1]})" if last else ""


def _shape(node: torch.fx.Node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta")
    if not isinstance(meta, TensorMetadata):
        raise ExportError(f"{node.name!r}{_where(node)} does not produce a single tensor")
    shape = tuple(int(s) for s in meta.shape)
    if shape[:2] != (_EXAMPLE_T, _EXAMPLE_N):
        raise ExportError(
            f"{node.name!r} ({node.op} {node.target}) turns the example input [T={_EXAMPLE_T}, N={_EXAMPLE_N}, ...] "
            f"into shape {shape}: to_nir needs every layer to act on each step and sample alone, in multi-step "
            "mode (use snnmodels.layers)"
        )
    return shape[2:]


class _Builder:
    """Collects NIR nodes and edges while walking the fx graph."""

    def __init__(self, dt: float) -> None:
        self.dt = dt
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self.taken = {"input", "output"}

    def name(self, base: str) -> str:
        base = base.replace(".", "_") or "node"
        out, k = base, 1
        while out in self.taken:
            out, k = f"{base}_{k}", k + 1
        self.taken.add(out)
        return out

    def connect(self, value: _Val, dst: str, what: str) -> None:
        if len(set(value.sources)) != len(value.sources):
            raise ExportError(
                f"{what} receives a sum in which one tensor appears twice (x + x); NIR edges can only add distinct "
                "nodes (scale it with x * 2 instead)"
            )
        self.edges.extend((s, dst) for s in value.sources)

    def chain(self, base: str, value: _Val, nodes: Sequence[Any], out_shape: tuple[int, ...]) -> _Val:
        if not nodes:
            return _Val(value.sources, out_shape)
        names = [self.name(base if i == 0 else f"{base}_{type(n).__name__.lower()}") for i, n in enumerate(nodes)]
        self.connect(value, names[0], repr(base))
        for n, name in zip(nodes, names, strict=True):
            self.nodes[name] = n
        self.edges.extend(itertools.pairwise(names))
        return _Val((names[-1],), out_shape)


@dataclass(frozen=True)
class _Membrane:
    """The membrane output of a ``Leaky``: fine to leave unused, an error to use."""

    owner: str


def _arg(vals: dict[torch.fx.Node, Any], a: Any, node: torch.fx.Node) -> Any:
    if isinstance(a, torch.fx.Node):
        return vals[a]
    if isinstance(a, int | float) and not isinstance(a, bool):
        return a
    raise ExportError(f"{node.name!r}{_where(node)} takes an argument {a!r} that to_nir cannot follow")


def _tensor_arg(vals: dict[torch.fx.Node, Any], a: Any, node: torch.fx.Node) -> _Val:
    v = _arg(vals, a, node)
    if isinstance(v, _Pair):
        raise ExportError(
            f"{node.name!r}{_where(node)} uses the (spikes, membrane) tuple of Leaky {v.owner!r} as a tensor; "
            "index its spikes with [0]"
        )
    if isinstance(v, _Membrane):
        raise ExportError(
            f"the model uses the membrane of Leaky {v.owner!r}{_where(node)}; NIR neurons emit spikes only"
        )
    if not isinstance(v, _Val):
        raise ExportError(f"{node.name!r}{_where(node)} expects a tensor, got the constant {v!r}")
    return v


_ADD = ("add", "iadd", "__add__", "__radd__")
_MUL = ("mul", "imul", "__mul__", "__rmul__")
_SAME = ("contiguous", "clone")


def _function(b: _Builder, vals: dict[torch.fx.Node, Any], node: torch.fx.Node, fn: Any, method: bool) -> Any:
    """Convert a call of a tensor function or method."""
    import nir

    name = fn if method else getattr(fn, "__name__", str(fn))
    if name not in (*_ADD, *_MUL, *_SAME, "flatten", "getitem"):
        what = f"tensor method .{name}()" if method else f"function {name}"
        hint = (
            " (a readout over time is not part of a NIR graph; apply it to the output)"
            if name in ("mean", "sum")
            else ""
        )
        raise ExportError(
            f"{node.name!r}{_where(node)}: the {what} has no NIR equivalent{hint}. Exportable functions: a + b, "
            "x * c, torch.flatten"
        )
    if name == "getitem":
        src, index = vals.get(node.args[0]), node.args[1]  # type: ignore[call-overload]
        if isinstance(src, _Pair) and index == 0:
            return src.spikes
        if isinstance(src, _Pair) and index == 1:
            return _Membrane(src.owner)
        raise ExportError(f"{node.name!r}{_where(node)} indexes or slices a tensor; NIR has no such node")
    args = [_arg(vals, a, node) for a in node.args]
    kwargs = {k: _arg(vals, a, node) for k, a in node.kwargs.items()}
    if name in _ADD:
        if kwargs.get("alpha", 1) != 1 or len(args) != 2:
            raise ExportError(f"{node.name!r}{_where(node)}: only a plain sum a + b of two tensors can be exported")
        if any(not isinstance(v, _Val | _Pair | _Membrane) for v in args):
            raise ExportError(
                f"{node.name!r}{_where(node)} adds a constant to a tensor; NIR can only add the outputs of nodes "
                "(a bias belongs in the Conv/Linear before it)"
            )
        a, c = (_tensor_arg(vals, x, node) for x in node.args)
        if a.shape != c.shape:
            raise ExportError(
                f"{node.name!r}{_where(node)} adds shapes {a.shape} and {c.shape}; NIR needs equal shapes"
            )
        return _Val(a.sources + c.sources, a.shape)
    if name in _MUL:
        a, c = args[0], args[1]
        tensor, number = (a, c) if not isinstance(a, int | float) else (c, a)
        if not isinstance(number, int | float):
            raise ExportError(
                f"{node.name!r}{_where(node)} multiplies two tensors (e.g. SEW 'AND'/'IAND'); NIR has no product of "
                "two signals. Use SEW 'ADD' to export"
            )
        x = _tensor_arg(vals, node.args[0] if tensor is a else node.args[1], node)
        shape = _shape(node)
        return b.chain(node.name, x, [nir.Scale(scale=np.full(shape, float(number)))], shape)
    x = _tensor_arg(vals, node.args[0], node)
    if name in _SAME:
        return x
    start = int(kwargs.get("start_dim", args[1] if len(args) > 1 else 0))
    end = int(kwargs.get("end_dim", args[2] if len(args) > 2 else -1))
    site = Site(node.name, x.shape, _flat_shape(x.shape, start, end), b.dt)
    nodes = flatten_nodes(site, start, end)
    _shape(node)  # T and N must survive
    return b.chain(node.name, x, nodes, site.out_shape)


def _flatten_dims(gm: torch.fx.GraphModule, node: torch.fx.Node) -> tuple[int, int] | None:
    """(start, end) on the whole [T, N, ...] tensor if ``node`` is a flatten (module, function or method)."""
    if node.op == "call_module":
        m = gm.get_submodule(node.target)
        if not converts_as(type(m), (nn.Flatten,)):
            return None
        start, end = int(m.start_dim), int(m.end_dim)  # type: ignore[arg-type]
        if isinstance(m, layers.Flatten):  # its dimensions count after T
            start, end = start + 1, end if end < 0 else end + 1
        return start, end
    if (node.op == "call_function" and node.target is torch.flatten) or (
        node.op == "call_method" and node.target == "flatten"
    ):
        args = list(node.args[1:])
        start = node.kwargs.get("start_dim", args[0] if args else 0)
        end = node.kwargs.get("end_dim", args[1] if len(args) > 1 else -1)
        if isinstance(start, int) and isinstance(end, int):
            return start, end
    return None


def _flat_shape(in_shape: tuple[int, ...], start: int, end: int) -> tuple[int, ...]:
    """Per-sample shape after flattening dims start..end of the whole [T, N, *in_shape] tensor."""
    rank = len(in_shape) + 2
    s, e = (start if start >= 0 else rank + start) - 2, (end if end >= 0 else rank + end) - 2
    if e <= s:
        return in_shape
    return (*in_shape[:s], int(np.prod(in_shape[s : e + 1])), *in_shape[e + 1 :])


def _fold_plan(
    gm: torch.fx.GraphModule,
) -> tuple[dict[torch.fx.Node, nn.Module], dict[torch.fx.Node, torch.fx.Node], dict[torch.fx.Node, np.ndarray]]:
    """What folds into what: BatchNorms into the Conv/Linear before them, uneven adaptive pools into a Linear.

    Returns (BatchNorm by the Conv/Linear node it folds into, the Conv/Linear node each folded BatchNorm stands for,
    pooling matrix by the Linear node that absorbs an AdaptiveAvgPool2d -> Flatten -> Linear chain).
    """
    fold_bn: dict[torch.fx.Node, nn.Module] = {}
    folded: dict[torch.fx.Node, torch.fx.Node] = {}
    fold_pool: dict[torch.fx.Node, np.ndarray] = {}
    for node in gm.graph.nodes:
        if node.op != "call_module":
            continue
        m = gm.get_submodule(node.target)
        src = node.args[0] if node.args else None
        if (
            converts_as(type(m), BATCHNORMS)
            and isinstance(src, torch.fx.Node)
            and src.op == "call_module"
            and converts_as(type(gm.get_submodule(src.target)), FOLD_TARGETS)
            and len(src.users) == 1
        ):
            fold_bn[src] = m
            folded[node] = src
        if converts_as(type(m), (nn.AdaptiveAvgPool2d,)) and isinstance(src, torch.fx.Node):
            in_hw = tuple(int(v) for v in src.meta["tensor_meta"].shape[-2:])
            out_hw = tuple(int(v) for v in node.meta["tensor_meta"].shape[-2:])
            if in_hw[0] % out_hw[0] == 0 and in_hw[1] % out_hw[1] == 0:
                continue  # an even AvgPool2d: exported as it is
            (flat,) = node.users if len(node.users) == 1 else (None,)
            if flat is None or _flatten_dims(gm, flat) not in ((2, -1), (2, 4)) or len(flat.users) != 1:
                continue  # _adaptive_avgpool explains the error
            (lin,) = flat.users
            if lin.op == "call_module" and converts_as(type(gm.get_submodule(lin.target)), (nn.Linear,)):
                fold_pool[lin] = adaptive_matrix(in_hw, out_hw)  # type: ignore[arg-type]
                folded[node] = src
    return fold_bn, folded, fold_pool


def _shared_copy(model: nn.Module) -> nn.Module:
    """A copy of the module tree that shares parameters and buffers (to switch modes without touching ``model``)."""
    memo: dict[int, Any] = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return copy.deepcopy(model, memo)


def to_nir(model: nn.Module, input_shape: Sequence[int], *, dt: float = DEFAULT_DT) -> Any:
    """Convert a multi-step model to a ``nir.NIRGraph`` (write it with ``nir.write(path, graph)``).

    Args:
        model: takes ``[T, N, *input_shape]`` and returns ``[T, N, ...]``; built from snnmodels layers and
            neurons. It is converted as in ``eval()`` mode and multi-step, in a copy: the model is not changed.
            A `NIRNetwork` (from `from_nir`) is written back with its current parameters.
        input_shape: one sample at one step, e.g. ``(2, 34, 34)``.
        dt: the step in seconds that the neurons' time constants (in steps) are converted with; see the
            module docstring for the neuron contract.

    Returns:
        the graph, with nodes named after the model's modules (dots become underscores) and ``metadata``
        recording dt and the firing rule (for people; NIR backends must not rely on metadata).

    Raises:
        ExportError: a module, function or neuron setting with no exact NIR equivalent; the message names it.
    """
    nir = import_optional("nir", "to_nir")
    if not dt > 0:
        raise ValueError(f"to_nir: dt must be > 0 seconds, got {dt!r}")
    if isinstance(model, NIRNetwork):
        return model.to_nir_graph()
    input_shape = tuple(int(s) for s in input_shape)
    if type(model) in MODULE_CONVERTERS:  # fx traces into the root module itself; a container keeps it a leaf
        model = nn.Sequential(model)
    model = _shared_copy(model).eval()
    set_step_mode(model, "m")
    for name, m in model.named_modules():  # before tracing: its shapes would only say "not [T, N, ...]"
        if isinstance(m, NonSpikingLIFNode) and m.decode is not None:
            MODULE_CONVERTERS[NonSpikingLIFNode](m, Site(name, (), (), dt))  # raises, naming the way out
    gm = _trace(model)
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    example = torch.zeros(_EXAMPLE_T, _EXAMPLE_N, *input_shape, dtype=dtype)
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(example)
    except Exception as err:
        raise ExportError(
            f"running {type(model).__name__} on an example input of shape {tuple(example.shape)} ([T, N, "
            f"*input_shape]) failed: {type(err).__name__}: {err}"
        ) from err
    fold_bn, folded, fold_pool = _fold_plan(gm)

    b = _Builder(dt)
    vals: dict[torch.fx.Node, Any] = {}
    seen_input = False
    out_shape: tuple[int, ...] | None = None
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if seen_input:
                raise ExportError(
                    f"{type(model).__name__}.forward takes a second input {node.name!r}; NIR export needs one"
                )
            seen_input = True
            vals[node] = _Val(("input",), input_shape)
        elif node.op == "get_attr":
            raise ExportError(
                f"{type(model).__name__}.forward uses the tensor attribute {node.target!r} directly; wrap the "
                "computation in a module"
            )
        elif node in folded:
            vals[node] = vals[folded[node]]
        elif node.op == "call_module":
            vals[node] = _module(b, gm, vals, node, fold_bn.get(node), fold_pool.get(node))
        elif node.op in ("call_function", "call_method"):
            vals[node] = _function(b, vals, node, node.target, node.op == "call_method")
        elif node.op == "output":
            out = _tensor_arg(vals, node.args[0], node)
            b.connect(out, "output", "the output")
            out_shape = out.shape
    if out_shape is None:
        raise ExportError(f"{type(model).__name__} returns nothing")
    nodes = {"input": nir.Input(input_type={"input": np.array(input_shape)}), **b.nodes}
    nodes["output"] = nir.Output(output_type={"output": np.array(out_shape)})
    metadata = {
        "exporter": "snnmodels",
        "dt": float(dt),
        "firing_rule": "v >= v_threshold (IF/LIF/PLIF), v > threshold (Leaky)",
        "layout": "input [T, N, *shape] at one step per dt",
    }
    try:
        return nir.NIRGraph(nodes=nodes, edges=b.edges, metadata=metadata, type_check=True)
    except (ValueError, AssertionError) as err:  # our own shapes disagree with NIR's inference: a bug here
        raise ExportError(f"the NIR graph of {type(model).__name__} does not type-check: {err}") from err


def _module(
    b: _Builder,
    gm: torch.fx.GraphModule,
    vals: dict[torch.fx.Node, Any],
    node: torch.fx.Node,
    bn: nn.Module | None,
    pool: np.ndarray | None,
) -> Any:
    m = gm.get_submodule(node.target)
    convert = MODULE_CONVERTERS.get(type(m))
    if convert is None:
        known = sorted({f"{t.__module__.split('.')[0]}.{t.__name__}" for t in MODULE_CONVERTERS})
        cls = type(m)
        parent = next((t for t in cls.__mro__[1:] if t in MODULE_CONVERTERS), None)
        why = (
            f" (it subclasses {parent.__module__}.{parent.__qualname__}, whose converter is not used for subclasses, "
            "which may compute something else; add one to snnmodels.export.MODULE_CONVERTERS for "
            f"{cls.__name__} if it computes what its parent does)"
            if parent is not None
            else ""
        )
        raise ExportError(
            f"cannot export {cls.__name__} {node.target!r} to NIR: no converter for it{why}; "
            f"supported: {known}"
        )
    if len(node.args) != 1 or node.kwargs:
        raise ExportError(f"module {node.target!r} is called with several arguments; NIR nodes take one input")
    x = _tensor_arg(vals, node.args[0], node)
    meta = node.meta.get("tensor_meta")
    pair = isinstance(meta, tuple | list) and not isinstance(meta, TensorMetadata)  # Leaky: (spikes, membranes)
    if pair:
        shape = tuple(int(s) for s in meta[0].shape[2:])  # type: ignore[index]
    elif (dims := _flatten_dims(gm, node)) is not None:
        # the sample shape may be that of a folded adaptive pool's input, so it comes from x, not from the run
        shape = _flat_shape(x.shape, *dims)
        site = Site(str(node.target), x.shape, shape, b.dt)
        nodes = convert(m, site)
        _shape(node)  # T and N must survive
        return b.chain(str(node.target), x, nodes, shape)
    else:
        shape = _shape(node)
    site = Site(str(node.target), x.shape, shape, b.dt, bn, pool)
    value = b.chain(str(node.target), x, convert(m, site), shape)
    return _Pair(value, str(node.target)) if pair else value


def avgpool_variant(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every MaxPool2d replaced by an AvgPool2d of the same kernel, stride and padding.

    NIR has no max pooling; this builds the exportable variant of an architecture. It computes something else
    than the original: train or fine-tune it before exporting. ``ceil_mode`` and dilation other than 1 are refused.
    """
    model = copy.deepcopy(model)
    for name, m in list(model.named_modules()):
        if not converts_as(type(m), (nn.MaxPool2d,)):
            continue
        if m.ceil_mode or as_tuple(m.dilation, 2) != (1, 1):
            raise ExportError(f"MaxPool2d {name!r} uses ceil_mode or dilation; it has no AvgPool2d twin")
        pool: nn.Module
        if isinstance(m, layers.MaxPool2d):
            pool = layers.AvgPool2d(m.kernel_size, m.stride, m.padding, step_mode=m.step_mode)
        else:
            pool = nn.AvgPool2d(m.kernel_size, m.stride, m.padding)
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, pool)
    return model
