"""SpikingJelly's ``layer``: step-mode containers and the stateless ``torch.nn`` layers with a ``step_mode``.

The layers are our `snnmodels.layers` (or the same time-folding over other ``torch.nn`` layers) with
SpikingJelly's default ``step_mode='s'``; they subclass the ``torch.nn`` classes, so their state-dict keys are
``torch.nn``'s and SpikingJelly's. In 'm' mode a stateless layer folds T into the batch ([T, N, ...] ->
[T·N, ...]); `Dropout` keeps one mask (a memory) until `reset`, in both modes, as SpikingJelly's.

Containers: `MultiStepContainer` (single-step modules looped over T), `SeqToANNContainer` (stateless modules
on [T·N, ...]), their time-last variants, and `StepModeContainer`. ``functional.set_step_mode`` leaves the
modules inside these containers single-step.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnmodels import layers as core
from snnmodels.compat.spikingjelly import base, functional
from snnmodels.compat.spikingjelly._export import register_like
from snnmodels.export.to_nir import MODULE_CONVERTERS

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Dropout",
    "Dropout2d",
    "Flatten",
    "GroupNorm",
    "Linear",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "MultiStepContainer",
    "PrintShapeModule",
    "SeqToANNContainer",
    "StepModeContainer",
    "TLastMultiStepContainer",
    "TLastSeqToANNContainer",
    "Upsample",
    "VotingLayer",
]

logger = logging.getLogger("snnmodels.compat.spikingjelly")


# --- containers -----------------------------------------------------------------------------------------------


def _check_single_step(block: nn.Sequential) -> None:
    for m in block:
        if getattr(m, "step_mode", "s") != "s":
            raise ValueError(f"{type(m).__name__}.step_mode must be 's' inside {type(block).__name__}")


class MultiStepContainer(nn.Sequential, base.MultiStepModule):
    """Single-step module(s) run step by step over [T, N, ...] (`functional.multi_step_forward`)."""

    def __init__(self, *args: nn.Module) -> None:
        super().__init__(*args)
        _check_single_step(self)
        self._step_mode = "m"

    def forward(self, x_seq: Tensor) -> Tensor:
        return functional.multi_step_forward(x_seq, (super().forward,))


class SeqToANNContainer(nn.Sequential, base.MultiStepModule):
    """Stateless module(s) on [T·N, ...] for [T, N, ...] input (`functional.seq_to_ann_forward`)."""

    def __init__(self, *args: nn.Module) -> None:
        super().__init__(*args)
        _check_single_step(self)
        self._step_mode = "m"

    def forward(self, x_seq: Tensor) -> Any:
        return functional.seq_to_ann_forward(x_seq, (super().forward,))


class TLastMultiStepContainer(nn.Sequential, base.MultiStepModule):
    """`MultiStepContainer` for time as the last dimension, [N, ..., T]."""

    def __init__(self, *args: nn.Module) -> None:
        super().__init__(*args)
        _check_single_step(self)
        self._step_mode = "m"

    def forward(self, x_seq: Tensor) -> Tensor:
        return functional.t_last_multi_step_forward(x_seq, (super().forward,))


class TLastSeqToANNContainer(nn.Sequential, base.MultiStepModule):
    """`SeqToANNContainer` for time as the last dimension, [N, ..., T]."""

    def __init__(self, *args: nn.Module) -> None:
        super().__init__(*args)
        _check_single_step(self)
        self._step_mode = "m"

    def forward(self, x_seq: Tensor) -> Any:
        return functional.t_last_seq_to_ann_forward(x_seq, (super().forward,))


class StepModeContainer(nn.Sequential, base.StepModule):
    """Single-step module(s) with a switchable step mode: in 'm', looped over T if ``stateful``, else folded.

    ``StepModeContainer(stateful, *modules, step_mode='s')``; SpikingJelly 2.0's positional form
    ``StepModeContainer(stateful, 'm', *modules)`` works too. (SpikingJelly 2.0 takes the first module as
    ``step_mode`` in its own tutorial's ``StepModeContainer(False, conv, bn)`` and fails; this runs it.)
    """

    def __init__(self, stateful: bool, *args: Any, step_mode: str = "s") -> None:
        if args and isinstance(args[0], str):
            step_mode, args = args[0], args[1:]
        super().__init__(*args)
        self.stateful = stateful
        _check_single_step(self)
        self.step_mode = step_mode

    def forward(self, x: Tensor) -> Any:
        if self.step_mode == "s":
            return super().forward(x)
        if self.stateful:
            return functional.multi_step_forward(x, (super().forward,))
        return functional.seq_to_ann_forward(x, (super().forward,))


def step_mode_keepers() -> tuple[type, ...]:
    """Containers whose inner modules `functional.set_step_mode` leaves single-step (recurrent ones included)."""
    extra = tuple(
        c for c in (globals().get("ElementWiseRecurrentContainer"), globals().get("LinearRecurrentContainer")) if c
    )
    return (StepModeContainer, MultiStepContainer, SeqToANNContainer, TLastMultiStepContainer,
            TLastSeqToANNContainer, *extra)  # fmt: skip


# --- stateless layers -------------------------------------------------------------------------------------------

_SHAPES = {1: "[T, N, C, L]", 2: "[T, N, C, H, W]", 3: "[T, N, C, D, H, W]"}


def _check_rank(module: nn.Module, x: Tensor, dims: int) -> None:
    """In 'm' mode a 1d/2d/3d layer takes [T, N, C, *spatial]: a ValueError naming the shape otherwise."""
    if x.dim() != dims + 3:
        raise ValueError(
            f"{type(module).__name__} in step_mode='m': expected x with shape {_SHAPES[dims]}, got {tuple(x.shape)}"
        )


class _Ranked(base.StepModule):
    """Checks the rank of multi-step input (``dims`` spatial dimensions) before the layer runs; tuple outputs
    (pooling with ``return_indices``) are unfolded too."""

    dims: int = 0

    def forward(self, x: Tensor) -> Any:
        if self.step_mode == "s":
            return super().forward(x)  # type: ignore[misc]
        if self.dims:
            _check_rank(self, x, self.dims)
        layer_forward = super(core.StepModule, self).forward  # type: ignore[misc]  # the torch.nn layer's own
        return functional.seq_to_ann_forward(x, (layer_forward,))


class Conv1d(_Ranked, core.Conv1d):
    """`snnmodels.layers.Conv1d`, single-step by default."""

    dims = 1

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class Conv2d(_Ranked, core.Conv2d):
    """`snnmodels.layers.Conv2d`, single-step by default."""

    dims = 2

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class BatchNorm1d(_Ranked, core.BatchNorm1d):
    """`snnmodels.layers.BatchNorm1d`, single-step by default; statistics over T and N in 'm'."""

    dims = 0

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class BatchNorm2d(_Ranked, core.BatchNorm2d):
    """`snnmodels.layers.BatchNorm2d`, single-step by default; statistics over T and N in 'm'."""

    dims = 2

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class MaxPool2d(_Ranked, core.MaxPool2d):
    """`snnmodels.layers.MaxPool2d`, single-step by default (``return_indices`` gives a tuple in 'm' too)."""

    dims = 2

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class AvgPool2d(_Ranked, core.AvgPool2d):
    """`snnmodels.layers.AvgPool2d`, single-step by default."""

    dims = 2

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class AdaptiveAvgPool2d(_Ranked, core.AdaptiveAvgPool2d):
    """`snnmodels.layers.AdaptiveAvgPool2d`, single-step by default."""

    dims = 2

    def __init__(self, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(*args, step_mode=step_mode, **kw)  # type: ignore[arg-type]


class Linear(core.Linear, base.StepModule):
    """`snnmodels.layers.Linear` (same call in both modes), single-step by default."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, step_mode: str = "s", **kw: Any) -> None:
        super().__init__(in_features, out_features, bias, step_mode=step_mode, **kw)  # type: ignore[arg-type]

    def extra_repr(self) -> str:
        return nn.Linear.extra_repr(self)  # SpikingJelly prints Linear as torch does


class Flatten(core.Flatten, base.StepModule):
    """`snnmodels.layers.Flatten`: in 'm' mode the dimensions count after T; single-step by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, step_mode: str = "s") -> None:
        super().__init__(start_dim, end_dim, step_mode)  # type: ignore[arg-type]


class VotingLayer(core.VotingLayer, base.StepModule):
    """`snnmodels.layers.VotingLayer`: mean of each group of ``voting_size`` neurons; single-step by default."""

    def __init__(self, voting_size: int = 10, step_mode: str = "s") -> None:
        super().__init__(voting_size, step_mode)  # type: ignore[arg-type]


def _folded(torch_cls: type[nn.Module], dims: int, doc: str) -> type[nn.Module]:
    """``torch_cls`` with step modes: 'm' folds T into the batch ([T, N, ...] -> [T·N, ...]) as our layers do."""

    def __init__(self: Any, *args: Any, step_mode: str = "s", **kw: Any) -> None:
        torch_cls.__init__(self, *args, **kw)
        self.step_mode = step_mode

    def extra_repr(self: Any) -> str:
        return torch_cls.extra_repr(self) + f", step_mode={self.step_mode}"

    body = {"__init__": __init__, "extra_repr": extra_repr, "dims": dims, "__doc__": doc}
    return type(torch_cls.__name__, (_Ranked, core.StepModule, torch_cls), body)


Conv3d = _folded(nn.Conv3d, 3, "`torch.nn.Conv3d` with step modes ([T, N, C, D, H, W] in 'm').")
ConvTranspose1d = _folded(nn.ConvTranspose1d, 1, "`torch.nn.ConvTranspose1d` with step modes.")
ConvTranspose2d = _folded(nn.ConvTranspose2d, 2, "`torch.nn.ConvTranspose2d` with step modes.")
ConvTranspose3d = _folded(nn.ConvTranspose3d, 3, "`torch.nn.ConvTranspose3d` with step modes.")
BatchNorm3d = _folded(nn.BatchNorm3d, 3, "`torch.nn.BatchNorm3d` with step modes; statistics over T and N in 'm'.")
GroupNorm = _folded(nn.GroupNorm, 0, "`torch.nn.GroupNorm` with step modes.")
MaxPool1d = _folded(nn.MaxPool1d, 1, "`torch.nn.MaxPool1d` with step modes.")
MaxPool3d = _folded(nn.MaxPool3d, 3, "`torch.nn.MaxPool3d` with step modes.")
AvgPool1d = _folded(nn.AvgPool1d, 1, "`torch.nn.AvgPool1d` with step modes.")
AvgPool3d = _folded(nn.AvgPool3d, 3, "`torch.nn.AvgPool3d` with step modes.")
AdaptiveAvgPool1d = _folded(nn.AdaptiveAvgPool1d, 1, "`torch.nn.AdaptiveAvgPool1d` with step modes.")
AdaptiveAvgPool3d = _folded(nn.AdaptiveAvgPool3d, 3, "`torch.nn.AdaptiveAvgPool3d` with step modes.")
Upsample = _folded(nn.Upsample, 0, "`torch.nn.Upsample` with step modes.")


class _MaxUnpool(base.StepModule):
    """'m' mode unpools each step's values with its indices, both [T, N, C, *spatial]."""

    dims: int = 0

    def forward(self, x: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        unpool = super().forward  # type: ignore[misc]
        if self.step_mode == "s":
            return unpool(x, indices, output_size)
        _check_rank(self, x, self.dims)
        if indices.shape != x.shape:
            raise ValueError(
                f"expected indices with the same shape as x ({tuple(x.shape)}), got {tuple(indices.shape)}"
            )
        return functional.seq_to_ann_forward((x, indices), (lambda v, i: unpool(v, i, output_size),))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", step_mode={self.step_mode}"  # type: ignore[misc]


class MaxUnpool1d(_MaxUnpool, nn.MaxUnpool1d):
    """`torch.nn.MaxUnpool1d` with step modes."""

    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, step_mode: str = "s") -> None:
        nn.MaxUnpool1d.__init__(self, kernel_size, stride, padding)
        self.step_mode = step_mode


class MaxUnpool2d(_MaxUnpool, nn.MaxUnpool2d):
    """`torch.nn.MaxUnpool2d` with step modes."""

    dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, step_mode: str = "s") -> None:
        nn.MaxUnpool2d.__init__(self, kernel_size, stride, padding)
        self.step_mode = step_mode


class MaxUnpool3d(_MaxUnpool, nn.MaxUnpool3d):
    """`torch.nn.MaxUnpool3d` with step modes."""

    dims = 3

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, step_mode: str = "s") -> None:
        nn.MaxUnpool3d.__init__(self, kernel_size, stride, padding)
        self.step_mode = step_mode


# --- stateful and helper layers ---------------------------------------------------------------------------------


class Dropout(base.MemoryModule):
    """Dropout with one mask, drawn at the first call and kept (a memory, in both step modes) until `reset`."""

    def __init__(self, p: float = 0.5, step_mode: str = "s") -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout.p must be in [0, 1), got {p!r}")
        self.step_mode = step_mode
        self.p = p
        self.register_memory("mask", None)

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def create_mask(self, x: Tensor) -> Tensor:
        """A mask shaped like one step: 0 with probability p, 1/(1 - p) elsewhere."""
        return core.Dropout._new_mask(self, x)  # type: ignore[arg-type]

    def single_step_functional_forward(
        self, inputs: tuple[Tensor, ...], states: base.States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], base.States]:
        x, mask = inputs[0], states[0]
        if self.training:
            mask = self.create_mask(x) if mask is None else mask
            x = x * mask
        return (x,), (mask,)

    def multi_step_functional_forward(
        self, inputs: tuple[Tensor, ...], states: base.States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], base.States]:
        x_seq, mask = inputs[0], states[0]
        if self.training:
            mask = self.create_mask(x_seq[0]) if mask is None else mask
            x_seq = x_seq * mask
        return (x_seq,), (mask,)


class Dropout2d(Dropout):
    """`Dropout` with one mask value per channel (``F.dropout2d``)."""

    def __init__(self, p: float = 0.2, step_mode: str = "s") -> None:
        super().__init__(p, step_mode)

    def create_mask(self, x: Tensor) -> Tensor:
        return F.dropout2d(torch.ones_like(x), self.p, training=True)


class PrintShapeModule(nn.Module):
    """Logs the input's shape (at DEBUG level) and passes the input on."""

    def __init__(self, ext_str: str = "PrintShapeModule") -> None:
        super().__init__()
        self.ext_str = ext_str

    def forward(self, x: Tensor) -> Tensor:
        logger.debug("%s shape=%s", self.ext_str, tuple(x.shape))
        return x


register_like(Conv1d, Conv2d, BatchNorm1d, BatchNorm2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Linear, Flatten,
              VotingLayer)  # fmt: skip
MODULE_CONVERTERS.setdefault(Dropout, MODULE_CONVERTERS[core.Dropout])  # identity outside training

# synapses and recurrent containers live beside the toolbox; their module fills in the rest of the names
from snnmodels.compat.spikingjelly import _layer_extra  # noqa: E402
from snnmodels.compat.spikingjelly._layer_extra import *  # noqa: E402, F403

__all__ += _layer_extra.__all__

# SpikingJelly 2.0 splits ``layer`` into submodules; ``from ...layer.container import StepModeContainer`` finds the
# names here
for _sub in ("container", "stateless_wrapper", "bn", "dropout", "misc"):
    sys.modules.setdefault(f"{__name__}.{_sub}", sys.modules[__name__])
