"""Event and frame transforms against plain per-event references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import neurodata as nd
from neurodata import functional as F
from neurodata import transforms as T
from neurodata.testing import random_events

SENSOR = nd.SensorSize(7, 5)


def _denoise_reference(ev: np.ndarray, sensor: nd.SensorSize, filter_time: int) -> np.ndarray:
    """Tonic's loop: a timestamp memory per pixel, updated by every event, checked at the 4 neighbours."""
    memory = np.full((sensor.width + 2, sensor.height + 2), np.iinfo(np.int64).min // 2, dtype=np.int64)
    keep = []
    for e in ev:
        x, y, t = int(e["x"]) + 1, int(e["y"]) + 1, int(e["t"])
        if max(memory[x - 1, y], memory[x + 1, y], memory[x, y - 1], memory[x, y + 1]) > t:
            keep.append(True)
        else:
            keep.append(False)
        memory[x, y] = t + filter_time
    return ev[np.asarray(keep, dtype=bool)]


@given(st.integers(0, 200), st.integers(0, 2**32 - 1), st.sampled_from([1, 5, 50, 500]))
def test_denoise_equals_the_sequential_filter(n: int, seed: int, filter_time: int) -> None:
    ev = random_events(np.random.default_rng(seed), SENSOR, n, duration_us=2000)
    got = F.denoise(ev, SENSOR, filter_time)
    np.testing.assert_array_equal(got, _denoise_reference(ev, SENSOR, filter_time))


def test_crop_flip_and_downsample_by_hand() -> None:
    ev = nd.make_events([0, 1, 2, 3], [0, 3, 6, 4], [0, 1, 4, 2], [0, 1, 1, 0])
    c = F.crop(ev, (2, 1), (4, 2))
    assert c["x"].tolist() == [1, 2]
    assert c["y"].tolist() == [0, 1]
    assert c["t"].tolist() == [1, 3]
    assert F.flip_lr(ev, SENSOR)["x"].tolist() == [6, 3, 0, 2]
    assert F.flip_ud(ev, SENSOR)["y"].tolist() == [4, 3, 0, 2]
    assert F.flip_polarity(ev)["p"].tolist() == [1, 0, 0, 1]
    d = F.downsample(ev, spatial_factor=0.5, time_factor=0.5)
    assert d["x"].tolist() == [0, 1, 3, 2]
    assert d["t"].tolist() == [0, 0, 1, 1]
    assert F.center_crop(ev, SENSOR, (3, 3))["x"].tolist() == [1, 2]  # origin (2, 1)
    assert ev["x"].tolist() == [0, 3, 6, 4]  # inputs untouched


def test_dict_in_dict_out_and_random_transforms_use_the_rng() -> None:
    ev = nd.to_dict(random_events(np.random.default_rng(0), SENSOR, 500))
    out = T.DropEvents(0.5)(ev, np.random.default_rng(1))
    assert isinstance(out, dict)
    assert 150 < len(out["t"]) < 350
    np.testing.assert_array_equal(T.DropEvents(0.5)(ev, np.random.default_rng(1))["t"], out["t"])
    jittered = T.TimeJitter(100.0)(ev, np.random.default_rng(2))
    assert (np.diff(jittered["t"]) >= 0).all()
    assert T.RandomFlipLR(SENSOR, p=1.0)(ev)["x"].tolist() == (6 - ev["x"]).tolist()
    crop = T.RandomCrop(SENSOR, (3, 2))(ev, np.random.default_rng(3))
    assert crop["x"].max() < 3
    assert crop["y"].max() < 2
    with pytest.raises(ValueError, match=r"RandomFlipLR\.p must be in \[0, 1\], got 2"):
        T.RandomFlipLR(SENSOR, p=2)


def test_compose_to_frames() -> None:
    ev = nd.to_dict(random_events(np.random.default_rng(0), SENSOR, 300))
    frames = T.Compose([T.Downsample(1.0), T.ToFrames(SENSOR, frames_number=4)])(ev)
    np.testing.assert_array_equal(frames, nd.integrate_events_by_fixed_frames_number(ev, "number", 4, 5, 7))
    with pytest.raises(ValueError, match="exactly one of frames_number or duration"):
        T.ToFrames(SENSOR)


@pytest.mark.parametrize("batch_first", [False, True])
def test_random_temporal_delete_keeps_order(batch_first: bool) -> None:
    x = np.arange(10).reshape(1, 10) if batch_first else np.arange(10)
    out = T.RandomTemporalDelete(4, batch_first=batch_first)(x, np.random.default_rng(0))
    steps = out[0] if batch_first else out
    assert len(steps) == 4
    assert (np.diff(steps) > 0).all()
    t = torch.arange(10.0).reshape(10, 1)
    assert T.RandomTemporalDelete(3)(t).shape == (3, 1)
    assert T.RandomTemporalDelete(20)(t) is t


def test_downsample_frames_sums_blocks() -> None:
    x = np.arange(2 * 4 * 6, dtype=np.float32).reshape(1, 2, 4, 6)
    out = T.DownsampleFrames(2)(x)
    assert out.shape == (1, 2, 2, 3)
    assert out[0, 0, 0, 0] == x[0, 0, :2, :2].sum()
    assert out.sum() == x.sum()
    torch.testing.assert_close(T.DownsampleFrames(2)(torch.from_numpy(x)), torch.from_numpy(out))
    with pytest.raises(ValueError, match="not multiples of factor 4"):
        T.DownsampleFrames(4)(x)
