"""Torch kernels of the representations, on the tensors' device (CPU or CUDA), for one or many samples.

Windows (and the voxel and stacked-histogram bins inside them) are index ranges computed on the host
from the timestamps by the same numpy code as the reference kernels; the per-event work (keys, scatters,
the running maximum of the time surface) runs on the device in a fixed number of kernels per call, for
all windows of all samples at once. Every result equals `neurodata.integrate._represent_numpy`'s: the
voxel grid bit for bit (the same exact integer sums), the time surface to the last bit of ``exp``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from neurodata.integrate._torch import count_key_segments, expand_windows

_UNSEEN = torch.iinfo(torch.int64).min


def _f64(a: torch.Tensor) -> torch.Tensor:
    return a.to(torch.float64)


def voxel_grid(
    t: torch.Tensor,
    keys: torch.Tensor,
    sub_starts: np.ndarray,
    sub_stops: np.ndarray,
    sub_edges: np.ndarray,
    r: np.ndarray,
    span: np.ndarray,
    n_bins: int,
    scale: int,
    bins: int,
) -> torch.Tensor:
    """`[M, n_bins, H*W]` float64 voxel values from the bins of M windows (`[M * n_bins]` ranges, host)."""
    device = keys.device
    m = len(span)
    seg, idx = expand_windows(sub_starts, sub_stops, device)
    where = seg * bins + keys[idx]
    count = torch.bincount(where, minlength=m * n_bins * bins)
    edges = torch.as_tensor(sub_edges, dtype=torch.int64, device=device)
    time_sum = torch.zeros(m * n_bins * bins, dtype=torch.int64, device=device)
    time_sum.index_add_(0, where, t[idx] - edges[seg])
    shape = (m, n_bins, 2, bins // 2)
    count, time_sum = count.reshape(shape), time_sum.reshape(shape)
    count, time_sum = count[:, :, 1] - count[:, :, 0], time_sum[:, :, 1] - time_sum[:, :, 0]  # on minus off
    r_t = torch.as_tensor(r, dtype=torch.int64, device=device).reshape(m, n_bins, 1)
    span_f = _f64(torch.as_tensor(span, dtype=torch.int64, device=device)).reshape(m, 1, 1)
    # `_represent_numpy.voxel_combine`'s expression in its order: the same bits
    d = (_f64(time_sum) * float(scale) + _f64(count) * _f64(r_t)) / (span_f + (span_f == 0))
    left = _f64(count) - d
    left[:, 1:] += d[:, :-1]
    return left


def time_surfaces(
    t: torch.Tensor,
    keys: torch.Tensor,
    stops: np.ndarray,
    ends: np.ndarray,
    window_sample: np.ndarray,
    window_local: np.ndarray,
    sample_offsets: np.ndarray,
    bins: int,
    tau: float,
) -> torch.Tensor:
    """`[M, bins]` float64 surfaces at the ends of M windows of packed samples (global indices, in order).

    ``window_sample``/``window_local``: each window's sample and its position among that sample's windows;
    ``sample_offsets`` `[B + 1]`: where each sample's events start. Each event joins the first window of
    its sample whose stop is past it; the latest time per (window, pixel) is one ``scatter_reduce``, carried
    into the sample's later windows by a ``cummax``.
    """
    device = keys.device
    m = len(stops)
    if m == 0:
        return torch.zeros((0, bins), dtype=torch.float64, device=device)
    n_samples = len(sample_offsets) - 1
    stops_t = torch.as_tensor(stops, dtype=torch.int64, device=device)
    n = int(stops.max())
    pos = torch.arange(n, device=device)
    win = torch.clamp(torch.searchsorted(stops_t, pos, right=True), max=m - 1)
    sample_of = torch.as_tensor(window_sample, dtype=torch.int64, device=device)
    local_of = torch.as_tensor(window_local, dtype=torch.int64, device=device)
    sid = torch.searchsorted(torch.as_tensor(sample_offsets, dtype=torch.int64, device=device), pos, right=True) - 1
    # an event past its sample's last window (a dropped tail) finds a later sample's window: not counted
    valid = (pos < stops_t[win]) & (sample_of[win] == sid)
    m_max = int(window_local.max()) + 1
    slot = (sample_of[win] * m_max + local_of[win]) * bins + keys[:n]
    memory = torch.full((n_samples * m_max * bins,), _UNSEEN, dtype=torch.int64, device=device)
    memory.scatter_reduce_(0, slot[valid], t[:n][valid], reduce="amax")
    memory = torch.cummax(memory.reshape(n_samples, m_max, bins), dim=1).values[sample_of, local_of]
    ends_t = torch.as_tensor(ends, dtype=torch.float64, device=device)[:, None]
    age = -(ends_t - memory.to(torch.float64)) / tau
    return torch.where(memory > _UNSEEN, torch.exp(age), torch.zeros((), dtype=torch.float64, device=device))


def counts(keys: torch.Tensor, starts: np.ndarray, stops: np.ndarray, bins: int) -> torch.Tensor:
    """`[M, bins]` int64 counts per window (`count_key_segments`)."""
    if len(starts) == 0:
        return torch.zeros((0, bins), dtype=torch.int64, device=keys.device)
    return count_key_segments(keys, starts, stops, bins)


def pixel_keys(x: torch.Tensor, y: torch.Tensor, p: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """int64 ``(c*H + y)*W + x`` with ``c = p != 0``."""
    return ((p != 0).to(torch.int64) * h + y.to(torch.int64)) * w + x.to(torch.int64)


def as_int64(a: Any, device: Any) -> torch.Tensor:
    return (a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))).to(device=device, dtype=torch.int64)
