"""Representations against per-event reference loops written here, numpy against torch, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from neurodata.errors import EventsError
from neurodata.integrate import representations as R
from neurodata.spec import (
    AveragedTimeSurface,
    BinaRep,
    Counts,
    FrameSpec,
    StackedHistogram,
    TimeSurface,
    VoxelGrid,
    Windows,
)
from tests.strategies import streams

RULES = [
    None,
    Windows(time_window=300),
    Windows(time_window=500, overlap=200, include_incomplete=True),
    Windows(event_count=7, overlap=3, include_incomplete=True),
    Windows(n_time_bins=4),
    Windows(n_event_bins=3, overlap=0.5),
    Windows(n_time_bins=3, compat="tonic"),
]


def _windows(ev: dict, rule: Windows | None) -> R.Bounds:
    return R.window_bounds(ev["t"], windows=rule)


# ------------------------------------------------------------------------------------------------ references


def _voxel_ref(ev: dict, a: int, b: int, h: int, w: int, n_bins: int, scale: int) -> np.ndarray:
    out = np.zeros((n_bins, h, w))
    if b <= a:
        return out
    t0, span = int(ev["t"][a]), int(ev["t"][b - 1]) - int(ev["t"][a])
    for i in range(a, b):
        tn = scale * (int(ev["t"][i]) - t0) / span if span else 0.0
        k = math.floor(tn)
        d = tn - k
        pol = 1.0 if ev["p"][i] else -1.0
        x, y = int(ev["x"][i]), int(ev["y"][i])
        if k < n_bins:
            out[k, y, x] += pol * (1 - d)
        if k + 1 < n_bins:
            out[k + 1, y, x] += pol * d
    return out


def _surface_ref(ev: dict, stop: int, end: float, h: int, w: int, tau: float) -> np.ndarray:
    last: dict[tuple[int, int, int], int] = {}
    for i in range(stop):
        last[(int(ev["p"][i] != 0), int(ev["y"][i]), int(ev["x"][i]))] = int(ev["t"][i])
    out = np.zeros((2, h, w))
    for (c, y, x), tl in last.items():
        out[c, y, x] = math.exp(-(end - tl) / tau)
    return out


def _stacked_ref(ev: dict, a: int, b: int, h: int, w: int, n_bins: int, cutoff: int) -> np.ndarray:
    out = np.zeros((2, n_bins, h, w), dtype=np.int64)
    if b > a:
        t0, t1 = int(ev["t"][a]), int(ev["t"][b - 1])
        for i in range(a, b):
            q = np.float32(int(ev["t"][i]) - t0) / np.float32(max(t1 - t0, 1))  # float32, as RVT divides
            k = min(int(np.floor(q * np.float32(n_bins))), n_bins - 1)
            out[int(ev["p"][i] != 0), k, int(ev["y"][i]), int(ev["x"][i])] += 1
    return np.minimum(out, cutoff).reshape(2 * n_bins, h, w)


def _hats_ref(ev: dict, h: int, w: int, rep: AveragedTimeSurface) -> np.ndarray:
    s, rho, cs = rep.surface_size, rep.surface_size // 2, rep.cell_size
    gw = -(-w // cs)
    cells = gw * -(-h // cs)
    out = np.zeros((cells, 2, s, s))
    members: dict[tuple[int, int], list[int]] = {}
    for i in range(len(ev["t"])):
        g = (int(ev["y"][i]) // cs * gw + int(ev["x"][i]) // cs, int(ev["p"][i] != 0))
        members.setdefault(g, []).append(i)
    for (cell, c), idx in members.items():
        for n, i in enumerate(idx):
            out[cell, c, rho, rho] += 1
            for j in idx[:n]:
                dt = int(ev["t"][i]) - int(ev["t"][j])
                dx, dy = int(ev["x"][j]) - int(ev["x"][i]), int(ev["y"][j]) - int(ev["y"][i])
                if dt <= rep.time_window and abs(dx) <= rho and abs(dy) <= rho:
                    v = math.exp(-dt / rep.tau) if rep.decay == "exp" else 1 - dt / (3 * rep.tau)
                    out[cell, c, dy + rho, dx + rho] += v
        out[cell, c] /= len(idx)
    return out.reshape(cells * 2, s, s)


# ------------------------------------------------------------------------------------------------ properties


@given(streams(), st.integers(1, 6), st.sampled_from(["eraft", "tonic"]), st.sampled_from(RULES))
def test_voxel_grid_equals_a_per_event_loop(s: tuple, n_bins: int, convention: str, rule: Windows | None) -> None:
    ev, h, w = s
    if not len(ev["t"]):
        return
    got = R.voxel_grid(ev, h, w, n_bins, convention=convention, windows=rule, dtype=np.float64)
    b = _windows(ev, rule)
    scale = n_bins - 1 if convention == "eraft" else n_bins
    want = np.stack(
        [_voxel_ref(ev, int(a), int(e), h, w, n_bins, scale) for a, e in zip(b.starts, b.stops, strict=True)]
    )
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    if convention == "eraft" and rule is None:  # every event's whole weight lands
        assert np.isclose(got.sum(), (ev["p"] != 0).sum() - (ev["p"] == 0).sum())


@given(streams(), st.sampled_from([1.0, 37.5, 1e3, 1e9]), st.sampled_from(RULES))
def test_time_surface_equals_a_per_event_loop(s: tuple, tau: float, rule: Windows | None) -> None:
    ev, h, w = s
    if not len(ev["t"]):
        return
    got = R.time_surface(ev, h, w, tau, windows=rule, dtype=np.float64)
    b = _windows(ev, rule)
    want = np.stack([_surface_ref(ev, int(e), float(end), h, w, tau) for e, end in zip(b.stops, b.ends, strict=True)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)  # denormals: absolute
    assert got.max() <= 1.0


@given(streams(), st.integers(1, 5), st.sampled_from([1, 2, 255]), st.sampled_from(RULES))
def test_stacked_histogram_equals_a_per_event_loop(s: tuple, n_bins: int, cutoff: int, rule: Windows | None) -> None:
    ev, h, w = s
    if not len(ev["t"]):
        return
    got = R.stacked_histogram(ev, h, w, n_bins, count_cutoff=cutoff, windows=rule)
    b = _windows(ev, rule)
    want = np.stack(
        [_stacked_ref(ev, int(a), int(e), h, w, n_bins, cutoff) for a, e in zip(b.starts, b.stops, strict=True)]
    )
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.uint8


@given(
    streams(max_events=60),
    st.sampled_from([(1, 1), (3, 1), (3, 3), (4, 3)]),
    st.sampled_from([0.5, 300.0, 1e6]),
    st.sampled_from(["exp", "lin"]),
)
def test_averaged_time_surface_equals_a_per_event_loop(s: tuple, sizes: tuple, window: float, decay: str) -> None:
    ev, h, w = s
    if not len(ev["t"]):
        return
    rep = AveragedTimeSurface(cell_size=sizes[0], surface_size=sizes[1], time_window=window, tau=50.0, decay=decay)
    got = R.represent(ev, h, w, rep, dtype=np.float64)[0]
    np.testing.assert_allclose(got, _hats_ref(ev, h, w, rep), rtol=1e-12, atol=1e-12)


def test_averaged_time_surface_pairs_in_bounded_chunks(rng: np.random.Generator) -> None:
    from neurodata.integrate import _represent_numpy

    n = 400
    t = np.sort(rng.integers(0, 2000, n))
    x, y, c = rng.integers(0, 8, n), rng.integers(0, 8, n), rng.integers(0, 2, n)
    args = (t, x, y, c, 8, 8, 4, 3, 500.0, 80.0, "exp")
    np.testing.assert_allclose(
        _represent_numpy.averaged_time_surface(*args, pairs_per_chunk=7),
        _represent_numpy.averaged_time_surface(*args),
        rtol=1e-13,
    )


@given(streams(max_events=40), st.integers(0, 2), st.sampled_from(["exp", "lin"]))
def test_local_time_surfaces_equal_a_per_event_loop(s: tuple, radius: int, decay: str) -> None:
    ev, h, w = s
    if not len(ev["t"]):
        return
    tau = 40.0
    got = R.local_time_surfaces(ev, h, w, tau, radius=radius, decay=decay, dtype=np.float64)
    r = radius
    want = np.zeros_like(got)
    for i in range(len(ev["t"])):
        last: dict[tuple[int, int, int], int] = {}
        for j in range(i + 1):
            last[(int(ev["p"][j] != 0), int(ev["y"][j]), int(ev["x"][j]))] = int(ev["t"][j])
        for (c, y, x), tl in last.items():
            dy, dx = y - int(ev["y"][i]), x - int(ev["x"][i])
            if abs(dx) <= r and abs(dy) <= r:
                age = int(ev["t"][i]) - tl
                want[i, c, dy + r, dx + r] = math.exp(-age / tau) if decay == "exp" else max(0, 1 - age / (3 * tau))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.all(got[np.arange(len(got)), (ev["p"] != 0).astype(int), r, r] == 1.0)


@given(st.integers(1, 3), st.integers(2, 9), st.integers(0, 2**32 - 1))
def test_bina_rep_reads_the_bits_of_binary_frames(n_frames: int, n_bits: int, seed: int) -> None:
    frames = np.random.default_rng(seed).integers(0, 3, (n_frames * n_bits, 2, 3, 4))
    got = R.bina_rep(frames, n_bits)
    want = np.zeros((n_frames, 2, 3, 4))
    for j in range(n_frames):
        for b in range(n_bits):
            want[j] += (frames[j * n_bits + b] > 0) * 2 ** (n_bits - 1 - b)
    np.testing.assert_array_equal(got, (want / (2**n_bits - 1)).astype(np.float32))
    torch.testing.assert_close(R.bina_rep(torch.from_numpy(frames), n_bits), torch.from_numpy(got), rtol=0, atol=0)


def test_voxel_grid_by_hand() -> None:
    # t0 = 0, span = 40: with 3 bins E-RAFT normalises to 2 * t / 40, Tonic to 3 * t / 40
    ev = {"t": np.array([0, 10, 40]), "x": np.array([0, 1, 0]), "y": np.zeros(3, int), "p": np.array([1, 0, 1])}
    eraft = R.voxel_grid(ev, 1, 2, 3, dtype=np.float64)[0, :, 0]
    np.testing.assert_allclose(eraft, [[1.0, -0.5], [0.0, -0.5], [1.0, 0.0]])  # t=10 -> 0.5; t=40 -> 2
    tonic = R.voxel_grid(ev, 1, 2, 3, convention="tonic", dtype=np.float64)[0, :, 0]
    np.testing.assert_allclose(tonic, [[1.0, -0.25], [0.0, -0.75], [0.0, 0.0]])  # t=10 -> 0.75; t=40 falls off


def test_time_surface_by_hand() -> None:
    ev = {"t": np.array([0, 100, 250]), "x": np.array([0, 1, 0]), "y": np.zeros(3, int), "p": np.array([1, 1, 0])}
    ts = R.time_surface(ev, 1, 2, 100.0, windows=Windows(time_window=200), dtype=np.float64)
    # one complete window [0, 200) read at 200 (fixed: 251 us span gives floor((251-200)/200)+1 = 1 window)
    np.testing.assert_allclose(ts[0, 1, 0], [math.exp(-2), math.exp(-1)])
    np.testing.assert_array_equal(ts[0, 0], 0)
    whole = R.time_surface(ev, 1, 2, 100.0, dtype=np.float64)[0]  # one window, read at the last event
    np.testing.assert_allclose(whole[:, 0], [[1.0, 0.0], [math.exp(-2.5), math.exp(-1.5)]])


@pytest.mark.parametrize(
    ("kw", "ends"),
    [
        ({"frames_number": 2, "split_by": "time"}, [50.0, 101.0]),
        ({"frames_number": 2, "split_by": "number"}, [10.0, 101.0]),
        ({"duration": 40}, [40.0, 80.0, 120.0]),
        ({"windows": Windows(event_count=2)}, [10.0, 101.0]),
        ({"windows": Windows(time_window=60, overlap=30, include_incomplete=True)}, [60.0, 90.0, 120.0]),
        ({}, [101.0]),
    ],
)
def test_window_ends(kw: dict, ends: list) -> None:
    t = np.array([0, 10, 60, 101])
    np.testing.assert_array_equal(R.window_bounds(t, **kw).ends, ends)


# ------------------------------------------------------------------------------------------------ torch


REPS = [
    VoxelGrid(4),
    VoxelGrid(3, "tonic"),
    TimeSurface(80.0),
    StackedHistogram(3, 2),
    Counts(),
    BinaRep(2),
    AveragedTimeSurface(cell_size=3, surface_size=3, time_window=200.0, tau=50.0),
]


def _torch_rule(rep: object, rule: Windows | None) -> Windows | None:
    return Windows(n_time_bins=4) if isinstance(rep, BinaRep) else rule


@given(streams(), st.sampled_from(REPS), st.sampled_from(RULES))
def test_torch_equals_numpy(s: tuple, rep: object, rule: Windows | None) -> None:
    ev, h, w = s
    if not len(ev["t"]):
        return
    rule = _torch_rule(rep, rule)
    want = R.represent(ev, h, w, rep, windows=rule, dtype=np.float64)
    got = R.represent({k: torch.from_numpy(v) for k, v in ev.items()}, h, w, rep, windows=rule, dtype=np.float64)
    exact = not isinstance(rep, TimeSurface)  # numpy decays unchanged pixels by products; torch takes exps
    torch.testing.assert_close(got, torch.from_numpy(want), rtol=0 if exact else 1e-12, atol=0 if exact else 1e-300)


@pytest.mark.parametrize("rep", REPS, ids=lambda r: r.kind)
def test_batched_samples_equal_single_ones(rep: object, rng: np.random.Generator) -> None:
    _check_batched(rep, rng, "cpu")


def _check_batched(rep: object, rng: np.random.Generator, device: str) -> None:
    samples = []
    for n in (30, 1, 55, 12):
        t = np.sort(rng.integers(0, 2_000, n))
        samples.append({"t": t, "x": rng.integers(0, 5, n), "y": rng.integers(0, 4, n), "p": rng.integers(0, 2, n)})
    rule = _torch_rule(rep, Windows(time_window=400, overlap=100, include_incomplete=True))
    packed = {k: torch.from_numpy(np.concatenate([s[k] for s in samples])).to(device) for k in "txyp"}
    lengths = torch.tensor([len(s["t"]) for s in samples])
    out, n_win = R.represent_batch(packed, lengths, 4, 5, rep, windows=rule, dtype=torch.float64)
    assert out.shape[0] == 4
    assert out.device.type == device
    for b, sample in enumerate(samples):
        want = torch.from_numpy(R.represent(sample, 4, 5, rep, windows=rule, dtype=np.float64))
        assert int(n_win[b]) == len(want)
        torch.testing.assert_close(out[b, : len(want)].cpu(), want, rtol=1e-12, atol=1e-300)
        assert not out[b, len(want) :].any()


@pytest.mark.cuda
@pytest.mark.parametrize("rep", REPS, ids=lambda r: r.kind)
def test_cuda_equals_cpu(rep: object, cuda_device: str, rng: np.random.Generator) -> None:
    _check_batched(rep, rng, cuda_device)


def test_represent_takes_a_frame_spec_with_spikingjelly_rules(rng: np.random.Generator) -> None:
    n = 500
    ev = {"t": np.sort(rng.integers(0, 10**6, n)), "x": rng.integers(0, 6, n), "y": rng.integers(0, 5, n)}
    ev["p"] = rng.integers(0, 2, n)
    spec = FrameSpec(frames_number=4, split_by="time", representation=VoxelGrid(3))
    got = R.represent(ev, 5, 6, spec)
    assert got.shape == (4, 3, 5, 6)
    assert got.dtype == np.float32
    b = R.window_bounds(ev["t"], frames_number=4, split_by="time")
    for j in range(4):
        want = R.voxel_grid({k: v[b.starts[j] : b.stops[j]] for k, v in ev.items()}, 5, 6, 3)[0]
        np.testing.assert_array_equal(got[j], want)


# ------------------------------------------------------------------------------------------------ bad input


def _events(n: int = 20, h: int = 4, w: int = 5) -> dict:
    r = np.random.default_rng(0)
    return {
        "t": np.sort(r.integers(0, 1000, n)),
        "x": r.integers(0, w, n),
        "y": r.integers(0, h, n),
        "p": r.integers(0, 2, n),
    }


@pytest.mark.parametrize("rep", REPS, ids=lambda r: r.kind)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_events_are_refused(rep: object, backend: str) -> None:
    rule = _torch_rule(rep, None)
    conv = (lambda e: {k: torch.from_numpy(np.asarray(v)) for k, v in e.items()}) if backend == "torch" else dict
    ev = _events()
    ev["t"] = ev["t"][::-1].copy()
    with pytest.raises(ValueError, match="not sorted"):
        R.represent(conv(ev), 4, 5, rep, windows=rule)
    with pytest.raises(EventsError, match="field 'x' at index"):
        R.represent(conv(_events(w=9)), 4, 5, rep, windows=rule)  # sensor too small for the events
    empty = {k: v[:0] for k, v in _events().items()}
    if isinstance(rep, Counts):
        assert not R.represent(conv(empty), 4, 5, rep, windows=rule).any()
    else:
        with pytest.raises(EventsError, match="no events"):
            R.represent(conv(empty), 4, 5, rep, windows=rule)
    with pytest.raises(EventsError, match="no 't' field"):
        R.represent({k: v for k, v in conv(_events()).items() if k != "t"}, 4, 5, rep, windows=rule)


@pytest.mark.parametrize("tau", [float("nan"), -1.0, 0.0, float("inf")])
def test_bad_time_constants_are_refused(tau: float) -> None:
    with pytest.raises(ValueError, match=r"TimeSurface\.tau must be a positive, finite number"):
        R.time_surface(_events(), 4, 5, tau)
    with pytest.raises(ValueError, match=r"AveragedTimeSurface\.tau must be a positive, finite"):
        R.averaged_time_surface(_events(), 4, 5, tau=tau)
    with pytest.raises(ValueError, match=r"AveragedTimeSurface\.time_window must be a positive, finite"):
        R.averaged_time_surface(_events(), 4, 5, time_window=tau)
    with pytest.raises(ValueError, match=r"TimeSurface\.tau"):
        R.local_time_surfaces(_events(), 4, 5, tau)
    with pytest.raises(ValueError, match=r"Windows\.time_window must be a positive, finite"):
        Windows(time_window=tau)


def test_other_bad_parameters_are_refused() -> None:
    ev = _events()
    with pytest.raises(ValueError, match="n_time_bins must be a positive integer"):
        R.voxel_grid(ev, 4, 5, 0)
    with pytest.raises(ValueError, match="convention must be 'eraft' or 'tonic'"):
        R.voxel_grid(ev, 4, 5, 3, convention="e2vid")
    with pytest.raises(ValueError, match="dtype must be a float type"):
        R.voxel_grid(ev, 4, 5, 3, dtype=np.uint8)
    with pytest.raises(ValueError, match="cannot hold count_cutoff=300"):
        R.stacked_histogram(ev, 4, 5, count_cutoff=300)
    with pytest.raises(ValueError, match=r"bina_rep needs \[T \* n_bits"):
        R.represent(ev, 4, 5, BinaRep(4), windows=Windows(n_time_bins=6))
    with pytest.raises(ValueError, match="surface_size must be odd"):
        R.averaged_time_surface(ev, 4, 5, surface_size=4)
    with pytest.raises(ValueError, match=r"windows must be a neurodata\.spec\.Windows"):
        R.time_surface(ev, 4, 5, 10.0, windows={"time_window": 10})
    with pytest.raises(ValueError, match="stops must not decrease"):
        R.time_surface(ev, 4, 5, 10.0, windows=R.Bounds(np.array([0, 0]), np.array([9, 4]), np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="within the 20 events"):
        R.voxel_grid(ev, 4, 5, 2, windows=R.Bounds(np.array([0]), np.array([21]), np.array([1.0])))


def test_all_equal_timestamps_give_bin_zero() -> None:
    ev = {"t": np.full(4, 7), "x": np.array([0, 1, 1, 0]), "y": np.zeros(4, int), "p": np.array([1, 1, 0, 1])}
    for convention in ("eraft", "tonic"):
        grid = R.voxel_grid(ev, 1, 2, 3, convention=convention, dtype=np.float64)[0]
        np.testing.assert_array_equal(grid[0, 0], [2.0, 0.0])
        assert not grid[1:].any()
    np.testing.assert_array_equal(R.stacked_histogram(ev, 1, 2, 2)[0, 2:, 0], [[2, 1], [0, 0]])
