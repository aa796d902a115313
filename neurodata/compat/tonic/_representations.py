"""Tonic 1.7's representation transforms under their names, keywords, output shapes and dtypes.

``ToVoxelGrid``, ``ToTimesurface``, ``ToAveragedTimesurface``, ``ToBinaRep``, ``ToSparseTensor``,
``ToImage``: frozen dataclasses calling `neurodata.integrate.representations` (re-exported by
``neurodata.compat.tonic.transforms``). ``sensor_size`` is Tonic's ``(W, H, P)``; events are structured
arrays with fields x, y, t, p (any integer or bool types) or dicts of arrays.

Where these differ from Tonic 1.7 (each a Tonic bug; docs/representations.md has the details):

* ``ToVoxelGrid``: bool polarities (Tonic's own ``events_struct`` and DVSGesture) give -1/+1 weights;
  Tonic's ``p[p == 0] = -1`` sets False to True, so every event weighs +1. A recording whose timestamps
  are all equal gives all weight to bin 0; Tonic divides by zero and indexes with NaN-cast integers.
* ``ToTimesurface``, ``ToAveragedTimesurface``, ``ToVoxelGrid``: the polarity channel is ``p > 0``, so
  0/1, bool and -1/+1 recordings agree (Tonic indexes ``ToTimesurface``'s memory with p, so -1 lands in
  the last channel, beside +1).
  ``ToAveragedTimesurface`` computes in float64 from exact integer times (Tonic casts timestamps to
  float32, which rounds them beyond 2**24 µs = 16.8 s) and returns float32 as Tonic does.
* Unsorted timestamps, events outside the sensor, an empty recording (ToVoxelGrid, ToTimesurface,
  ToAveragedTimesurface) and non-positive or NaN time constants raise a `ValueError` naming the argument;
  Tonic asserts, raises IndexError, or returns a wrong tensor.
* Input events are never modified (Tonic's functional voxel grid overwrites the caller's polarities).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neurodata.compat.tonic._frame import count_frames
from neurodata.integrate import representations as _r
from neurodata.spec import Windows

__all__ = ["ToAveragedTimesurface", "ToBinaRep", "ToImage", "ToSparseTensor", "ToTimesurface", "ToVoxelGrid"]


def _sensor(sensor_size: Any, name: str) -> tuple[int, int, int]:
    if sensor_size is None or len(sensor_size) != 3:
        raise ValueError(f"{name}: sensor_size must be (W, H, P), got {sensor_size!r}")
    w, h, p = (int(v) for v in sensor_size)
    if min(w, h, p) < 1:
        raise ValueError(f"{name}: sensor_size must be positive, got {sensor_size!r}")
    return w, h, p


def _fields(events: Any, n_pol: int, name: str) -> dict[str, np.ndarray]:
    """Columns t, x, y and polarity as a channel index ``p > 0`` (0/1, bool and -1/+1 polarities alike);
    one channel: every event in channel 0."""
    names = events.dtype.names if isinstance(events, np.ndarray) else tuple(events)
    missing = [k for k in ("x", "y", "t", "p") if k not in (names or ())]
    if missing:
        raise ValueError(f"{name}: events lack field(s) {missing}; got {list(names or ())}")
    p = np.asarray(events["p"])
    return {
        "t": np.asarray(events["t"]).astype(np.int64, copy=False),
        "x": np.asarray(events["x"]),
        "y": np.asarray(events["y"]),
        "p": np.zeros(len(p), dtype=np.int8) if n_pol == 1 else (p > 0).astype(np.int8),
    }


def _channels(values: np.ndarray, n_pol: int, axis: int) -> np.ndarray:
    """Our two channels ``p == 0`` / ``p != 0`` as Tonic's P channels (P = 1: channel 0 holds everything)."""
    return np.take(values, [0], axis=axis) if n_pol == 1 else values


@dataclass(frozen=True)
class ToVoxelGrid:
    """Voxel grid `[n_time_bins, 1, H, W]` float64 with Tonic's time normalisation (``n_time_bins * dt / span``)."""

    sensor_size: tuple[int, int, int]
    n_time_bins: int

    def __call__(self, events: Any) -> np.ndarray:
        w, h, _ = _sensor(self.sensor_size, "ToVoxelGrid")
        grid = _r.voxel_grid(
            _fields(events, 2, "ToVoxelGrid"), h, w, self.n_time_bins, convention="tonic", dtype=np.float64
        )
        return grid.reshape(self.n_time_bins, 1, h, w)


@dataclass(frozen=True)
class ToTimesurface:
    """Time surfaces `[M, P, H, W]` float64 at the ends of ``dt``-µs windows from the first event (Tonic's count)."""

    sensor_size: tuple[int, int, int]
    dt: float
    tau: float

    def __call__(self, events: Any) -> np.ndarray:
        w, h, n_pol = _sensor(self.sensor_size, "ToTimesurface")
        if not (isinstance(self.dt, (int, float)) and np.isfinite(self.dt) and self.dt > 0):
            raise ValueError(f"ToTimesurface: dt must be a positive number of µs, got {self.dt!r}")
        surfaces = _r.time_surface(
            _fields(events, n_pol, "ToTimesurface"),
            h,
            w,
            self.tau,
            windows=Windows(time_window=self.dt, compat="tonic"),
            dtype=np.float64,
        )
        return _channels(surfaces, n_pol, 1)


@dataclass(frozen=True)
class ToAveragedTimesurface:
    """HATS `[cells, P, surface_size, surface_size]` float32 (Sironi et al., 2018); times in µs."""

    sensor_size: tuple[int, int, int]
    surface_size: int = 5
    cell_size: int = 10
    time_window: float = 1e3
    tau: float = 100
    decay: str = "exp"

    def __call__(self, events: Any) -> np.ndarray:
        w, h, n_pol = _sensor(self.sensor_size, "ToAveragedTimesurface")
        hist = _r.averaged_time_surface(
            _fields(events, n_pol, "ToAveragedTimesurface"),
            h,
            w,
            cell_size=self.cell_size,
            surface_size=self.surface_size,
            time_window=self.time_window,
            tau=self.tau,
            decay=self.decay,
            dtype=np.float32,
        )
        s = self.surface_size
        return _channels(hist.reshape(-1, 2, s, s), n_pol, 1)


@dataclass(frozen=True)
class ToBinaRep:
    """Bina-Rep `[n_frames, P, H, W]` float32 of `[n_frames * n_bits, P, H, W]` event frames."""

    n_frames: int | None = 1
    n_bits: int | None = 8

    def __call__(self, event_frames: Any) -> Any:
        n_frames, n_bits = int(self.n_frames or 1), int(self.n_bits or 8)
        if n_frames < 1:
            raise ValueError(f"ToBinaRep: n_frames must be >= 1, got {self.n_frames!r}")
        if getattr(event_frames, "ndim", None) != 4 or event_frames.shape[0] != n_frames * n_bits:
            raise ValueError(
                "ToBinaRep: the input event_frames must have the right number of frames for "
                f"{n_frames} bina-rep frames of {n_bits}-bit representation; got shape "
                f"{tuple(getattr(event_frames, 'shape', ()))}, expected {n_frames}x{n_bits}={n_frames * n_bits} frames"
            )
        return _r.bina_rep(event_frames, n_bits)


def _frames(events: Any, sensor_size: Any, name: str, **slicing: Any) -> np.ndarray:
    """Tonic's `[T, P, H, W]` int16 frames: `count_frames`, ToFrame's own windows and kernel, with the channel
    read as ``p > 0`` (two channels) or as the polarity value (three or more)."""
    w, h, n_pol = _sensor(sensor_size, name)
    f = _fields(events, n_pol, name)
    if n_pol > 2:
        f["p"] = np.asarray(events["p"]).astype(np.int64)
    return count_frames(f, (w, h, n_pol), name, **slicing)


@dataclass(frozen=True)
class ToSparseTensor:
    """Tonic's frames as a torch sparse COO tensor `[T, P, H, W]` (int16; ``.to_dense()`` to inflate)."""

    sensor_size: tuple[int, int, int]
    time_window: float | None = None
    event_count: int | None = None
    n_time_bins: int | None = None
    n_event_bins: int | None = None
    overlap: float = 0
    include_incomplete: bool = False

    def __call__(self, events: Any) -> Any:
        frames = _frames(
            events,
            self.sensor_size,
            "ToSparseTensor",
            time_window=self.time_window,
            event_count=self.event_count,
            n_time_bins=self.n_time_bins,
            n_event_bins=self.n_event_bins,
            overlap=self.overlap,
            include_incomplete=self.include_incomplete,
        )
        return _r.to_sparse_coo(frames)


@dataclass(frozen=True)
class ToImage:
    """All events counted into one `[P, H, W]` int16 image."""

    sensor_size: tuple[int, int, int]

    def __call__(self, events: Any) -> np.ndarray:
        return _frames(events, self.sensor_size, "ToImage", event_count=max(len(events["t"]), 1))[0]
