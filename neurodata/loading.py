"""Batching variable-length frame sequences for a DataLoader (SpikingJelly-compatible)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence


def pad_sequence_collate(batch: Sequence[tuple[Any, Any]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Collate ``(frames [T_i, ...], label)`` pairs of different lengths T_i.

    Returns:
        ``(frames [B, T_max, ...], labels [B], lengths [B] int64)``: frames zero-padded at the end of the
        time axis, dtype kept (numpy arrays become tensors without a copy where possible); integer labels
        become int64, tensor labels are stacked.
    """
    if len(batch) == 0:
        raise ValueError("pad_sequence_collate got an empty batch")
    xs = [torch.as_tensor(x) for x, _ in batch]
    labels = [y for _, y in batch]
    lengths = torch.as_tensor([x.shape[0] for x in xs], dtype=torch.int64)
    shapes = {tuple(x.shape[1:]) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"pad_sequence_collate: samples differ beyond the time axis: {sorted(shapes)}")
    if all(isinstance(y, torch.Tensor) for y in labels):
        y = torch.stack(labels)
    else:
        y = torch.as_tensor(np.asarray(labels))
    return pad_sequence(xs, batch_first=True), y, lengths


def padded_sequence_mask(
    sequence_len: torch.Tensor, T: int | None = None, *, batch_first: bool = False
) -> torch.Tensor:
    """Bool mask of the real (non-padding) steps: ``mask[t, n] = t < sequence_len[n]``.

    Args:
        sequence_len: `[N]` lengths (the third output of `pad_sequence_collate`).
        T: mask length (default ``sequence_len.max()``).
        batch_first: return `[N, T]` instead of SpikingJelly's time-first `[T, N]`.

    Returns:
        `[T, N]` (or `[N, T]`) bool tensor on ``sequence_len``'s device.
    """
    sequence_len = torch.as_tensor(sequence_len)
    if sequence_len.ndim != 1:
        raise ValueError(f"sequence_len must be one-dimensional [N], got shape {tuple(sequence_len.shape)}")
    if T is None:
        T = int(sequence_len.max()) if sequence_len.numel() else 0
    steps = torch.arange(T, device=sequence_len.device)
    if batch_first:
        return steps.unsqueeze(0) < sequence_len.unsqueeze(1)
    return steps.unsqueeze(1) < sequence_len.unsqueeze(0)
