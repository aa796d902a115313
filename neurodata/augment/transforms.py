"""Event transforms as frozen dataclasses over the pure functions of `neurodata.augment`.

Each validates its parameters when built, never changes itself when called, and returns events of the
input's layout. Random ones take ``rng`` (a `numpy.random.Generator`) as a second argument; without one
they draw from a generator seeded by the OS, so DataLoader workers differ. A parameter given as a
``(low, high)`` range is drawn uniformly per call. ``sensor`` is a `SensorSize` or Tonic's ``(W, H, P)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurodata.augment import downsampling as D
from neurodata.augment import filters as Fi
from neurodata.augment import geometry as G
from neurodata.augment import timing as Ti
from neurodata.augment._fields import check_number, check_probability, check_range, sensor_wh

Range = tuple[float, float]


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _checked(name: str, v: Any, *, nonnegative: bool = False, below_one: bool = False) -> None:
    if isinstance(v, (tuple, list)):
        check_range(name, v, nonnegative=nonnegative, below_one=below_one)
    else:
        x = check_number(name, v, nonnegative=nonnegative)
        if below_one and x >= 1.0:
            raise ValueError(f"{name} must be below 1, got {v!r}")


def _draw(v: float | Sequence[float], rng: np.random.Generator) -> float:
    return float(rng.uniform(v[0], v[1])) if isinstance(v, (tuple, list)) else float(v)


def _is_frames(data: Any) -> bool:
    return getattr(getattr(data, "dtype", None), "names", 0) is None and getattr(data, "ndim", 0) >= 3


@dataclass(frozen=True)
class RefractoryPeriod:
    """Drop events that come within `delta` of the previous event at their pixel (a range: drawn per call)."""

    delta: float | Range

    def __post_init__(self) -> None:
        _checked("RefractoryPeriod.delta", self.delta, nonnegative=True)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        delta = self.delta if not isinstance(self.delta, (tuple, list)) else _draw(self.delta, _rng(rng))
        return Fi.refractory_period(events, delta)


@dataclass(frozen=True)
class SpatialJitter:
    """Move each event by a 2-D Gaussian draw; events leaving the sensor are dropped unless ``clip_outliers=False``."""

    sensor: Any
    var_x: float = 1.0
    var_y: float = 1.0
    sigma_xy: float = 0.0
    clip_outliers: bool = True

    def __post_init__(self) -> None:
        sensor_wh(self.sensor, "SpatialJitter.sensor")
        G.check_covariance(self.var_x, self.var_y, self.sigma_xy)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        return G.spatial_jitter(
            events,
            self.sensor,
            _rng(rng),
            var_x=self.var_x,
            var_y=self.var_y,
            sigma_xy=self.sigma_xy,
            clip_outliers=self.clip_outliers,
        )


@dataclass(frozen=True)
class UniformNoise:
    """Add `n` events uniform over the sensor and the recording's time span (a range: n drawn per call)."""

    sensor: Any
    n: int | tuple[int, int]

    def __post_init__(self) -> None:
        sensor_wh(self.sensor, "UniformNoise.sensor")
        _checked("UniformNoise.n", self.n, nonnegative=True)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        n = int(r.integers(self.n[0], self.n[1], endpoint=True)) if isinstance(self.n, (tuple, list)) else int(self.n)
        return Fi.uniform_noise(events, self.sensor, n, r)


@dataclass(frozen=True)
class DropPixel:
    """Drop every event of the pixels `coordinates` ((x, y) pairs), or of the hot pixels firing above
    `hot_pixel_frequency` Hz; frames `[..., H, W]` get those pixels zeroed (a count above the frequency)."""

    coordinates: Any = None
    hot_pixel_frequency: float | None = None

    def __post_init__(self) -> None:
        if (self.coordinates is None) == (self.hot_pixel_frequency is None):
            raise ValueError("DropPixel needs exactly one of coordinates or hot_pixel_frequency")
        if self.hot_pixel_frequency is not None:
            check_number("DropPixel.hot_pixel_frequency", self.hot_pixel_frequency, nonnegative=True)

    def __call__(self, data: Any) -> Any:
        if _is_frames(data):
            c = (
                self.coordinates
                if self.hot_pixel_frequency is None
                else G.hot_pixels_frames(data, self.hot_pixel_frequency)
            )
            return G.drop_pixels_frames(data, c)
        c = self.coordinates if self.hot_pixel_frequency is None else G.hot_pixels(data, self.hot_pixel_frequency)
        return G.drop_pixels(data, c)


@dataclass(frozen=True)
class RandomDropPixel:
    """Drop all events of each sensor pixel with probability `p` (frames `[..., H, W]`: zero the pixel)."""

    sensor: Any
    p: float

    def __post_init__(self) -> None:
        sensor_wh(self.sensor, "RandomDropPixel.sensor")
        check_probability("RandomDropPixel.p", self.p)

    def __call__(self, data: Any, rng: np.random.Generator | None = None) -> Any:
        w, h = sensor_wh(self.sensor, "RandomDropPixel")
        mask = _rng(rng).random((w, h)) < self.p
        if _is_frames(data):
            return G.drop_pixels_frames(data, np.argwhere(mask))
        return G.drop_pixel_mask(data, mask)


@dataclass(frozen=True)
class DropEvent:
    """Drop exactly ``round(p * N)`` random events (a range: p drawn per call). See `DropEvents` for i.i.d. drops."""

    p: float | Range

    def __post_init__(self) -> None:
        if isinstance(self.p, (tuple, list)):
            check_range("DropEvent.p", self.p, nonnegative=True)
            check_probability("DropEvent.p", self.p[1])
        else:
            check_probability("DropEvent.p", self.p)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        return Fi.drop_fraction(events, _draw(self.p, r), r)


@dataclass(frozen=True)
class DropEventByTime:
    """Drop the events of a random time window of `duration_ratio` of the recording (EventDrop)."""

    duration_ratio: float | Range = 0.2

    def __post_init__(self) -> None:
        _checked("DropEventByTime.duration_ratio", self.duration_ratio, nonnegative=True, below_one=True)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        return Ti.drop_by_time(events, _draw(self.duration_ratio, r), r)


@dataclass(frozen=True)
class DropEventByArea:
    """Drop the events of a random box of `area_ratio` of the sensor's width and height (EventDrop)."""

    sensor: Any
    area_ratio: float | Range = 0.2

    def __post_init__(self) -> None:
        sensor_wh(self.sensor, "DropEventByArea.sensor")
        _checked("DropEventByArea.area_ratio", self.area_ratio, nonnegative=True, below_one=True)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        return G.drop_by_area(events, self.sensor, _draw(self.area_ratio, r), r)


@dataclass(frozen=True)
class EventDrop:
    """EventDrop (Gu et al., 2021): per call one of identity, drop by time, drop by area, drop at random."""

    sensor: Any

    def __post_init__(self) -> None:
        sensor_wh(self.sensor, "EventDrop.sensor")

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        choice = int(r.integers(0, 4))
        if choice == 1:
            return Ti.drop_by_time(events, int(r.integers(1, 10)) / 10.0, r)
        if choice == 2:
            return G.drop_by_area(events, self.sensor, int(r.integers(1, 6)) / 20.0, r)
        if choice == 3:
            return Fi.drop_fraction(events, int(r.integers(1, 10)) / 10.0, r)
        return events


@dataclass(frozen=True)
class TimeSkew:
    """``t -> t * coefficient + offset`` (ranges: drawn per call)."""

    coefficient: float | Range
    offset: float | Range = 0.0

    def __post_init__(self) -> None:
        _checked("TimeSkew.coefficient", self.coefficient)
        _checked("TimeSkew.offset", self.offset)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng) if isinstance(self.coefficient, (tuple, list)) or isinstance(self.offset, (tuple, list)) else None
        c = _draw(self.coefficient, r) if r is not None else float(self.coefficient)  # type: ignore[arg-type]
        o = _draw(self.offset, r) if r is not None else float(self.offset)  # type: ignore[arg-type]
        return Ti.time_skew(events, c, o)


@dataclass(frozen=True)
class TimeReversal:
    """Play events (or frames `[T, P, ...]`) backwards; polarities flip unless ``flip_polarities=False``."""

    flip_polarities: bool = True

    def __call__(self, data: Any) -> Any:
        if _is_frames(data):
            return Ti.time_reversal_frames(data)
        return Ti.time_reversal(data, flip_polarities=self.flip_polarities)


@dataclass(frozen=True)
class RandomTimeReversal:
    """`TimeReversal` with probability `p`."""

    p: float = 0.5
    flip_polarities: bool = True

    def __post_init__(self) -> None:
        check_probability("RandomTimeReversal.p", self.p)

    def __call__(self, data: Any, rng: np.random.Generator | None = None) -> Any:
        if _rng(rng).random() < self.p:
            return TimeReversal(self.flip_polarities)(data)
        return data


@dataclass(frozen=True)
class MergePolarities:
    """All polarities set to 0: one channel."""

    def __call__(self, events: Any) -> Any:
        return Fi.merge_polarities(events)


@dataclass(frozen=True)
class CropTime:
    """Keep events with ``t_min <= t <= t_max`` (None: unbounded)."""

    t_min: float | None = None
    t_max: float | None = None

    def __post_init__(self) -> None:
        for name in ("t_min", "t_max"):
            if getattr(self, name) is not None:
                check_number(f"CropTime.{name}", getattr(self, name))
        if self.t_min is not None and self.t_max is not None and self.t_max < self.t_min:
            raise ValueError(f"CropTime.t_max ({self.t_max!r}) is below t_min ({self.t_min!r})")

    def __call__(self, events: Any) -> Any:
        return Ti.crop_time(events, self.t_min, self.t_max)


@dataclass(frozen=True)
class Decimation:
    """Keep every `n`-th event of each pixel."""

    n: int

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"Decimation.n must be a positive integer, got {self.n!r}")

    def __call__(self, events: Any) -> Any:
        return Fi.decimation(events, self.n)


@dataclass(frozen=True)
class RandomFlipPolarity:
    """Swap ON and OFF of the whole sample with probability `p` (``per_event=True``: of each event independently)."""

    p: float = 0.5
    per_event: bool = False

    def __post_init__(self) -> None:
        check_probability("RandomFlipPolarity.p", self.p)

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        if self.per_event:
            n = len(events["p"])
            return Fi.flip_polarity_where(events, r.random(n) < self.p)
        return Fi.flip_polarity(events) if r.random() < self.p else events


@dataclass(frozen=True)
class TimeAlignment:
    """Shift timestamps so the first event is at 0."""

    def __call__(self, events: Any) -> Any:
        return Ti.time_alignment(events)


@dataclass(frozen=True)
class EventDownsampling:
    """Integrate-and-fire downsampling to `target_size` with windows of `dt` (µs); ``method`` is
    ``'integrator'`` or ``'differentiator'`` (see `neurodata.augment.downsampling`)."""

    sensor: Any
    target_size: tuple[int, int]
    dt: float
    method: str = "integrator"
    noise_threshold: int = 1
    differentiator_time_bins: int = 2

    def __post_init__(self) -> None:
        if self.method not in ("integrator", "differentiator"):
            raise ValueError(f"EventDownsampling.method must be 'integrator' or 'differentiator', got {self.method!r}")
        sensor_wh(self.sensor, "EventDownsampling.sensor")
        sensor_wh(self.target_size, "EventDownsampling.target_size")
        check_number("EventDownsampling.dt", self.dt, positive=True)

    def __call__(self, events: Any) -> Any:
        if self.method == "integrator":
            return D.integrator_downsample(events, self.sensor, self.target_size, self.dt, self.noise_threshold)
        return D.differentiator_downsample(
            events, self.sensor, self.target_size, self.dt, self.noise_threshold, self.differentiator_time_bins
        )
