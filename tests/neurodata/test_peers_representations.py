"""Parity of the representations with Tonic 1.7 and evlib 0.13 on identical events, and their bugs, named."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from neurodata.compat.tonic import _representations as ours
from neurodata.compat.tonic import transforms as OT
from neurodata.integrate import representations as R
from neurodata.spec import Windows
from tests.peers import tonic_transforms
from tests.strategies import streams

pytestmark = pytest.mark.peers

TONIC_DTYPE = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])  # Tonic's test events


def _tonic_events(ev: dict, dtype: np.dtype = TONIC_DTYPE) -> np.ndarray:
    out = np.zeros(len(ev["t"]), dtype=dtype)
    for k in ("x", "y", "t", "p"):
        out[k] = ev[k]
    return out


def _random(rng: np.random.Generator, n: int, w: int, h: int, span: int = 1_000_000) -> np.ndarray:
    ev = {"t": np.sort(rng.integers(0, span, n)), "x": rng.integers(0, w, n), "y": rng.integers(0, h, n)}
    ev["p"] = rng.integers(0, 2, n)
    return _tonic_events(ev)


def _evlib() -> tuple:
    evlib = pytest.importorskip("evlib", reason="evlib not installed (the bench extra installs it)")
    pl = pytest.importorskip("polars", reason="polars (evlib's dependency) not installed")
    return evlib, pl


# ------------------------------------------------------------------------------------------------ Tonic


@given(streams(), st.integers(1, 8))
def test_voxel_grid_equals_tonic(s: tuple, n_bins: int) -> None:
    tt = tonic_transforms()
    ev, h, w = s
    if len(ev["t"]) < 2 or ev["t"][-1] == ev["t"][0]:  # Tonic divides by the span (see the all-equal test)
        return
    events = _tonic_events(ev)
    want = tt.ToVoxelGrid(sensor_size=(w, h, 2), n_time_bins=n_bins)(events)
    got = ours.ToVoxelGrid(sensor_size=(w, h, 2), n_time_bins=n_bins)(events)
    assert got.shape == want.shape == (n_bins, 1, h, w)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_tonic_voxel_grid_loses_bool_polarities(rng: np.random.Generator) -> None:
    """Tonic's ``p[p == 0] = -1`` on bool polarities (its own ``events_struct``) sets False to True."""
    tt = tonic_transforms()
    events = _random(rng, 500, 12, 9)
    as_bool = np.zeros(len(events), dtype=[("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])
    for k in ("x", "y", "t", "p"):
        as_bool[k] = events[k]
    tonic_bool = tt.ToVoxelGrid((12, 9, 2), 5)(as_bool)
    all_on = events.copy()
    all_on["p"] = 1
    np.testing.assert_allclose(tonic_bool, tt.ToVoxelGrid((12, 9, 2), 5)(all_on))  # every event weighs +1
    np.testing.assert_allclose(ours.ToVoxelGrid((12, 9, 2), 5)(as_bool), tt.ToVoxelGrid((12, 9, 2), 5)(events))


def test_voxel_grid_of_equal_timestamps_where_tonic_divides_by_zero() -> None:
    tt = tonic_transforms()
    events = _tonic_events({"t": np.full(3, 5), "x": np.array([0, 1, 1]), "y": np.zeros(3), "p": np.array([1, 0, 0])})
    with np.errstate(all="ignore"):
        assert np.isnan(tt.ToVoxelGrid((2, 1, 2), 3)(events)).any()  # 0/0 spreads NaN over the grid
    np.testing.assert_array_equal(ours.ToVoxelGrid((2, 1, 2), 3)(events)[:, 0, 0], [[1.0, -2.0], [0, 0], [0, 0]])


@given(streams(), st.sampled_from([7, 100, 333]), st.sampled_from([10.0, 1000.0, 1e5]))
def test_time_surface_equals_tonic(s: tuple, dt: int, tau: float) -> None:
    tt = tonic_transforms()
    ev, h, w = s
    if not len(ev["t"]) or (ev["t"][-1] - ev["t"][0]) // dt > 500:  # Tonic loops over windows in Python
        return
    events = _tonic_events(ev)
    want = tt.ToTimesurface(sensor_size=(w, h, 2), dt=dt, tau=tau)(events)
    got = ours.ToTimesurface(sensor_size=(w, h, 2), dt=dt, tau=tau)(events)
    assert got.shape == want.shape
    assert got.dtype == want.dtype == np.float64
    # a pixel without a new event decays by a product of per-window factors: equal to a few ulps
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)


def test_tonic_time_surface_reads_overlapping_windows_at_the_wrong_time(rng: np.random.Generator) -> None:
    """Tonic's functional form reads window i at ``(i+1)*dt + t0`` even with overlap (its end is later)."""
    pytest.importorskip("tonic")
    from tonic.functional import to_timesurface_numpy

    events = _random(rng, 2000, 10, 8)
    dt, overlap, tau = 50_000, 20_000, 30_000.0
    want = to_timesurface_numpy(events, (10, 8, 2), dt, tau, overlap=overlap)
    ev = {k: events[k] for k in ("t", "x", "y", "p")}
    b = R.window_bounds(ev["t"], windows=Windows(time_window=dt, overlap=overlap, compat="tonic"))
    tonic_reads = events["t"][0] + dt * np.arange(1, len(b.starts) + 1, dtype=np.float64)
    as_tonic = R.time_surface(ev, 8, 10, tau, windows=b._replace(ends=tonic_reads), dtype=np.float64)
    np.testing.assert_allclose(as_tonic, want, rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(b.ends - tonic_reads, -overlap * np.arange(len(b.ends)))  # Tonic reads late
    assert not np.array_equal(R.time_surface(ev, 8, 10, tau, windows=b, dtype=np.float64)[1:], want[1:])


@pytest.mark.parametrize(
    ("surface_size", "cell_size", "tau", "decay"), [(7, 9, 100, "lin"), (3, 4, 1000, "exp"), (5, 5, 50, "exp")]
)
def test_averaged_time_surface_equals_tonic(
    surface_size: int, cell_size: int, tau: float, decay: str, rng: np.random.Generator
) -> None:
    tt = tonic_transforms()
    events = _random(rng, 1500, 23, 17, span=200_000)  # below 2**24 us: Tonic's float32 times are exact
    kw = {"surface_size": surface_size, "cell_size": cell_size, "time_window": 3000.0, "tau": tau, "decay": decay}
    want = tt.ToAveragedTimesurface(sensor_size=(23, 17, 2), **kw)(events)
    got = ours.ToAveragedTimesurface(sensor_size=(23, 17, 2), **kw)(events)
    assert got.shape == want.shape
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)  # Tonic sums in float32
    assert np.abs(want).sum() > 10


@pytest.mark.parametrize(("n_frames", "n_bits"), [(1, 8), (2, 8), (3, 4), (2, 16)])
def test_bina_rep_equals_tonic(n_frames: int, n_bits: int, rng: np.random.Generator) -> None:
    tt = tonic_transforms()
    events = _random(rng, 3000, 16, 12)
    frames = tt.ToFrame(sensor_size=(16, 12, 2), n_time_bins=n_frames * n_bits)(events.copy())
    want = tt.ToBinaRep(n_frames=n_frames, n_bits=n_bits)(frames)
    got = ours.ToBinaRep(n_frames=n_frames, n_bits=n_bits)(frames)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    ev = {k: events[k] for k in ("t", "x", "y", "p")}
    from neurodata.spec import BinaRep

    direct = R.represent(ev, 12, 16, BinaRep(n_bits), windows=Windows(n_time_bins=n_frames * n_bits, compat="tonic"))
    np.testing.assert_array_equal(direct, want)
    with pytest.raises(ValueError, match="right number of frames"):
        ours.ToBinaRep(n_frames=n_frames + 1, n_bits=n_bits)(frames)


@pytest.mark.parametrize("sensor", [(40, 20, 2), (20, 20, 1), (10, 20, 3)])
@pytest.mark.parametrize(
    "slicing",
    [
        {"time_window": 20_000},
        {"time_window": 20_000, "overlap": 2000, "include_incomplete": True},
        {"event_count": 700, "overlap": 100, "include_incomplete": True},
        {"n_time_bins": 5, "overlap": 0.25},
        {"n_event_bins": 5, "overlap": 0.1},
    ],
)
def test_sparse_tensor_and_image_equal_toframe_and_tonic(
    sensor: tuple, slicing: dict, rng: np.random.Generator
) -> None:
    tt = tonic_transforms()
    n = 5000
    events = np.zeros(n, dtype=TONIC_DTYPE)
    events["x"], events["y"] = rng.integers(0, sensor[0], n), rng.integers(0, sensor[1], n)
    events["p"], events["t"] = rng.integers(0, sensor[2], n), np.sort(rng.integers(0, 10**6, n))
    want = tt.ToSparseTensor(sensor_size=sensor, **slicing)(events.copy())
    got = ours.ToSparseTensor(sensor_size=sensor, **slicing)(events)
    assert got.is_sparse
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    frames = OT.ToFrame(sensor_size=sensor, **slicing)(events)
    np.testing.assert_array_equal(got.to_dense().numpy(), frames)  # one path: ToFrame's windows and counts
    if "n_time_bins" in slicing:
        # Tonic's last half-open bin loses the last event, which ToFrame (and so ToSparseTensor) keeps
        extra = got.to_dense() - want.to_dense()
        assert extra.min() == 0
        assert extra[:-1].abs().sum() == 0
        last = events[-1]
        channel = 0 if sensor[2] == 1 else last["p"]
        assert extra[-1, channel, last["y"], last["x"]] >= 1
    else:
        torch.testing.assert_close(got.to_dense(), want.to_dense(), rtol=0, atol=0)
    np.testing.assert_array_equal(ours.ToImage(sensor)(events), tt.ToImage(sensor)(events.copy()))


@pytest.mark.parametrize("kw", [{"n_time_bins": 7}, {"time_window": 20_000, "include_incomplete": True}])
def test_sparse_tensor_keeps_the_end_events_as_toframe(kw: dict, rng: np.random.Generator) -> None:
    """The end-event cases where Tonic's windows drop events: ToSparseTensor counts them, as ToFrame does."""
    tt = tonic_transforms()
    sensor = (16, 12, 2)
    events = _random(rng, 3000, 16, 12)
    events["t"][-3:] = events["t"][0] + 20_000 * 60  # the recording ends exactly on a window boundary
    theirs = tt.ToSparseTensor(sensor_size=sensor, **kw)(events.copy()).to_dense()
    got = ours.ToSparseTensor(sensor_size=sensor, **kw)(events).to_dense()
    assert got.shape == theirs.shape
    np.testing.assert_array_equal(got.numpy(), OT.ToFrame(sensor_size=sensor, **kw)(events))
    assert int(got[-1].sum()) > int(theirs[-1].sum())
    assert int(got.sum()) == len(events)  # windows that partition the recording: every event counted once
    assert int(theirs.sum()) < int(got.sum())


def test_tonic_names_refuse_bad_input(rng: np.random.Generator) -> None:
    events = _random(rng, 100, 10, 10)
    with pytest.raises(ValueError, match="dt must be a positive number"):
        ours.ToTimesurface((10, 10, 2), dt=0, tau=10)(events)
    with pytest.raises(ValueError, match=r"TimeSurface\.tau must be a positive, finite number, got nan"):
        ours.ToTimesurface((10, 10, 2), dt=100, tau=float("nan"))(events)
    with pytest.raises(ValueError, match="sensor_size must be"):
        ours.ToVoxelGrid((10, 10), 3)(events)
    with pytest.raises(ValueError, match="field 'x' at index"):
        ours.ToVoxelGrid((5, 10, 2), 3)(events)
    backwards = events[::-1].copy()
    with pytest.raises(ValueError, match="not sorted"):
        ours.ToAveragedTimesurface((10, 10, 2))(backwards)
    with pytest.raises(ValueError, match="no events"):
        ours.ToTimesurface((10, 10, 2), dt=100, tau=10)(events[:0])


# ------------------------------------------------------------------------------------------------ evlib


def _rvt_windows(t: np.ndarray, grid: np.ndarray, dt: int) -> R.Bounds:
    """RVT's windows: events with ``T - dt <= t <= T`` for each window end T (both ends included)."""
    return R.Bounds(np.searchsorted(t, grid - dt, "left"), np.searchsorted(t, grid, "right"), grid.astype(float))


@pytest.mark.parametrize(("n_bins", "cutoff"), [(10, 255), (3, 4), (1, 255)])
def test_stacked_histogram_equals_evlib_rvt(n_bins: int, cutoff: int, rng: np.random.Generator) -> None:
    evlib, _ = _evlib()
    h, w, n, dt = 12, 16, 40_000, 50_000
    t = np.sort(rng.integers(0, 1_000_000, n)).astype(np.int64)
    x, y, p = rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(0, 2, n)
    grid = np.arange(dt, 1_000_001, dt, dtype=np.int64)
    rows, cols = np.arange(h, dtype=np.int64), np.arange(w, dtype=np.int64)
    want = evlib.representations_rs.stacked_histogram_dense(t, x, y, p, grid, dt, n_bins, cutoff, rows, cols, h, w)
    got = R.stacked_histogram(
        {"t": t, "x": x, "y": y, "p": p}, h, w, n_bins, count_cutoff=cutoff, windows=_rvt_windows(t, grid, dt)
    )
    assert got.dtype == want.dtype == np.uint8
    np.testing.assert_array_equal(got, want)


def test_evlib_bins_exactly_where_rvt_rounds_in_float32() -> None:
    """RVT divides in float32 (torch's int64 / int); evlib in float64. 7069931 / 8248253 * 7 = 5.99999996
    exactly, 6.0 in float32: RVT and we put the event in bin 6, evlib in bin 5."""
    evlib, _ = _evlib()
    span, u, n_bins = 8248253, 7069931, 7
    t, x = np.array([0, u, span], dtype=np.int64), np.array([0, 1, 2], dtype=np.int64)
    zero = np.zeros(3, dtype=np.int64)
    rvt_like = torch.floor(torch.tensor(t) / span * n_bins).tolist()
    assert rvt_like == [0.0, 6.0, 7.0]
    ev = {"t": t, "x": x, "y": zero, "p": zero}
    got = R.stacked_histogram(ev, 1, 3, n_bins)[0, :, 0, 1]
    assert got.argmax() == 6
    rows, cols = np.zeros(1, dtype=np.int64), np.arange(3, dtype=np.int64)
    theirs = evlib.representations_rs.stacked_histogram_dense(
        t, x, zero, zero, np.array([span]), span, n_bins, 255, rows, cols, 1, 3
    )
    assert theirs[0, :, 0, 1].argmax() == 5


def test_voxel_grid_and_time_surface_equal_evlib(rng: np.random.Generator) -> None:
    evlib, pl = _evlib()
    h, w, n = 10, 14, 20_000
    t = np.sort(rng.integers(0, 1_000_000, n))
    ev = {"t": t, "x": rng.integers(0, w, n), "y": rng.integers(0, h, n), "p": rng.integers(0, 2, n)}
    frame = pl.DataFrame({"t": t, "x": ev["x"], "y": ev["y"], "polarity": ev["p"]})
    vox = evlib.densify_voxel_grid(evlib.create_voxel_grid(frame, h, w, 5), 5, h, w)
    np.testing.assert_allclose(R.voxel_grid(ev, h, w, 5, convention="tonic", dtype=np.float64)[0], vox[:, 0], atol=1e-9)
    dt, tau = 30_000, 20_000.0
    long = evlib.create_time_surface(frame, h, w, dt, tau)
    n_slices = max((int(t[-1] - t[0]) - dt) // dt + 1, 1)
    surf = evlib.densify_time_surface(long, n_slices, 2, h, w, dt, tau, float(t[0]))
    got = R.time_surface(ev, h, w, tau, windows=Windows(time_window=dt, compat="tonic"), dtype=np.float64)
    np.testing.assert_allclose(got, surf, rtol=1e-12, atol=1e-300)


def test_tonic_names_read_minus_one_as_off(rng: np.random.Generator) -> None:
    events = _random(rng, 800, 9, 7)
    signed = events.copy()
    signed["p"] = 2 * events["p"] - 1
    for make in (
        lambda: ours.ToTimesurface((9, 7, 2), dt=100_000, tau=5e4),
        lambda: ours.ToVoxelGrid((9, 7, 2), 4),
        lambda: ours.ToAveragedTimesurface((9, 7, 2), surface_size=3, cell_size=3),
        lambda: ours.ToImage((9, 7, 2)),
    ):
        np.testing.assert_array_equal(make()(signed), make()(events))
    assert ours.ToImage((9, 7, 2))(events)[0].sum() == (events["p"] == 0).sum()
