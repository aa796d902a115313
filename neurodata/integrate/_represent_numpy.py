"""NumPy kernels of the representations (voxel grid, time surface, stacked-histogram bins, HATS, local
time surfaces): the reference the torch kernels must equal.

Events come as ``(t, source)``: sorted int64 timestamps and either their pixel keys ``(c*H + y)*W + x``
(``c = p != 0``, what the event store keeps) or the ``(x, y, p)`` arrays, whose keys are computed chunk by
chunk into reused buffers (`_numpy._flat_index`), as the count kernel does. No Python loop runs over events.

The voxel grid is computed from exact integers: per (bin, channel, pixel) the event count and the sum of
``t - bin_start``, accumulated as the real and imaginary parts of one complex ``np.add.at`` (one scatter
for both, ~1.4x a float scatter alone; integer sums in float64 are exact below 2**53, which is checked).
The bilinear weights then follow in closed form with a single rounding per cell, so the result does not
depend on summation order (the torch kernel gives the same bits) and is never less accurate than
summing per-event weights as Tonic does.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from neurodata.integrate._numpy import _CHUNK, _flat_index, _index_dtype, polarity_is_01

Source = Any  # pixel keys (np.ndarray) or an (x, y, p) tuple
_EXACT = float(1 << 53)
_TABLE_MAX = 1 << 21  # ages (µs) up to which time-surface decays are tabulated (16 MiB)
_SCRATCH = threading.local()


def _scratch(name: str, size: int, dtype: Any) -> np.ndarray:
    """This thread's reusable buffer `name` of at least `size` values (kept for the next call)."""
    arrays: dict[str, np.ndarray] = _SCRATCH.__dict__.setdefault("arrays", {})
    a = arrays.get(name)
    if a is None or a.size < size or a.dtype != dtype:
        a = arrays[name] = np.empty(max(size, 1), dtype=dtype)
    return a[:size]


def _unit_complex(size: int) -> np.ndarray:
    """This thread's buffer of complex values whose real parts are 1 (callers write only the imaginary parts)."""
    arrays: dict[str, np.ndarray] = _SCRATCH.__dict__.setdefault("arrays", {})
    a = arrays.get("unit")
    if a is None or a.size < size:
        a = arrays["unit"] = np.empty(max(size, 1), dtype=np.complex128)
        a.real = 1.0
    return a[:size]


class Keys:
    """Pixel keys ``(c*H + y)*W + x`` of a stream (computed once, in the narrowest unsigned type), handed out
    chunk by chunk as intp in a reused cache-resident buffer (``np.add.at`` and indexing take intp fastest)."""

    def __init__(self, source: Source, h: int, w: int) -> None:
        self.h, self.w = h, w
        if isinstance(source, np.ndarray):
            self.narrow = source
        else:
            x, y, p = source
            self.narrow = _flat_index(x, y, p, h, w, polarity_is_01(p), np.empty(len(x), _index_dtype(2 * h * w)))

    def chunks(self, a: int, b: int, offset: int = 0) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(c, e, keys + offset)`` as intp for consecutive chunks ``[c, e)`` of events ``[a, b)``.

        The yielded array is a reused buffer, valid until the next iteration.
        """
        if b <= a:
            return
        keys = _scratch("keys", min(_CHUNK, b - a), np.intp)
        for c in range(a, b, _CHUNK):
            e = min(c + _CHUNK, b)
            k = keys[: e - c]
            np.copyto(k, self.narrow[c:e])
            if offset:
                k += offset
            yield c, e, k


# ------------------------------------------------------------------------------------------------ voxel grid


def voxel_edges(t: np.ndarray, a: int, b: int, n_bins: int, scale: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Bin layout of window ``[a, b)`` (non-empty): ``(t0, span, edge_times [n_bins+1], edge_index [n_bins+1])``.

    Event i is in bin ``k = floor(scale * (t_i - t0) / span)`` (``t0``/``span``: the window's first time and
    time span), exactly: bin k starts at ``t0 + ceil(k * span / scale)``. A float64 quotient, as Tonic and
    E-RAFT compute it, floors to the same integer (an integer ratio's distance from the next integer is at
    least ``1/span``, far above float64's rounding). Events from ``edge_index[n_bins]`` on fall off the grid.
    With ``span == 0`` or ``scale == 0`` every event is in bin 0.
    """
    t0, span = int(t[a]), int(t[b - 1]) - int(t[a])
    k = np.arange(n_bins + 1, dtype=np.int64)
    if span == 0 or scale == 0:
        edges_t = np.full(n_bins + 1, t0, dtype=np.int64)
        edges_t[1:] = t0 + span + 1
        idx = np.full(n_bins + 1, b, dtype=np.int64)
        idx[0] = a
        return t0, span, edges_t, idx
    edges_t = t0 - (-(k * span) // scale)  # t0 + ceil(k*span/scale)
    idx = a + np.searchsorted(t[a:b], edges_t).astype(np.int64)
    return t0, span, edges_t, idx


def voxel_window(t: np.ndarray, keys: Keys, a: int, b: int, n_bins: int, scale: int, out: np.ndarray) -> None:
    """The voxel grid of window ``[a, b)`` (non-empty) into `out` `[n_bins, H*W]` float64.

    Per bin, the count and the sum of ``t - bin_start`` of each (channel, pixel) are accumulated exactly as
    the real and imaginary parts of one complex ``np.add.at`` into a cache-resident scratch row (below
    2**53 float64 sums of integers are exact, which is checked); the signed (on - off) sums then become
    the bilinear weights in `voxel_combine`.
    """
    hw = keys.h * keys.w
    t0, span, edges_t, idx = voxel_edges(t, a, b, n_bins, scale)
    count = np.zeros((n_bins, hw), dtype=np.float64)  # signed: on minus off events
    time_sum = np.zeros((n_bins, hw), dtype=np.float64)
    row = _scratch("voxel_row", 2 * hw, np.complex128)
    val = _unit_complex(min(_CHUNK, b - a))
    im = val.imag
    r = np.zeros(n_bins, dtype=np.int64)
    if span and scale:
        r = scale * (edges_t[:-1] - t0) - np.arange(n_bins, dtype=np.int64) * span
    # every partial sum below 2**53 is exact, and so is scale*S + r*count (r < scale)
    widest = float(np.max(np.diff(idx).astype(np.float64) * (np.diff(edges_t) + 1)))
    if widest * (scale + 1) >= _EXACT:
        _voxel_window_int(t, keys, idx, edges_t, r, n_bins, scale, span, out)
        return
    for k in range(n_bins):
        i0, i1 = int(idx[k]), int(idx[k + 1])
        if i1 <= i0:
            continue
        row.fill(0)
        for c, e, kk in keys.chunks(i0, i1):
            np.subtract(t[c:e], edges_t[k], out=im[: e - c], casting="unsafe")
            np.add.at(row, kk, val[: e - c])
        np.subtract(row.real[hw:], row.real[:hw], out=count[k])
        np.subtract(row.imag[hw:], row.imag[:hw], out=time_sum[k])
    voxel_combine(count, time_sum, r.astype(np.float64), scale, float(span), out)


def _voxel_window_int(
    t: np.ndarray,
    keys: Keys,
    idx: np.ndarray,
    edges_t: np.ndarray,
    r: np.ndarray,
    n_bins: int,
    scale: int,
    span: int,
    out: np.ndarray,
) -> None:
    """`voxel_window` with int64 sums, for windows whose float64 sums could round (~1e8 events in a bin of hours)."""
    hw = keys.h * keys.w
    count = np.zeros(n_bins * 2 * hw, dtype=np.int64)
    time_sum = np.zeros(n_bins * 2 * hw, dtype=np.int64)
    for k in range(n_bins):
        for c, e, kk in keys.chunks(int(idx[k]), int(idx[k + 1]), k * 2 * hw):
            np.add.at(count, kk, 1)
            np.add.at(time_sum, kk, t[c:e] - edges_t[k])
    count, time_sum = count.reshape(n_bins, 2, hw), time_sum.reshape(n_bins, 2, hw)
    signed_count = count[:, 1] - count[:, 0]
    d = (scale * (time_sum[:, 1] - time_sum[:, 0]) + r[:, None] * signed_count) / float(span if span else 1)
    voxel_finish(signed_count.astype(np.float64), d, out)


def voxel_combine(
    count: np.ndarray, time_sum: np.ndarray, r: np.ndarray, scale: int, span: float, out: np.ndarray
) -> None:
    """Voxel values from exact signed per-cell sums (float64 `[n_bins, H*W]`, on minus off) into `out`.

    A cell's summed signed fractional positions are ``d = (scale * time_sum + r * count) / span`` (``span ==
    0``: everything is in bin 0 and the numerator is 0); its bin keeps ``count - d``, the next gets ``d``.
    The torch kernel evaluates the same expression in the same order, so both give the same bits.
    """
    d = np.multiply(time_sum, float(scale), out=time_sum)
    d += np.multiply(count, r[:, None], out=out)
    d /= span if span else 1.0
    voxel_finish(count, d, out)


def voxel_finish(count: np.ndarray, d: np.ndarray, out: np.ndarray) -> None:
    np.subtract(count, d, out=out)
    out[1:] += d[:-1]


# ------------------------------------------------------------------------------------------------ time surface


def time_surfaces(
    t: np.ndarray, keys: Keys, stops: np.ndarray, ends: np.ndarray, tau: float, out: np.ndarray
) -> None:
    """Into `out` `[M, 2*H*W]` (any float type): ``exp(-(ends[j] - t_last) / tau)``, t_last the latest event
    before ``stops[j]``; 0 for pixels without one. `stops` must not decrease.

    A float64 row holds the surface: each window multiplies it by ``exp(-(ends[j] - ends[j-1]) / tau)``
    and overwrites the pixels of its new events with their own decays (in event order, so the latest
    event of a pixel is written last). A pixel without a new event thus equals the exact value to a few
    ulps after many windows; one ``exp`` per pixel and window would cost more than the events at DVS
    Gesture's sizes, and the per-pixel memory of last times is never needed.
    """
    row = np.zeros(out.shape[1], dtype=np.float64)
    # integer window ends and times: a decay depends only on the integer age, so the exps of the ages met
    # so far are kept in a table (one gather per event instead of a division and an exp: the same bits)
    table = np.zeros(0, dtype=np.float64)
    integral = t.dtype.kind in "iu" and bool(np.all(np.floor(ends) == ends))
    done = 0
    for j in range(out.shape[0]):
        stop, end = int(stops[j]), float(ends[j])
        if j:
            row *= math.exp(-(end - float(ends[j - 1])) / tau)
        for c, e, kk in keys.chunks(done, stop):
            oldest, newest = end - float(t[c]), end - float(t[e - 1])  # t is sorted
            if integral and newest >= 0 and oldest < _TABLE_MAX:
                if oldest >= len(table):
                    size = int(min(max(oldest + 1, 2 * len(table)), _TABLE_MAX))
                    table = np.exp(-np.arange(size, dtype=np.float64) / tau)  # Tonic's -(age) / tau
                age = _scratch("age_int", e - c, np.int64)
                np.subtract(int(end), t[c:e], out=age, casting="unsafe")
                values = np.take(table, age, out=_scratch("age", e - c, np.float64))
            else:
                values = _scratch("age", e - c, np.float64)
                np.subtract(end, t[c:e], out=values)  # Tonic's arithmetic: -(end - t_last) / tau
                np.negative(values, out=values)
                values /= tau
                np.exp(values, out=values)
            # a fancy assignment writes in index order: a repeated pixel keeps its last (latest) event
            row[kk] = values
        done = max(done, stop)
        out[j] = row


# ------------------------------------------------------------------------------------------------ stacked histogram


def _rvt_bin(u: np.ndarray, span: np.ndarray, n_bins: int) -> np.ndarray:
    """RVT's bin of offset ``u`` in a window of ``span``: floor of float32 ``u / max(span, 1) * n_bins``."""
    q = u.astype(np.float32) / np.maximum(span, 1).astype(np.float32)
    return np.minimum(np.floor(q * np.float32(n_bins)), n_bins - 1).astype(np.int64)


def stacked_histogram_windows(
    t: np.ndarray, starts: np.ndarray, stops: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n_bins`` sub-windows of each window, as RVT bins them: ``(sub_starts, sub_stops)`` `[M * n_bins]`.

    RVT computes each event's bin in float32 (`_rvt_bin`); that is monotone in t, so each bin is an index
    range, whose first offset is found here by a vectorised bisection over the window's integer offsets,
    and the events are then counted by the count kernel.
    """
    m = len(starts)
    nonempty = stops > starts
    t0 = np.where(nonempty, t[np.minimum(starts, len(t) - 1)] if len(t) else 0, 0).astype(np.int64)
    t1 = np.where(nonempty, t[np.maximum(stops - 1, 0)] if len(t) else 0, 0).astype(np.int64)
    span = t1 - t0
    # first offset u in [0, span + 1] with bin(u) >= k, for k = 1..n_bins-1
    k = np.arange(1, n_bins, dtype=np.int64)
    lo = np.zeros((m, n_bins - 1), dtype=np.int64)
    hi = np.broadcast_to(span[:, None] + 1, lo.shape).copy()
    sp = np.broadcast_to(span[:, None], lo.shape)
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        up = _rvt_bin(mid, sp, n_bins) >= k
        hi = np.where(open_ & up, mid, hi)
        lo = np.where(open_ & ~up, mid + 1, lo)
    edges = np.empty((m, n_bins + 1), dtype=np.int64)
    edges[:, 0] = starts
    edges[:, -1] = stops
    for j in np.flatnonzero(nonempty):
        a, b = int(starts[j]), int(stops[j])
        edges[j, 1:-1] = a + np.searchsorted(t[a:b], t0[j] + lo[j])
    edges[~nonempty, 1:-1] = starts[~nonempty, None]
    return edges[:, :-1].reshape(-1), edges[:, 1:].reshape(-1)


# ------------------------------------------------------------------------------------------------ HATS


def averaged_time_surface(
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    h: int,
    w: int,
    cell_size: int,
    surface_size: int,
    time_window: float,
    tau: float,
    decay: str,
    pairs_per_chunk: int = 1 << 21,
) -> np.ndarray:
    """HATS of one window's events: `[cells * 2, s, s]` float64 (see `neurodata.spec.AveragedTimeSurface`).

    Events are grouped by (cell, channel) with a stable sort (so each group stays in time order); each
    event's earlier neighbours in its group within ``time_window`` are an index range found by
    `searchsorted`, enumerated as pairs in bounded chunks and histogrammed with one ``bincount``.
    """
    s, rho = surface_size, surface_size // 2
    gw = -(-w // cell_size)
    n_cells = gw * -(-h // cell_size)
    n_groups = n_cells * 2
    out = np.zeros(n_groups * s * s, dtype=np.float64)
    n = len(t)
    if n == 0:
        return out.reshape(n_groups, s, s)
    xi, yi = x.astype(np.int64), y.astype(np.int64)
    group = ((yi // cell_size) * gw + xi // cell_size) * 2 + c.astype(np.int64)
    order = np.argsort(group, kind="stable")
    g, ts, xs, ys = group[order], t[order].astype(np.int64), xi[order], yi[order]
    # composite (group, time) key, increasing along the sorted events
    t_min = int(ts.min())
    stride = int(ts.max()) - t_min + 2
    comp = g * stride + (ts - t_min)
    # Tonic keeps t_j >= t_i - time_window
    lower = g * stride + np.maximum(np.ceil(ts - t_min - time_window).astype(np.int64), 0)
    first = np.searchsorted(comp, lower, side="left")
    per_event = np.arange(n, dtype=np.int64) - first  # earlier events of the group in the time window
    ends = np.cumsum(per_event)
    sizes = np.bincount(g, minlength=n_groups)
    centre = (np.arange(n_groups) * s + rho) * s + rho
    out[centre] += sizes
    i0 = 0
    while i0 < n:
        # a chunk of events whose pairs fit the budget (at least one event)
        base = int(ends[i0 - 1]) if i0 else 0
        i1 = max(i0 + 1, int(np.searchsorted(ends, base + pairs_per_chunk, side="right")))
        i1 = min(i1, n)
        cnt = per_event[i0:i1]
        total = int(cnt.sum())
        if total:
            ev = np.repeat(np.arange(i0, i1, dtype=np.int64), cnt)
            offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            nb = first[ev] + offs
            dx, dy = xs[nb] - xs[ev], ys[nb] - ys[ev]
            keep = (np.abs(dx) <= rho) & (np.abs(dy) <= rho)
            ev, nb, dx, dy = ev[keep], nb[keep], dx[keep], dy[keep]
            dt = (ts[ev] - ts[nb]).astype(np.float64)
            val = np.exp(-dt / tau) if decay == "exp" else 1.0 - dt / (3.0 * tau)
            where = (g[ev] * s + dy + rho) * s + dx + rho
            out += np.bincount(where, weights=val, minlength=out.size)
        i0 = i1
    out = out.reshape(n_groups, s * s)
    out /= np.maximum(sizes, 1)[:, None]
    return out.reshape(n_groups, s, s)


# ------------------------------------------------------------------------------------------------ local surfaces


def local_time_surfaces(
    t: np.ndarray, x: np.ndarray, y: np.ndarray, c: np.ndarray, h: int, w: int, tau: float, radius: int, decay: str
) -> np.ndarray:
    """HOTS surfaces at every event: `[N, 2, 2r+1, 2r+1]` float64.

    Entry ``[i, q, r+dy, r+dx]`` is the decay of ``t_i - t_last``, t_last the latest event with index
    ``<= i`` at pixel ``(x_i+dx, y_i+dy)`` and channel q; 0 where there is none or the pixel is off the
    sensor. The event itself reads 1 at the centre of its channel. Found by binary search over the
    events sorted by (pixel, index), so the work is ``N * 2 * (2r+1)**2 * log N``.
    """
    n = len(t)
    s = 2 * radius + 1
    out = np.zeros((n, 2, s, s), dtype=np.float64)
    if n == 0:
        return out
    key = (c.astype(np.int64) * h + y.astype(np.int64)) * w + x.astype(np.int64)
    order = np.argsort(key, kind="stable")
    comp = key[order] * n + order  # (pixel, index), increasing
    off = np.arange(-radius, radius + 1)
    xi, yi = x.astype(np.int64), y.astype(np.int64)
    chunk = max(1, (1 << 22) // (2 * s * s))
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        qx = xi[a:b, None, None, None] + off[None, None, None, :]
        qy = yi[a:b, None, None, None] + off[None, None, :, None]
        qc = np.arange(2)[None, :, None, None]
        inside = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h)
        qkey = (qc * h + np.clip(qy, 0, h - 1)) * w + np.clip(qx, 0, w - 1)
        idx = np.arange(a, b)[:, None, None, None]
        pos = np.searchsorted(comp, qkey * n + idx, side="right") - 1
        found = inside & (pos >= 0)
        hit = comp[np.maximum(pos, 0)]
        found &= hit // n == qkey
        dt = (t[a:b, None, None, None] - t[order[np.maximum(pos, 0)]]).astype(np.float64)
        dt[~found] = 0.0  # no such event: the age is meaningless (and could overflow exp)
        val = np.exp(-dt / tau) if decay == "exp" else np.maximum(0.0, 1.0 - dt / (3.0 * tau))
        out[a:b] = np.where(found, val, 0.0)
    return out
