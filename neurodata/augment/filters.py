"""Which events stay: noise filters, per-pixel thinning, random dropping, added noise, polarity edits.

Pure, vectorized functions over events in any layout `_fields` accepts (the per-pixel filters sort by
pixel once instead of looping over events), returning the same kind and never modifying their input.
Random variants take an explicit `numpy.random.Generator`.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from neurodata.augment._fields import (
    check_inside,
    check_number,
    check_probability,
    check_sorted,
    flipped_polarity,
    group_rank,
    like,
    pixel_index,
    sensor_wh,
    store,
    struct_of,
)

E = TypeVar("E")


def denoise(events: E, sensor: Any = None, filter_time: float = 10_000) -> E:
    """Keep an event if one of its 4 neighbour pixels had an event less than `filter_time` before it.

    Tonic's rule (an earlier event j at (x±1, y) or (x, y±1) with ``t_j + filter_time > t_i``), without
    a Python loop: per neighbour, a binary search finds the latest earlier event at that pixel. `sensor`
    (``(W, H[, P])``) only checks the events fit; the result does not depend on it. t must be sorted.
    """
    ft = check_number("filter_time", filter_time, nonnegative=True)
    ev = struct_of(events, ("x", "y", "t"), "denoise")
    n = len(ev)
    if n == 0:
        return like(ev.copy(), events)
    check_sorted(ev["t"], "denoise")
    x, y = ev["x"].astype(np.int64), ev["y"].astype(np.int64)
    if sensor is not None:
        check_inside(ev, *sensor_wh(sensor, "denoise"), "denoise")
    if x.min() < 0 or y.min() < 0:
        raise ValueError("denoise: needs non-negative coordinates")
    width, height = int(x.max()) + 1, int(y.max()) + 1
    pixel = y * width + x
    order = np.argsort(pixel, kind="stable")  # by pixel, then by stream position
    # everything below runs in that order: the keys (pixel, position) are sorted, and so are the keys of
    # each neighbour query (the neighbour's pixel is the event's plus a constant), so every binary search
    # below walks sorted needles
    ps, xs, ys, ts = pixel[order], x[order], y[order], ev["t"][order]
    keys = ps * n + order
    keep = np.zeros(n, dtype=bool)
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        shift = dy * width + dx
        pos = np.searchsorted(keys, keys + shift * n, side="left") - 1  # the latest earlier event there
        j = np.clip(pos, 0, None)
        found = (pos >= 0) & (ps[j] == ps + shift)
        found &= (xs + dx >= 0) & (xs + dx < width) & (ys + dy >= 0) & (ys + dy < height)
        keep |= found & (ts[j] + ft > ts)
    mask = np.empty(n, dtype=bool)
    mask[order] = keep
    return like(ev[mask], events)


def refractory_period(events: E, refractory_period: float) -> E:
    """Drop an event if the previous event at its pixel (kept or not) came at most `refractory_period` before.

    The first event of each pixel is always kept. t must be sorted.
    """
    rp = check_number("refractory_period", refractory_period, nonnegative=True)
    ev = struct_of(events, ("x", "t"), "refractory_period")
    if len(ev) == 0:
        return like(ev.copy(), events)
    check_sorted(ev["t"], "refractory_period")
    key, _ = pixel_index(ev, "refractory_period")
    order, first = group_rank(key)
    ts = ev["t"][order]
    keep_sorted = first.copy()
    keep_sorted[1:] |= (ts[1:] - ts[:-1]) > rp
    keep = np.empty(len(ev), dtype=bool)
    keep[order] = keep_sorted
    return like(ev[keep], events)


def decimation(events: E, n: int) -> E:
    """Keep every `n`-th event of each pixel (its n-th, 2n-th, ... event, in stream order)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"decimation: n must be a positive integer, got {n!r}")
    ev = struct_of(events, ("x",), "decimation")
    if len(ev) == 0:
        return like(ev.copy(), events)
    key, _ = pixel_index(ev, "decimation")
    order, first = group_rank(key)
    pos = np.arange(len(ev), dtype=np.int64)
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    keep = np.empty(len(ev), dtype=bool)
    keep[order] = (rank + 1) % int(n) == 0
    return like(ev[keep], events)


def drop_events(events: E, p: float, rng: np.random.Generator) -> E:
    """Drop each event independently with probability `p`."""
    q = check_probability("drop probability", p)
    ev = struct_of(events, (), "drop_events")
    return like(ev[rng.random(len(ev)) >= q], events)


def drop_indices(events: E, indices: Any) -> E:
    """Drop the events at positions `indices` (the rest keep their order)."""
    ev = struct_of(events, (), "drop_indices")
    keep = np.ones(len(ev), dtype=bool)
    keep[np.asarray(indices, dtype=np.intp)] = False
    return like(ev[keep], events)


def drop_fraction(events: E, fraction: float, rng: np.random.Generator) -> E:
    """Drop exactly ``round(fraction * N)`` events chosen uniformly at random (Tonic's ``DropEvent``)."""
    q = check_probability("drop probability", fraction)
    ev = struct_of(events, (), "drop_fraction")
    n = len(ev)
    return drop_indices(events, rng.choice(n, int(q * n + 0.5), replace=False) if n else [])


def merge_polarities(events: E) -> E:
    """Every polarity set to 0 (one channel)."""
    ev = struct_of(events, ("p",), "merge_polarities")
    out = ev.copy()
    out["p"] = 0
    return like(out, events)


def flip_polarity(events: E) -> E:
    """Swap ON and OFF: bool and {0, 1} polarities invert, {-1, +1} negate."""
    ev = struct_of(events, ("p",), "flip_polarity")
    out = ev.copy()
    out["p"] = flipped_polarity(ev["p"], "flip_polarity")
    return like(out, events)


def flip_polarity_where(events: E, which: np.ndarray) -> E:
    """Swap ON and OFF of the events where `which` (a bool mask, one entry per event) is True."""
    ev = struct_of(events, ("p",), "flip_polarity_where")
    which = np.asarray(which, dtype=bool)
    if which.shape != (len(ev),):
        raise ValueError(f"flip_polarity_where: which needs one entry per event ({len(ev)}), got {which.shape}")
    out = ev.copy()
    out["p"] = np.where(which, flipped_polarity(ev["p"], "flip_polarity_where"), ev["p"])
    return like(out, events)


def add_events(events: E, extra: Any) -> E:
    """`events` with the events `extra` merged in by time (a stable merge: at equal t, `events` come first).

    `extra` has the fields of `events` (a structured array or a dict of arrays; missing fields are 0);
    `events` must be sorted by t.
    """
    ev = struct_of(events, ("t",), "add_events")
    check_sorted(ev["t"], "add_events")
    more = struct_of(extra, ("t",), "add_events extra")
    new = np.zeros(len(more), dtype=ev.dtype)
    for name in ev.dtype.names:
        if name in more.dtype.names:
            store(new, name, more[name], "add_events")
    new = new[np.argsort(new["t"], kind="stable")]
    # a merge by positions: new event k lands after the `at[k]` events not later than it, and after k - 1
    # other new events (np.insert would sort the positions again and is 4x slower on structured arrays)
    at = np.searchsorted(ev["t"], new["t"], side="right")
    out = np.empty(len(ev) + len(new), dtype=ev.dtype)
    slot = at + np.arange(len(new))
    old = np.ones(len(out), dtype=bool)
    old[slot] = False
    out[slot] = new
    out[old] = ev
    return like(out, events)


def uniform_noise(events: E, sensor: Any, n: int, rng: np.random.Generator) -> E:
    """Add `n` events uniform over the sensor's pixels and polarities and over ``[t_min, t_max]``.

    Nothing is added to an empty stream (it has no time range). ``sensor`` is ``(W, H, P)``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"uniform_noise: n must be a non-negative integer, got {n!r}")
    width, height = sensor_wh(sensor, "uniform_noise")
    polarities = int(sensor[2]) if len(sensor) > 2 else 2
    ev = struct_of(events, ("t",), "uniform_noise")
    if len(ev) == 0 or n == 0:
        return like(ev.copy(), events)
    t0, t1 = ev["t"].min(), ev["t"].max()
    if ev.dtype["t"].kind in "iu":
        t = rng.integers(int(t0), int(t1), n, endpoint=True)
    else:
        t = rng.uniform(float(t0), float(t1), n)
    noise = {"t": t}
    for name, size in (("x", width), ("y", height), ("p", polarities)):
        if name in ev.dtype.names:
            noise[name] = rng.integers(0, size, n)
    return add_events(events, noise)
