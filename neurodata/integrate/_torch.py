"""Torch kernels with the numpy kernels' contracts, on the tensors' device (CPU or CUDA).

Everything is one ``torch.bincount`` over ``((sample * T + frame) * 2 + channel) * H*W + y*W + x``: the
frame of each event comes from closed formulas equal to the window rules in `neurodata.split`, so B
samples integrate in a fixed number of kernel launches, with no Python loop over samples or events.
Tests prove every result equal to `neurodata.integrate._numpy`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from neurodata.integrate._common import Fields, cast_counts


def _flat_pixel(x: torch.Tensor, y: torch.Tensor, p: torch.Tensor, h: int, w: int) -> torch.Tensor:
    c = (p != 0).to(torch.int64)
    return (c * h + y.to(torch.int64)) * w + x.to(torch.int64)


def expand_windows(starts: np.ndarray, stops: np.ndarray, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(window, index)`` `[sum(stops - starts)]`: for every event of every window, its window and event index
    (windows may overlap: an event in two windows appears twice)."""
    m = len(starts)
    lengths = torch.as_tensor(stops - starts, dtype=torch.int64, device=device)
    total = int((stops - starts).sum()) if m else 0
    seg = torch.repeat_interleave(torch.arange(m, device=device), lengths, output_size=total)
    first = torch.as_tensor(starts, dtype=torch.int64, device=device)
    offsets = torch.cumsum(lengths, 0) - lengths
    return seg, torch.arange(total, device=device) - offsets[seg] + first[seg]


def count_key_segments(keys: torch.Tensor, starts: np.ndarray, stops: np.ndarray, bins: int) -> torch.Tensor:
    """`[M, bins]` int64 counts of the pixel keys ``keys[i]`` for ``starts[j] <= i < stops[j]``."""
    seg, idx = expand_windows(starts, stops, keys.device)
    return torch.bincount(seg * bins + keys[idx], minlength=len(starts) * bins).reshape(len(starts), bins)


def count_segments(
    x: torch.Tensor,
    y: torch.Tensor,
    p: torch.Tensor,
    starts: np.ndarray,
    stops: np.ndarray,
    height: int,
    width: int,
) -> torch.Tensor:
    """`[M, 2, H, W]` int64 counts of events ``starts[j] <= i < stops[j]`` (windows may overlap)."""
    m = len(starts)
    if m == 0:
        return torch.zeros((0, 2, height, width), dtype=torch.int64, device=x.device)
    seg, idx = expand_windows(starts, stops, x.device)
    keys = seg * (2 * height * width) + _flat_pixel(x[idx], y[idx], p[idx], height, width)
    return torch.bincount(keys, minlength=m * 2 * height * width).reshape(m, 2, height, width)


def _as_tensor(a: Any, device: torch.device | None = None) -> torch.Tensor:
    return a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a), device=device)


def integrate_batch(
    f: Fields,
    lengths: Any,
    height: int,
    width: int,
    *,
    frames_num: int | None = None,
    split_by: str | None = None,
    duration: int | None = None,
    dtype: Any = None,
    validate: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames `[B, T, 2, H, W]` and frame counts `[B]` for packed samples; see `integrate_events_batch`."""
    x = _as_tensor(f.x)
    device = x.device
    y, p = _as_tensor(f.y, device), _as_tensor(f.p, device)
    n_events = x.shape[0]
    if lengths is None:
        lengths_t = torch.tensor([n_events], dtype=torch.int64, device=device)
    else:
        lengths_t = _as_tensor(lengths, device).to(device=device, dtype=torch.int64)
    if lengths_t.ndim != 1:
        raise ValueError(f"lengths must be one-dimensional [B], got shape {tuple(lengths_t.shape)}")
    if validate and (bool((lengths_t < 0).any()) or int(lengths_t.sum()) != n_events):
        raise ValueError(f"lengths must be non-negative and sum to the {n_events} packed events")
    b = lengths_t.shape[0]
    if (frames_num is None) == (duration is None):
        raise ValueError(
            f"give exactly one of frames_num or duration; got frames_num={frames_num}, duration={duration}"
        )
    sid = torch.repeat_interleave(torch.arange(b, device=device), lengths_t, output_size=n_events)
    offsets = torch.cumsum(lengths_t, 0) - lengths_t
    needs_t = duration is not None or split_by == "time"
    if needs_t:
        if f.t is None:
            raise ValueError("time-based integration needs timestamps: events has no 't' field")
        t = _as_tensor(f.t, device).to(torch.int64)
        if validate and n_events > 1:
            back = (t[1:] < t[:-1]) & (sid[1:] == sid[:-1])
            if bool(back.any()):
                i = int(back.nonzero()[0, 0]) + 1
                raise ValueError(f"events: field 't' is not sorted within sample {int(sid[i])} at index {i}")
        last = torch.clamp(offsets + lengths_t - 1, min=0)
        first = torch.clamp(offsets, max=max(n_events - 1, 0))
        if n_events:
            t0, span = t[first], t[last] - t[first]
        else:
            t0 = span = torch.zeros(b, dtype=torch.int64, device=device)
    if frames_num is not None:
        if split_by not in ("number", "time"):
            raise ValueError(f"split_by must be 'number' or 'time', got {split_by!r}")
        if isinstance(frames_num, bool) or int(frames_num) < 1:
            raise ValueError(f"frames_num must be a positive integer, got {frames_num!r}")
        m = int(frames_num)
        if split_by == "number":
            step = lengths_t // m
            pos = torch.arange(n_events, device=device) - offsets[sid]
        else:
            step = span // m
            pos = t - t0[sid]
        safe = torch.clamp(step, min=1)[sid]
        frame = torch.where(step[sid] > 0, torch.clamp(pos // safe, max=m - 1), m - 1)
        n_frames = torch.full((b,), m, dtype=torch.int64, device=device)
        t_max = m
    else:
        if isinstance(duration, bool) or int(duration) < 1:  # type: ignore[arg-type]
            raise ValueError(f"duration must be a positive integer (µs), got {duration!r}")
        d = int(duration)  # type: ignore[arg-type]
        n_frames = torch.where(lengths_t > 0, torch.clamp(-(-span // d), min=1), 0)
        t_max = int(n_frames.max()) if b else 0
        frame = torch.minimum((t - t0[sid]) // d, n_frames[sid] - 1)
    bins = 2 * height * width
    keys = (sid * t_max + frame) * bins + _flat_pixel(x, y, p, height, width)
    counts = torch.bincount(keys, minlength=b * t_max * bins).reshape(b, t_max, 2, height, width)
    return cast_counts(counts, dtype), n_frames
