"""Transforms: frozen dataclasses over `neurodata.functional`, plus frame transforms and `Compose`.

The event transforms that mirror Tonic's (`RefractoryPeriod`, `SpatialJitter`, `UniformNoise`, `DropPixel`,
`DropEvent`, `DropEventByTime`, `DropEventByArea`, `EventDrop`, `TimeSkew`, `TimeReversal`, `MergePolarities`,
`CropTime`, `Decimation`, `RandomFlipPolarity`, `TimeAlignment`, `EventDownsampling`, ...) and the frame
augmentations that run on a batch on its device (`RandomRoll`, `RandomRotation`, `RandomShear`,
`RandomCutout`, `RandomFlipFramesLR`) live in `neurodata.augment` and are re-exported here.

Event transforms take events (a dict of arrays or `EVENT_DTYPE`) and return the same kind. Random ones
draw from ``rng`` when given, else from a generator seeded by the OS (so DataLoader workers differ).
Frame transforms take `[T, ...]` arrays or tensors (``RandomTemporalDelete`` also `[N, T, ...]`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurodata import functional as F
from neurodata import integrate
from neurodata.augment.frames import RandomCutout, RandomFlipFramesLR, RandomRoll, RandomRotation, RandomShear
from neurodata.augment.transforms import (
    CropTime,
    Decimation,
    DropEvent,
    DropEventByArea,
    DropEventByTime,
    DropPixel,
    EventDownsampling,
    EventDrop,
    MergePolarities,
    RandomDropPixel,
    RandomFlipPolarity,
    RandomTimeReversal,
    RefractoryPeriod,
    SpatialJitter,
    TimeAlignment,
    TimeReversal,
    TimeSkew,
    UniformNoise,
)
from neurodata.events import SensorSize

__all__ = [
    "CenterCrop",
    "Compose",
    "CropTime",
    "Decimation",
    "Denoise",
    "Downsample",
    "DownsampleFrames",
    "DropEvent",
    "DropEventByArea",
    "DropEventByTime",
    "DropEvents",
    "DropPixel",
    "EventDownsampling",
    "EventDrop",
    "MergePolarities",
    "RandomCrop",
    "RandomCutout",
    "RandomDropPixel",
    "RandomFlipFramesLR",
    "RandomFlipLR",
    "RandomFlipPolarity",
    "RandomFlipUD",
    "RandomRoll",
    "RandomRotation",
    "RandomShear",
    "RandomTemporalDelete",
    "RandomTimeReversal",
    "RefractoryPeriod",
    "SpatialJitter",
    "TimeAlignment",
    "TimeJitter",
    "TimeReversal",
    "TimeSkew",
    "ToFrames",
    "UniformNoise",
]


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


@dataclass(frozen=True)
class Compose:
    """Apply `transforms` in order."""

    transforms: Sequence[Callable[[Any], Any]]

    def __call__(self, data: Any) -> Any:
        for t in self.transforms:
            data = t(data)
        return data


@dataclass(frozen=True)
class CenterCrop:
    """Crop events to ``size = (w, h)`` around the sensor's centre."""

    sensor: SensorSize
    size: tuple[int, int]

    def __call__(self, events: Any) -> Any:
        return F.center_crop(events, self.sensor, self.size)


@dataclass(frozen=True)
class RandomCrop:
    """Crop events to ``size = (w, h)`` at a uniformly random position."""

    sensor: SensorSize
    size: tuple[int, int]

    def __post_init__(self) -> None:
        if not (0 < self.size[0] <= self.sensor.width and 0 < self.size[1] <= self.sensor.height):
            raise ValueError(
                f"RandomCrop.size {self.size} must fit the sensor {self.sensor.width}x{self.sensor.height}"
            )

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        r = _rng(rng)
        x0 = int(r.integers(0, self.sensor.width - self.size[0] + 1))
        y0 = int(r.integers(0, self.sensor.height - self.size[1] + 1))
        return F.crop(events, (x0, y0), self.size)


@dataclass(frozen=True)
class RandomFlipLR:
    """Mirror left-right with probability `p`."""

    sensor: SensorSize
    p: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"RandomFlipLR.p must be in [0, 1], got {self.p!r}")

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        return F.flip_lr(events, self.sensor) if _rng(rng).random() < self.p else events


@dataclass(frozen=True)
class RandomFlipUD:
    """Mirror up-down with probability `p`."""

    sensor: SensorSize
    p: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"RandomFlipUD.p must be in [0, 1], got {self.p!r}")

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        return F.flip_ud(events, self.sensor) if _rng(rng).random() < self.p else events


@dataclass(frozen=True)
class Downsample:
    """Scale coordinates and timestamps (see `functional.downsample`)."""

    spatial_factor: float = 1.0
    time_factor: float = 1.0

    def __call__(self, events: Any) -> Any:
        return F.downsample(events, self.spatial_factor, self.time_factor)


@dataclass(frozen=True)
class DropEvents:
    """Drop each event with probability `p`."""

    p: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"DropEvents.p must be in [0, 1], got {self.p!r}")

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        return F.drop_events(events, self.p, _rng(rng))


@dataclass(frozen=True)
class TimeJitter:
    """Gaussian timestamp noise of `std_us` µs (events stay sorted)."""

    std_us: float

    def __call__(self, events: Any, rng: np.random.Generator | None = None) -> Any:
        return F.time_jitter(events, self.std_us, _rng(rng))


@dataclass(frozen=True)
class Denoise:
    """Drop events without a neighbour event in the last `filter_time` µs (Tonic's filter, vectorized)."""

    sensor: SensorSize
    filter_time: int = 10_000

    def __call__(self, events: Any) -> Any:
        return F.denoise(events, self.sensor, self.filter_time)


@dataclass(frozen=True)
class ToFrames:
    """Events -> float32 frames `[T, 2, H, W]` by SpikingJelly's rules (one of frames_number or duration)."""

    sensor: SensorSize
    frames_number: int | None = None
    split_by: str = "number"
    duration: int | None = None
    dtype: Any = field(default=np.float32)

    def __post_init__(self) -> None:
        if (self.frames_number is None) == (self.duration is None):
            raise ValueError(
                f"ToFrames needs exactly one of frames_number or duration; got "
                f"frames_number={self.frames_number}, duration={self.duration}"
            )

    def __call__(self, events: Any) -> Any:
        h, w = self.sensor.height, self.sensor.width
        if self.frames_number is not None:
            return integrate.integrate_events_by_fixed_frames_number(
                events, self.split_by, self.frames_number, h, w, dtype=self.dtype
            )
        return integrate.integrate_events_by_fixed_duration(events, self.duration, h, w, dtype=self.dtype)


@dataclass(frozen=True)
class RandomTemporalDelete:
    """Keep `T_remain` random time steps of a sequence, in order (SpikingJelly's augmentation).

    `batch_first`: the time axis is 1 (`[N, T, ...]`) instead of 0. Sequences with at most `T_remain`
    steps are returned unchanged.
    """

    T_remain: int
    batch_first: bool = False

    def __post_init__(self) -> None:
        if self.T_remain < 1:
            raise ValueError(f"T_remain must be positive, got {self.T_remain!r}")

    def __call__(self, x: Any, rng: np.random.Generator | None = None) -> Any:
        axis = 1 if self.batch_first else 0
        t = x.shape[axis]
        if t <= self.T_remain:
            return x
        keep = np.sort(_rng(rng).choice(t, self.T_remain, replace=False))
        if hasattr(x, "index_select"):
            import torch

            return x.index_select(axis, torch.as_tensor(keep, device=x.device))
        return np.take(x, keep, axis=axis)


@dataclass(frozen=True)
class DownsampleFrames:
    """Sum-pool frames `[..., H, W]` by `factor` in both spatial axes (event counts stay counts).

    H and W must be multiples of `factor`; works on numpy arrays and torch tensors.
    """

    factor: int

    def __post_init__(self) -> None:
        if self.factor < 1:
            raise ValueError(f"DownsampleFrames.factor must be >= 1, got {self.factor!r}")

    def __call__(self, x: Any) -> Any:
        h, w = x.shape[-2:]
        f = self.factor
        if h % f or w % f:
            raise ValueError(f"DownsampleFrames: frames of {h}x{w} are not multiples of factor {f}")
        pooled = x.reshape(*x.shape[:-2], h // f, f, w // f, f)
        return pooled.sum((-3, -1)) if hasattr(pooled, "dim") else pooled.sum(axis=(-3, -1))
