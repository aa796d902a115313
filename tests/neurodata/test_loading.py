from __future__ import annotations

import numpy as np
import pytest
import torch

import neurodata as nd
import neurodata.loading


def test_collate_pads_at_the_end_and_keeps_dtype(rng: np.random.Generator) -> None:
    a = rng.random((3, 2, 2, 2)).astype(np.float32)
    b = rng.random((5, 2, 2, 2)).astype(np.float32)
    frames, labels, lengths = nd.pad_sequence_collate([(a, 1), (b, 0)])
    assert frames.shape == (2, 5, 2, 2, 2)
    assert frames.dtype == torch.float32
    assert labels.dtype == torch.int64
    assert labels.tolist() == [1, 0]
    assert lengths.tolist() == [3, 5]
    np.testing.assert_array_equal(frames[0, :3].numpy(), a)
    assert frames[0, 3:].abs().sum() == 0
    np.testing.assert_array_equal(frames[1].numpy(), b)


def test_collate_integer_frames_stay_integer_and_tensor_labels_stack() -> None:
    x = [
        (torch.ones(2, 1, dtype=torch.uint8), torch.tensor([1.0, 0.0])),
        (torch.ones(1, 1, dtype=torch.uint8), torch.tensor([0.0, 1.0])),
    ]
    frames, labels, lengths = nd.pad_sequence_collate(x)
    assert frames.dtype == torch.uint8  # Tonic's PadTensors turns these into float32
    assert labels.shape == (2, 2)
    assert lengths.tolist() == [2, 1]


def test_collate_refuses_mismatched_frame_shapes() -> None:
    with pytest.raises(ValueError, match="differ beyond the time axis"):
        nd.pad_sequence_collate([(np.zeros((2, 3)), 0), (np.zeros((2, 4)), 1)])


def test_mask_marks_real_steps_time_first_by_default() -> None:
    lengths = torch.tensor([3, 1, 0])
    mask = nd.padded_sequence_mask(lengths)
    assert mask.dtype == torch.bool
    assert mask.shape == (3, 3)
    assert mask.T.tolist() == [[True, True, True], [True, False, False], [False, False, False]]
    assert nd.padded_sequence_mask(lengths, 5, batch_first=True).tolist() == [
        [True, True, True, False, False],
        [True, False, False, False, False],
        [False] * 5,
    ]


def test_collate_then_mask_recovers_every_sample(rng: np.random.Generator) -> None:
    samples = [(rng.random((int(n), 4)).astype(np.float32), 0) for n in rng.integers(1, 9, 6)]
    frames, _, lengths = nd.pad_sequence_collate(samples)
    mask = nd.padded_sequence_mask(lengths, batch_first=True)
    for i, (x, _) in enumerate(samples):
        np.testing.assert_array_equal(frames[i][mask[i]].numpy(), x)


def test_events_to_frames_on_the_device_equals_the_per_sample_integrator(rng: np.random.Generator) -> None:
    from neurodata.testing import random_events

    samples = [(nd.to_dict(random_events(rng, nd.SensorSize(16, 12), int(n))), i) for i, n in enumerate([50, 0, 700])]
    batch = nd.loading.pack_events_collate(samples)
    assert batch[2].tolist() == [50, 0, 700]
    for kw in ({"frames_number": 5, "split_by": "time"}, {"duration": 40_000}):
        frames, labels, lengths = nd.loading.EventsToFrames(12, 16, **kw)(batch, "cpu")
        assert labels.tolist() == [0, 1, 2]
        for b, (ev, _) in enumerate(samples):
            if "duration" in kw:
                expected = nd.integrate_events_by_fixed_duration(ev, 40_000, 12, 16)
            else:
                expected = nd.integrate_events_by_fixed_frames_number(ev, "time", 5, 12, 16)
            assert int(lengths[b]) == len(expected)
            np.testing.assert_array_equal(frames[b, : len(expected)].numpy(), expected)


def test_collate_hands_on_a_padded_array_whose_rows_are_the_samples(rng: np.random.Generator) -> None:
    lengths = [3, 5, 1]
    base = np.zeros((3, 5, 2, 4, 4), dtype=np.float32)
    for k, n in enumerate(lengths):
        base[k, :n] = rng.integers(1, 9, (n, 2, 4, 4))
    batch = [(base[k, :n], k) for k, n in enumerate(lengths)]
    x, y, lens = nd.pad_sequence_collate(batch)
    assert np.shares_memory(x.numpy(), base)  # no copy
    np.testing.assert_array_equal(x.numpy(), base)
    assert lens.tolist() == lengths
    assert y.tolist() == [0, 1, 2]
    # a tail that is not zero, or rows out of order, are padded by copying, as for any other input
    base[0, 4] = 1.0
    x, _, _ = nd.pad_sequence_collate(batch)
    assert not np.shares_memory(x.numpy(), base)
    assert not x[0, 3:].any()
    x, _, _ = nd.pad_sequence_collate([batch[1], batch[0], batch[2]])
    assert not np.shares_memory(x.numpy(), base)
    np.testing.assert_array_equal(x[1, :3].numpy(), base[0, :3])


def test_collate_hands_on_rows_of_pooled_flat_memory_but_copies_part_of_a_bigger_array(
    rng: np.random.Generator,
) -> None:
    from neurodata.buffers import BufferPool

    lengths = [2, 4]
    pooled = BufferPool().empty((2, 4, 3), np.float32)  # its rows' base is the flat lease, not this array
    pooled[...] = 7.0  # stale contents, as recycled memory has
    for k, n in enumerate(lengths):
        pooled[k, :n] = rng.random((n, 3))
        pooled[k, n:] = 0
    x, _, _ = nd.pad_sequence_collate([(pooled[k, :n], k) for k, n in enumerate(lengths)])
    assert np.shares_memory(x.numpy(), pooled)
    np.testing.assert_array_equal(x.numpy(), pooled)
    bigger = np.zeros((3, 4, 3), dtype=np.float32)  # two rows of a three-row array: not a batch of its own
    bigger[:2] = pooled
    x, _, _ = nd.pad_sequence_collate([(bigger[k, :n], k) for k, n in enumerate(lengths)])
    assert not np.shares_memory(x.numpy(), bigger)
    np.testing.assert_array_equal(x.numpy(), pooled)
