"""Graph surgery for conversion: trace an ANN with torch.fx, fuse BatchNorm, find the ReLUs, make it multi-step.

Every step works on a ``torch.fx.GraphModule`` and names the module or call it refuses, so an error says where.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.fx
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
from torch.utils import _pytree as pytree

from snnmodels import layers
from snnmodels.base import StepMode, StepModule

__all__ = [
    "ConversionError",
    "TimeFolded",
    "find_relus",
    "fuse_batchnorm",
    "make_multistep",
    "trace",
]


class ConversionError(ValueError):
    """The model cannot be converted; the message names the module or call and why."""


# activations with no IF equivalent: a rate code can only represent ReLU-like (zero below 0, linear above) maps
_NO_IF_MODULES = (
    nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.ELU, nn.CELU, nn.SELU, nn.LeakyReLU, nn.PReLU, nn.RReLU,
    nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.ReLU6, nn.Mish, nn.Softplus, nn.Softsign, nn.LogSigmoid,
    nn.Tanhshrink, nn.Threshold, nn.GLU, nn.Softshrink, nn.Hardshrink,
)  # fmt: skip
_NO_IF_FUNCTIONS = {
    F.gelu, F.silu, torch.sigmoid, F.sigmoid, torch.tanh, F.tanh, F.elu, F.celu, F.selu, F.leaky_relu, F.prelu,
    F.hardswish, F.hardsigmoid, F.hardtanh, F.relu6, F.mish, F.softplus, F.softsign, F.logsigmoid, F.glu,
}  # fmt: skip
_NO_IF_METHODS = {"sigmoid", "tanh", "sigmoid_", "tanh_"}
_RELU_FUNCTIONS = {F.relu, torch.relu, torch.relu_, F.relu_}
_RELU_METHODS = {"relu", "relu_"}


class _Tracer(torch.fx.Tracer):
    """torch.fx's tracer that keeps our layers as leaves and remembers which module it is inside."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []
        self.failed_in: str | None = None  # the innermost module being traced when an error was raised

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, StepModule) or super().is_leaf_module(m, module_qualified_name)

    def call_module(self, m: nn.Module, forward: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        self.path.append(self.path_of_module(m) or type(m).__name__)
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_in is None:
                self.failed_in = self.path[-1]
            raise
        finally:
            self.path.pop()


def trace(model: nn.Module) -> torch.fx.GraphModule:
    """``model`` (a copy, in eval mode) as a GraphModule; a ConversionError naming the module fx stopped in."""
    model = copy.deepcopy(model).eval()
    tracer = _Tracer()
    try:
        graph = tracer.trace(model)
    except Exception as err:  # fx raises TraceError, TypeError, NotImplementedError, ... from user code
        where = f" in its submodule {tracer.failed_in!r}" if tracer.failed_in else ""
        raise ConversionError(
            f"cannot trace {type(model).__name__} with torch.fx{where} ({type(err).__name__}: {err}); conversion "
            "needs a forward whose control flow does not depend on tensor values (no `if x.sum() > 0`, no loops "
            "over tensor sizes), taking one tensor"
        ) from err
    gm = torch.fx.GraphModule(model, graph, class_name=type(model).__name__)
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ConversionError(
            f"{type(model).__name__}.forward takes {len(placeholders)} inputs; conversion needs exactly one tensor"
        )
    return gm


def _module(gm: torch.fx.GraphModule, node: torch.fx.Node) -> nn.Module | None:
    return gm.get_submodule(node.target) if node.op == "call_module" else None  # type: ignore[arg-type]


def _replace(gm: torch.fx.GraphModule, target: str, new: nn.Module) -> None:
    parent, _, child = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, child, new)


_FUSIONS = (
    (nn.Conv1d, nn.BatchNorm1d, fuse_conv_bn_eval),
    (nn.Conv2d, nn.BatchNorm2d, fuse_conv_bn_eval),
    (nn.Conv3d, nn.BatchNorm3d, fuse_conv_bn_eval),
    (nn.Linear, nn.BatchNorm1d, fuse_linear_bn_eval),
)


def fuse_batchnorm(gm: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Fold every BatchNorm that directly follows a Conv/Linear (used nowhere else) into its weights.

    W' = W·gamma/sigma, b' = (b - mu)·gamma/sigma + beta, with the running statistics (torch's ``fuse_*_bn_eval``).
    """
    for node in list(gm.graph.nodes):
        bn = _module(gm, node)
        src = node.args[0] if node.args else None
        if bn is None or not isinstance(src, torch.fx.Node) or len(src.users) != 1:
            continue
        layer = _module(gm, src)
        for layer_t, bn_t, fuse in _FUSIONS:
            if type(layer) is layer_t and type(bn) is bn_t:
                if isinstance(layer, nn.Linear) and bn.num_features != layer.out_features:  # type: ignore[union-attr]
                    break  # the BatchNorm normalizes another axis than the Linear's outputs
                _replace(gm, str(src.target), fuse(layer.eval(), bn.eval()))  # type: ignore[arg-type]
                node.replace_all_uses_with(src)
                gm.graph.erase_node(node)
                break
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    return gm


def _describe(gm: torch.fx.GraphModule, node: torch.fx.Node) -> str:
    if node.op == "call_module":
        return f"{type(gm.get_submodule(node.target)).__name__} {node.target!r}"  # type: ignore[arg-type]
    if node.op == "call_method":
        return f"the tensor method .{node.target}() ({node.name!r})"
    return f"the function {getattr(node.target, '__name__', node.target)} ({node.name!r})"


def find_relus(gm: torch.fx.GraphModule) -> list[torch.fx.Node]:
    """The ReLU calls (modules, ``F.relu``/``torch.relu`` and ``.relu()``), in graph order.

    Raises:
        ConversionError: an activation with no IF equivalent (GELU, SiLU, sigmoid, tanh, LeakyReLU, ...), naming it.
    """
    relus = []
    for node in gm.graph.nodes:
        m = _module(gm, node)
        bad = (
            isinstance(m, _NO_IF_MODULES)
            or (node.op == "call_function" and node.target in _NO_IF_FUNCTIONS)
            or (node.op == "call_method" and node.target in _NO_IF_METHODS)
        )
        if bad:
            raise ConversionError(
                f"{_describe(gm, node)} has no IF-neuron equivalent: a rate-coded IF neuron can only stand for ReLU. "
                "Replace it by nn.ReLU and retrain (or fine-tune) the ANN before converting"
            )
        if (
            type(m) is nn.ReLU
            or (node.op == "call_function" and node.target in _RELU_FUNCTIONS)
            or (node.op == "call_method" and node.target in _RELU_METHODS)
        ):
            relus.append(node)
    return relus


def insert_after(gm: torch.fx.GraphModule, node: torch.fx.Node, name: str, module: nn.Module) -> torch.fx.Node:
    """Add ``module`` under ``name`` and route every user of ``node`` through it."""
    gm.add_submodule(name, module)
    with gm.graph.inserting_after(node):
        new = gm.graph.call_module(name, (node,))
    node.replace_all_uses_with(new, delete_user_cb=lambda user: user is not new)
    return new


def replace_node(gm: torch.fx.GraphModule, node: torch.fx.Node, name: str, module: nn.Module) -> torch.fx.Node:
    """Put ``module`` (under ``name``) in place of the call ``node``, fed by the node's first argument."""
    gm.add_submodule(name, module)
    with gm.graph.inserting_before(node):
        new = gm.graph.call_module(name, (node.args[0],))
    node.replace_all_uses_with(new)
    gm.graph.erase_node(node)
    return new


# ---------------------------------------------------------------------------------------------------------------
# multi-step


class TimeFolded(StepModule):
    """Run a tensor function on [T·N, ...] in multi-step mode: the time-major arguments are folded into the batch
    before the call and every tensor result is unfolded after it; in single-step mode it is the plain call.

    Made by `make_multistep` for the calls it has no multi-step twin for (``x.view(x.size(0), -1)``, slicing,
    ``torch.cat``, softmax, ...).
    """

    def __init__(self, target: Any, method: bool, folded: tuple[bool, ...], step_mode: StepMode = "m") -> None:
        super().__init__(step_mode)
        self.target, self.method, self.folded = target, method, folded
        self.__name__ = f"{getattr(target, '__name__', target)} (time-folded)"

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.step_mode == "s":
            return self._call(args, kwargs)
        leaves, spec = pytree.tree_flatten((args, kwargs))
        tn: tuple[int, int] | None = None
        for i, (leaf, fold) in enumerate(zip(leaves, self.folded, strict=True)):
            if fold and isinstance(leaf, Tensor):
                if leaf.dim() < 2 or (tn is not None and tuple(leaf.shape[:2]) != tn):
                    raise ValueError(f"{self.__name__} got time-major arguments of mismatched shapes")
                tn = (int(leaf.shape[0]), int(leaf.shape[1]))
                leaves[i] = leaf.flatten(0, 1)
        a, k = pytree.tree_unflatten(leaves, spec)
        out = self._call(a, k)
        if tn is None:
            return out
        return pytree.tree_map(lambda y: self._unfold(y, tn), out)

    def _call(self, args: Any, kwargs: Any) -> Any:
        if self.method:
            return getattr(args[0], self.target)(*args[1:], **kwargs)
        return self.target(*args, **kwargs)

    def _unfold(self, y: Any, tn: tuple[int, int]) -> Any:
        if not isinstance(y, Tensor):
            return y
        if y.dim() == 0 or y.shape[0] != tn[0] * tn[1]:
            raise ValueError(
                f"{self.__name__} returns shape {tuple(y.shape)}, which does not keep the batch of T·N = "
                f"{tn[0] * tn[1]} samples; a converted network must act on each sample alone"
            )
        return y.unflatten(0, tn)

    def extra_repr(self) -> str:
        return f"{self.__name__}, step_mode={self.step_mode}"


_TWINS: dict[type[nn.Module], type[nn.Module]] = {
    nn.Conv1d: layers.Conv1d,
    nn.Conv2d: layers.Conv2d,
    nn.BatchNorm1d: layers.BatchNorm1d,
    nn.BatchNorm2d: layers.BatchNorm2d,
    nn.MaxPool2d: layers.MaxPool2d,
    nn.AvgPool2d: layers.AvgPool2d,
    nn.AdaptiveAvgPool2d: layers.AdaptiveAvgPool2d,
    nn.Linear: layers.Linear,
}
# acting element-wise, or on the last axis only: the same on [T, N, ...] as on [N, ...]
_ELEMENTWISE_FUNCTIONS = {
    operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, operator.iadd, operator.imul,
    torch.add, torch.sub, torch.mul, torch.div, torch.neg,
}  # fmt: skip
_ELEMENTWISE_METHODS = {"add", "add_", "sub", "mul", "mul_", "div", "neg", "contiguous", "clone", "detach"}
_PASS_MODULES = (nn.Identity, nn.Dropout, layers.Dropout)


def _twin(m: nn.Module) -> nn.Module:
    """A multi-step copy of a torch layer sharing its parameters (our layers subclass torch's)."""
    cls = _TWINS[type(m)]
    new = cls.__new__(cls)
    new.__dict__ = dict(m.__dict__)
    new.step_mode = "m"
    return new


def _time_major(gm: torch.fx.GraphModule) -> Iterator[torch.fx.Node]:
    """Nodes whose value depends on the input (and so gets a time axis); parameters and constants do not."""
    seen: set[torch.fx.Node] = set()
    for node in gm.graph.nodes:
        if node.op == "placeholder" or any(a in seen for a in node.all_input_nodes):
            seen.add(node)
            yield node


def make_multistep(gm: torch.fx.GraphModule, keep: tuple[type[nn.Module], ...] = ()) -> torch.fx.GraphModule:
    """Rewrite a single-step ANN graph in place so it runs on [T, N, ...]: torch layers become their snnmodels twins,
    ``nn.Flatten``/``torch.flatten`` a `layers.Flatten`, element-wise arithmetic stays, and any other call or
    stateless module runs time-folded (`TimeFolded`, `layers.SeqToANN`). Modules of the ``keep`` types are left
    as they are (they are multi-step already)."""
    major = set(_time_major(gm))
    count = 0
    for node in list(gm.graph.nodes):
        if node not in major or node.op in ("placeholder", "output"):
            continue
        if node.op == "call_module":
            m = gm.get_submodule(node.target)  # type: ignore[arg-type]
            if isinstance(m, (*keep, StepModule, *_PASS_MODULES)):
                continue
            if type(m) in _TWINS:
                _replace(gm, str(node.target), _twin(m))
            elif type(m) is nn.Flatten:
                _replace(gm, str(node.target), layers.Flatten(m.start_dim, m.end_dim))
            elif len(node.args) == 1 and not node.kwargs:
                _replace(gm, str(node.target), layers.SeqToANN(m))
            else:
                raise ConversionError(
                    f"{_describe(gm, node)} takes several inputs; a converted network can only run modules of one "
                    "input over time (write the call as a function of tensors)"
                )
            continue
        if node.op == "get_attr":
            continue
        method = node.op == "call_method"
        if (method and node.target in _ELEMENTWISE_METHODS) or (not method and node.target in _ELEMENTWISE_FUNCTIONS):
            continue
        flat_dims = _flatten_dims(node)
        name = f"{node.name}_time_folded"
        while hasattr(gm, name):
            name, count = f"{node.name}_time_folded_{count}", count + 1
        if flat_dims is not None:
            module: nn.Module = layers.Flatten(*flat_dims)
            gm.add_submodule(name, module)
            with gm.graph.inserting_before(node):
                new = gm.graph.call_module(name, (node.args[0],))
        else:
            leaves, _ = pytree.tree_flatten((node.args, node.kwargs))
            folded = tuple(isinstance(a, torch.fx.Node) and a in major for a in leaves)
            gm.add_submodule(name, TimeFolded(node.target, method, folded))
            with gm.graph.inserting_before(node):
                new = gm.graph.call_module(name, node.args, node.kwargs)
        node.replace_all_uses_with(new)
        gm.graph.erase_node(node)
        major.add(new)
    gm.graph.lint()
    gm.recompile()
    return gm


def _flatten_dims(node: torch.fx.Node) -> tuple[int, int] | None:
    """(start, end) of a ``torch.flatten(x, s, e)`` / ``x.flatten(s, e)`` that keeps the batch (s >= 1), else None."""
    if not (
        (node.op == "call_function" and node.target is torch.flatten)
        or (node.op == "call_method" and node.target == "flatten")
    ):
        return None
    rest = list(node.args[1:])
    start = node.kwargs.get("start_dim", rest[0] if rest else 0)
    end = node.kwargs.get("end_dim", rest[1] if len(rest) > 1 else -1)
    if isinstance(start, int) and isinstance(end, int) and start >= 1 and (end < 0 or end >= start):
        return start, end
    return None
