"""The event vocabulary every pipeline stage speaks.

An event stream is a one-dimensional numpy structured array of dtype `EVENT_DTYPE`:

========  ========  ==============================================================
field     dtype     meaning
========  ========  ==============================================================
``t``     int64     timestamp in microseconds, sorted ascending (ties allowed)
``x``     uint16    column, ``0 <= x < width``
``y``     uint16    row, ``0 <= y < height``
``p``     int8      polarity, 0 (OFF) or 1 (ON)
========  ========  ==============================================================

Polarity conventions differ between cameras and libraries: some write {0, 1}, some {-1, 1}, Tonic uses
bool. `make_events` accepts all three and maps them explicitly (-1 -> 0, False -> 0); a stream that mixes
-1 with 0 is refused, since it is impossible to tell which value means OFF.

A 1-D sensor (the 700-channel cochlea model of SHD and SSC) is ``SensorSize(channels, 1, 1)``: its
events carry the channel in ``x``, ``y = 0`` and ``p = 1`` (Tonic's convention for spikes without a
polarity), so every stage that speaks this vocabulary handles it unchanged. Frames integrate to
`[T, 2, 1, W]` like any sensor's; datasets of a 1-D sensor hand out `[T, 1, W]` (`SensorSize.is_1d`,
`one_d_frames`): the ON channel, whose counts are the spikes per channel and window.

SpikingJelly passes events as a dict ``{'t', 'x', 'y', 'p'}`` of arrays; `events_from_dict` and `to_dict`
convert both ways, and the integrators accept either form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from neurodata.errors import EventsError

EVENT_DTYPE = np.dtype([("t", np.int64), ("x", np.uint16), ("y", np.uint16), ("p", np.int8)])
FIELDS = ("t", "x", "y", "p")


class SensorSize(NamedTuple):
    """Sensor geometry: width and height in pixels, number of polarity channels."""

    width: int
    height: int
    polarities: int = 2

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """`(P, H, W)`: the only place where (width, height) turns into the frames' axis order."""
        return (self.polarities, self.height, self.width)

    @property
    def is_1d(self) -> bool:
        """True for a 1-D sensor (one row, no polarity: SHD/SSC's cochlea), whose frames are `[T, 1, W]`."""
        return self.height == 1 and self.polarities == 1


def one_d_frames(frames: Any, *, polarity_channels: bool = True) -> Any:
    """`[T, C, 1, W]` frames of a 1-D sensor as `[T, 1, W]` or, with ``polarity_channels=False``, `[T, C, W]`.

    A view, for numpy arrays and torch tensors alike. Frames with polarity channels (counts: C = 2) keep
    channel 1 only: a 1-D sensor's events are all ON (``p = 1``), so it holds every spike. Other
    representations (voxel bins, time surfaces) keep all their channels and lose the height axis.
    """
    if frames.ndim != 4 or frames.shape[2] != 1 or (polarity_channels and frames.shape[1] != 2):
        want = "[T, 2, 1, W]" if polarity_channels else "[T, C, 1, W]"
        raise ValueError(f"frames of a 1-D sensor are {want}; got shape {tuple(frames.shape)}")
    return frames[:, 1:2, 0] if polarity_channels else frames[:, :, 0]


def _polarity_to_01(p: np.ndarray, where: str) -> np.ndarray:
    if p.dtype == np.bool_:
        return p.astype(np.int8)
    if p.size == 0:
        return p.astype(np.int8)
    lo, hi = p.min(), p.max()
    if lo >= 0 and hi <= 1:
        return p.astype(np.int8)
    if lo >= -1 and hi <= 1 and not np.any(p == 0):
        return (p > 0).astype(np.int8)  # -1/+1 convention: -1 is OFF
    bad = np.flatnonzero((p != 0) & (p != 1) & (p != -1))
    if bad.size:
        i = int(bad[0])
        raise EventsError(f"{where}: field 'p' at index {i} is {p[i].item()!r}; polarity must be 0/1 or -1/+1")
    i = int(np.flatnonzero(p == 0)[0]) if lo == -1 else int(np.flatnonzero(p == -1)[0])
    raise EventsError(
        f"{where}: field 'p' mixes -1 and 0 (first conflicting value at index {i}); use either {{0, 1}} or {{-1, +1}}"
    )


def _to_uint16(name: str, a: np.ndarray, where: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == np.uint16:
        return a
    if a.dtype.kind not in "iub":
        if a.dtype.kind == "f" and a.size and not np.array_equal(a, np.floor(a)):
            i = int(np.flatnonzero(a != np.floor(a))[0])
            raise EventsError(f"{where}: field {name!r} at index {i} is {a[i].item()!r}, not an integer")
        if a.dtype.kind != "f":
            raise EventsError(f"{where}: field {name!r} has dtype {a.dtype}, expected integers")
    if a.size:
        bad = np.flatnonzero((a < 0) | (a > np.iinfo(np.uint16).max))
        if bad.size:
            i = int(bad[0])
            raise EventsError(f"{where}: field {name!r} at index {i} is {a[i].item()!r}, outside 0..65535")
    return a.astype(np.uint16)


def make_events(
    t: Any,
    x: Any,
    y: Any,
    p: Any,
    sensor: SensorSize | None = None,
    *,
    check: bool = True,
    where: str = "events",
) -> np.ndarray:
    """Build an `EVENT_DTYPE` array from four equal-length sequences.

    Args:
        t: timestamps in microseconds (integers).
        x, y: pixel coordinates.
        p: polarity as {0, 1}, {-1, +1} or bool (mapped to 0/1).
        sensor: when given, coordinates are checked against its width and height.
        check: run `check_events` (sorted t, coordinates in range).
        where: how errors name the source (a file name, say).

    Returns:
        `[N]` structured array of `EVENT_DTYPE`.
    """
    arrays = {name: np.asarray(v).reshape(-1) for name, v in zip(FIELDS, (t, x, y, p), strict=True)}
    n = arrays["t"].size
    for name, a in arrays.items():
        if a.size != n:
            raise EventsError(f"{where}: field {name!r} has {a.size} values but 't' has {n}")
    tt = arrays["t"]
    if tt.dtype.kind == "f":
        if n and not np.array_equal(tt, np.floor(tt)):
            i = int(np.flatnonzero(tt != np.floor(tt))[0])
            raise EventsError(f"{where}: field 't' at index {i} is {tt[i].item()!r}, not whole microseconds")
    elif tt.dtype.kind not in "iu":
        raise EventsError(f"{where}: field 't' has dtype {tt.dtype}, expected integer microseconds")
    if tt.dtype == np.uint64 and n and tt.max() > np.iinfo(np.int64).max:
        i = int(np.argmax(tt))
        raise EventsError(f"{where}: field 't' at index {i} is {tt[i]}, beyond int64")
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"] = tt
    ev["x"] = _to_uint16("x", arrays["x"], where)
    ev["y"] = _to_uint16("y", arrays["y"], where)
    ev["p"] = _polarity_to_01(arrays["p"], where)
    if check:
        check_events(ev, sensor, where=where)
    return ev


def _columns(get: Any, names: Any, where: str) -> list[Any]:
    """t, x, y, p from a mapping or structured array; a 1-D sensor's events (no ``y``: SpikingJelly's SHD
    ``{'t', 'x'}``, Tonic's ``(t, x, p)``) get ``y = 0`` and, without ``p``, ``p = 1``."""
    names = set(names)
    if "y" not in names and {"t", "x"} <= names:
        n = len(np.asarray(get("t")).reshape(-1))
        p = get("p") if "p" in names else np.ones(n, np.int8)
        return [get("t"), get("x"), np.zeros(n, np.uint16), p]
    missing = [k for k in FIELDS if k not in names]
    if missing:
        raise EventsError(f"{where}: missing field(s) {missing}; got {sorted(names)}")
    return [get(k) for k in FIELDS]


def events_from_dict(events: Mapping[str, Any], sensor: SensorSize | None = None, **kw: Any) -> np.ndarray:
    """Convert a SpikingJelly-style dict ``{'t', 'x', 'y', 'p'}`` of arrays into `EVENT_DTYPE` events (a 1-D
    sensor's ``{'t', 'x'[, 'p']}`` too: y = 0, p = 1 when absent)."""
    return make_events(*_columns(events.__getitem__, events, kw.get("where", "events")), sensor, **kw)


def events_from_structured(arr: np.ndarray, sensor: SensorSize | None = None, **kw: Any) -> np.ndarray:
    """Convert any structured array with fields t, x, y, p (Tonic's layout, any dtypes) into our events; a 1-D
    sensor's ``(t, x[, p])`` (Tonic's SHD) gets y = 0 and, without p, p = 1."""
    if arr.dtype == EVENT_DTYPE:
        if kw.get("check", True):
            check_events(arr, sensor, where=kw.get("where", "events"))
        return arr
    return make_events(*_columns(arr.__getitem__, arr.dtype.names or (), kw.get("where", "events")), sensor, **kw)


def to_dict(events: np.ndarray) -> dict[str, np.ndarray]:
    """SpikingJelly-style dict of contiguous arrays (t int64, x/y uint16, p int8)."""
    return {name: np.ascontiguousarray(events[name]) for name in FIELDS}


def check_events(events: np.ndarray, sensor: SensorSize | None = None, *, where: str = "events") -> None:
    """Raise `EventsError` naming the field and first offending index if `events` breaks the contract."""
    if events.dtype != EVENT_DTYPE:
        raise EventsError(f"{where}: dtype {events.dtype} is not EVENT_DTYPE {EVENT_DTYPE}")
    if events.ndim != 1:
        raise EventsError(f"{where}: events must be one-dimensional, got shape {events.shape}")
    if events.size == 0:
        return
    t = events["t"]
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size:
        i = int(back[0]) + 1
        raise EventsError(f"{where}: field 't' is not sorted: index {i} has t={t[i]} after t={t[i - 1]}")
    p = events["p"]
    bad = np.flatnonzero((p != 0) & (p != 1))
    if bad.size:
        i = int(bad[0])
        raise EventsError(f"{where}: field 'p' at index {i} is {p[i]}, expected 0 or 1")
    if sensor is not None:
        for name, size in (("x", sensor.width), ("y", sensor.height)):
            v = events[name]
            if v.max() >= size:
                i = int(np.flatnonzero(v >= size)[0])
                raise EventsError(
                    f"{where}: field {name!r} at index {i} is {v[i]}, outside 0..{size - 1} "
                    f"for sensor {sensor.width}x{sensor.height}"
                )


def slice_by_time(events: np.ndarray, t_start: int, t_stop: int) -> np.ndarray:
    """Events with ``t_start <= t < t_stop`` (a view, found by binary search on the sorted t)."""
    t = events["t"]
    a, b = np.searchsorted(t, [t_start, t_stop], side="left")
    return events[a:b]


def slice_by_index(events: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Events ``start..stop-1`` (a view); plain slicing, named for symmetry with `slice_by_time`."""
    return events[start:stop]
