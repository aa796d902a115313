"""Tonic's slicing windows, as `ToFrame` and the slicers of this layer compute them.

Tonic 1.7's own windows (`neurodata.split.slice_windows` with ``compat="tonic"``), with two changes where
Tonic's code loses events that its documentation includes:

* ``time_window`` with ``include_incomplete=True`` ("includes overhang slice"): when the last window ends
  exactly at the end of the recording, Tonic's half-open window drops the events at that instant; here
  the last window holds them.
* ``n_time_bins`` ("bins of time length time_duration / bin_count * (1 + overlap)"): Tonic floors the
  bin length to whole time units and its last half-open bin drops the last event (and, with the floor,
  up to ``bin_count - 1`` units more); here the length is the exact quotient and the last bin holds the
  events at its end. With overlap, what Tonic's definition leaves after the last bin stays out.

The window counts, and so the frame shapes, are Tonic's in every case.
"""

from __future__ import annotations

import numpy as np

from neurodata import split


def tonic_windows(
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
) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, stops)`` index arrays into `t` (sorted) for one of Tonic's four window rules."""
    n = len(t)
    if n_time_bins is not None and n:
        m = split._check_positive_int("n_time_bins", n_time_bins)
        if not 0.0 <= overlap < 1.0:
            raise ValueError(f"overlap for n_time_bins is a fraction in [0, 1), got {overlap!r}")
        t0, t1 = t[0], t[-1]
        width = (float(t1) - float(t0)) / m * (1 + overlap)
        lo = np.arange(m) * (width * (1 - overlap)) + t0
        hi = lo + width
        starts = np.searchsorted(t, lo).astype(np.int64)
        stops = np.searchsorted(t, hi).astype(np.int64)
        if hi[-1] >= t1 - abs(float(t1) - float(t0)) * 1e-12:  # the last bin reaches the end (up to rounding)
            stops[-1] = n
        return starts, stops
    if event_count is not None and float(event_count) == int(event_count):
        event_count = int(event_count)  # Tonic accepts event_count=1e3
    starts, stops = split.slice_windows(
        t,
        time_window=time_window,
        event_count=event_count,
        n_time_bins=n_time_bins,
        n_event_bins=n_event_bins,
        overlap=overlap,
        include_incomplete=include_incomplete,
        start_time=start_time,
        end_time=end_time,
        compat="tonic",
    )
    if time_window is not None and include_incomplete and n and len(starts):
        end = t[-1] if end_time is None else end_time
        last_end = (
            (t[0] if start_time is None else start_time) + (len(starts) - 1) * (time_window - overlap) + time_window
        )
        if last_end <= end:  # the recording ends exactly at the last window's end
            stops[-1] = np.searchsorted(t, end, side="right")
    return starts, stops
