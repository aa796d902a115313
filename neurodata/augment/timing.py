"""When events are: time crops, skews, alignment, reversal, jitter, and dropping a time window.

Pure functions over events in any layout `_fields` accepts, returning the same kind and never modifying
their input; random variants take an explicit `numpy.random.Generator`. Times are in the events' own unit
(µs for `EVENT_DTYPE`).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from neurodata.augment._fields import check_number, check_sorted, flipped_polarity, like, store, struct_of

E = TypeVar("E")


def _is_sorted(t: np.ndarray) -> bool:
    return len(t) < 2 or not bool((t[1:] < t[:-1]).any())


def crop_time(events: E, t_min: float | None = None, t_max: float | None = None) -> E:
    """Keep events with ``t_min <= t <= t_max`` (both ends included; None: no bound on that side)."""
    ev = struct_of(events, ("t",), "crop_time")
    t = ev["t"]
    if t_min is not None and t_max is not None and t_max < t_min:
        raise ValueError(f"crop_time: max ({t_max!r}) is below min ({t_min!r})")
    if _is_sorted(t):  # two binary searches and a copy instead of a mask over every event
        a = 0 if t_min is None else int(np.searchsorted(t, t_min, side="left"))
        b = len(t) if t_max is None else int(np.searchsorted(t, t_max, side="right"))
        return like(ev[a : max(a, b)].copy(), events)
    keep = np.ones(len(t), dtype=bool)
    if t_min is not None:
        keep &= t >= t_min
    if t_max is not None:
        keep &= t <= t_max
    return like(ev[keep], events)


def time_skew(events: E, coefficient: float, offset: float = 0.0) -> E:
    """``t -> t * coefficient + offset`` (integer timestamps keep the result toward zero)."""
    c = check_number("coefficient", coefficient)
    o = check_number("offset", offset)
    ev = struct_of(events, ("t",), "time_skew")
    out = ev.copy()
    if c != 1.0 or o != 0.0:
        store(out, "t", ev["t"] * c + o, "time_skew")
    return like(out, events)


def time_alignment(events: E) -> E:
    """Shift timestamps so the earliest event is at 0."""
    ev = struct_of(events, ("t",), "time_alignment")
    out = ev.copy()
    if len(ev):
        out["t"] = ev["t"] - ev["t"].min()
    return like(out, events)


def time_reversal(events: E, *, flip_polarities: bool = True) -> E:
    """Play the recording backwards: ``t -> max(t) - t``, the order reversed, and (by default) ON <-> OFF.

    A sorted stream stays sorted. Polarities flip by their value set: bool and {0, 1} invert, {-1, +1} negate.
    """
    ev = struct_of(events, ("t",) + (("p",) if flip_polarities else ()), "time_reversal")
    out = ev[::-1].copy()
    if len(ev):
        out["t"] = ev["t"].max() - out["t"]
        if flip_polarities:
            out["p"] = flipped_polarity(out["p"], "time_reversal")
    return like(out, events)


def time_reversal_frames(frames: Any) -> Any:
    """Frames `[T, P, ...]` played backwards: the time axis and the polarity axis reversed (a new array)."""
    if frames.ndim < 3:
        raise ValueError(f"time_reversal_frames: frames must be [T, P, H, W] or [T, P, X], got {tuple(frames.shape)}")
    if hasattr(frames, "flip"):
        return frames.flip((0, 1))
    return np.ascontiguousarray(frames[::-1, ::-1])


def shift_times(events: E, shifts: np.ndarray, *, clip_negative: bool = False, sort: bool = False) -> E:
    """Add ``shifts[i]`` to event i's timestamp (stored toward zero); optionally drop t < 0 and re-sort.

    The sort is stable: events that end up at the same time keep their order.
    """
    ev = struct_of(events, ("t",), "shift_times")
    shifts = np.asarray(shifts)
    if shifts.shape != (len(ev),):
        raise ValueError(f"shift_times: shifts need one value per event ({len(ev)}), got shape {shifts.shape}")
    t = ev["t"] + shifts
    if ev.dtype["t"].kind in "iu" and t.dtype.kind == "f":
        np.trunc(t, out=t)
    if clip_negative:
        keep = t >= 0
        out, t = ev[keep], t[keep]
    else:
        out = ev.copy()
    store(out, "t", t, "shift_times")
    if sort:
        out = out[np.argsort(out["t"], kind="stable")]
    return like(out, events)


def time_jitter(
    events: E,
    std_us: float,
    rng: np.random.Generator,
    *,
    clip_negative: bool = False,
    sort: bool = True,
) -> E:
    """Add Gaussian noise of standard deviation `std_us` to every timestamp, rounded to whole units, re-sorted.

    Rounding to the nearest unit keeps the shift unbiased (Tonic truncates toward zero). Events pushed
    below t = 0 are dropped with `clip_negative`. ``sort=False`` leaves the stream in its old order.
    """
    s = check_number("std", std_us, nonnegative=True)
    ev = struct_of(events, ("t",), "time_jitter")
    shifts = rng.normal(0.0, s, len(ev))
    if ev.dtype["t"].kind in "iu":
        np.rint(shifts, out=shifts)
    return shift_times(events, shifts, clip_negative=clip_negative, sort=sort)


def time_range(t: np.ndarray) -> tuple[float, float, bool]:
    """``(t_min, t_max, sorted)`` of timestamps (the ends, without a pass over them, when sorted); (0, 0) if empty."""
    if not len(t):
        return 0.0, 0.0, True
    if _is_sorted(t):
        return float(t[0]), float(t[-1]), True
    return float(t.min()), float(t.max()), False


def drop_time_window(events: E, start: float, stop: float, *, is_sorted: bool | None = None) -> E:
    """Drop the events with ``start <= t <= stop`` (`is_sorted`: what the caller already knows of t)."""
    ev = struct_of(events, ("t",), "drop_time_window")
    t = ev["t"]
    if is_sorted if is_sorted is not None else _is_sorted(t):
        a, b = np.searchsorted(t, start, side="left"), np.searchsorted(t, stop, side="right")
        return like(np.concatenate([ev[:a], ev[max(a, b) :]]), events)
    return like(ev[(t < start) | (t > stop)], events)


def drop_by_time(events: E, duration_ratio: float, rng: np.random.Generator) -> E:
    """Drop a window of ``ratio * (t_max - t_min)`` placed uniformly inside the recording (EventDrop)."""
    r = check_number("duration_ratio", duration_ratio, nonnegative=True)
    if r >= 1.0:
        raise ValueError(f"duration_ratio must be in [0, 1), got {duration_ratio!r}")
    ev = struct_of(events, ("t",), "drop_by_time")
    if not len(ev):
        return like(ev.copy(), events)
    t0, t1, ordered = time_range(ev["t"])
    length = (t1 - t0) * r
    start = rng.uniform(t0, t1 - length)
    return drop_time_window(events, start, start + length, is_sorted=ordered)


def require_sorted(events: Any, where: str) -> None:
    """Raise unless the events' t is sorted (a shared guard for order-dependent operations)."""
    check_sorted(struct_of(events, ("t",), where)["t"], where)
