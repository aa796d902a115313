"""Frame augmentations on a batch, on its device: roll, rotation, shear, cutout, flip (TET / NDA recipes).

Frames are a torch tensor `[B, ..., H, W]` (typically `[B, T, 2, H, W]` after the DataLoader). Each sample
gets its own random parameters, shared by all its time steps and channels, so a recording moves as one
picture; everything is computed for the whole batch in a fixed number of kernels on the frames' device.
The functions take the per-sample parameters explicitly; the classes draw them from an optional
``torch.Generator`` (on the frames' device) and call the functions. ``batched=False`` treats the input
as one sample (`[T, C, H, W]` in a Dataset transform).

The recipes these follow: TET (Deng et al., 2022) trains CIFAR10-DVS with a random horizontal flip and a
roll of up to 5 pixels in each axis; NDA (Li et al., 2022) with roll, rotation, shear and cutout.
Rotation and shear sample the nearest pixel, so counts stay counts; pixels that come from outside are 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as tF


def _check(frames: Any, where: str) -> torch.Tensor:
    if not isinstance(frames, torch.Tensor):
        raise TypeError(f"{where}: frames must be a torch tensor [B, ..., H, W], got {type(frames).__name__}")
    if frames.ndim < 3:
        raise ValueError(f"{where}: frames must be [B, ..., H, W] (at least 3 dims), got shape {tuple(frames.shape)}")
    return frames


def _per_sample(v: Any, b: int, cols: int, frames: torch.Tensor, where: str, dtype: torch.dtype) -> torch.Tensor:
    t = torch.as_tensor(v, device=frames.device, dtype=dtype)
    want = (b, cols) if cols else (b,)
    if tuple(t.shape) != want:
        raise ValueError(f"{where}: expected parameters of shape {want} (one per sample), got {tuple(t.shape)}")
    return t


def _view(t: torch.Tensor, frames: torch.Tensor, tail: tuple[int, int]) -> torch.Tensor:
    return t.view(t.shape[0], *([1] * (frames.ndim - 3)), *tail)


def roll_frames(frames: torch.Tensor, shifts: Any) -> torch.Tensor:
    """Roll sample b by ``shifts[b] = (dy, dx)`` pixels with wrap-around (`torch.roll` per sample)."""
    f = _check(frames, "roll_frames")
    b, (h, w) = f.shape[0], f.shape[-2:]
    s = _per_sample(shifts, b, 2, f, "roll_frames", torch.int64)
    iy = (torch.arange(h, device=f.device)[None] - s[:, :1]) % h
    ix = (torch.arange(w, device=f.device)[None] - s[:, 1:]) % w
    out = f.gather(-2, _view(iy, f, (h, 1)).expand(f.shape))
    return out.gather(-1, _view(ix, f, (1, w)).expand(f.shape))


def affine_frames(frames: torch.Tensor, matrices: Any) -> torch.Tensor:
    """Resample sample b through the 2x2 pixel-space matrix ``matrices[b]`` about the image centre (nearest pixel).

    Output pixel ``q`` takes input pixel ``A^-1 (q - c) + c``; pixels from outside the image are 0.
    """
    f = _check(frames, "affine_frames")
    b, (h, w) = f.shape[0], f.shape[-2:]
    a = torch.as_tensor(matrices, device=f.device, dtype=torch.float64)
    if tuple(a.shape) != (b, 2, 2):
        raise ValueError(f"affine_frames: expected matrices of shape {(b, 2, 2)}, got {tuple(a.shape)}")
    inv = torch.linalg.inv(a)
    # pixel space (x right, y down) to grid_sample's normalized space (align_corners=False): x_n = (2x + 1)/W - 1
    scale = torch.tensor([w / 2.0, h / 2.0], device=f.device, dtype=torch.float64)
    theta = torch.zeros(b, 2, 3, device=f.device, dtype=torch.float64)
    theta[:, :, :2] = inv * scale[None, None, :] / scale[None, :, None]
    flat = f.reshape(b, -1, h, w)
    grid = tF.affine_grid(theta.to(torch.float32), list(flat.shape), align_corners=False)
    src = flat if flat.is_floating_point() else flat.to(torch.float32)
    out = tF.grid_sample(src, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    return out.to(f.dtype).reshape(f.shape)


def rotate_frames(frames: torch.Tensor, degrees: Any) -> torch.Tensor:
    """Rotate sample b by ``degrees[b]`` counter-clockwise (as shown with y down) about the image centre."""
    f = _check(frames, "rotate_frames")
    a = torch.deg2rad(_per_sample(degrees, f.shape[0], 0, f, "rotate_frames", torch.float64))
    c, s = torch.cos(a), torch.sin(a)
    return affine_frames(f, torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2))


def shear_frames(frames: torch.Tensor, shear: Any) -> torch.Tensor:
    """Shear sample b by ``shear[b] = (sx, sy)``: ``x += sx * y``, ``y += sy * x`` about the centre."""
    f = _check(frames, "shear_frames")
    s = _per_sample(shear, f.shape[0], 2, f, "shear_frames", torch.float64)
    one = torch.ones_like(s[:, 0])
    return affine_frames(f, torch.stack([torch.stack([one, s[:, 0]], -1), torch.stack([s[:, 1], one], -1)], -2))


def cutout_frames(frames: torch.Tensor, centers: Any, size: int) -> torch.Tensor:
    """Zero a ``size`` x ``size`` square centred on ``centers[b] = (cy, cx)`` in sample b (clipped at the edges)."""
    f = _check(frames, "cutout_frames")
    if size < 0:
        raise ValueError(f"cutout_frames: size must be >= 0, got {size!r}")
    b, (h, w) = f.shape[0], f.shape[-2:]
    c = _per_sample(centers, b, 2, f, "cutout_frames", torch.int64)
    lo = c - size // 2
    ys, xs = torch.arange(h, device=f.device)[None], torch.arange(w, device=f.device)[None]
    in_y = (ys >= lo[:, :1]) & (ys < lo[:, :1] + size)
    in_x = (xs >= lo[:, 1:]) & (xs < lo[:, 1:] + size)
    hole = in_y[:, :, None] & in_x[:, None, :]
    return f.masked_fill(_view(hole, f, (h, w)), 0)


def flip_frames_lr(frames: torch.Tensor, flags: Any) -> torch.Tensor:
    """Mirror the samples where ``flags[b]`` is True left-right."""
    f = _check(frames, "flip_frames_lr")
    m = _per_sample(flags, f.shape[0], 0, f, "flip_frames_lr", torch.bool)
    return torch.where(_view(m, f, (1, 1)), f.flip(-1), f)


# random, with their parameters drawn on the frames' device -------------------------------------------


def _uniform(n: int, lo: float, hi: float, frames: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, device=frames.device, generator=g, dtype=torch.float64) * (hi - lo) + lo


def _batched(frames: Any, batched: bool, where: str) -> torch.Tensor:
    if not isinstance(frames, torch.Tensor):
        raise TypeError(f"{where}: frames must be a torch tensor, got {type(frames).__name__}")
    return frames if batched else frames[None]


def _nonneg(name: str, v: float) -> None:
    if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")


@dataclass(frozen=True)
class RandomRoll:
    """Roll each sample by integers drawn uniformly from ``[-max_shift, max_shift]`` in y and in x (TET)."""

    max_shift: int = 5
    batched: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.max_shift, bool) or not isinstance(self.max_shift, int) or self.max_shift < 0:
            raise ValueError(f"RandomRoll.max_shift must be an integer >= 0, got {self.max_shift!r}")

    def __call__(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        f = _batched(frames, self.batched, "RandomRoll")
        k = self.max_shift
        s = torch.randint(-k, k + 1, (f.shape[0], 2), device=f.device, generator=generator)
        out = roll_frames(f, s)
        return out if self.batched else out[0]


@dataclass(frozen=True)
class RandomRotation:
    """Rotate each sample by an angle drawn uniformly from ``[-degrees, degrees]`` (NDA uses 15)."""

    degrees: float = 15.0
    batched: bool = True

    def __post_init__(self) -> None:
        _nonneg("RandomRotation.degrees", self.degrees)

    def __call__(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        f = _batched(frames, self.batched, "RandomRotation")
        out = rotate_frames(f, _uniform(f.shape[0], -self.degrees, self.degrees, f, generator))
        return out if self.batched else out[0]


@dataclass(frozen=True)
class RandomShear:
    """Shear each sample by factors drawn uniformly from ``[-max_shear, max_shear]`` in x and in y (NDA)."""

    max_shear: float = 0.3
    batched: bool = True

    def __post_init__(self) -> None:
        _nonneg("RandomShear.max_shear", self.max_shear)

    def __call__(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        f = _batched(frames, self.batched, "RandomShear")
        s = _uniform(2 * f.shape[0], -self.max_shear, self.max_shear, f, generator).view(-1, 2)
        out = shear_frames(f, s)
        return out if self.batched else out[0]


@dataclass(frozen=True)
class RandomCutout:
    """Zero a ``size`` x ``size`` square at a centre drawn uniformly over the image, per sample (NDA's cutout)."""

    size: int = 16
    batched: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError(f"RandomCutout.size must be an integer >= 0, got {self.size!r}")

    def __call__(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        f = _batched(frames, self.batched, "RandomCutout")
        b, (h, w) = f.shape[0], f.shape[-2:]
        cy = torch.randint(0, h, (b,), device=f.device, generator=generator)
        cx = torch.randint(0, w, (b,), device=f.device, generator=generator)
        out = cutout_frames(f, torch.stack([cy, cx], 1), self.size)
        return out if self.batched else out[0]


@dataclass(frozen=True)
class RandomFlipFramesLR:
    """Mirror each sample left-right with probability `p` (TET)."""

    p: float = 0.5
    batched: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.p, (int, float)) and 0.0 <= self.p <= 1.0):
            raise ValueError(f"RandomFlipFramesLR.p must be in [0, 1], got {self.p!r}")

    def __call__(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        f = _batched(frames, self.batched, "RandomFlipFramesLR")
        flags = torch.rand(f.shape[0], device=f.device, generator=generator) < self.p
        out = flip_frames_lr(f, flags)
        return out if self.batched else out[0]
