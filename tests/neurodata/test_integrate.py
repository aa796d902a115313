"""Integrators against per-event reference loops that apply the documented window formulas directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import neurodata as nd
import neurodata.integrate as integrate_module
from neurodata.integrate import _numpy
from neurodata.testing import random_events
from tests.strategies import streams

# ---------------------------------------------------------------- references: one event at a time


def _frame_of_number(i: int, n: int, m: int) -> int:
    q = n // m
    return m - 1 if q == 0 else min(i // q, m - 1)


def _frame_of_time(ti: int, t0: int, t_last: int, m: int) -> int:
    dt = (t_last - t0) // m
    return m - 1 if dt == 0 else min((ti - t0) // dt, m - 1)


def ref_fixed_frames(ev: dict, split_by: str, m: int, h: int, w: int) -> np.ndarray:
    n = len(ev["x"])
    out = np.zeros((m, 2, h, w))
    for i in range(n):
        if split_by == "number":
            j = _frame_of_number(i, n, m)
        else:
            j = _frame_of_time(int(ev["t"][i]), int(ev["t"][0]), int(ev["t"][-1]), m)
        out[j, int(ev["p"][i] != 0), ev["y"][i], ev["x"][i]] += 1
    return out


def ref_duration(ev: dict, d: int, h: int, w: int) -> np.ndarray:
    n = len(ev["x"])
    if n == 0:
        return np.zeros((0, 2, h, w))
    t0, t_last = int(ev["t"][0]), int(ev["t"][-1])
    m = max(1, math.ceil((t_last - t0) / d))
    out = np.zeros((m, 2, h, w))
    for i in range(n):
        j = min((int(ev["t"][i]) - t0) // d, m - 1)
        out[j, int(ev["p"][i] != 0), ev["y"][i], ev["x"][i]] += 1
    return out


def ref_windows(ev: dict, windows: list[tuple[float, float]], h: int, w: int, by: str) -> np.ndarray:
    """Count event i in every window [lo, hi) that holds its time (by='time') or its index (by='index')."""
    out = np.zeros((len(windows), 2, h, w))
    for i in range(len(ev["x"])):
        key = ev["t"][i] if by == "time" else i
        for k, (lo, hi) in enumerate(windows):
            if lo <= key < hi:
                out[k, int(ev["p"][i] != 0), ev["y"][i], ev["x"][i]] += 1
    return out


@given(streams(), st.integers(1, 12), st.sampled_from(["number", "time"]))
def test_fixed_frames_number_equals_per_event_reference(s: tuple, m: int, split_by: str) -> None:
    ev, h, w = s
    if split_by == "time" and len(ev["t"]) == 0:
        frames = nd.integrate_events_by_fixed_frames_number(ev, split_by, m, h, w)
        assert frames.shape == (m, 2, h, w)
        assert frames.sum() == 0
        return
    frames = nd.integrate_events_by_fixed_frames_number(ev, split_by, m, h, w)
    assert frames.dtype == np.float32
    assert frames.shape == (m, 2, h, w)
    np.testing.assert_array_equal(frames, ref_fixed_frames(ev, split_by, m, h, w))
    assert frames.sum() == len(ev["x"])


@given(streams(), st.integers(1, 12), st.sampled_from(["number", "time"]))
def test_segment_indices_follow_the_documented_formulas(s: tuple, m: int, split_by: str) -> None:
    ev, _, _ = s
    t = ev["t"]
    n = len(t)
    if n == 0:
        return
    j_l, j_r = nd.cal_fixed_frames_number_segment_index(t, split_by, m)
    counts = j_r - j_l
    expected = np.bincount(
        [
            (_frame_of_number(i, n, m) if split_by == "number" else _frame_of_time(int(t[i]), int(t[0]), int(t[-1]), m))
            for i in range(n)
        ],
        minlength=m,
    )
    np.testing.assert_array_equal(counts, expected)
    assert j_l[0] == 0
    assert j_r[-1] == n
    np.testing.assert_array_equal(j_l[1:], j_r[:-1])  # a partition: every event once


@given(streams(), st.sampled_from([1, 2, 7, 50, 999, 10**5]))
def test_fixed_duration_equals_per_event_reference(s: tuple, d: int) -> None:
    ev, h, w = s
    assume(len(ev["t"]) == 0 or (ev["t"][-1] - ev["t"][0]) // d < 5000)  # keep the frame stack small
    frames = nd.integrate_events_by_fixed_duration(ev, d, h, w)
    np.testing.assert_array_equal(frames, ref_duration(ev, d, h, w))
    assert frames.sum() == len(ev["x"])


@given(streams(max_events=60), st.integers(0, 60), st.integers(0, 60), st.sampled_from([np.float32, np.int32]))
def test_segment_to_frame_counts_the_slice(s: tuple, a: int, b: int, dtype: type) -> None:
    ev, h, w = s
    n = len(ev["x"])
    j_l, j_r = min(a, n), min(max(a, b), n)
    frame = nd.integrate_events_segment_to_frame(ev["x"], ev["y"], ev["p"], h, w, j_l, j_r, dtype=dtype)
    expected = np.zeros((2, h, w))
    for i in range(j_l, j_r):
        expected[int(ev["p"][i] != 0), ev["y"][i], ev["x"][i]] += 1
    assert frame.dtype == dtype
    np.testing.assert_array_equal(frame, expected)
    whole = nd.integrate_events_segment_to_frame(ev["x"], ev["y"], ev["p"], h, w)
    assert whole.sum() == n  # j_r=None means "to the end" (SpikingJelly 0.0.0.0.14's -1 lost one)


# ---------------------------------------------------------------- large streams: the chunked kernel


@pytest.mark.parametrize("path", ["chunked", "fused"])
@pytest.mark.parametrize(("h", "w"), [(128, 128), (34, 34), (260, 346)])
def test_both_kernels_on_large_streams_equal_add_at(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, h: int, w: int, path: str
) -> None:
    monkeypatch.setattr(_numpy, "_SMALL", 0 if path == "chunked" else 1 << 30)
    n = 3 * _numpy._CHUNK + 12345  # several chunks per window, windows across chunk edges
    ev = nd.to_dict(random_events(rng, nd.SensorSize(w, h), n, duration_us=5_000_000))
    for split_by, m in (("number", 7), ("time", 16)):
        frames = nd.integrate_events_by_fixed_frames_number(ev, split_by, m, h, w, dtype=np.int64)
        if split_by == "number":
            j = np.minimum(np.arange(n) // (n // m), m - 1)
        else:
            dt = (ev["t"][-1] - ev["t"][0]) // m
            j = np.minimum((ev["t"] - ev["t"][0]) // dt, m - 1)
        expected = np.zeros((m, 2, h, w), dtype=np.int64)
        np.add.at(expected, (j, ev["p"].astype(np.intp), ev["y"].astype(np.intp), ev["x"].astype(np.intp)), 1)
        np.testing.assert_array_equal(frames, expected)
        default = nd.integrate_events_by_fixed_frames_number(ev, split_by, m, h, w)
        assert default.dtype == np.float32
        np.testing.assert_array_equal(default, expected.astype(np.float32))


def test_structured_events_and_dict_give_the_same_frames(rng: np.random.Generator) -> None:
    ev = random_events(rng, nd.SensorSize(20, 10), 5000)
    a = nd.integrate_events_by_fixed_frames_number(ev, "time", 8, 10, 20)
    b = nd.integrate_events_by_fixed_frames_number(nd.to_dict(ev), "time", 8, 10, 20)
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- edge cases where SpikingJelly raises


def _ev(t: list[int], x: list[int] | None = None, y: list[int] | None = None) -> dict:
    n = len(t)
    xs, ys = np.array(x or [0] * n), np.array(y or [0] * n)
    return {"t": np.array(t, dtype=np.int64), "x": xs, "y": ys, "p": np.zeros(n, int)}


def _per_frame(frames: np.ndarray) -> list[int]:
    return frames.sum(axis=(1, 2, 3)).astype(int).tolist()


def test_time_split_with_an_empty_bin_keeps_it_zero() -> None:
    frames = nd.integrate_events_by_fixed_frames_number(_ev([0, 1, 2, 3, 100, 101, 399, 400]), "time", 4, 1, 1)
    assert _per_frame(frames) == [4, 2, 0, 2]  # dt = 100: [0,100) [100,200) [200,300) [300, end]


def test_time_split_with_span_shorter_than_frames_num_puts_all_in_the_last_frame() -> None:
    frames = nd.integrate_events_by_fixed_frames_number(_ev([5, 6, 7, 8]), "time", 16, 1, 1)
    assert _per_frame(frames) == [0] * 15 + [4]


def test_number_split_with_fewer_events_than_frames() -> None:
    frames = nd.integrate_events_by_fixed_frames_number(_ev([1, 2, 3]), "number", 16, 1, 1)
    assert _per_frame(frames) == [0] * 15 + [3]


def test_number_split_gives_the_remainder_to_the_last_frame() -> None:
    frames = nd.integrate_events_by_fixed_frames_number(_ev(list(range(10))), "number", 4, 1, 1)
    assert _per_frame(frames) == [2, 2, 2, 4]


def test_duration_with_all_timestamps_equal_gives_one_frame() -> None:
    frames = nd.integrate_events_by_fixed_duration(_ev([7, 7, 7]), 10, 1, 1)
    assert _per_frame(frames) == [3]


def test_duration_span_exact_multiple_puts_the_boundary_event_in_the_last_frame() -> None:
    frames = nd.integrate_events_by_fixed_duration(_ev([0, 10, 19, 30]), 10, 1, 1)
    assert _per_frame(frames) == [1, 2, 1]  # M = ceil(30/10) = 3; t=30 joins [20, 30]


def test_duration_of_empty_stream_has_no_frames() -> None:
    frames = nd.integrate_events_by_fixed_duration(_ev([]), 10, 3, 4)
    assert frames.shape == (0, 2, 3, 4)


def test_many_events_on_one_pixel_are_counted_exactly() -> None:
    ev = _ev([0] * 40_000)
    frames = nd.integrate_events_by_fixed_frames_number(ev, "number", 1, 1, 1, dtype=np.int32)
    assert int(frames.max()) == 40_000  # Tonic's int16 frames hold -25536 here
    with pytest.raises(ValueError, match="frame count of 40000 does not fit int16"):
        nd.integrate_events_by_fixed_frames_number(ev, "number", 1, 1, 1, dtype=np.int16)


def test_polarity_channel_rule_is_p_nonzero() -> None:
    ev = {"t": np.arange(4), "x": np.zeros(4, int), "y": np.zeros(4, int), "p": np.array([0, 1, -1, 2])}
    frames = nd.integrate_events_by_fixed_frames_number(ev, "number", 1, 1, 1)
    assert frames[0, :, 0, 0].tolist() == [1.0, 3.0]


@pytest.mark.parametrize("background", [False, True], ids=["inline-checks", "checks-on-a-thread"])
def test_bad_input_is_named(monkeypatch: pytest.MonkeyPatch, background: bool) -> None:
    if background:  # large streams validate on a second thread while the kernel runs; same errors
        monkeypatch.setattr(integrate_module, "_BACKGROUND_CHECK", 1)
        monkeypatch.setattr(integrate_module, "_BACKGROUND_CHECK_SORTED", 1)
    ev = _ev([0, 1, 2], x=[0, 5, 1])
    with pytest.raises(nd.EventsError, match=r"field 'x' at index 1 is 5, outside 0..3"):
        nd.integrate_events_by_fixed_frames_number(ev, "number", 2, 1, 4)
    with pytest.raises(ValueError, match=r"'t' is not sorted: index 2"):
        nd.integrate_events_by_fixed_frames_number(_ev([0, 5, 1]), "time", 2, 1, 1)
    with pytest.raises(ValueError, match="split_by must be 'number' or 'time', got 'count'"):
        nd.integrate_events_by_fixed_frames_number(_ev([0]), "count", 2, 1, 1)
    with pytest.raises(ValueError, match="frames_num must be a positive integer, got 0"):
        nd.integrate_events_by_fixed_frames_number(_ev([0]), "number", 0, 1, 1)
    with pytest.raises(ValueError, match="duration must be a positive integer"):
        nd.integrate_events_by_fixed_duration(_ev([0]), 0, 1, 1)
    # bad events that make the kernel itself fail still surface as the validation error
    with pytest.raises(nd.EventsError, match=r"field 'y' at index 0 is 9, outside 0..0"):
        nd.integrate_events_by_fixed_duration(_ev([0, 1], y=[9, 0]), 1, 1, 1)
    with pytest.raises(ValueError, match=r"'t' is not sorted: index 1 has t=-1000000"):
        nd.integrate_events_by_fixed_duration(_ev([0, -1_000_000, 5]), 1, 1, 1)


def test_checks_on_a_thread_give_the_inline_frames(rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    ev = nd.to_dict(random_events(rng, nd.SensorSize(34, 34), 5000, duration_us=100_000))
    calls = [
        lambda: nd.integrate_events_by_fixed_frames_number(ev, "time", 9, 34, 34),
        lambda: nd.integrate_events_by_fixed_duration(ev, 7_000, 34, 34),
        lambda: nd.integrate_windows(ev, [0, 100], [4000, 5000], 34, 34),
    ]
    inline = [call() for call in calls]
    monkeypatch.setattr(integrate_module, "_BACKGROUND_CHECK", 1)
    monkeypatch.setattr(integrate_module, "_BACKGROUND_CHECK_SORTED", 1)
    for call, frames in zip(calls, inline, strict=True):
        np.testing.assert_array_equal(call(), frames)


def test_unsorted_t_cannot_make_the_duration_kernel_build_a_huge_stack(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neurodata.integrate import _numpy

    ev = nd.to_dict(random_events(rng, nd.SensorSize(34, 34), 5000, duration_us=100_000))
    bad = ev["t"].copy()
    bad[-1] = 10**12  # a corrupt last timestamp: t[-1] - t[0] asks for 10**9 frames of 1 ms
    bad[11] = bad[10] - 1  # and t is not sorted, which the check reports
    monkeypatch.setattr(integrate_module, "_BACKGROUND_CHECK_SORTED", 1)  # checks would overlap the kernel
    kernel_calls: list[int] = []
    count = _numpy.count_segments
    monkeypatch.setattr(_numpy, "count_segments", lambda *a, **k: kernel_calls.append(1) or count(*a, **k))
    with pytest.raises(ValueError, match="not sorted: index 11"):
        nd.integrate_events_by_fixed_duration({**ev, "t": bad}, 1_000, 34, 34)
    assert not kernel_calls  # the check ran first: no stack was allocated
    # a sorted stream with the same huge span is legitimate: it is counted (with its checks overlapping)
    ev["t"][-1] = ev["t"][-2] + 200_000
    frames = nd.integrate_events_by_fixed_duration(ev, 1_000, 34, 34)
    assert kernel_calls
    assert frames.sum() == 5000


# ---------------------------------------------------------------- Tonic-style windows


def _fixed_windows(t: np.ndarray, n: int, kind: str, size: float, overlap: float, incl: bool) -> tuple:
    """The documented ('fixed') window edges, computed here from the docstring's formulas."""
    if kind == "n_event_bins":
        m = int(size)
        if overlap == 0:
            return [(k * n // m, (k + 1) * n // m) for k in range(m)], "index"
        den = (m - 1) * (1 - overlap) + 1
        wins = [
            (math.floor(k * (1 - overlap) * n / den), math.floor((k * (1 - overlap) + 1) * n / den)) for k in range(m)
        ]
        wins[-1] = (wins[-1][0], n)
        return wins, "index"
    if kind == "event_count":
        c, stride = int(size), int(size) - int(overlap)
        q = (n - c) / stride
        m = max((math.ceil(q) if incl else math.floor(q)) + 1, 1)
        return [(k * stride, k * stride + c) for k in range(m)], "index"
    start, length = int(t[0]), int(t[-1]) - int(t[0]) + 1
    if kind == "n_time_bins":
        m = int(size)
        if overlap == 0:
            return [(start + k * length // m, start + (k + 1) * length // m) for k in range(m)], "time"
        den = (m - 1) * (1 - overlap) + 1
        wins = [
            (
                start + math.floor(k * (1 - overlap) * length / den),
                start + math.floor((k * (1 - overlap) + 1) * length / den),
            )
            for k in range(m)
        ]
        wins[-1] = (wins[-1][0], start + length)
        return wins, "time"
    stride = size - overlap
    q = (length - size) / stride
    m = max((math.ceil(q) if incl else math.floor(q)) + 1, 1)
    return [(start + k * stride, start + k * stride + size) for k in range(m)], "time"


@given(
    streams(max_events=80),
    st.sampled_from(["n_time_bins", "n_event_bins", "time_window", "event_count"]),
    st.integers(1, 9),
    st.sampled_from([0.0, 0.25, 0.5]),
    st.booleans(),
)
def test_to_frames_windows_equal_the_documented_edges(s: tuple, kind: str, size: int, frac: float, incl: bool) -> None:
    ev, h, w = s
    n = len(ev["t"])
    if n == 0:
        return
    if kind == "time_window":
        size = size * 7
    overlap = frac if kind.startswith("n_") else math.floor(frac * size)
    frames = nd.to_frames(ev, (w, h), **{kind: size}, overlap=overlap, include_incomplete=incl)
    wins, by = _fixed_windows(ev["t"], n, kind, size, overlap, incl)
    np.testing.assert_array_equal(frames, ref_windows(ev, wins, h, w, by))
    if overlap == 0 and (kind.startswith("n_") or incl):
        assert frames.sum() == n  # no silent drops


def test_to_frames_fixes_tonic_drops_on_the_reference_examples() -> None:
    ev = _ev([0, 10, 25, 30])
    assert _per_frame(nd.to_frames(ev, (1, 1), time_window=10, include_incomplete=True)) == [1, 1, 1, 1]
    assert _per_frame(nd.to_frames(ev, (1, 1), time_window=10, include_incomplete=True, compat="tonic")) == [1, 1, 1]
    ev = _ev(list(range(0, 1001)))
    assert nd.to_frames(ev, (1, 1), n_time_bins=10, overlap=0.5).sum() >= 1001
    assert int(nd.to_frames(ev, (1, 1), n_time_bins=10, compat="tonic").sum()) == 1000
    ev = _ev([1, 2, 3])
    assert _per_frame(nd.to_frames(ev, (1, 1), n_event_bins=5)) == [0, 1, 0, 1, 1]
    assert _per_frame(nd.to_frames(ev, (1, 1), n_event_bins=5, compat="tonic")) == [0] * 5


def test_to_frames_shape_is_t_p_h_w_even_for_empty_input() -> None:
    frames = nd.to_frames(_ev([]), (5, 3), n_time_bins=4)
    assert frames.shape == (4, 2, 3, 5)
    with pytest.raises(ValueError, match="exactly one of time_window"):
        nd.to_frames(_ev([1]), (5, 3), n_time_bins=4, event_count=2)


@pytest.mark.parametrize("n", [0, 1, 37, 5000, 700_000], ids=lambda n: f"n={n}")
def test_integrate_keys_equals_the_event_integrators(rng: np.random.Generator, n: int) -> None:
    # the event store's form: pixel keys (p*H + y)*W + x; 700k events take the chunked kernel path
    sensor = nd.SensorSize(34, 26)
    ev = nd.to_dict(random_events(rng, sensor, n, duration_us=400_000))
    keys = (ev["p"].astype(np.int64) * 26 + ev["y"]) * 34 + ev["x"]
    for key_type in (np.uint16, np.int64):
        k = keys.astype(key_type)
        for frames_num, split_by in ((7, "number"), (7, "time")):
            np.testing.assert_array_equal(
                nd.integrate_keys(k, ev["t"], 26, 34, frames_num=frames_num, split_by=split_by, dtype=np.uint16),
                nd.integrate_events_by_fixed_frames_number(ev, split_by, frames_num, 26, 34, dtype=np.uint16),
            )
        np.testing.assert_array_equal(
            nd.integrate_keys(k, ev["t"], 26, 34, duration=33_000),
            nd.integrate_events_by_fixed_duration(ev, 33_000, 26, 34),
        )
    with pytest.raises(ValueError, match="needs frames_num and split_by, or duration and t"):
        nd.integrate_keys(keys, None, 26, 34, duration=10)
    got = nd.pixel_keys(ev["x"], ev["y"], ev["p"], 26, 34)
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, keys)
    signed = np.where(ev["p"] == 1, 1, -1).astype(np.int8)  # channel is p != 0, as in the integrators
    every_event_on = keys + 26 * 34 * (1 - ev["p"].astype(np.int64))
    np.testing.assert_array_equal(nd.pixel_keys(ev["x"], ev["y"], signed, 26, 34), every_event_on)
