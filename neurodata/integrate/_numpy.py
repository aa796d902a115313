"""NumPy kernels: count events per (window, polarity, y, x). The reference every other backend must equal.

No Python loop runs over events. Two strategies, picked by size:

* streams up to ~500k events: one pass over ``window * 2HW + pixel`` keys with ``np.add.at`` straight into
  the output dtype (its fast path: matching dtypes, 1-D index); per-window calls lose to call overhead and
  per-window histograms there;
* large streams: per window, chunks of ``_CHUNK`` events whose flat pixel index is computed into a
  reused cache-resident buffer of the narrowest unsigned type that holds ``2*H*W`` (uint16 for 128x128),
  then widened into a reused intp buffer and added into the window's row with ``np.add.at``, whose
  indexed fast path takes intp indices (given uint16 it casts them through small buffers: 1.15x slower at
  1e7 events; ``np.bincount`` was 1.4x slower at 2x128x128, as it allocates a histogram per chunk).
  Computing the index over the whole stream at once writes and re-reads several full-length int64
  temporaries; chunking keeps them in cache (1.4x at 1e7 events). The loop is over windows and chunks,
  never over events.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from neurodata.integrate._common import cast_counts, exact_limit

_CHUNK = 1 << 17
_SMALL = 1 << 19  # events below which one fused pass wins (measured: 2x faster at 1e5, even at 5e5)
_FUSED_MAX_BINS = 1 << 23  # keep the fused histogram (int64) under 64 MiB


def _index_dtype(n_bins: int) -> type[np.unsignedinteger]:
    if n_bins <= 1 << 16:
        return np.uint16
    if n_bins <= 1 << 32:
        return np.uint32
    return np.uint64


@functools.lru_cache(maxsize=32)
def _one(dtype: np.dtype) -> np.ndarray:
    one = np.ones(1, dtype=dtype)
    one.flags.writeable = False
    return one


def polarity_is_01(p: np.ndarray) -> bool:
    """True when `p` can be used as the channel index directly (bool, or integers all in {0, 1})."""
    if p.dtype == np.bool_ or p.size == 0:
        return True
    return bool(p.min() >= 0 and p.max() <= 1)


def _flat_index(x: np.ndarray, y: np.ndarray, p: np.ndarray, h: int, w: int, p01: bool, out: np.ndarray) -> np.ndarray:
    # (c*H + y)*W + x with c = p != 0 (SpikingJelly's channel rule), all into `out`
    c = p if p01 else (p != 0)
    np.multiply(c, h, out=out, dtype=out.dtype, casting="unsafe")
    np.add(out, y, out=out, casting="unsafe")
    np.multiply(out, w, out=out, casting="unsafe")
    np.add(out, x, out=out, casting="unsafe")
    return out


def _pixels(x: np.ndarray, y: np.ndarray, p: np.ndarray, sel: Any, h: int, w: int) -> np.ndarray:
    """``(channel*H + y)*W + x`` of the events `sel`, in the narrowest type that holds ``2*H*W``."""
    # the narrow type: same-type ufuncs skip numpy's casting buffers
    pix = (p[sel] != 0).astype(_index_dtype(2 * h * w))
    pix *= h
    np.add(pix, y[sel], out=pix, casting="unsafe")  # coordinates are range-checked before this
    pix *= w
    np.add(pix, x[sel], out=pix, casting="unsafe")
    return pix


def _count(
    source: tuple[np.ndarray, np.ndarray, np.ndarray] | np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    height: int,
    width: int,
    dtype: np.dtype | type,
    partition: bool,
) -> np.ndarray:
    """Counts `[M, 2, H, W]` per window of the events `source`: ``(x, y, p)`` arrays, or their pixel keys."""
    dt = np.dtype(dtype)
    m = len(starts)
    bins = 2 * height * width
    if m == 0:
        return np.zeros((0, 2, height, width), dtype=dt)
    lengths = stops - starts
    total = int(stops[-1] - starts[0]) if partition else int(lengths.sum())
    # no count can exceed `total`: when dt holds it exactly, count straight into the output
    direct = dt.kind != "b" and total <= exact_limit(dt)
    given_keys = isinstance(source, np.ndarray)
    if total <= _SMALL and m * bins <= _FUSED_MAX_BINS:
        if partition or np.array_equal(starts[1:], stops[:-1]):
            sel: slice | np.ndarray = slice(int(starts[0]), int(stops[-1]))
        else:
            sel = np.arange(total, dtype=np.intp) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        keys = np.arange(0, m * bins, bins, dtype=np.intp).repeat(lengths)  # methods: no dispatch wrapper
        keys += source[sel] if given_keys else _pixels(*source, sel, height, width)  # type: ignore[misc]
        if direct:
            out = np.zeros(m * bins, dtype=dt)
            np.add.at(out, keys, _one(dt))  # ufunc.at's fast path: matching dtypes, 1-D index
            return out.reshape(m, 2, height, width)
        return cast_counts(np.bincount(keys, minlength=m * bins).reshape(m, 2, height, width), dt)
    if not given_keys:
        x, y, p = source  # type: ignore[misc]
        p01 = polarity_is_01(p)
    acc = np.zeros((m, bins), dtype=dt if direct else np.int64)
    one = _one(acc.dtype)
    pix = np.empty(_CHUNK, dtype=_index_dtype(bins))
    keys = np.empty(_CHUNK, dtype=np.intp)
    for j in range(m):
        row = acc[j]
        for c in range(int(starts[j]), int(stops[j]), _CHUNK):
            e = min(c + _CHUNK, int(stops[j]))
            k = keys[: e - c]
            if given_keys:
                np.copyto(k, source[c:e])  # type: ignore[index]
            else:
                np.copyto(k, _flat_index(x[c:e], y[c:e], p[c:e], height, width, p01, pix[: e - c]))
            np.add.at(row, k, one)
    counts = acc.reshape(m, 2, height, width)
    return counts if acc.dtype == dt else cast_counts(counts, dt)


def count_segments(
    x: np.ndarray,
    y: np.ndarray,
    p: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    height: int,
    width: int,
    dtype: np.dtype | type = np.int64,
    *,
    partition: bool = False,
) -> np.ndarray:
    """Event counts per window: `[M, 2, H, W]` of `dtype`, window j holding events ``starts[j] <= i < stops[j]``.

    Channel 0 counts ``p == 0``, channel 1 ``p != 0``. Windows may be empty or overlap. Coordinates must
    already be known to be in range (the public functions check them). A count that `dtype` cannot hold
    exactly raises ValueError. ``partition=True`` promises ``stops[j] == starts[j + 1]`` (saves a check).
    """
    return _count((x, y, p), starts, stops, height, width, dtype, partition)


def count_keys(
    keys: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    height: int,
    width: int,
    dtype: np.dtype | type = np.int64,
    *,
    partition: bool = False,
) -> np.ndarray:
    """`count_segments` for events given as pixel keys ``(p*H + y)*W + x`` (p in {0, 1}), as the event store
    keeps them: the same `[M, 2, H, W]` counts, without recomputing the index."""
    return _count(keys, starts, stops, height, width, dtype, partition)
