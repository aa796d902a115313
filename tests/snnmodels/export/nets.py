"""Small networks and helpers shared by the export tests (float64, seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from snnmodels import IFNode, Leaky, LIFNode, ParametricLIFNode, layers

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def shared(*parts: str) -> Path:
    """A file under shared/data, or a skip naming the missing path."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not available: {path.resolve()} is absent")
    return path


def lively(model: nn.Module, seed: int = 0, gain: float = 1.5, rate: float = 0.3) -> nn.Module:
    """Set weights (and BatchNorm statistics) so that every layer spikes often but not always.

    Random init leaves deep nets silent or saturated; the round trips need spikes to compare. Each Conv/Linear
    gets zero-mean weights of standard deviation s = gain / sqrt(fan_in · rate), so that inputs firing at
    ``rate`` give currents of about ``gain`` thresholds' spread at any depth; BatchNorms stay close to identity.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Linear):
                std = gain / (m.weight[0].numel() * rate) ** 0.5
                if m.weight.numel() > 1 << 22:  # drawing 100M numbers takes seconds: rescale the layer's own init
                    m.weight.sub_(m.weight.mean()).mul_(std / m.weight.std())
                else:
                    m.weight.normal_(0.0, std, generator=g)
                if m.bias is not None:
                    m.bias.normal_(0.0, 0.05, generator=g)
            elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.1, generator=g)
                m.running_var.uniform_(0.8, 1.2, generator=g)
                m.weight.normal_(1.0, 0.2, generator=g)
                m.bias.normal_(0.0, 0.1, generator=g)
    return model


def events(shape: tuple[int, ...], rng: np.random.Generator, p: float = 0.3) -> Tensor:
    """Binary event frames [T, N, ...] in float64, firing with probability ``p``."""
    return torch.from_numpy((rng.random(shape) < p).astype(np.float64))


class SEWBlock(nn.Module):
    """conv-BN-neuron twice, joined to the input by ADD (SEW-ResNet)."""

    def __init__(self, c: int, neuron: type[nn.Module] = IFNode) -> None:
        super().__init__()
        self.conv1, self.bn1, self.sn1 = layers.Conv2d(c, c, 3, padding=1, bias=False), layers.BatchNorm2d(c), neuron()
        self.conv2, self.bn2, self.sn2 = layers.Conv2d(c, c, 3, padding=1, bias=False), layers.BatchNorm2d(c), neuron()

    def forward(self, x: Tensor) -> Tensor:
        return x + self.sn2(self.bn2(self.conv2(self.sn1(self.bn1(self.conv1(x))))))


class MixedNet(nn.Module):
    """Every exportable kind in one net: BN folding, IF/LIF/PLIF/Leaky, SumPool/AvgPool, SEW ADD, voting."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(layers.Conv2d(2, 8, 3, padding=1), layers.BatchNorm2d(8), IFNode(v_reset=-0.25))
        self.pool1 = layers.AvgPool2d(2, divisor_override=1)
        self.block = SEWBlock(8, neuron=lambda: LIFNode(tau=1.7, decay_input=False))
        self.pool2 = layers.AvgPool2d(2, 2, padding=1)
        self.flat = layers.Flatten()
        self.fc1 = layers.Linear(8 * 3 * 3, 30)
        self.bn_fc = layers.BatchNorm1d(30)
        self.sn_fc = ParametricLIFNode(init_tau=3.0)
        self.fc2 = layers.Linear(30, 20, bias=False)
        self.sn_out = Leaky(
            beta=torch.linspace(0.5, 0.9, 20), threshold=0.8, reset_mechanism="zero", init_hidden=True, step_mode="m"
        )
        self.vote = layers.VotingLayer(2)

    def forward(self, x: Tensor) -> Tensor:
        y = self.pool1(self.stem(x))
        y = self.pool2(self.block(y))
        y = self.sn_fc(self.bn_fc(self.fc1(self.flat(y))))
        return self.vote(self.sn_out(self.fc2(y)))


def conv_if_lif(pool: str = "sum", lif_decay_input: bool = True, channels: int = 8) -> nn.Module:
    """Conv-IF-pool-Conv-LIF-Flatten-Linear-LIF on 2x8x8: the net for the peer importers."""
    pool_layer = layers.AvgPool2d(2, divisor_override=1) if pool == "sum" else layers.AvgPool2d(2)
    return nn.Sequential(
        layers.Conv2d(2, channels, 3, padding=1),
        IFNode(),
        pool_layer,
        layers.Conv2d(channels, channels, 3, padding=1),
        LIFNode(tau=2.0, decay_input=lif_decay_input),
        layers.Flatten(),
        layers.Linear(channels * 4 * 4, 10),
        LIFNode(tau=1.5, decay_input=lif_decay_input),
    ).double()


def firing_rate(y: Tensor) -> float:
    """Mean of a spike tensor, for asserting that a comparison saw spikes (and not only spikes)."""
    return float(y.float().mean())


def last_spiking_rate(model: nn.Module, x: Tensor) -> float:
    """Firing rate of the last IF/LIF/PLIF/Leaky layer that runs on x (a comparison needs spikes, not all ones)."""
    rates: list[float] = []

    def record(_m: nn.Module, _i: object, out: object) -> None:
        spikes = out[0] if isinstance(out, tuple) else out
        rates.append(float(spikes.detach().float().mean()))  # type: ignore[union-attr]

    hooks = [
        m.register_forward_hook(record)
        for m in model.modules()
        if isinstance(m, IFNode | LIFNode | ParametricLIFNode | Leaky)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return rates[-1]
