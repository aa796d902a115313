"""Frame augmentations on a batch: against torch.roll / rot90 / flips per sample and hand-computed masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurodata import transforms as T
from neurodata.augment import frames as A


def _batch(b: int = 4, t: int = 3, h: int = 9, w: int = 12, dtype: torch.dtype = torch.int16) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 50, (b, t, 2, h, w), generator=g).to(dtype)


def test_roll_equals_torch_roll_per_sample() -> None:
    x = _batch()
    shifts = [[1, -2], [0, 0], [-9, 25], [4, 3]]
    out = A.roll_frames(x, shifts)
    for b, (dy, dx) in enumerate(shifts):
        torch.testing.assert_close(out[b], torch.roll(x[b], (dy, dx), (-2, -1)))
    assert out.dtype == x.dtype


@pytest.mark.parametrize("dtype", [torch.int16, torch.float32])
def test_rotations_by_quarter_turns_equal_rot90(dtype: torch.dtype) -> None:
    x = _batch(h=10, w=10, dtype=dtype)
    out = A.rotate_frames(x, [0.0, 90.0, 180.0, -90.0])
    torch.testing.assert_close(out[0], x[0])
    torch.testing.assert_close(out[1], torch.rot90(x[1], 1, (-2, -1)))  # counter-clockwise as displayed
    torch.testing.assert_close(out[2], torch.rot90(x[2], 2, (-2, -1)))
    torch.testing.assert_close(out[3], torch.rot90(x[3], -1, (-2, -1)))


def test_rotation_of_a_non_square_image_keeps_the_centre_and_zero_fills() -> None:
    x = torch.zeros(1, 1, 1, 7, 11)
    x[..., 3, 5] = 1.0  # the centre pixel
    x[..., 3, 10] = 2.0  # right edge, on the centre row
    out = A.rotate_frames(x, [90.0])[0, 0, 0]
    assert out[3, 5] == 1.0
    assert out.sum() == 1.0  # the edge pixel turns out of the 7-row image: gone, nothing invented


def test_shear_zero_is_identity_and_shifts_rows() -> None:
    x = _batch(h=8, w=8, dtype=torch.float32)
    torch.testing.assert_close(A.shear_frames(x, torch.zeros(4, 2)), x)
    one = torch.zeros(1, 1, 1, 8, 8)
    one[..., 7, 4] = 1.0  # bottom row, 3.5 rows below the centre
    out = A.shear_frames(one, [[0.5, 0.0]])[0, 0, 0]  # x += 0.5 * (y - c): that row moves right by 1.75
    assert out.sum() == 1.0
    assert out[7].argmax().item() in (5, 6)


def test_cutout_by_hand_and_clipped_at_the_edge() -> None:
    x = torch.ones(2, 1, 2, 6, 6)
    out = A.cutout_frames(x, [[2, 3], [0, 0]], 3)
    want0 = torch.ones(6, 6)
    want0[1:4, 2:5] = 0
    want1 = torch.ones(6, 6)
    want1[0:2, 0:2] = 0
    torch.testing.assert_close(out[0, 0, 1], want0)
    torch.testing.assert_close(out[1, 0, 0], want1)


def test_flip_per_sample() -> None:
    x = _batch()
    out = A.flip_frames_lr(x, [True, False, False, True])
    torch.testing.assert_close(out[0], x[0].flip(-1))
    torch.testing.assert_close(out[1], x[1])
    torch.testing.assert_close(out[3], x[3].flip(-1))


def test_random_classes_draw_per_sample_and_follow_the_generator() -> None:
    x = _batch(b=64)
    roll = T.RandomRoll(max_shift=2)
    a = roll(x, torch.Generator().manual_seed(5))
    torch.testing.assert_close(a, roll(x, torch.Generator().manual_seed(5)))
    moved = [
        not any(torch.equal(a[b], torch.roll(x[b], (dy, dx), (-2, -1))) for dy in range(-2, 3) for dx in range(-2, 3))
        for b in range(64)
    ]
    assert not any(moved)  # every sample is some roll within the bound
    assert len({tuple(a[b].flatten()[:20].tolist()) for b in range(64)}) > 1
    flips = T.RandomFlipFramesLR(p=0.5)(x, torch.Generator().manual_seed(1))
    flipped = [torch.equal(flips[b], x[b].flip(-1)) for b in range(64)]
    assert 15 < sum(flipped) < 49
    cut = T.RandomCutout(size=4)(x.float(), torch.Generator().manual_seed(2))
    zeros_per_sample = (cut == 0).flatten(1).sum(1) - (x == 0).flatten(1).sum(1)
    assert (zeros_per_sample > 0).all()
    for angle in (T.RandomRotation(15.0), T.RandomShear(0.2)):
        assert angle(x).shape == x.shape


def test_unbatched_samples_and_bad_input() -> None:
    x = _batch()[0]
    assert T.RandomRoll(1, batched=False)(x).shape == x.shape
    assert T.RandomRotation(10.0, batched=False)(x).shape == x.shape
    with pytest.raises(TypeError, match="torch tensor"):
        T.RandomRoll()(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"parameters of shape \(4, 2\)"):
        A.roll_frames(_batch(), [[1, 2]])


def test_runs_on_the_frames_device(cuda_device: str) -> None:
    x = _batch().to(cuda_device)
    for aug in (T.RandomRoll(), T.RandomRotation(), T.RandomShear(), T.RandomCutout(3), T.RandomFlipFramesLR()):
        out = aug(x, torch.Generator(device=cuda_device).manual_seed(0))
        assert out.device == x.device
    torch.testing.assert_close(A.roll_frames(x, [[1, 2]] * 4).cpu(), A.roll_frames(x.cpu(), [[1, 2]] * 4))
