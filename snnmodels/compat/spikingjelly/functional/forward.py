"""Running modules over time: step by step (`multi_step_forward`) or with time folded into the batch
(`seq_to_ann_forward`, the same folding as `snnmodels.layers.seq_to_ann`); ``t_last_*`` take time as the last
dimension."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "chunk_multi_step_forward",
    "multi_step_forward",
    "seq_to_ann_forward",
    "t_last_multi_step_forward",
    "t_last_seq_to_ann_forward",
]

Modules = nn.Module | Sequence[Callable[..., Any]] | Callable[..., Any]


def _apply(x: Tensor | tuple[Tensor, ...], modules: Modules) -> Any:
    """``modules`` in turn; a tuple ``x`` is unpacked into the first one's arguments."""
    args = x if isinstance(x, tuple) else (x,)
    if isinstance(modules, list | tuple):
        for m in modules:
            x = m(*args)
            args = (x,)
        return x
    return modules(*args)


def _stepwise(x_seq: Tensor, modules: Modules, time_dim: int) -> Tensor:
    steps = [_apply(x_seq.select(time_dim, t), modules) for t in range(x_seq.shape[time_dim])]
    return torch.stack(steps, dim=time_dim)


def multi_step_forward(x_seq: Tensor, single_step_module: Modules) -> Tensor:
    """Call single-step module(s) on each x_seq[t] of [T, N, ...] and stack the outputs: [T, N, ...]."""
    return _stepwise(x_seq, single_step_module, 0)


def t_last_multi_step_forward(x_seq: Tensor, single_step_module: Modules) -> Tensor:
    """`multi_step_forward` with time as the last dimension: [N, ..., T]."""
    return _stepwise(x_seq, single_step_module, -1)


def chunk_multi_step_forward(split_size: int, x_seq: Tensor, multi_step_module: nn.Module) -> Tensor:
    """Run a multi-step module on chunks of ``split_size`` steps in turn (less memory at once); outputs joined."""
    return torch.cat([multi_step_module(x) for x in torch.split(x_seq, split_size)], 0)


def seq_to_ann_forward(x_seq: Tensor | tuple[Tensor, ...], stateless_module: Modules) -> Any:
    """Stateless module(s) on [T, N, ...] as one call on [T·N, ...]; outputs (or each output of a tuple) back to
    [T, N, ...]. A tuple of tensors (all [T, N, ...]) is passed as the module's arguments."""
    if isinstance(x_seq, tuple):
        lead = x_seq[0].shape[:2]
        if any(item.shape[:2] != lead for item in x_seq[1:]):
            raise ValueError(
                "expected all tensors in x_seq to share the same [T, batch_size] leading dimensions, but got tensors "
                f"with shapes {[tuple(item.shape) for item in x_seq]}!"
            )
        x: Tensor | tuple[Tensor, ...] = tuple(item.flatten(0, 1) for item in x_seq)
    else:
        if x_seq.dim() < 2:
            raise ValueError(f"seq_to_ann_forward needs x_seq [T, N, ...], got shape {tuple(x_seq.shape)}")
        lead = x_seq.shape[:2]
        x = x_seq.flatten(0, 1)
    y = _apply(x, stateless_module)
    if isinstance(y, tuple):
        return tuple(item.unflatten(0, tuple(lead)) for item in y)
    return y.unflatten(0, tuple(lead))


def t_last_seq_to_ann_forward(x_seq: Tensor, stateless_module: Modules) -> Any:
    """A stateless module on [N, ..., T], vectorised over the last (time) dimension with `torch.vmap`."""
    return torch.vmap(lambda x: _apply(x, stateless_module), in_dims=-1, out_dims=-1)(x_seq)
