"""Layers with a single-step and a multi-step mode.

Stateless layers fold time into the batch in multi-step mode: [T, N, ...] -> [T·N, ...] -> layer -> [T, N, ...],
so one call processes the whole sequence. They subclass the `torch.nn` layers, so parameter names and state dicts
are those of `torch.nn` (and SpikingJelly's ``layer.*``). BatchNorm therefore pools its statistics over T and N.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnmodels.base import MemoryModule, StepMode, StepModule, check_step_mode

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Linear",
    "MaxPool2d",
    "SeqToANN",
    "VotingLayer",
    "seq_to_ann",
]


def seq_to_ann(x_seq: Tensor, fn: Any) -> Tensor:
    """Apply a stateless ``fn`` to [T, N, ...] by folding T into the batch: fn([T·N, ...]) -> [T, N, ...]."""
    T, N = x_seq.shape[:2]
    y = fn(x_seq.flatten(0, 1))
    return y.view(T, N, *y.shape[1:])


class _Folded(StepModule):
    """Mixin body for `torch.nn` subclasses: forward folds T into N in multi-step mode."""

    def forward(self, x: Tensor) -> Tensor:
        parent = super(StepModule, self).forward  # the torch.nn layer's forward (next in the MRO)
        if self.step_mode == "s":
            return parent(x)
        if x.dim() < 2:
            raise ValueError(f"{type(self).__name__} in multi-step mode needs [T, N, ...], got {tuple(x.shape)}")
        return seq_to_ann(x, parent)

    def extra_repr(self) -> str:
        return super(StepModule, self).extra_repr() + f", step_mode={self.step_mode}"


def _init_step_mode(module: nn.Module, step_mode: StepMode) -> None:
    module.step_mode = check_step_mode(step_mode)


class Conv1d(_Folded, nn.Conv1d):
    """`torch.nn.Conv1d` with step modes ([T, N, C, L] in 'm')."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.Conv1d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class Conv2d(_Folded, nn.Conv2d):
    """`torch.nn.Conv2d` with step modes ([T, N, C, H, W] in 'm')."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.Conv2d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class BatchNorm1d(_Folded, nn.BatchNorm1d):
    """`torch.nn.BatchNorm1d` with step modes; statistics over T and N in 'm'."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.BatchNorm1d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class BatchNorm2d(_Folded, nn.BatchNorm2d):
    """`torch.nn.BatchNorm2d` with step modes; statistics over T and N in 'm'."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.BatchNorm2d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class MaxPool2d(_Folded, nn.MaxPool2d):
    """`torch.nn.MaxPool2d` with step modes."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.MaxPool2d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class AvgPool2d(_Folded, nn.AvgPool2d):
    """`torch.nn.AvgPool2d` with step modes."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.AvgPool2d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class AdaptiveAvgPool2d(_Folded, nn.AdaptiveAvgPool2d):
    """`torch.nn.AdaptiveAvgPool2d` with step modes."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.AdaptiveAvgPool2d.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)


class Linear(StepModule, nn.Linear):
    """`torch.nn.Linear` with step modes; it acts on the last dimension, so both modes are the same call."""

    def __init__(self, *args: Any, step_mode: StepMode = "m", **kw: Any) -> None:
        nn.Linear.__init__(self, *args, **kw)
        _init_step_mode(self, step_mode)

    def forward(self, x: Tensor) -> Tensor:
        return nn.Linear.forward(self, x)

    def extra_repr(self) -> str:
        return nn.Linear.extra_repr(self) + f", step_mode={self.step_mode}"


class Flatten(StepModule, nn.Flatten):
    """`torch.nn.Flatten`; in 'm' mode the dimensions are counted after T (start_dim=1 flattens [T, N, ...] to
    [T, N, -1])."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, step_mode: StepMode = "m") -> None:
        nn.Flatten.__init__(self, start_dim, end_dim)
        _init_step_mode(self, step_mode)

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "s":
            return x.flatten(self.start_dim, self.end_dim)
        end = self.end_dim if self.end_dim < 0 else self.end_dim + 1
        return x.flatten(self.start_dim + 1, end)

    def extra_repr(self) -> str:
        return nn.Flatten.extra_repr(self) + f", step_mode={self.step_mode}"


class Dropout(MemoryModule):
    """Dropout with one mask per sequence: in 'm' mode the mask is drawn per call and shared by all T steps; in
    's' mode it is drawn at the first step and kept until `reset` (SpikingJelly's behaviour)."""

    def __init__(self, p: float = 0.5, step_mode: StepMode = "m") -> None:
        super().__init__(step_mode)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout.p must be in [0, 1), got {p!r}")
        self.p = p
        self.mask: Tensor | None = None

    def reset(self) -> None:
        self.mask = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "mask": None}

    def _new_mask(self, like: Tensor) -> Tensor:
        return F.dropout(torch.ones_like(like), self.p, training=True)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.step_mode == "m":
            return x * self._new_mask(x[0])
        if self.mask is None or self.mask.shape != x.shape:
            self.mask = self._new_mask(x)
        return x * self.mask

    def extra_repr(self) -> str:
        return f"p={self.p}, step_mode={self.step_mode}"


class VotingLayer(StepModule):
    """Average each group of ``voting_size`` neurons on the last dimension: [..., C·voting_size] -> [..., C]."""

    def __init__(self, voting_size: int = 10, step_mode: StepMode = "m") -> None:
        super().__init__(step_mode)
        if voting_size < 1:
            raise ValueError(f"voting_size must be >= 1, got {voting_size}")
        self.voting_size = voting_size

    def forward(self, x: Tensor) -> Tensor:
        lead = x.shape[:-1]
        y = F.avg_pool1d(x.reshape(-1, 1, x.shape[-1]), self.voting_size, self.voting_size)
        return y.view(*lead, -1)

    def extra_repr(self) -> str:
        return f"voting_size={self.voting_size}, step_mode={self.step_mode}"


class SeqToANN(StepModule):
    """Wrap any stateless module(s) so that, in 'm' mode, they see [T·N, ...] and return [T, N, ...]."""

    def __init__(self, *modules: nn.Module, step_mode: StepMode = "m") -> None:
        super().__init__(step_mode)
        self.body = modules[0] if len(modules) == 1 else nn.Sequential(*modules)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) if self.step_mode == "s" else seq_to_ann(x, self.body)
