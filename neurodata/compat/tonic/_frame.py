"""Tonic's ``to_frame_numpy``: events to `[T, P, H, W]` (audio: `[T, P, W]`) int16 counts, on our kernel.

Windows are `_windows.tonic_windows` (Tonic's, less two of its silent drops); counting is
`neurodata.integrate.keys.count_key_windows`, the frame integrators' kernel, for any number of channels.

Where this differs from Tonic 1.7:

* An empty stream gives frames `[T, P, H, W]` like any other (Tonic's empty branch returns `[T, P, W, H]`
  float64), and raises without a slicing method or a sensor size to infer.
* A count above 32767 in one pixel and window (int16) comes back as int32 with a logged warning; Tonic's
  int16 frames wrap around to negative counts.
* Events outside the sensor (or negative coordinates, which Tonic's indexing wraps to the far edge) raise
  `ValueError` naming the field; Tonic raises IndexError or counts them at the wrong pixel.
* With a 1-channel sensor the events' polarities are left as they are (Tonic sets the caller's
  ``events["p"]`` to 0 in place).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from neurodata.augment._fields import check_sorted, struct_of
from neurodata.compat.tonic._windows import tonic_windows
from neurodata.integrate import integrate_windows
from neurodata.integrate.keys import count_key_windows

log = logging.getLogger(__name__)

_METHODS = ("time_window", "event_count", "n_time_bins", "n_event_bins")


def _method(time_window: Any, event_count: Any, n_time_bins: Any, n_event_bins: Any) -> None:
    if sum(v is not None for v in (time_window, event_count, n_time_bins, n_event_bins)) != 1:
        raise ValueError(
            "Please assign a value to exactly one of the parameters time_window, event_count, n_time_bins or "
            f"n_event_bins (got time_window={time_window!r}, event_count={event_count!r}, "
            f"n_time_bins={n_time_bins!r}, n_event_bins={n_event_bins!r})."
        )


def infer_sensor_size(ev: np.ndarray) -> tuple[int, int, int]:
    """Tonic's inferred ``(W, H, P)``: max x + 1, max y + 1 (1 without y), the number of distinct polarities."""
    if not len(ev):
        raise ValueError("ToFrame: cannot infer sensor_size from an empty stream; pass sensor_size=(W, H, P)")
    h = int(ev["y"].max()) + 1 if "y" in ev.dtype.names else 1
    return int(ev["x"].max()) + 1, h, len(np.unique(ev["p"]))


def _empty_count(time_window: Any, event_count: Any, n_time_bins: Any, n_event_bins: Any) -> int:
    if n_time_bins is not None:
        return int(n_time_bins)
    if n_event_bins is not None:
        return int(n_event_bins)
    return 1


def to_frame_numpy(
    events: Any,
    sensor_size: Any,
    time_window: float | None = None,
    event_count: int | None = None,
    n_time_bins: int | None = None,
    n_event_bins: int | None = None,
    overlap: float = 0.0,
    include_incomplete: bool = False,
    start_time: float | None = None,
    end_time: float | None = None,
) -> np.ndarray:
    """Frames `[T, P, H, W]` int16 (audio events without y: `[T, P, W]`); `sensor_size` is ``(W, H, P)`` or None."""
    return count_frames(
        events,
        sensor_size,
        "ToFrame",
        time_window=time_window,
        event_count=event_count,
        n_time_bins=n_time_bins,
        n_event_bins=n_event_bins,
        overlap=overlap,
        include_incomplete=include_incomplete,
        start_time=start_time,
        end_time=end_time,
    )


def count_frames(
    events: Any,
    sensor_size: Any,
    who: str,
    *,
    time_window: float | None = None,
    event_count: int | None = None,
    n_time_bins: int | None = None,
    n_event_bins: int | None = None,
    overlap: float = 0.0,
    include_incomplete: bool = False,
    start_time: float | None = None,
    end_time: float | None = None,
) -> np.ndarray:
    """`to_frame_numpy` for every name that counts Tonic frames (ToFrame, ToSparseTensor, ToImage): one window
    rule (`tonic_windows`) and one kernel; errors name ``who``."""
    _method(time_window, event_count, n_time_bins, n_event_bins)
    ev = struct_of(events, ("x", "t", "p"), who)
    audio = "y" not in ev.dtype.names
    if not sensor_size:
        sensor_size = infer_sensor_size(ev)
    if len(sensor_size) != 3:
        raise ValueError(f"{who}: sensor_size must be (W, H, P), got {sensor_size!r}")
    w, h, n_pol = (int(v) for v in sensor_size)
    if min(w, h, n_pol) < 1:
        raise ValueError(f"{who}: sensor_size must be positive, got {sensor_size!r}")
    shape = (n_pol, w) if audio else (n_pol, h, w)
    if not len(ev):
        return np.zeros((_empty_count(time_window, event_count, n_time_bins, n_event_bins), *shape), dtype=np.int16)
    t = np.ascontiguousarray(ev["t"])  # read three times below: once contiguous beats three strided reads
    check_sorted(t, who)
    p = ev["p"]
    if n_pol == 1:
        if p.min() != p.max():
            raise ValueError("Single polarity sensor, but events contain both polarities.")
        p = np.zeros(len(p), dtype=np.int8)
    for name, size in (("p", n_pol), ("y", None if audio else h), ("x", w)):
        if size is None:
            continue
        v = p if name == "p" else ev[name]
        lo, hi = v.min(), v.max()
        if lo < 0 or hi >= size:
            i = int(np.argmax((v < 0) | (v >= size)))
            raise ValueError(
                f"{who}: event {i} has {name}={v[i].item()!r}, outside 0..{size - 1} of sensor_size "
                f"{tuple(sensor_size)}"
            )
    starts, stops = tonic_windows(
        t,
        time_window=time_window,
        event_count=event_count,
        n_time_bins=n_time_bins,
        n_event_bins=n_event_bins,
        overlap=overlap,
        include_incomplete=include_incomplete,
        start_time=start_time,
        end_time=end_time,
    )
    if n_pol == 2 and not audio:  # the frame integrators' own layout: channel p, then y, then x
        fields = {"t": None, "x": ev["x"], "y": ev["y"], "p": p}

        def count(dtype: Any) -> np.ndarray:
            return integrate_windows(fields, starts, stops, h, w, dtype=dtype, validate=False)
    else:
        keys = p.astype(np.int64)
        if not audio:
            keys = keys * h + ev["y"]
        keys = keys * w + ev["x"]

        def count(dtype: Any) -> np.ndarray:
            return count_key_windows(keys, int(np.prod(shape)), starts, stops, dtype=dtype)

    try:
        counts = count(np.int16)
    except ValueError:  # a count beyond int16: Tonic would wrap it around to a negative number
        counts = count(np.int32)
        log.warning("%s: a pixel counts %d events in one frame, beyond int16: frames are int32", who, counts.max())
    return counts.reshape(len(starts), *shape)
