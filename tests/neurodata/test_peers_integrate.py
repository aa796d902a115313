"""Parity with the real peers on identical inputs: SpikingJelly 2.x integrators/collate, Tonic 1.7 ToFrame."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import neurodata as nd
from tests.peers import spikingjelly_utils, tonic_transforms
from tests.strategies import streams

pytestmark = pytest.mark.peers


@given(streams(), st.integers(1, 10), st.sampled_from(["number", "time"]))
def test_equals_spikingjelly_fixed_frames_number(s: tuple, m: int, split_by: str) -> None:
    sj = spikingjelly_utils()
    ev, h, w = s
    sj_ev = {k: v.astype(np.int64) for k, v in ev.items()}
    try:
        expected = sj.integrate_events_by_fixed_frames_number(sj_ev, split_by, m, h, w)
        j_l, j_r = sj.cal_fixed_frames_number_segment_index(sj_ev["t"], split_by, m)
    except IndexError:  # SpikingJelly's crash on an empty window; our answer is tested elsewhere
        return
    np.testing.assert_array_equal(nd.integrate_events_by_fixed_frames_number(ev, split_by, m, h, w), expected)
    ours = nd.cal_fixed_frames_number_segment_index(ev["t"], split_by, m)
    np.testing.assert_array_equal(ours[0], j_l)
    np.testing.assert_array_equal(ours[1], j_r)


@given(streams(), st.sampled_from([1, 7, 50, 999, 10**5]))
def test_equals_spikingjelly_fixed_duration(s: tuple, d: int) -> None:
    sj = spikingjelly_utils()
    ev, h, w = s
    if len(ev["t"]) and (ev["t"][-1] - ev["t"][0]) // d > 5000:
        return
    try:
        expected = sj.integrate_events_by_fixed_duration({k: v.astype(np.int64) for k, v in ev.items()}, d, h, w)
    except (IndexError, ValueError):  # SpikingJelly raises on all-equal timestamps (M = 0) and on no events
        return
    np.testing.assert_array_equal(nd.integrate_events_by_fixed_duration(ev, d, h, w), expected)


@given(streams(max_events=60), st.integers(0, 60), st.integers(0, 60))
def test_equals_spikingjelly_segment_to_frame(s: tuple, a: int, b: int) -> None:
    sj = spikingjelly_utils()
    ev, h, w = s
    x, y, p = (ev[k].astype(np.int64) for k in ("x", "y", "p"))
    j_l, j_r = sorted((min(a, len(x)), min(b, len(x))))
    np.testing.assert_array_equal(
        nd.integrate_events_segment_to_frame(x, y, p, h, w, j_l, j_r),
        sj.integrate_events_segment_to_frame(x, y, p, h, w, j_l, j_r),
    )


def test_equals_spikingjelly_collate_and_mask(rng: np.random.Generator) -> None:
    sj = spikingjelly_utils()
    batch = [(rng.random((n, 2, 3, 3)).astype(np.float32), int(n) % 3) for n in (3, 5, 1, 4)]
    ours, theirs = nd.pad_sequence_collate(batch), sj.pad_sequence_collate(batch)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for t_len in (None, 7):
        torch.testing.assert_close(nd.padded_sequence_mask(ours[2], t_len), sj.padded_sequence_mask(theirs[2], t_len))


def _tonic_events(ev: dict) -> np.ndarray:
    arr = np.empty(len(ev["t"]), dtype=[("x", "<i2"), ("y", "<i2"), ("p", "<i2"), ("t", "<i8")])
    for k in ("x", "y", "p", "t"):
        arr[k] = ev[k]
    return arr


@given(
    streams(max_events=80),
    st.sampled_from(["n_time_bins", "n_event_bins", "time_window", "event_count"]),
    st.integers(1, 9),
    st.sampled_from([0.0, 0.5]),
    st.booleans(),
)
def test_compat_tonic_equals_tonic_to_frame(s: tuple, kind: str, size: int, frac: float, incl: bool) -> None:
    transforms = tonic_transforms()
    ev, h, w = s
    if len(ev["t"]) == 0:
        return  # Tonic returns (T, P, W, H) float zeros for empty input; ours keeps (T, P, H, W)
    if kind == "time_window":
        size *= 7
    overlap = frac if kind.startswith("n_") else int(frac * size)
    kw = {kind: size, "overlap": overlap, "include_incomplete": incl}
    expected = transforms.ToFrame(sensor_size=(w, h, 2), **kw)(_tonic_events(ev))
    got = nd.to_frames(ev, (w, h, 2), compat="tonic", dtype=np.int64, **kw)
    np.testing.assert_array_equal(got, expected)
