"""``tonic.transforms`` under its own names and keywords, over `neurodata.functional`.

``sensor_size`` is Tonic's ``(W, H, P)``; events are Tonic's structured arrays (any dtypes and field
order, audio events without ``y``) or ours, and come back in the input's dtype. Random transforms draw
from numpy's global generator in Tonic's order, so ``np.random.seed(s)`` gives Tonic's result, where
Tonic's result is right (the exceptions are listed in ``docs/compat.md``). No transform changes itself
or its input when called (Tonic's ``CenterCrop``, ``CropTime`` and ``DropPixel`` store per-sample values on
themselves).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib import recfunctions

from neurodata import functional as F
from neurodata.augment._fields import check_probability, struct_of
from neurodata.augment.transforms import _is_frames
from neurodata.compat.tonic import functional
from neurodata.compat.tonic._frame import _method, to_frame_numpy


class Compose:
    """Apply `transforms` in order (Tonic's ``Compose``, which also runs them on empty streams)."""

    def __init__(self, transforms: Iterable[Callable[[Any], Any]]) -> None:
        self.transforms = transforms

    def __call__(self, events: Any) -> Any:
        for t in self.transforms:
            events = t(events)
        return events

    def __repr__(self) -> str:
        return self.__class__.__name__ + "(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


def _range_or(v: Any) -> bool:
    return isinstance(v, (tuple, list)) and len(v) == 2


@dataclass
class CenterCrop:
    """Crop to `size` (an int: square) around the sensor's centre; a size beyond the sensor pads."""

    sensor_size: tuple[int, int, int]
    size: int | tuple[int, int]

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.center_crop(events, self.sensor_size, self.size)


@dataclass
class CropTime:
    """Keep events with ``min <= t <= max`` (max None: up to the last event of each sample)."""

    min: float = 0
    max: float | None = None

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.crop_time(events, self.min, self.max)


@dataclass(frozen=True)
class Denoise:
    """Drop events without a 4-neighbour event in the `filter_time` before them."""

    filter_time: float

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.denoise_numpy(events=events, filter_time=self.filter_time)


@dataclass
class Decimation:
    """Keep every n-th event of each pixel."""

    n: int

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.decimate_numpy(events=events, n=self.n)


@dataclass(frozen=True)
class DropEvent:
    """Drop ``round(p * N)`` random events; ``p=(p_min, p_max)`` draws p per call."""

    p: float | tuple[float, float]

    @staticmethod
    def get_params(p: float | tuple[float, float]) -> float:
        if _range_or(p):
            p = (p[1] - p[0]) * np.random.random_sample() + p[0]  # type: ignore[index]
        return p  # type: ignore[return-value]

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.drop_event_numpy(events=events, drop_probability=self.get_params(p=self.p))


@dataclass(frozen=True)
class DropEventByTime:
    """Drop the events of a random window of `duration_ratio` of the recording."""

    duration_ratio: float | tuple[float, float] = 0.2

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.drop_by_time_numpy(events, self.duration_ratio)


@dataclass(frozen=True)
class DropEventByArea:
    """Drop the events of a random box of `area_ratio` of the sensor."""

    sensor_size: tuple[int, int, int]
    area_ratio: float | tuple[float, float] = 0.2

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.drop_by_area_numpy(events, self.sensor_size, self.area_ratio)


@dataclass
class DropPixel:
    """Drop the events (or zero the frame pixels) at `coordinates`, or at the hot pixels above
    `hot_pixel_frequency` (Hz for events, a total count for frames)."""

    coordinates: Any = None
    hot_pixel_frequency: float | None = None

    def __call__(self, events: Any) -> Any:
        if _is_frames(events):
            c = self.coordinates
            if self.hot_pixel_frequency:
                c = functional.identify_hot_pixel_raster(events, self.hot_pixel_frequency)
            return functional.drop_pixel_raster(events, c if c is not None else [])
        if len(events) == 0:
            return events.copy()
        c = self.coordinates
        if self.hot_pixel_frequency:
            c = functional.identify_hot_pixel(events, self.hot_pixel_frequency)
        return functional.drop_pixel_numpy(events, c)


@dataclass(frozen=True)
class Downsample:
    """Multiply timestamps by `time_factor` and coordinates by `spatial_factor` (or ``target_size / sensor_size``)."""

    time_factor: float = 1
    spatial_factor: float | tuple[float, float] = 1
    sensor_size: tuple[int, int, int] | None = None
    target_size: tuple[int, int] | None = None

    @staticmethod
    def get_params(spatial_factor: Any) -> tuple[float, float]:
        return spatial_factor if isinstance(spatial_factor, tuple) else (spatial_factor, spatial_factor)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.target_size is not None:
            if self.sensor_size is None:
                raise ValueError("Downsample: target_size needs sensor_size")
            return F.downsample(
                events, time_factor=self.time_factor, sensor=self.sensor_size, target_size=self.target_size
            )
        return F.downsample(events, self.get_params(self.spatial_factor), self.time_factor)


@dataclass(frozen=True)
class EventDrop:
    """EventDrop: identity, drop by time, by area or at random, chosen per call."""

    sensor_size: tuple[int, int, int]

    def __call__(self, events: np.ndarray) -> np.ndarray:
        choice = np.random.randint(0, 4)
        if choice == 1:
            return functional.drop_by_time_numpy(events, np.random.randint(1, 10) / 10.0)
        if choice == 2:
            return functional.drop_by_area_numpy(events, self.sensor_size, np.random.randint(1, 6) / 20.0)
        if choice == 3:
            return functional.drop_event_numpy(events, np.random.randint(1, 10) / 10.0)
        return events


@dataclass(frozen=True)
class EventDownsampling:
    """Integrator or differentiator event downsampling to `target_size` (dt in ms)."""

    sensor_size: tuple[int, int, int]
    target_size: tuple[int, int]
    downsampling_method: str
    dt: float | None = None
    noise_threshold: int | None = None
    differentiator_time_bins: int | None = None

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if self.downsampling_method not in ("integrator", "differentiator"):
            raise ValueError(
                f"downsampling_method must be 'integrator' or 'differentiator', got {self.downsampling_method!r}"
            )
        if self.dt is None or self.noise_threshold is None:
            raise ValueError("EventDownsampling needs dt (ms) and noise_threshold (an integer >= 1)")
        if self.downsampling_method == "integrator":
            return functional.integrator_downsample(
                events, self.sensor_size, self.target_size, self.dt, self.noise_threshold
            )
        bins = 2 if self.differentiator_time_bins is None else self.differentiator_time_bins
        return functional.differentiator_downsample(
            events, self.sensor_size, self.target_size, self.dt, bins, self.noise_threshold
        )


@dataclass(frozen=True)
class MergePolarities:
    """Set every polarity to 0."""

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.merge_polarities(events)


@dataclass(frozen=True)
class RandomCrop:
    """Crop to `target_size` (x, y) at a random position."""

    sensor_size: tuple[int, int, int]
    target_size: tuple[int, int]

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.crop_numpy(events=events, sensor_size=self.sensor_size, target_size=self.target_size)


@dataclass
class RandomDropPixel:
    """Drop each pixel's events (frames: zero the pixel) with probability `p`."""

    p: float
    sensor_size: tuple[int, int, int] | None = None

    def __call__(self, events: Any) -> Any:
        check_probability("RandomDropPixel.p", self.p)
        if _is_frames(events):
            h, w = events.shape[-2:]
            mask = np.random.rand(w, h) < self.p
            return functional.drop_pixel_raster(events, np.argwhere(mask))
        ev = struct_of(events, ("x", "y"), "RandomDropPixel")
        if self.sensor_size is None:
            w, h = (int(ev["x"].max()) + 1, int(ev["y"].max()) + 1) if len(ev) else (1, 1)
        else:
            w, h = self.sensor_size[0], self.sensor_size[1]
        return F.drop_pixel_mask(events, np.random.rand(w, h) < self.p)


@dataclass(frozen=True)
class RandomFlipPolarity:
    """Swap ON and OFF of the whole sample with probability `p`."""

    p: float = 0.5

    def __post_init__(self) -> None:
        check_probability("RandomFlipPolarity.p", self.p)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.flip_polarity(events) if np.random.rand() <= self.p else events.copy()


@dataclass(frozen=True)
class RandomFlipLR:
    """Mirror x with probability `p`: ``x -> W - 1 - x``."""

    sensor_size: tuple[int, int, int]
    p: float = 0.5

    def __post_init__(self) -> None:
        check_probability("RandomFlipLR.p", self.p)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.flip_lr(events, self.sensor_size) if np.random.rand() <= self.p else events.copy()


@dataclass(frozen=True)
class RandomFlipUD:
    """Mirror y with probability `p`: ``y -> H - 1 - y``."""

    sensor_size: tuple[int, int, int]
    p: float = 0.5

    def __post_init__(self) -> None:
        check_probability("RandomFlipUD.p", self.p)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.flip_ud(events, self.sensor_size) if np.random.rand() <= self.p else events.copy()


@dataclass(frozen=True)
class RandomTimeReversal:
    """Reverse time (``t -> max(t) - t``, and polarities) with probability `p`; frames `[T, P, ...]` too."""

    p: float = 0.5
    flip_polarities: bool = True

    def __post_init__(self) -> None:
        check_probability("RandomTimeReversal.p", self.p)

    def __call__(self, events: Any) -> Any:
        if np.random.rand() < self.p:
            if _is_frames(events):
                return F.time_reversal_frames(events)
            return F.time_reversal(events, flip_polarities=self.flip_polarities)
        return events.copy()


@dataclass(frozen=True)
class RefractoryPeriod:
    """Drop events within `delta` of the previous event at their pixel; ``delta=(lo, hi)`` draws an int."""

    delta: float | tuple[float, float]

    @staticmethod
    def get_params(delta: Any) -> float:
        if _range_or(delta):
            delta = int((delta[1] - delta[0]) * np.random.random_sample() + delta[0])
        return delta

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.refractory_period_numpy(events=events, refractory_period=self.get_params(self.delta))


@dataclass(frozen=True)
class SpatialJitter:
    """Gaussian coordinate jitter; `clip_outliers` drops events that leave the sensor."""

    sensor_size: tuple[int, int, int]
    var_x: float = 1
    var_y: float = 1
    sigma_xy: float = 0
    clip_outliers: bool = False

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.spatial_jitter_numpy(
            events, self.sensor_size, self.var_x, self.var_y, self.sigma_xy, self.clip_outliers
        )


@dataclass
class TimeAlignment:
    """Shift timestamps so the first event is at 0."""

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return F.time_alignment(events)


@dataclass(frozen=True)
class TimeJitter:
    """Gaussian timestamp jitter of `std`; `clip_negative` drops t < 0, `sort_timestamps` re-sorts (stably)."""

    std: float
    clip_negative: bool = True
    sort_timestamps: bool = False

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return functional.time_jitter_numpy(events, self.std, self.clip_negative, self.sort_timestamps)


@dataclass(frozen=True)
class TimeSkew:
    """``t -> t * coefficient + offset``; a (lo, hi) tuple or list is drawn per call."""

    coefficient: float | tuple[float, float]
    offset: float | tuple[float, float] = 0

    def __call__(self, events: np.ndarray) -> np.ndarray:
        c = tuple(self.coefficient) if _range_or(self.coefficient) else self.coefficient  # type: ignore[arg-type]
        o = tuple(self.offset) if _range_or(self.offset) else self.offset  # type: ignore[arg-type]
        return functional.time_skew_numpy(events, c, o)


@dataclass(frozen=True)
class UniformNoise:
    """Add `n` uniform noise events (not to an empty stream); ``n=(lo, hi)`` draws an int."""

    sensor_size: tuple[int, int, int]
    n: int | tuple[int, int]

    @staticmethod
    def get_params(n: Any) -> int:
        if _range_or(n):
            n = int((n[1] - n[0]) * np.random.random_sample() + n[0])
        return n

    def __call__(self, events: np.ndarray) -> np.ndarray:
        if len(events) == 0:
            return events.copy()
        return functional.uniform_noise_numpy(events=events, sensor_size=self.sensor_size, n=self.get_params(self.n))


@dataclass(frozen=True)
class NumpyAsType:
    """Structured events to a plain `[N, fields]` array of `dtype` (or back, or between structured dtypes)."""

    dtype: Any

    def __call__(self, events: np.ndarray) -> np.ndarray:
        source = events.dtype.names is not None
        target = np.dtype(self.dtype).names is not None
        if source and not target:
            return recfunctions.structured_to_unstructured(events, self.dtype)
        if target and not source:
            return recfunctions.unstructured_to_structured(events, np.dtype(self.dtype))
        if source and target:
            out = np.empty(len(events), dtype=self.dtype)
            missing = [n for n in out.dtype.names if n not in events.dtype.names]
            if missing:
                raise ValueError(
                    f"NumpyAsType: the events have no field(s) {missing}; they have {list(events.dtype.names)}"
                )
            for name in out.dtype.names:
                out[name] = events[name]
            return out
        return events.astype(self.dtype)


@dataclass(frozen=True)
class ToFrame:
    """Events to int16 frames `[T, P, H, W]` (audio: `[T, P, W]`) by one of time_window, event_count,
    n_time_bins or n_event_bins; ``sensor_size=None`` infers it per sample. See `_frame` and `_windows`."""

    sensor_size: tuple[int, int, int] | None
    time_window: float | None = None
    event_count: int | None = None
    n_time_bins: int | None = None
    n_event_bins: int | None = None
    overlap: float = 0
    include_incomplete: bool = False
    start_time: float | None = None
    end_time: float | None = None

    def __post_init__(self) -> None:
        _method(self.time_window, self.event_count, self.n_time_bins, self.n_event_bins)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return to_frame_numpy(
            events,
            self.sensor_size,
            time_window=self.time_window,
            event_count=self.event_count,
            n_time_bins=self.n_time_bins,
            n_event_bins=self.n_event_bins,
            overlap=self.overlap,
            include_incomplete=self.include_incomplete,
            start_time=self.start_time,
            end_time=self.end_time,
        )


@dataclass(frozen=True)
class Repeat:
    """Copies a target `n_repeat` times along a new first axis."""

    n_repeat: int

    def __call__(self, target: Any) -> np.ndarray:
        return np.tile(np.expand_dims(target, 0), [self.n_repeat, 1])


@dataclass(frozen=True)
class ToOneHotEncoding:
    """One-hot rows of `n_classes` for the target(s)."""

    n_classes: int

    def __call__(self, target: Any) -> np.ndarray:
        return np.eye(self.n_classes)[target]


from neurodata.compat.tonic._representations import *  # noqa: E402, F403
