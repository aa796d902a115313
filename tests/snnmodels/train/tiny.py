"""A tiny learnable frame dataset and a small spiking net for the training tests (and the torchrun script)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from snnmodels import layers
from snnmodels.neurons import LIFNode


class QuadrantFrames(torch.utils.data.Dataset):
    """Class c lights up quadrant c of an 8x8, 2-channel frame sequence; lengths vary when `variable`."""

    def __init__(self, n: int, seed: int = 0, variable: bool = False, steps: int = 4) -> None:
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, 4, n)
        self.items = []
        for c in self.labels:
            t = int(rng.integers(2, steps + 1)) if variable else steps
            x = (rng.random((t, 2, 8, 8)) < 0.05).astype(np.float32)
            r, q = divmod(int(c), 2)
            x[:, :, r * 4 : r * 4 + 4, q * 4 : q * 4 + 4] += rng.random((t, 2, 4, 4)) < 0.6
            self.items.append(x)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.items[i], int(self.labels[i])


def tiny_net(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    """Conv -> LIF -> Linear -> LIF, multi-step, [T, B, 2, 8, 8] -> [T, B, 4]; no BatchNorm (time-causal)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        layers.Conv2d(2, 4, 3, padding=1),
        LIFNode(tau=2.0, surrogate_function="atan"),
        layers.Flatten(),
        layers.Dropout(dropout),
        layers.Linear(4 * 8 * 8, 4),
        LIFNode(tau=2.0, surrogate_function="atan"),
    )
