"""1-D sensors in the event vocabulary: SpikingJelly's and Tonic's spike layouts, frames and collation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurodata as nd
from neurodata.events import SensorSize, events_from_dict, events_from_structured, one_d_frames
from neurodata.loading import pad_sequence_collate

COCHLEA = SensorSize(700, 1, 1)


def test_peer_spike_layouts_become_1d_events() -> None:
    sj = {"t": np.array([0.0, 5.0, 9.0]), "x": np.array([3, 699, 3], np.uint16)}  # SpikingJelly's SHD (t as µs here)
    ev = events_from_dict(sj, COCHLEA)
    assert ev.tolist() == [(0, 3, 0, 1), (5, 699, 0, 1), (9, 3, 0, 1)]
    tonic = np.zeros(2, dtype=[("t", int), ("x", int), ("p", int)])
    tonic["t"], tonic["x"], tonic["p"] = [1, 2], [10, 20], 1
    assert events_from_structured(tonic, COCHLEA).tolist() == [(1, 10, 0, 1), (2, 20, 0, 1)]
    with pytest.raises(nd.errors.EventsError, match=r"field 'x' at index 1 is 700, outside 0\.\.699"):
        events_from_dict({"t": [0, 1], "x": [1, 700]}, COCHLEA)
    with pytest.raises(nd.errors.EventsError, match=r"missing field\(s\) \['x'"):
        events_from_dict({"t": [0, 1]})


def test_1d_frames_count_spikes_per_channel_and_collate() -> None:
    assert COCHLEA.is_1d
    assert not SensorSize(34, 34).is_1d
    ev = events_from_dict({"t": [0, 1, 2, 3, 10, 11], "x": [5, 5, 6, 699, 0, 5]}, COCHLEA)
    frames = one_d_frames(nd.integrate_events_by_fixed_frames_number(nd.to_dict(ev), "number", 2, 1, 700))
    assert frames.shape == (2, 1, 700)
    expected = np.zeros((2, 1, 700), np.float32)
    for x in (5, 5, 6):  # the first 3 events, then the last 3 (split by number)
        expected[0, 0, x] += 1
    for x in (699, 0, 5):
        expected[1, 0, x] += 1
    np.testing.assert_array_equal(frames, expected)
    x, y, lengths = pad_sequence_collate([(frames, 1), (frames[:1], 0)])
    assert tuple(x.shape) == (2, 2, 1, 700)
    assert lengths.tolist() == [2, 1]
    assert not x[1, 1].any()
    assert torch.equal(y, torch.tensor([1, 0]))
    with pytest.raises(ValueError, match=r"frames of a 1-D sensor are \[T, 2, 1, W\]"):
        one_d_frames(np.zeros((2, 2, 3, 700)))
    assert one_d_frames(np.ones((3, 5, 1, 7)), polarity_channels=False).shape == (3, 5, 7)  # voxel bins, say
