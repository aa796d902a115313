"""Spatio-temporal event downsampling with integrate-and-fire pixels (Ghosh et al. 2023, Tonic's EventDownsampling).

Events are mapped onto a ``target_size`` grid (coordinates scaled toward zero) and binned into windows of
`dt`. Each target pixel integrates ``ON - OFF`` counts window by window; when the sum reaches
``+noise_threshold`` it emits an ON event (``-noise_threshold``: OFF) at the window's start
(``k * dt`` from the first event) and resets to 0. The differentiator variant runs that integrator on
windows of ``dt / differentiator_time_bins`` and emits an event where a pixel fires more often in window
``k + 1`` of `dt` than in window k.

Vectorized: only (window, pixel) pairs that hold events are visited, all pixels at once per step; the
number of steps is the largest number of busy windows of one pixel, not the number of windows.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from neurodata.augment._fields import check_number, check_sorted, like, sensor_wh, store, struct_of

E = TypeVar("E")


def _check(events: Any, sensor: Any, target_size: Any, dt: float, noise_threshold: int, where: str) -> tuple:
    width, height = sensor_wh(sensor, where)
    tw, th = sensor_wh(target_size, f"{where} target_size")
    step = check_number("dt", dt, positive=True)
    if isinstance(noise_threshold, bool) or not isinstance(noise_threshold, (int, np.integer)) or noise_threshold < 1:
        raise ValueError(
            f"{where}: noise_threshold must be an integer >= 1, got {noise_threshold!r} (at 0 every pixel would "
            "fire ON and OFF in every window)"
        )
    ev = struct_of(events, ("x", "y", "t", "p"), where)
    check_sorted(ev["t"], where)
    p = ev["p"]
    if len(p) and p.dtype != np.bool_ and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{where}: needs polarities 0/1 or bool, got values {np.unique(p)[:6].tolist()}")
    return ev, (width, height), (tw, th), step


def _fires(
    ev: np.ndarray,
    sensor: tuple[int, int],
    target: tuple[int, int],
    step: float,
    threshold: int,
    include_incomplete: bool,
    bins: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The integrator's output on windows of ``step / bins``: (window index, target pixel ``y*W' + x``, fired ON),
    in firing order."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(ev):
        return empty, empty, np.zeros(0, dtype=bool)
    t = ev["t"]
    if np.issubdtype(t.dtype, np.integer) and float(step).is_integer():
        # integer times and a whole dt: window k is [k*step/bins, (k+1)*step/bins) exactly, where float edges
        # k * (step / bins) land a hair off whole microseconds and move boundary events to the wrong side
        rel, q = (t - t[0]).astype(np.int64) * bins, int(step)
        span = int(rel[-1])
        n = span // q + 1 if include_incomplete else max((span - q) // q + 1, 1)
        frame = rel // q
    else:
        dt = step / bins
        t0, span_f = t[0], float(t[-1] - t[0])
        n = int(np.floor(span_f / dt)) + 1 if include_incomplete else max(int(np.floor((span_f - dt) / dt)) + 1, 1)
        edges = np.arange(n + 1) * dt + t0  # the window starts as Tonic's slicer computes them
        frame = np.searchsorted(edges, t, side="right") - 1
    inside = frame < n
    fx, fy = target[0] / sensor[0], target[1] / sensor[1]
    x = np.trunc(ev["x"][inside] * fx).astype(np.int64)
    y = np.trunc(ev["y"][inside] * fy).astype(np.int64)
    if len(x) and (x.min() < 0 or y.min() < 0 or x.max() >= target[0] or y.max() >= target[1]):
        raise ValueError(f"event downsampling: events fall outside the sensor {sensor}; the sensor_size is too small")
    sign = np.where(ev["p"][inside].astype(bool), 1, -1)
    key = (y * target[0] + x) * n + frame[inside]  # pixel-major, then window
    bins = n * target[0] * target[1]
    if bins <= max(4 * len(key), 1 << 22):  # a dense histogram is cheaper than sorting the keys
        dense = np.bincount(key, weights=sign, minlength=bins)
        uniq = np.flatnonzero(dense)  # a window without net input cannot make a pixel fire (it was reset)
        d = dense[uniq].astype(np.int64)
    else:
        uniq, inv = np.unique(key, return_inverse=True)
        d = np.bincount(inv, weights=sign, minlength=len(uniq)).astype(np.int64)
        busy = d != 0
        uniq, d = uniq[busy], d[busy]
    pixel = uniq // n
    if threshold == 1:  # every net input fires at once and resets: no state carries over
        return uniq % n, pixel, d > 0
    starts = np.flatnonzero(np.r_[True, pixel[1:] != pixel[:-1]]) if len(pixel) else empty
    lengths = np.diff(np.r_[starts, len(pixel)])
    by_length = np.argsort(-lengths, kind="stable")
    starts, lengths = starts[by_length], lengths[by_length]
    # groups longest first: at step j the pixels with more than j busy windows are a prefix
    active = np.searchsorted(-lengths, -np.arange(int(lengths.max()) if len(lengths) else 0), side="left")
    potential = np.zeros(len(starts), dtype=np.int64)
    fired_at, fired_on = [], []
    for j, m in enumerate(active.tolist()):
        idx = starts[:m] + j
        s = potential[:m]
        s += d[idx]
        on = s >= threshold
        fire = on | (-s >= threshold)
        if fire.any():
            fired_at.append(idx[fire])
            fired_on.append(on[fire])
            s[fire] = 0
    if not fired_at:
        return empty, empty, np.zeros(0, dtype=bool)
    at, on = np.concatenate(fired_at), np.concatenate(fired_on)
    return uniq[at] % n, pixel[at], on


def integrator_downsample(
    events: E,
    sensor: Any,
    target_size: tuple[int, int],
    dt: float,
    noise_threshold: int = 1,
    *,
    include_incomplete: bool = True,
) -> E:
    """Integrate-and-fire downsampling to `target_size` ``(W', H')`` with windows of `dt` (the events' time unit).

    Returns events of the input's layout: per window (time order), its ON events then its OFF events,
    each by y then x, at ``t = k * dt``. ``include_incomplete=False`` drops the events after the last
    complete window (Tonic's ``ToFrame(time_window=dt)``). t must be sorted.
    """
    ev, s, target, step = _check(events, sensor, target_size, dt, noise_threshold, "integrator_downsample")
    frame, pixel, on = _fires(ev, s, target, step, int(noise_threshold), include_incomplete)
    x, y = pixel % target[0], pixel // target[0]
    order = np.lexsort((x, y, ~on, frame))
    return like(_events_like(ev, x[order], y[order], on[order], frame[order] * step), events)


def differentiator_downsample(
    events: E,
    sensor: Any,
    target_size: tuple[int, int],
    dt: float,
    noise_threshold: int = 1,
    differentiator_time_bins: int = 2,
    *,
    include_incomplete: bool = True,
) -> E:
    """Differentiator downsampling: an event at ``k * dt`` where a pixel's integrator fires (ON or OFF) more
    often in window ``k + 1`` of `dt` than in window k, the integrator running on ``dt / differentiator_time_bins``.

    Events come sorted by time, then y, x and polarity.
    """
    bins = differentiator_time_bins
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"differentiator_time_bins must be a positive integer, got {bins!r}")
    ev, s, target, step = _check(events, sensor, target_size, dt, noise_threshold, "differentiator_downsample")
    frame, pixel, on = _fires(ev, s, target, step, int(noise_threshold), include_incomplete, int(bins))
    if not len(frame):
        return like(_events_like(ev, *(np.zeros(0, dtype=np.int64),) * 2, np.zeros(0, bool), np.zeros(0)), events)
    window = (frame // int(bins)).astype(np.int64)
    n = int(window.max()) + 1
    key = (pixel * 2 + on) * n + window
    uniq, count = np.unique(key, return_counts=True)
    prev = np.searchsorted(uniq, uniq - 1)
    prev_count = np.where(
        (uniq % n > 0) & (uniq[np.minimum(prev, len(uniq) - 1)] == uniq - 1), count[np.minimum(prev, len(uniq) - 1)], 0
    )
    rise = (uniq % n > 0) & (count > prev_count)
    k = uniq[rise] % n - 1
    channel = uniq[rise] // n
    pol, pix = (channel % 2).astype(bool), channel // 2
    x, y = pix % target[0], pix // target[0]
    order = np.lexsort((pol, x, y, k))
    return like(_events_like(ev, x[order], y[order], pol[order], k[order] * step), events)


def _events_like(ev: np.ndarray, x: np.ndarray, y: np.ndarray, on: np.ndarray, t: np.ndarray) -> np.ndarray:
    out = np.zeros(len(x), dtype=ev.dtype)
    store(out, "x", x, "event downsampling")
    store(out, "y", y, "event downsampling")
    out["p"] = on
    store(out, "t", np.asarray(t), "event downsampling")
    return out
