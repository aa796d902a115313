"""``tonic.functional`` under its own names: Tonic's parameters and random draws, our functions.

Each draws its random numbers from numpy's global generator in Tonic's order (so ``np.random.seed(s)``
reproduces Tonic's result) and computes with `neurodata.functional`. Inputs are never modified (Tonic's
``spatial_jitter_numpy``, ``time_jitter_numpy``, ``time_skew_numpy`` and ``drop_pixel_raster`` write into
the array they are given). Differences from Tonic are listed in ``docs/compat.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurodata import functional as F
from neurodata.augment._fields import check_probability, struct_of
from neurodata.augment.geometry import check_covariance
from neurodata.augment.timing import time_range
from neurodata.compat.tonic._frame import to_frame_numpy
from neurodata.compat.tonic._representations import ToAveragedTimesurface, ToBinaRep, ToTimesurface, ToVoxelGrid

__all__ = [
    "crop_numpy",
    "decimate_numpy",
    "denoise_numpy",
    "differentiator_downsample",
    "drop_by_area_numpy",
    "drop_by_time_numpy",
    "drop_event_numpy",
    "drop_pixel_numpy",
    "drop_pixel_raster",
    "identify_hot_pixel",
    "identify_hot_pixel_raster",
    "integrator_downsample",
    "refractory_period_numpy",
    "spatial_jitter_numpy",
    "time_jitter_numpy",
    "time_skew_numpy",
    "to_averaged_timesurface_numpy",
    "to_bina_rep_numpy",
    "to_frame_numpy",
    "to_timesurface_numpy",
    "to_voxel_grid_numpy",
    "uniform_noise_numpy",
]


def _ratio(name: str, v: Any) -> float | tuple[float, float]:
    ok = isinstance(v, (float, int)) and not isinstance(v, bool) and 0.0 <= v < 1.0
    ok_range = isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, (int, float)) and 0 <= x < 1 for x in v)
    if not (ok or ok_range):
        raise ValueError(f"{name} must be a number in [0, 1) or a (min, max) tuple of them, got {v!r}")
    return v


def crop_numpy(events: np.ndarray, sensor_size: Any, target_size: Any) -> np.ndarray:
    """`crop` to `target_size` ``(w, h)`` at Tonic's random origin ``int(rand() * (W - w))`` (then y)."""
    if not (target_size[0] <= sensor_size[0] and target_size[1] <= sensor_size[1]):
        raise ValueError(f"crop: target_size {tuple(target_size)} is larger than sensor_size {tuple(sensor_size)}")
    x0 = int(np.random.rand() * (sensor_size[0] - target_size[0]))
    y0 = int(np.random.rand() * (sensor_size[1] - target_size[1]))
    return F.crop(events, (x0, y0), (target_size[0], target_size[1]))


def decimate_numpy(events: np.ndarray, n: int) -> np.ndarray:
    """Every n-th event of each pixel (`neurodata.functional.decimation`)."""
    return F.decimation(events, n)


def denoise_numpy(events: np.ndarray, filter_time: float = 10000) -> np.ndarray:
    """Events with a 4-neighbour event less than `filter_time` before them (`neurodata.functional.denoise`).

    Tonic starts every pixel's memory at `filter_time` instead of "no event yet", so it also keeps isolated
    events with ``t < filter_time``; here they are dropped, as the rule says.
    """
    return F.denoise(events, None, filter_time)


def drop_event_numpy(events: np.ndarray, drop_probability: float) -> np.ndarray:
    """Drop ``int(p * N + 0.5)`` events chosen by ``np.random.choice(N, k, replace=False)``."""
    ev = struct_of(events, (), "drop_event_numpy")
    n = len(ev)
    k = int(check_probability("drop_probability", drop_probability) * n + 0.5)
    return F.drop_indices(events, np.random.choice(n, k, replace=False) if n else [])


def drop_by_time_numpy(events: np.ndarray, duration_ratio: float | tuple[float, float] = 0.2) -> np.ndarray:
    """Drop a window of ``ratio * (t_max - t_min)`` starting at ``np.random.uniform(t_min, t_max - length)``.

    Tonic measures from t = 0 instead of the first event, so on a recording that does not start at 0 its
    window can miss the events; here it lies inside the recording.
    """
    _ratio("duration_ratio", duration_ratio)
    ev = struct_of(events, ("t",), "drop_by_time_numpy")
    if isinstance(duration_ratio, tuple):
        duration_ratio = np.random.uniform(duration_ratio[0], duration_ratio[1])
    if not len(ev):
        return ev.copy()
    t0, t1, ordered = time_range(ev["t"])
    length = (t1 - t0) * float(duration_ratio)
    start = np.random.uniform(t0, t1 - length)
    return F.drop_time_window(events, start, start + length, is_sorted=ordered)


def drop_by_area_numpy(
    events: np.ndarray, sensor_size: Any, area_ratio: float | tuple[float, float] = 0.2
) -> np.ndarray:
    """Drop the events of a box of ``int(W * r) x int(H * r)`` at ``np.random.randint`` (x, then y).

    A ``(min, max)`` ratio is drawn from ``[min, max)``; Tonic's ``np.random.uniform(min and max)`` draws it
    from ``[max, 1)``.
    """
    _ratio("area_ratio", area_ratio)
    ev = struct_of(events, ("x", "y"), "drop_by_area_numpy")
    if not sensor_size:
        sensor_size = (int(ev["x"].max()) + 1, int(ev["y"].max()) + 1, len(np.unique(ev["p"])))
    if isinstance(area_ratio, tuple):
        area_ratio = np.random.uniform(area_ratio[0], area_ratio[1])
    cw, ch = int(sensor_size[0] * area_ratio), int(sensor_size[1] * area_ratio)
    x0 = np.random.randint(0, sensor_size[0] - cw)
    y0 = np.random.randint(0, sensor_size[1] - ch)
    return F.drop_box(events, (x0, y0), (cw, ch))


def identify_hot_pixel(events: np.ndarray, hot_pixel_frequency: float) -> np.ndarray:
    """`[k, 2]` (x, y) of pixels firing above `hot_pixel_frequency` Hz on average (t in µs)."""
    return F.hot_pixels(events, hot_pixel_frequency)


def identify_hot_pixel_raster(events: Any, hot_pixel_frequency: float) -> tuple[tuple[int, int], ...]:
    """(x, y) of pixels of `[P, H, W]` / `[T, P, H, W]` frames whose total count exceeds `hot_pixel_frequency`."""
    if events.ndim not in (3, 4):
        raise ValueError(f"identify_hot_pixel_raster: frames must be [P, H, W] or [T, P, H, W], got {events.shape}")
    return tuple((int(x), int(y)) for x, y in F.hot_pixels_frames(events, hot_pixel_frequency))


def drop_pixel_numpy(events: np.ndarray, coordinates: Any) -> np.ndarray:
    """Events without those at the (x, y) `coordinates`."""
    return F.drop_pixels(events, coordinates)


def drop_pixel_raster(raster: Any, coordinates: Any) -> Any:
    """A copy of `[P, H, W]` / `[T, P, H, W]` frames with the (x, y) `coordinates` zeroed (Tonic zeroes in place)."""
    if raster.ndim not in (3, 4):
        raise ValueError(f"drop_pixel_raster: frames must be [P, H, W] or [T, P, H, W], got {raster.shape}")
    return F.drop_pixels_frames(raster, coordinates)


def refractory_period_numpy(events: np.ndarray, refractory_period: float) -> np.ndarray:
    """Events more than `refractory_period` after the previous event at their pixel.

    Tonic starts every pixel's memory at ``-refractory_period``, so it drops a pixel's first event when it
    is at t <= 0; the first event of a pixel is kept here (there is no previous one).
    """
    return F.refractory_period(events, refractory_period)


def spatial_jitter_numpy(
    events: np.ndarray,
    sensor_size: Any,
    var_x: float = 1,
    var_y: float = 1,
    sigma_xy: float = 0,
    clip_outliers: bool = False,
) -> np.ndarray:
    """Coordinates plus ``np.random.multivariate_normal([0, 0], [[var_x, sigma_xy], [sigma_xy, var_y]], N)``."""
    vx, vy, sxy = check_covariance(var_x, var_y, sigma_xy)
    ev = struct_of(events, ("x", "y"), "spatial_jitter_numpy")
    shifts = np.random.multivariate_normal([0, 0], [[vx, sxy], [sxy, vy]], len(ev))
    return F.shift_xy(events, shifts[:, 0], shifts[:, 1], sensor_size, clip_outliers=clip_outliers)


def time_jitter_numpy(
    events: np.ndarray, std: float = 1, clip_negative: bool = False, sort_timestamps: bool = False
) -> np.ndarray:
    """Timestamps plus ``np.random.normal(0, std, N)`` (toward zero for integer t); the sort, if asked, is stable."""
    ev = struct_of(events, ("t",), "time_jitter_numpy")
    if not (isinstance(std, (int, float)) and np.isfinite(std) and std >= 0):
        raise ValueError(f"std must be a finite number >= 0, got {std!r}")
    shifts = np.random.normal(0, std, len(ev))
    return F.shift_times(events, shifts, clip_negative=clip_negative, sort=sort_timestamps)


def time_skew_numpy(events: np.ndarray, coefficient: Any, offset: Any = 0) -> np.ndarray:
    """``t * coefficient + offset``; a tuple is a range drawn with ``np.random.random_sample()`` (coefficient first)."""
    if isinstance(coefficient, tuple):
        coefficient = (coefficient[1] - coefficient[0]) * np.random.random_sample() + coefficient[0]
    if isinstance(offset, tuple):
        offset = (offset[1] - offset[0]) * np.random.random_sample() + offset[0]
    return F.time_skew(events, coefficient, offset)


def uniform_noise_numpy(events: np.ndarray, sensor_size: Any, n: int) -> np.ndarray:
    """Add `n` events drawn with ``np.random.uniform`` per field in the dtype's order (x: [0, W), y: [0, H),
    p: [0, P), t: [t_min, t_max)), merged in by time.

    Noise polarities are whole channel numbers (Tonic stores the raw draw, so a bool p is almost always
    True); at equal t the original events come first (Tonic's unstable sort may reorder them).
    """
    ev = struct_of(events, ("t",), "uniform_noise_numpy")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"uniform_noise_numpy: n must be a non-negative integer, got {n!r}")
    if not len(ev):
        return ev.copy()
    bounds = {
        "x": (0, sensor_size[0]),
        "y": (0, sensor_size[1]),
        "p": (0, sensor_size[2]),
        "t": (ev["t"].min(), ev["t"].max()),
    }
    noise = {}
    for name in ev.dtype.names:
        if name in bounds:
            draw = np.random.uniform(low=bounds[name][0], high=bounds[name][1], size=n)
            noise[name] = np.floor(draw).astype(np.int64) if name == "p" else draw
    return F.add_events(events, noise)


def _dt_us(events: np.ndarray, dt: float) -> float:
    # Tonic's dt is in ms, scaled to the events' µs when timestamps are integers
    return dt * 1000 if np.issubdtype(events["t"].dtype, np.integer) else dt


_OUT = np.dtype({"names": ["x", "y", "p", "t"], "formats": ["i4", "i4", "i4", "i4"]})


def _tonic_layout(ev: np.ndarray) -> np.ndarray:
    out = np.empty(len(ev), dtype=_OUT)
    for name in _OUT.names:
        out[name] = ev[name]
    return out


def integrator_downsample(
    events: np.ndarray,
    sensor_size: Any,
    target_size: Any,
    dt: float,
    noise_threshold: int = 0,
    differentiator_call: bool = False,
) -> np.ndarray:
    """Integrate-and-fire downsampling (dt in ms for µs timestamps); events as int32 (x, y, p, t)."""
    if differentiator_call:
        raise NotImplementedError(
            "integrator_downsample(differentiator_call=True) is internal to Tonic; call differentiator_downsample"
        )
    ev = struct_of(events, ("x", "y", "t", "p"), "integrator_downsample")
    out = F.integrator_downsample(
        ev, sensor_size[:2], target_size, _dt_us(ev, dt), noise_threshold, include_incomplete=False
    )
    return _tonic_layout(out)


def differentiator_downsample(
    events: np.ndarray,
    sensor_size: Any,
    target_size: Any,
    dt: float,
    differentiator_time_bins: int = 2,
    noise_threshold: int = 0,
) -> np.ndarray:
    """Differentiator downsampling (dt in ms for µs timestamps); events as int32 (x, y, p, t)."""
    ev = struct_of(events, ("x", "y", "t", "p"), "differentiator_downsample")
    out = F.differentiator_downsample(
        ev,
        sensor_size[:2],
        target_size,
        _dt_us(ev, dt),
        noise_threshold,
        differentiator_time_bins,
        include_incomplete=False,
    )
    return _tonic_layout(out)


# the representations: Tonic's functional names for the transforms of `_representations`


def to_voxel_grid_numpy(events: np.ndarray, sensor_size: Any, n_time_bins: int = 10) -> np.ndarray:
    """Voxel grid `[n_time_bins, 1, H, W]` (`ToVoxelGrid`)."""

    return ToVoxelGrid(sensor_size, n_time_bins)(events)


def to_timesurface_numpy(events: np.ndarray, sensor_size: Any, dt: float, tau: float, overlap: int = 0) -> np.ndarray:
    """Time surfaces `[M, P, H, W]` at the ends of `dt` windows (`ToTimesurface`); ``overlap`` must be 0."""

    if overlap:
        raise ValueError(f"to_timesurface_numpy: overlapping windows are not offered here (overlap={overlap!r})")
    return ToTimesurface(sensor_size, dt, tau)(events)


def to_averaged_timesurface_numpy(
    events: np.ndarray,
    sensor_size: Any,
    cell_size: int,
    surface_size: int,
    time_window: float,
    tau: float,
    decay: str,
) -> np.ndarray:
    """HATS `[cells, P, surface_size, surface_size]` (`ToAveragedTimesurface`)."""

    return ToAveragedTimesurface(sensor_size, surface_size, cell_size, time_window, tau, decay)(events)


def to_bina_rep_numpy(event_frames: Any, n_frames: int = 1, n_bits: int = 8) -> Any:
    """Bina-Rep `[n_frames, P, H, W]` of `[n_frames * n_bits, P, H, W]` event frames (`ToBinaRep`)."""

    return ToBinaRep(n_frames, n_bits)(event_frames)
