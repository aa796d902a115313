"""Split an event stream into windows, returned as ``(starts, stops)`` index arrays into the stream.

Every function here looks only at timestamps (or the event count) and never copies events. A window with
no events comes back as ``start == stop``; windows are never dropped, so the number of frames is always
what the caller asked for. All indices are int64 arrays of equal length.

Two families:

* SpikingJelly's rules (`segments_by_number`, `segments_by_time`, `segments_by_duration`, and the
  compatible name `cal_fixed_frames_number_segment_index`). The windows partition the stream: every event
  lands in exactly one window. They reproduce SpikingJelly's indices wherever SpikingJelly does not crash.
* Tonic's four slicers through one function, `slice_windows` (time_window / event_count /
  n_time_bins / n_event_bins, with overlap and include_incomplete). By default it fixes Tonic's silent
  drops (see its docstring); ``compat="tonic"`` reproduces Tonic's windows exactly.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

Windows = tuple[np.ndarray, np.ndarray]


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def segments_by_number(n_events: int, frames_num: int) -> Windows:
    """SpikingJelly's ``split_by='number'``: ``frames_num`` windows of ``n_events // frames_num`` events.

    Window j is ``[j*q, (j+1)*q)`` with ``q = n_events // frames_num``; the last window also takes the
    ``n_events % frames_num`` remainder. With fewer events than frames, all events land in the last window.
    """
    m = _check_positive_int("frames_num", frames_num)
    q = int(n_events) // m
    starts = np.arange(m, dtype=np.int64) * q
    stops = starts + q
    stops[-1] = n_events
    return starts, stops


def segments_by_time(t: np.ndarray, frames_num: int) -> Windows:
    """SpikingJelly's ``split_by='time'``: ``frames_num`` windows of ``dt = (t[-1] - t[0]) // frames_num`` µs.

    Window j holds ``t[0] + j*dt <= t < t[0] + (j+1)*dt``; the last window extends to the last event. `t`
    must be sorted. Where SpikingJelly raises IndexError (an empty window, or ``dt == 0`` when the span is
    shorter than ``frames_num`` µs) this returns empty windows; with ``dt == 0`` every event lands in the
    last window.
    """
    m = _check_positive_int("frames_num", frames_num)
    n = len(t)
    if n == 0:
        z = np.zeros(m, dtype=np.int64)
        return z, z.copy()
    t0 = int(t[0])
    dt = (int(t[-1]) - t0) // m
    edges = np.arange(t0, t0 + dt * (m + 1), dt, dtype=np.int64) if dt else np.full(m + 1, t0, dtype=np.int64)
    idx = np.asarray(t).searchsorted(edges).astype(np.int64, copy=False)  # side="left"
    starts, stops = idx[:-1], idx[1:].copy()
    stops[-1] = n
    return starts, stops


def duration_frames_count(t: np.ndarray, duration: int) -> int:
    """Number of frames `segments_by_duration` gives: ``max(1, ceil((t[-1] - t[0]) / duration))``, 0 if empty."""
    d = _check_positive_int("duration", duration)
    if len(t) == 0:
        return 0
    return max(1, -(-(int(t[-1]) - int(t[0])) // d))


def segments_by_duration(t: np.ndarray, duration: int) -> Windows:
    """SpikingJelly's fixed-duration rule: windows of ``duration`` µs anchored at the first event.

    Window j holds ``t[0] + j*d <= t < t[0] + (j+1)*d`` for ``j < M-1`` and the last window takes the
    rest, including an event exactly at ``t[0] + M*d``; ``M = ceil((t[-1] - t[0]) / d)``. Gaps give empty
    windows. Where SpikingJelly crashes (all timestamps equal, M = 0) this returns one window with every
    event. Empty input gives zero windows.
    """
    m = duration_frames_count(t, duration)
    if m == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    t0, d = int(t[0]), int(duration)
    starts = np.asarray(t).searchsorted(np.arange(t0, t0 + d * m, d, dtype=np.int64)).astype(np.int64, copy=False)
    stops = np.empty_like(starts)
    stops[:-1] = starts[1:]
    stops[-1] = len(t)
    return starts, stops


def cal_fixed_frames_number_segment_index(events_t: np.ndarray, split_by: str, frames_num: int) -> Windows:
    """SpikingJelly-compatible ``(j_l, j_r)``: frame j integrates events ``j_l[j] <= i < j_r[j]``.

    Args:
        events_t: `[N]` sorted timestamps (µs).
        split_by: ``'number'`` (equal event counts) or ``'time'`` (equal durations).
        frames_num: number of frames M.

    Returns:
        Two `[M]` int64 arrays. Unlike SpikingJelly, empty windows are allowed (``j_l == j_r``).
    """
    if split_by == "number":
        return segments_by_number(len(events_t), frames_num)
    if split_by == "time":
        return segments_by_time(np.asarray(events_t), frames_num)
    raise ValueError(f"split_by must be 'number' or 'time', got {split_by!r}")


def _tonic_count(span: float, window: float, stride: float, include_incomplete: bool) -> int:
    q = (span - window) / stride
    n = (math.ceil(q) if include_incomplete else math.floor(q)) + 1
    return max(n, 1)


def slice_windows(
    t: np.ndarray,
    *,
    time_window: float | None = None,
    event_count: int | None = None,
    n_time_bins: int | None = None,
    n_event_bins: int | None = None,
    overlap: float = 0.0,
    include_incomplete: bool = False,
    start_time: float | None = None,
    end_time: float | None = None,
    compat: Literal["fixed", "tonic"] = "fixed",
) -> Windows:
    """Tonic-style windows over sorted timestamps `t` (µs); exactly one of the four sizes must be set.

    Window definitions (Tonic's, half-open ``[a, b)``):

    * ``time_window=w``, ``overlap`` in µs: stride ``s = w - overlap``; window k covers
      ``[start + k*s, start + k*s + w)`` with ``start = start_time or t[0]``.
    * ``event_count=c``, ``overlap`` in events: window k is events ``[k*s, k*s + c)``, ``s = c - overlap``.
    * ``n_time_bins=M`` / ``n_event_bins=M``, ``overlap`` a fraction in [0, 1) of a window.

    The counts for `time_window` and `event_count` are Tonic's: ``floor((L - w) / s) + 1`` complete
    windows, or ``ceil(...) + 1`` with `include_incomplete`, and at least one.

    Where ``compat="fixed"`` (the default) differs from Tonic:

    * `time_window`: the span is ``L = end - start + 1`` µs (the last event's microsecond is part of the
      recording), so with `include_incomplete` an event exactly at ``start + n*w`` is kept; Tonic drops it.
    * `n_time_bins`: the M windows cover ``[start, end]`` entirely (boundaries ``start + floor(k*L/M)``
      without overlap), so no event is dropped; Tonic's ``(t[-1] - t[0]) // M`` width always drops the
      last event, and with overlap the tail of the recording (17.5% at 0.5).
    * `n_event_bins`: boundaries ``floor(k*N/M)``; every event is counted. Tonic drops the ``N mod M``
      remainder (all events when N < M) and, with overlap, the tail.

    ``compat="tonic"`` gives Tonic 1.7's windows exactly, drops included.

    Returns:
        ``(starts, stops)``, int64 index arrays into `t`.
    """
    starts, stops, _ = slice_window_bounds(
        t,
        time_window=time_window,
        event_count=event_count,
        n_time_bins=n_time_bins,
        n_event_bins=n_event_bins,
        overlap=overlap,
        include_incomplete=include_incomplete,
        start_time=start_time,
        end_time=end_time,
        compat=compat,
    )
    return starts, stops


def slice_window_bounds(
    t: np.ndarray,
    *,
    time_window: float | None = None,
    event_count: int | None = None,
    n_time_bins: int | None = None,
    n_event_bins: int | None = None,
    overlap: float = 0.0,
    include_incomplete: bool = False,
    start_time: float | None = None,
    end_time: float | None = None,
    compat: Literal["fixed", "tonic"] = "fixed",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`slice_windows`'s windows and, for the time rules, each window's end time.

    Returns:
        ``(starts, stops, ends)``: int64 index arrays into `t`, and the exclusive end of each window in µs
        (float64) for `time_window` and `n_time_bins`, or None for the event-count rules.
    """
    given = {
        k: v
        for k, v in (
            ("time_window", time_window),
            ("event_count", event_count),
            ("n_time_bins", n_time_bins),
            ("n_event_bins", n_event_bins),
        )
        if v is not None
    }
    if len(given) != 1:
        raise ValueError(
            f"exactly one of time_window, event_count, n_time_bins, n_event_bins must be set; got {given or 'none'}"
        )
    if compat not in ("fixed", "tonic"):
        raise ValueError(f"compat must be 'fixed' or 'tonic', got {compat!r}")
    t = np.asarray(t)
    n = len(t)
    tonic = compat == "tonic"

    if n_time_bins is not None or n_event_bins is not None:
        m = _check_positive_int(
            "n_time_bins" if n_time_bins is not None else "n_event_bins",
            n_time_bins if n_time_bins is not None else n_event_bins,
        )
        if not 0.0 <= overlap < 1.0:
            raise ValueError(f"overlap for n_time_bins/n_event_bins is a fraction in [0, 1), got {overlap!r}")
        k = np.arange(m, dtype=np.float64)
        if n_event_bins is not None:
            if tonic:
                count = int(n // m * (1 + overlap))
                stride = int(count * (1 - overlap))
                starts = np.arange(m, dtype=np.int64) * stride
                return starts, np.minimum(starts + count, n), None
            return (*_fraction_bins(0, n, m, overlap), None)
        if n == 0 and (start_time is None or end_time is None):
            z = np.zeros(m, dtype=np.int64)
            return z, z.copy(), None
        if tonic:
            width = (int(t[-1]) - int(t[0])) // m * (1 + overlap)
            stride = width * (1 - overlap)
            lo = k * stride + int(t[0])
            return _search(t, lo, lo + width)
        start = int(t[0]) if start_time is None else int(start_time)
        end = int(t[-1]) if end_time is None else int(end_time)
        lo_t, hi_t = _fraction_bins(start, end + 1, m, overlap)
        return _search(t, lo_t, hi_t)

    if event_count is not None:
        c = _check_positive_int("event_count", event_count)
        stride_e = c - int(overlap)
        if int(overlap) != overlap or stride_e <= 0:
            raise ValueError(f"overlap must be a whole number of events below event_count={c}, got {overlap!r}")
        m = _tonic_count(n, c, stride_e, include_incomplete)
        starts = np.arange(m, dtype=np.int64) * stride_e
        return np.minimum(starts, n), np.minimum(starts + c, n), None

    assert time_window is not None
    if time_window <= 0:
        raise ValueError(f"time_window must be positive, got {time_window!r}")
    stride_t = time_window - overlap
    if stride_t <= 0:
        raise ValueError(f"overlap ({overlap!r}) must be smaller than time_window ({time_window!r})")
    if n == 0 and (start_time is None or end_time is None):
        z = np.zeros(1, dtype=np.int64)
        return z, z.copy(), None
    start = t[0] if start_time is None else start_time
    end = t[-1] if end_time is None else end_time
    span = float(end) - float(start) + (0 if tonic else 1)
    m = _tonic_count(span, time_window, stride_t, include_incomplete)
    lo = start + np.arange(m, dtype=np.float64) * stride_t
    return _search(t, lo, lo + time_window)


def _search(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index windows of the time windows ``[lo, hi)``, and their ends ``hi`` as float64."""
    ends = np.asarray(hi, dtype=np.float64)
    if t.dtype.kind == "i" and np.asarray(lo).dtype.kind == "f":
        # integer times: t >= b exactly when t >= ceil(b); searching with floats would convert all of t
        lo, hi = np.ceil(lo).astype(t.dtype), np.ceil(hi).astype(t.dtype)
    return np.searchsorted(t, lo).astype(np.int64), np.searchsorted(t, hi).astype(np.int64), ends


def _fraction_bins(start: int, stop: int, m: int, overlap: float) -> Windows:
    """M windows covering ``[start, stop)`` with a fractional overlap; integer boundaries, exact at 0."""
    length = stop - start
    if overlap == 0.0:
        k = np.arange(m + 1, dtype=np.int64)
        edges = start + (k * length) // m
        return edges[:-1], edges[1:]
    denom = (m - 1) * (1.0 - overlap) + 1.0
    k = np.arange(m, dtype=np.float64)
    lo = start + np.floor(k * (1.0 - overlap) * length / denom).astype(np.int64)
    hi = start + np.floor((k * (1.0 - overlap) + 1.0) * length / denom).astype(np.int64)
    hi[-1] = stop
    return lo, hi
