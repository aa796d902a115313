"""Batching variable-length frame sequences for a DataLoader (SpikingJelly-compatible)."""

from __future__ import annotations

import math
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
    frames = [x for x, _ in batch]
    labels = [y for _, y in batch]
    lengths = torch.as_tensor([x.shape[0] for x in frames], dtype=torch.int64)
    shapes = {tuple(x.shape[1:]) for x in frames}
    if len(shapes) > 1:
        raise ValueError(f"pad_sequence_collate: samples differ beyond the time axis: {sorted(shapes)}")
    if all(isinstance(y, torch.Tensor) for y in labels):
        y = torch.stack(labels)
    else:
        y = torch.as_tensor(np.asarray(labels))
    padded = _rows_of_one_padded_array(frames)
    if padded is not None:
        return torch.from_numpy(padded), y, lengths
    return pad_sequence([torch.as_tensor(x) for x in frames], batch_first=True), y, lengths


def _rows_of_one_padded_array(frames: list[Any]) -> np.ndarray | None:
    """The `[B, T_max, ...]` array whose row k starts with ``frames[k]`` and is zero after it, if there is one.

    `EventDataset.__getitems__` decodes a batch into such an array; handing it on saves copying every
    sample again. Anything else (other arrays, tensors, non-zero tails) returns None and is padded as usual.
    """
    first = frames[0]
    base = first.base if isinstance(first, np.ndarray) else None
    if not isinstance(base, np.ndarray) or not base.flags.c_contiguous or base.dtype != first.dtype:
        return None
    shape = (len(frames), max(len(x) for x in frames), *first.shape[1:])
    row_bytes = math.prod(shape[1:]) * base.itemsize
    start = base.__array_interface__["data"][0]
    if base.nbytes != shape[0] * row_bytes:  # the rows must tile all of `base`, not part of someone's array
        return None
    for k, x in enumerate(frames):
        if not (
            isinstance(x, np.ndarray)
            and x.base is base
            and x.shape[1:] == shape[2:]
            and x.flags.c_contiguous
            and x.__array_interface__["data"][0] == start + k * row_bytes
        ):
            return None
    whole = base.reshape(shape)  # a view: `base` may be the batch itself or flat memory under it
    for k, x in enumerate(frames):  # the padding must read as zeros, as pad_sequence would write them
        if len(x) < shape[1] and whole[k, len(x) :].any():
            return None
    return whole


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


def pack_events_collate(
    batch: Sequence[tuple[Any, Any]],
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Collate ``(events, label)`` samples for integration on the GPU inside the training loop.

    Args:
        batch: events as dicts of t, x, y, p arrays (``data_type='event'`` datasets) or `EVENT_DTYPE` arrays.

    Returns:
        ``(packed, labels [B], counts [B])``: packed is a dict of `[E]` int64 tensors t, x, y, p holding the
        samples' events one after the other; counts are events per sample. Feed them to `EventsToFrames`.
    """
    if len(batch) == 0:
        raise ValueError("pack_events_collate got an empty batch")
    fields = {k: [np.asarray(ev[k]) for ev, _ in batch] for k in ("t", "x", "y", "p")}
    packed = {k: torch.from_numpy(np.concatenate(v).astype(np.int64)) for k, v in fields.items()}
    counts = torch.as_tensor([len(t) for t in fields["t"]], dtype=torch.int64)
    labels = [y for _, y in batch]
    y = torch.stack(labels) if all(isinstance(v, torch.Tensor) for v in labels) else torch.as_tensor(labels)
    return packed, y, counts


class EventsToFrames:
    """Turn a `pack_events_collate` batch into frames on `device` with one batched integration.

    ``EventsToFrames(128, 128, frames_number=16, split_by='number')(batch, 'cuda')`` returns
    ``(frames [B, T, 2, H, W] float32, labels [B], frame_lengths [B])`` on the device: the same layout as
    `pad_sequence_collate`, so the training loop does not care where frames were made. Random event
    transforms can run per sample in the Dataset beforehand, which a frame cache cannot offer.
    """

    def __init__(
        self,
        height: int,
        width: int,
        *,
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
    ) -> None:
        if (frames_number is None) == (duration is None):
            raise ValueError(
                f"EventsToFrames needs exactly one of frames_number or duration; got frames_number={frames_number}, "
                f"duration={duration}"
            )
        self.height, self.width = height, width
        self.frames_number, self.split_by, self.duration = frames_number, split_by, duration

    def __call__(
        self, batch: tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor], device: str | torch.device = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from neurodata.integrate import integrate_events_batch

        packed, labels, counts = batch
        packed = {k: v.to(device, non_blocking=True) for k, v in packed.items()}
        frames, n_frames = integrate_events_batch(
            packed,
            counts.to(device),
            self.height,
            self.width,
            frames_num=self.frames_number,
            split_by=self.split_by,
            duration=self.duration,
            dtype=torch.float32,
        )
        return frames, labels.to(device), n_frames
