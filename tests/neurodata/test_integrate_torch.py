"""The torch integrators equal the numpy ones, on CPU here and on CUDA wherever a GPU is present."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import neurodata as nd
from neurodata.testing import random_events
from tests.strategies import streams


def _to_torch(ev: dict, device: str = "cpu") -> dict:
    return {k: torch.from_numpy(np.asarray(v).astype(np.int64)).to(device) for k, v in ev.items()}


@given(streams(), st.integers(1, 10), st.sampled_from(["number", "time"]))
def test_torch_fixed_frames_number_equals_numpy(s: tuple, m: int, split_by: str) -> None:
    ev, h, w = s
    expected = nd.integrate_events_by_fixed_frames_number(ev, split_by, m, h, w)
    got = nd.integrate_events_by_fixed_frames_number(_to_torch(ev), split_by, m, h, w)
    assert isinstance(got, torch.Tensor)
    assert got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), expected)


@given(streams(), st.sampled_from([1, 7, 50, 999, 10**5]))
def test_torch_fixed_duration_equals_numpy(s: tuple, d: int) -> None:
    ev, h, w = s
    if len(ev["t"]) and (ev["t"][-1] - ev["t"][0]) // d >= 5000:
        return
    expected = nd.integrate_events_by_fixed_duration(ev, d, h, w)
    got = nd.integrate_events_by_fixed_duration(_to_torch(ev), d, h, w)
    np.testing.assert_array_equal(got.numpy(), expected)


@given(
    streams(max_events=60),
    st.sampled_from(["n_time_bins", "n_event_bins", "time_window", "event_count"]),
    st.integers(1, 6),
    st.sampled_from([0.0, 0.5]),
)
def test_torch_to_frames_equals_numpy(s: tuple, kind: str, size: int, frac: float) -> None:
    ev, h, w = s
    overlap = frac if kind.startswith("n_") else int(frac * size)
    kw = {kind: size, "overlap": overlap, "include_incomplete": True}
    expected = nd.to_frames(ev, (w, h), **kw)
    got = nd.to_frames(_to_torch(ev), (w, h), **kw)
    np.testing.assert_array_equal(got.numpy(), expected)


@given(
    st.lists(streams(max_events=50), min_size=1, max_size=5),
    st.integers(1, 8),
    st.sampled_from(["number", "time", "duration"]),
)
def test_batched_equals_per_sample(samples: list, m: int, mode: str) -> None:
    h, w = 5, 6
    evs = [ev for ev, _, _ in samples]  # each stream fits 5x6 (streams draw H <= 5, W <= 6)
    packed = {k: np.concatenate([ev[k] for ev in evs]) for k in ("t", "x", "y", "p")}
    lengths = [len(ev["t"]) for ev in evs]
    if mode == "duration":
        d = 37 * m
        if any(len(ev["t"]) and (ev["t"][-1] - ev["t"][0]) // d > 2000 for ev in evs):
            return
        frames, n_frames = nd.integrate_events_batch(_to_torch(packed), lengths, h, w, duration=d)
        singles = [nd.integrate_events_by_fixed_duration(ev, d, h, w) for ev in evs]
    else:
        frames, n_frames = nd.integrate_events_batch(_to_torch(packed), lengths, h, w, frames_num=m, split_by=mode)
        singles = [nd.integrate_events_by_fixed_frames_number(ev, mode, m, h, w) for ev in evs]
    assert frames.shape[0] == len(evs)
    for b, single in enumerate(singles):
        assert int(n_frames[b]) == len(single)
        np.testing.assert_array_equal(frames[b, : len(single)].numpy(), single)
        assert frames[b, len(single) :].sum() == 0


def test_batched_accepts_numpy_and_lengths_tensor(rng: np.random.Generator) -> None:
    a, b = random_events(rng, nd.SensorSize(8, 8), 300), random_events(rng, nd.SensorSize(8, 8), 0)
    packed = {k: np.concatenate([a[k], b[k]]) for k in ("t", "x", "y", "p")}
    frames, _ = nd.integrate_events_batch(packed, torch.tensor([300, 0]), 8, 8, frames_num=4, split_by="time")
    assert frames.shape == (2, 4, 2, 8, 8)
    assert int(frames[0].sum()) == 300
    assert int(frames[1].sum()) == 0
    with pytest.raises(ValueError, match="sum to the 300 packed events"):
        nd.integrate_events_batch(packed, [299, 0], 8, 8, frames_num=4, split_by="time")


def test_torch_integer_dtype_and_overflow_check() -> None:
    ev = _to_torch({"t": np.zeros(300), "x": np.zeros(300), "y": np.zeros(300), "p": np.ones(300)})
    frames = nd.integrate_events_by_fixed_frames_number(ev, "number", 1, 1, 1, dtype=torch.int16)
    assert frames.dtype == torch.int16
    assert int(frames[0, 1, 0, 0]) == 300
    with pytest.raises(ValueError, match=r"does not fit torch\.uint8"):
        nd.integrate_events_by_fixed_frames_number(ev, "number", 1, 1, 1, dtype=torch.uint8)


@pytest.mark.cuda
@pytest.mark.parametrize("split_by", ["number", "time"])
def test_cuda_equals_numpy(cuda_device: str, rng: np.random.Generator, split_by: str) -> None:
    ev = nd.to_dict(random_events(rng, nd.SensorSize(128, 128), 200_000))
    expected = nd.integrate_events_by_fixed_frames_number(ev, split_by, 16, 128, 128)
    got = nd.integrate_events_by_fixed_frames_number(_to_torch(ev, cuda_device), split_by, 16, 128, 128)
    assert got.device.type == "cuda"
    np.testing.assert_array_equal(got.cpu().numpy(), expected)
    d_expected = nd.integrate_events_by_fixed_duration(ev, 50_000, 128, 128)
    d_got = nd.integrate_events_by_fixed_duration(_to_torch(ev, cuda_device), 50_000, 128, 128)
    np.testing.assert_array_equal(d_got.cpu().numpy(), d_expected)


@pytest.mark.cuda
def test_cuda_batched_equals_per_sample(cuda_device: str, rng: np.random.Generator) -> None:
    evs = [random_events(rng, nd.SensorSize(34, 34), int(n)) for n in rng.integers(0, 5000, 16)]
    packed = _to_torch({k: np.concatenate([e[k] for e in evs]) for k in ("t", "x", "y", "p")}, cuda_device)
    frames, _ = nd.integrate_events_batch(packed, [len(e) for e in evs], 34, 34, frames_num=20, split_by="number")
    for b, e in enumerate(evs):
        single = nd.integrate_events_by_fixed_frames_number(nd.to_dict(e), "number", 20, 34, 34)
        np.testing.assert_array_equal(frames[b].cpu().numpy(), single)
