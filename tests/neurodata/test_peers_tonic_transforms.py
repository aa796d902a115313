"""Tonic 1.7's transforms against ours on identical inputs: equal outputs after the same ``np.random.seed``,
or Tonic's bug named and shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import neurodata.compat.tonic.functional as OF
import neurodata.compat.tonic.transforms as OT
from tests.peers import tonic

pytestmark = pytest.mark.peers

SENSOR = (40, 30, 2)
TONIC_STRUCT = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])
TEST_LAYOUT = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])


def _events(
    dtype: np.dtype = TEST_LAYOUT, n: int = 3000, t0: int = 1, sensor: tuple = SENSOR, seed: int = 0
) -> np.ndarray:
    r = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=dtype)
    ev["x"], ev["y"] = r.integers(0, sensor[0], n), r.integers(0, sensor[1], n)
    ev["p"] = r.integers(0, sensor[2], n)
    ev["t"] = np.sort(r.integers(t0, t0 + 200_000, n))
    return ev


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    assert a.dtype == b.dtype
    assert a.shape == b.shape
    if a.dtype.names:
        for name in a.dtype.names:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    else:
        np.testing.assert_array_equal(a, b)


def _seeded(fn: Callable[[np.ndarray], Any], ev: np.ndarray, seed: int) -> Any:
    np.random.seed(seed)
    return fn(ev.copy())


def _cases() -> list[tuple[str, Callable[[Any], Any]]]:
    s = SENSOR
    return [
        ("CenterCrop(20)", lambda T: T.CenterCrop(sensor_size=s, size=20)),
        ("CenterCrop(60, 50) pads", lambda T: T.CenterCrop(sensor_size=s, size=(60, 50))),
        ("CropTime", lambda T: T.CropTime(min=1000, max=90_000)),
        ("CropTime(max=None)", lambda T: T.CropTime(min=5000)),
        ("Decimation", lambda T: T.Decimation(n=3)),
        ("DropEvent", lambda T: T.DropEvent(p=0.3)),
        ("DropEvent range", lambda T: T.DropEvent(p=(0.1, 0.6))),
        ("DropEventByTime", lambda T: T.DropEventByTime(duration_ratio=0.3)),
        ("DropEventByTime range", lambda T: T.DropEventByTime(duration_ratio=(0.1, 0.5))),
        ("DropEventByArea", lambda T: T.DropEventByArea(sensor_size=s, area_ratio=0.3)),
        ("DropPixel coordinates", lambda T: T.DropPixel(coordinates=[(1, 2), (3, 4), (39, 29)])),
        ("DropPixel hot", lambda T: T.DropPixel(hot_pixel_frequency=12)),
        ("Downsample", lambda T: T.Downsample(time_factor=0.37, spatial_factor=(0.5, 0.25))),
        ("Downsample target", lambda T: T.Downsample(sensor_size=s, target_size=(13, 7))),
        ("EventDrop", lambda T: T.EventDrop(sensor_size=s)),
        (
            "EventDownsampling integrator",
            lambda T: T.EventDownsampling(s, (10, 10), "integrator", dt=2.0, noise_threshold=2),
        ),
        (
            "EventDownsampling differentiator",
            lambda T: T.EventDownsampling(
                s, (8, 6), "differentiator", dt=5, noise_threshold=1, differentiator_time_bins=2
            ),
        ),
        ("MergePolarities", lambda T: T.MergePolarities()),
        ("RandomCrop", lambda T: T.RandomCrop(sensor_size=s, target_size=(17, 9))),
        ("RandomDropPixel", lambda T: T.RandomDropPixel(p=0.3, sensor_size=s)),
        ("RandomFlipPolarity", lambda T: T.RandomFlipPolarity(p=0.5)),
        ("RandomFlipLR", lambda T: T.RandomFlipLR(sensor_size=s, p=0.5)),
        ("RandomFlipUD", lambda T: T.RandomFlipUD(sensor_size=s, p=0.5)),
        ("RandomTimeReversal", lambda T: T.RandomTimeReversal(p=0.5)),
        ("RandomTimeReversal keep polarity", lambda T: T.RandomTimeReversal(p=0.9, flip_polarities=False)),
        ("RefractoryPeriod", lambda T: T.RefractoryPeriod(delta=2000)),
        ("RefractoryPeriod range", lambda T: T.RefractoryPeriod(delta=(500, 5000))),
        ("SpatialJitter", lambda T: T.SpatialJitter(sensor_size=s, var_x=4, var_y=2, sigma_xy=1)),
        ("SpatialJitter clip", lambda T: T.SpatialJitter(sensor_size=s, var_x=30, var_y=30, clip_outliers=True)),
        ("TimeAlignment", lambda T: T.TimeAlignment()),
        ("TimeJitter", lambda T: T.TimeJitter(std=30, clip_negative=False)),
        ("TimeJitter clip", lambda T: T.TimeJitter(std=300, clip_negative=True)),
        ("TimeSkew", lambda T: T.TimeSkew(coefficient=1.3, offset=100)),
        ("TimeSkew range", lambda T: T.TimeSkew(coefficient=(0.8, 1.2), offset=(0, 150))),
        ("UniformNoise int p", lambda T: T.UniformNoise(sensor_size=s, n=500)),
        ("NumpyAsType", lambda T: T.NumpyAsType(int)),
        ("ToFrame time_window", lambda T: T.ToFrame(sensor_size=s, time_window=20_000)),
        (
            "ToFrame event_count overlap",
            lambda T: T.ToFrame(sensor_size=s, event_count=500, overlap=100, include_incomplete=True),
        ),
        ("ToFrame n_event_bins", lambda T: T.ToFrame(sensor_size=s, n_event_bins=7, overlap=0.2)),
        ("ToFrame inferred sensor", lambda T: T.ToFrame(sensor_size=None, event_count=700)),
        (
            "ToFrame one polarity",
            lambda T: T.Compose([T.MergePolarities(), T.ToFrame(sensor_size=(40, 30, 1), time_window=30_000)]),
        ),
    ]


@pytest.mark.parametrize("dtype", [TEST_LAYOUT, TONIC_STRUCT], ids=["int64 fields", "events_struct"])
@pytest.mark.parametrize(("name", "make"), _cases(), ids=[c[0] for c in _cases()])
def test_equals_tonic_under_the_same_seed(name: str, make: Callable[[Any], Any], dtype: np.dtype) -> None:
    tn = tonic()
    if dtype == TONIC_STRUCT and name.startswith("UniformNoise"):
        pytest.skip("bool polarity: see test_uniform_noise_bool_polarity")
    ev = _events(dtype)
    if "DropEventByTime" in name or "EventDrop" in name:
        ev["t"] -= ev["t"][0]  # Tonic places the window from t = 0 (see test_drop_by_time_tonic_measures_from_zero)
    for seed in range(4):
        want = _seeded(make(tn.transforms), ev, seed)
        after_tonic = np.random.random()  # both must consume the same draws
        got = _seeded(make(OT), ev, seed)
        assert np.random.random() == after_tonic
        if "UniformNoise" in name:  # Tonic's unstable sort orders equal timestamps arbitrarily
            want, got = np.sort(want, order=list(ev.dtype.names)), np.sort(got, order=list(ev.dtype.names))
        _same(got, want)


def test_time_reversal_and_drop_pixel_on_frames() -> None:
    tn = tonic()
    frames = np.random.default_rng(1).integers(0, 9, (6, 2, 30, 40))
    for seed in range(3):
        _same(
            _seeded(OT.RandomTimeReversal(p=0.5), frames, seed),
            _seeded(tn.transforms.RandomTimeReversal(p=0.5), frames, seed),
        )
        _same(
            _seeded(OT.RandomDropPixel(p=0.2), frames, seed),
            _seeded(tn.transforms.RandomDropPixel(p=0.2), frames, seed),
        )
    for kw in ({"coordinates": [(3, 4), (39, 0)]}, {"hot_pixel_frequency": 60}):
        _same(OT.DropPixel(**kw)(frames.copy()), tn.transforms.DropPixel(**kw)(frames.copy()))


def test_functional_names_equal_tonic() -> None:
    tn = tonic()
    ev = _events()
    TF = tn.functional
    for seed in range(3):
        _same(
            _seeded(lambda e: OF.crop_numpy(e, SENSOR, (10, 12)), ev, seed),
            _seeded(lambda e: TF.crop_numpy(e, SENSOR, (10, 12)), ev, seed),
        )
        _same(
            _seeded(lambda e: OF.drop_event_numpy(e, 0.25), ev, seed),
            _seeded(lambda e: TF.drop_event_numpy(e, 0.25), ev, seed),
        )
        _same(
            _seeded(lambda e: OF.time_jitter_numpy(e, 10, True, False), ev, seed),
            _seeded(lambda e: TF.time_jitter_numpy(e, 10, True, False), ev, seed),
        )
        order = list(ev.dtype.names)
        _same(
            np.sort(_seeded(lambda e: OF.uniform_noise_numpy(e, SENSOR, 50), ev, seed), order=order),
            np.sort(_seeded(lambda e: TF.uniform_noise_numpy(e, SENSOR, 50), ev, seed), order=order),
        )
    np.testing.assert_array_equal(OF.identify_hot_pixel(ev, 20), TF.identify_hot_pixel(ev, 20))
    frames = np.random.default_rng(2).integers(0, 5, (3, 2, 30, 40))
    assert OF.identify_hot_pixel_raster(frames, 40) == TF.identify_hot_pixel_raster(frames, 40)


def test_denoise_tonic_keeps_isolated_events_before_filter_time() -> None:
    """Tonic's bug: every pixel's memory starts at filter_time, so an isolated event with t < filter_time
    passes. Everywhere else the results are equal."""
    tn = tonic()
    ev = _events(n=4000)
    ft = 5000
    ours, theirs = OT.Denoise(filter_time=ft)(ev), tn.transforms.Denoise(filter_time=ft)(ev)
    _same(ours[ours["t"] >= ft], theirs[theirs["t"] >= ft])
    assert np.isin(ours, theirs).all()
    extra = theirs[~np.isin(theirs, ours)]
    assert len(extra) > 0
    assert (extra["t"] < ft).all()


def test_refractory_period_tonic_drops_first_events_at_t0() -> None:
    """Tonic's bug: memories start at -delta, so a pixel's first event at t <= 0 is dropped."""
    tn = tonic()
    ev = _events(t0=0)
    ev["t"][:5] = 0
    ours, theirs = OT.RefractoryPeriod(delta=1000)(ev), tn.transforms.RefractoryPeriod(delta=1000)(ev)
    assert len(ours) == len(theirs) + len({(int(e["x"]), int(e["y"])) for e in ev[:5]})
    _same(ours[ours["t"] > 0], theirs[theirs["t"] > 0])


def test_drop_by_time_tonic_measures_from_zero() -> None:
    """Tonic's bug: the window is placed in [0, t_max], not in the recording: with an offset it can miss."""
    tn = tonic()
    ev = _events(t0=10_000_000)
    misses = sum(len(_seeded(tn.transforms.DropEventByTime(duration_ratio=0.5), ev, s)) == len(ev) for s in range(20))
    assert misses >= 15
    assert all(len(_seeded(OT.DropEventByTime(duration_ratio=0.5), ev, s)) < len(ev) for s in range(20))


def test_drop_by_area_range_tonic_draws_above_the_range() -> None:
    """Tonic's bug: ``np.random.uniform(lo and hi)`` draws the ratio from [hi, 1), not [lo, hi)."""
    tn = tonic()
    ev = _events(n=20_000)
    sizes_t = [len(ev) - len(_seeded(tn.transforms.DropEventByArea(SENSOR, (0.1, 0.3)), ev, s)) for s in range(10)]
    sizes_o = [len(ev) - len(_seeded(OT.DropEventByArea(SENSOR, (0.1, 0.3)), ev, s)) for s in range(10)]
    area = len(ev) / (SENSOR[0] * SENSOR[1])
    assert min(sizes_t) > (0.3 * SENSOR[0]) * (0.3 * SENSOR[1]) * area * 0.7
    assert max(sizes_o) < (0.3 * SENSOR[0] + 1) * (0.3 * SENSOR[1] + 1) * area * 1.3


def test_uniform_noise_bool_polarity() -> None:
    """Tonic stores the raw uniform draw into a bool p, so its noise is all ON; ours splits ON/OFF."""
    tn = tonic()
    ev = _events(TONIC_STRUCT)
    theirs = _seeded(tn.transforms.UniformNoise(SENSOR, n=2000), ev, 0)
    ours = _seeded(OT.UniformNoise(SENSOR, n=2000), ev, 0)
    for f in ("x", "y", "t"):
        np.testing.assert_array_equal(np.sort(ours[f]), np.sort(theirs[f]))
    noise_on = ours["p"].sum() - ev["p"].sum()
    assert 800 < noise_on < 1200
    assert theirs["p"].sum() - ev["p"].sum() == 2000


def test_toframe_empty_and_wide_counts() -> None:
    """Tonic's empty branch returns float64 `[T, P, W, H]`; ours keeps `[T, P, H, W]`. Counts beyond int16 wrap
    in Tonic and widen here."""
    tn = tonic()
    empty = _events(n=0)
    assert tn.transforms.ToFrame(sensor_size=SENSOR, n_time_bins=3)(empty).shape == (3, 2, 40, 30)
    got = OT.ToFrame(sensor_size=SENSOR, n_time_bins=3)(empty)
    assert got.shape == (3, 2, 30, 40)
    assert got.dtype == np.int16
    assert not got.any()
    ev = _events(n=40_000)
    ev["x"], ev["y"], ev["p"] = 0, 0, 1
    assert tn.transforms.ToFrame(sensor_size=SENSOR, n_event_bins=1)(ev.copy()).min() < 0
    wide = OT.ToFrame(sensor_size=SENSOR, n_event_bins=1)(ev)
    assert wide.dtype == np.int32
    assert wide[0, 1, 0, 0] == 40_000


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize(
    "kw",
    [
        {"time_window": 15_000},
        {"time_window": 15_000, "overlap": 5000, "include_incomplete": True},
        {"event_count": 333, "overlap": 33},
        {"event_count": 333, "include_incomplete": True},
        {"n_event_bins": 6, "overlap": 0.3},
        {"n_event_bins": 6},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_toframe_equals_tonic(channels: int, kw: dict) -> None:
    tn = tonic()
    sensor = (40, 30, channels)
    ev = _events(sensor=sensor)
    if channels == 1:
        ev["p"] = 0
    want = tn.transforms.ToFrame(sensor_size=sensor, **kw)(ev.copy())
    got = OT.ToFrame(sensor_size=sensor, **kw)(ev)
    _same(got, want)


def test_toframe_audio_events() -> None:
    tn = tonic()
    dtype = np.dtype([("x", int), ("t", int), ("p", int)])
    ev = np.zeros(2000, dtype=dtype)
    r = np.random.default_rng(3)
    ev["x"], ev["p"], ev["t"] = r.integers(0, 70, 2000), r.integers(0, 2, 2000), np.sort(r.integers(0, 10**6, 2000))
    for kw in ({"time_window": 25_000}, {"event_count": 100}):
        _same(OT.ToFrame(sensor_size=(70, 1, 2), **kw)(ev), tn.transforms.ToFrame(sensor_size=(70, 1, 2), **kw)(ev))


def test_toframe_keeps_the_events_tonic_drops_at_the_end() -> None:
    """n_time_bins: Tonic's floored, half-open bins lose the last event; time_window with include_incomplete loses
    the events exactly at the last window's end. Same shapes, every event counted here."""
    tn = tonic()
    ev = _events()
    for kw in ({"n_time_bins": 7}, {"time_window": 20_000, "include_incomplete": True}):
        e = ev.copy()
        if "time_window" in kw:
            e["t"][-3:] = e["t"][0] + 20_000 * 10  # the recording ends exactly on a window boundary
        theirs = tn.transforms.ToFrame(sensor_size=SENSOR, **kw)(e.copy())
        ours = OT.ToFrame(sensor_size=SENSOR, **kw)(e)
        assert ours.shape == theirs.shape
        assert ours.sum() == len(e)
        assert theirs.sum() < len(e)


def test_compose_runs_on_empty_streams() -> None:
    """Tonic's Compose stops at an empty stream and returns the events, not the frames the chain ends with."""
    tn = tonic()
    empty = _events(n=0)
    chain = [("Denoise", {"filter_time": 100}), ("ToFrame", {"sensor_size": SENSOR, "n_time_bins": 2})]
    theirs = tn.transforms.Compose([getattr(tn.transforms, n)(**k) for n, k in chain])(empty)
    ours = OT.Compose([getattr(OT, n)(**k) for n, k in chain])(empty)
    assert theirs.dtype.names is not None
    assert ours.shape == (2, 2, 30, 40)


def test_representation_functional_names() -> None:
    tn = tonic()
    ev = _events(n=2000)
    ev["t"] -= ev["t"][0]
    np.testing.assert_allclose(
        OF.to_voxel_grid_numpy(ev, SENSOR, 5),
        tn.functional.to_voxel_grid_numpy(ev.copy(), SENSOR, 5),
        rtol=1e-9,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        OF.to_timesurface_numpy(ev, SENSOR, 50_000, 10_000),
        tn.functional.to_timesurface_numpy(ev, SENSOR, 50_000, 10_000),
        rtol=1e-6,
        atol=1e-9,
    )
    frames = OT.ToFrame(sensor_size=SENSOR, n_event_bins=8)(ev).clip(0, 1)
    np.testing.assert_array_equal(OF.to_bina_rep_numpy(frames, 2, 4), tn.functional.to_bina_rep_numpy(frames, 2, 4))
    with pytest.raises(ValueError, match="overlapping windows"):
        OF.to_timesurface_numpy(ev, SENSOR, 50_000, 10_000, overlap=10)
