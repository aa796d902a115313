"""Bad input to the event transforms: a clear error naming the argument or the event, never a silent wrong answer."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurodata as nd
from neurodata import functional as F
from neurodata import transforms as T
from neurodata.testing import random_events

SENSOR = nd.SensorSize(8, 6)


@pytest.fixture
def ev(rng: np.random.Generator) -> np.ndarray:
    return random_events(rng, SENSOR, 200, duration_us=10_000)


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda e: F.denoise(e, SENSOR, 100), "needs events sorted by t"),
        (lambda e: F.refractory_period(e, 100), "needs events sorted by t"),
        (lambda e: F.add_events(e, e[:3]), "needs events sorted by t"),
        (lambda e: F.integrator_downsample(e, SENSOR, (4, 3), 100, 1), "needs events sorted by t"),
        (lambda e: T.ToFrames(SENSOR, duration=100)(e), "not sorted"),
    ],
)
def test_unsorted_time_where_order_matters(ev: np.ndarray, fn, match: str) -> None:
    bad = ev.copy()
    bad["t"][[10, 11]] = bad["t"][[11, 10]] + np.array([0, 5])
    bad["t"][11] = bad["t"][10] - 1
    with pytest.raises(ValueError, match=match):
        fn(bad)


@pytest.mark.parametrize(
    "fn",
    [
        lambda e: F.denoise(e, SENSOR, 10),
        lambda e: F.refractory_period(e, 10),
        lambda e: F.decimation(e, 2),
        lambda e: F.crop(e, (1, 1), (3, 3)),
        lambda e: F.flip_lr(e, SENSOR),
        lambda e: F.time_reversal(e),
        lambda e: F.time_alignment(e),
        lambda e: F.drop_by_time(e, 0.5, np.random.default_rng(0)),
        lambda e: F.uniform_noise(e, SENSOR, 10, np.random.default_rng(0)),
        lambda e: F.hot_pixels(e, 10),
        lambda e: F.drop_pixels(e, [(1, 1)]),
        lambda e: F.integrator_downsample(e, SENSOR, (4, 3), 100, 1),
        lambda e: F.spatial_jitter(e, SENSOR, np.random.default_rng(0)),
        lambda e: F.drop_fraction(e, 0.5, np.random.default_rng(0)),
    ],
)
def test_empty_streams_give_empty_results(fn) -> None:
    empty = nd.make_events([], [], [], [])
    out = fn(empty)
    assert len(out) == 0


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda e: F.flip_lr(e, (4, 6)), r"x=\d+, outside 0..3: the sensor_size is too small"),
        (lambda e: F.flip_ud(e, (8, 2)), r"y=\d+, outside 0..1"),
        (lambda e: F.denoise(e, (3, 3), 10), "too small"),
        (lambda e: F.drop_pixel_mask(e, np.zeros((2, 2), bool)), "too small"),
        (lambda e: F.downsample(e, sensor=(4, 4), target_size=(2, 2)), "too small"),
        (lambda e: F.integrator_downsample(e, (4, 4), (2, 2), 100, 1), "too small"),
    ],
)
def test_sensor_too_small(ev: np.ndarray, fn, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fn(ev)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: T.RefractoryPeriod(-1), "must be non-negative"),
        (lambda: T.RefractoryPeriod(math.nan), "finite number"),
        (lambda: T.RefractoryPeriod((5, 1)), "low <= high"),
        (lambda: T.SpatialJitter(SENSOR, var_x=-1), "var_x must be non-negative"),
        (lambda: T.SpatialJitter(SENSOR, var_x=1, var_y=1, sigma_xy=2), "positive semi-definite"),
        (lambda: T.TimeSkew(math.inf), "finite number"),
        (lambda: T.DropEvent(1.5), r"in \[0, 1\]"),
        (lambda: T.DropEventByTime(1.0), "below 1"),
        (lambda: T.DropEventByArea(SENSOR, -0.1), "non-negative"),
        (lambda: T.UniformNoise(SENSOR, -3), "non-negative"),
        (lambda: T.Decimation(0), "positive integer"),
        (lambda: T.CropTime(10, 5), "below t_min"),
        (lambda: T.DropPixel(), "exactly one of coordinates or hot_pixel_frequency"),
        (lambda: T.RandomFlipPolarity(p=math.nan), r"in \[0, 1\]"),
        (lambda: T.EventDownsampling(SENSOR, (4, 4), dt=-1), "dt must be positive"),
        (lambda: T.EventDownsampling(SENSOR, (4, 4), dt=1, method="avg"), "'integrator' or 'differentiator'"),
        (lambda: T.RandomRoll(-1), "integer >= 0"),
        (lambda: T.RandomRotation(math.nan), "finite number >= 0"),
        (lambda: T.RandomCutout(-2), "integer >= 0"),
    ],
)
def test_bad_parameters_fail_when_built(make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_call_arguments(ev: np.ndarray) -> None:
    with pytest.raises(ValueError, match="noise_threshold must be an integer >= 1"):
        F.integrator_downsample(ev, SENSOR, (4, 3), 100, 0)
    with pytest.raises(ValueError, match="filter_time must be non-negative"):
        F.denoise(ev, SENSOR, -5)
    with pytest.raises(ValueError, match="time_factor must be positive"):
        F.downsample(ev, 1.0, 0.0)
    with pytest.raises(ValueError, match="shifts need one value per event"):
        F.shift_times(ev, np.zeros(3))
    with pytest.raises(ValueError, match=r"'t' would become -5\.0 at index 0, which its type uint32 cannot hold"):
        F.time_skew(np.zeros(2, dtype=[("t", "u4")]), 1.0, -5.0)
    with pytest.raises(TypeError, match="unstructured array"):
        F.flip_polarity(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="lack field"):
        F.denoise(np.zeros(3, dtype=[("x", int), ("t", int)]))
    three = ev.copy()
    three["p"][0] = 2
    with pytest.raises(ValueError, match="no ON/OFF to swap"):
        F.flip_polarity(three)
