"""Parity with snnTorch 1.0's ``functional``: losses, accuracies and state quantization on random spike trains."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from snnmodels import functional as ours
from tests.snnmodels.peers import snntorch

pytestmark = pytest.mark.peers

T, B, C = 12, 6, 10


@pytest.fixture
def data(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    spk = torch.from_numpy((rng.random((T, B, C)) < 0.3).astype(np.float32))
    mem = torch.from_numpy(rng.normal(size=(T, B, C)).astype(np.float32))
    targets = torch.from_numpy(rng.integers(0, C, B))
    return spk, mem, targets


def _compare(ours_fn: Any, theirs_fn: Any, x: torch.Tensor, targets: torch.Tensor) -> None:
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    la, lb = ours_fn(xa, targets.clone()), theirs_fn(xb, targets.clone())
    # snnTorch returns some single-element losses with shape [1]; ours are 0-dim
    lb_cmp = lb.reshape(la.shape) if lb.numel() == la.numel() else lb
    torch.testing.assert_close(la, lb_cmp, rtol=1e-5, atol=1e-6)
    (ga,) = torch.autograd.grad(la.sum(), xa)
    (gb,) = torch.autograd.grad(lb.sum(), xb)
    torch.testing.assert_close(ga, gb, rtol=1e-5, atol=1e-6)


W = torch.linspace(0.5, 2.0, C)

CE_CASES = [
    ("ce_count_loss", {}),
    ("ce_count_loss", {"reduction": "sum"}),
    ("ce_count_loss", {"reduction": "none"}),
    ("ce_count_loss", {"weight": W}),
    ("ce_count_loss", {"weight": W, "reduction": "none"}),
    ("ce_count_loss", {"population_code": True, "num_classes": 5}),
    ("ce_rate_loss", {}),
    ("ce_rate_loss", {"reduction": "sum"}),
    ("ce_rate_loss", {"reduction": "none"}),
    ("ce_rate_loss", {"weight": W}),
    ("ce_max_membrane_loss", {}),
    ("ce_max_membrane_loss", {"reduction": "none"}),
    ("ce_max_membrane_loss", {"weight": W}),
    ("mse_count_loss", {}),
    ("mse_count_loss", {"correct_rate": 0.75, "incorrect_rate": 0.25}),
    ("mse_count_loss", {"correct_rate": 0.8, "incorrect_rate": 0.1, "reduction": "none"}),
    ("mse_count_loss", {"correct_rate": 0.7, "incorrect_rate": 0.3, "population_code": True, "num_classes": 5}),
    ("mse_membrane_loss", {}),
    ("mse_membrane_loss", {"on_target": 2.0, "off_target": 0.5}),
    ("mse_membrane_loss", {"reduction": "none"}),
    ("ce_temporal_loss", {}),
    ("ce_temporal_loss", {"inverse": "reciprocal"}),
    ("ce_temporal_loss", {"weight": W}),
    # snnTorch's defaults (on_target=0, off_target=-1) hit its clamp bug (every target becomes 0, not the last
    # step as documented), so the parity cases spell the last step out; test_loss.py pins our default
    ("mse_temporal_loss", {"on_target": 0, "off_target": T - 1}),
    ("mse_temporal_loss", {"on_target": 2, "off_target": 8, "tolerance": 2}),
    ("mse_temporal_loss", {"on_target": 0, "off_target": T - 1, "reduction": "none"}),
]


@pytest.mark.parametrize(("name", "kw"), CE_CASES, ids=[f"{n}-{sorted(k)}" for n, k in CE_CASES])
def test_losses(name: str, kw: dict[str, Any], data: Any) -> None:
    snn = snntorch()
    spk, mem, targets = data
    x = mem if "membrane" in name else spk
    if kw.get("population_code"):
        targets = targets % kw["num_classes"]
    _compare(getattr(ours, name)(**kw), getattr(snn.functional, name)(**kw), x, targets)


def test_mse_temporal_target_is_time(rng: np.random.Generator, data: Any) -> None:
    snn = snntorch()
    spk, _, _ = data
    times = torch.from_numpy(rng.integers(-3, T, (B, C))).float()
    _compare(
        ours.mse_temporal_loss(target_is_time=True), snn.functional.mse_temporal_loss(target_is_time=True), spk, times
    )


def test_mse_temporal_multi_spike_single_neuron(rng: np.random.Generator) -> None:
    # snnTorch finds the n-th spike by blanking whole time steps, which is right only for one neuron per batch
    snn = snntorch()
    spk = torch.from_numpy((rng.random((T, 1, 1)) < 0.5).astype(np.float32))
    spk[[1, 4, 7]] = 1.0
    kw = {"on_target": [1, 3, 6], "off_target": [2, 5, 9], "multi_spike": True}
    _compare(ours.mse_temporal_loss(**kw), snn.functional.mse_temporal_loss(**kw), spk, torch.tensor([0]))


def test_accuracies(data: Any) -> None:
    snn = snntorch()
    spk, _, targets = data
    assert ours.accuracy_rate(spk, targets) == snn.functional.acc.accuracy_rate(spk, targets)
    assert ours.accuracy_rate(spk, targets, population_code=True, num_classes=5) == (
        snn.functional.acc.accuracy_rate(spk, targets, population_code=True, num_classes=5)
    )
    assert ours.accuracy_temporal(spk, targets) == snn.functional.acc.accuracy_temporal(spk, targets)
    # an accuracy that is not 0: make the first sample's label fire most and first
    spk2 = spk.clone()
    spk2[:, 0] = 0.0
    spk2[:, 0, targets[0]] = 1.0
    assert ours.accuracy_rate(spk2, targets) == snn.functional.acc.accuracy_rate(spk2, targets) > 0
    assert ours.accuracy_temporal(spk2, targets) == snn.functional.acc.accuracy_temporal(spk2, targets) > 0


@pytest.mark.parametrize("num_bits", [1, 2, 3, 4, 6, 8])
@pytest.mark.parametrize(("uniform", "thr_centered"), [(True, True), (False, True), (False, False)])
def test_state_quant(num_bits: int, uniform: bool, thr_centered: bool, rng: np.random.Generator) -> None:
    snn = snntorch()
    from snntorch.functional import quant

    kw = {
        "num_bits": num_bits,
        "uniform": uniform,
        "thr_centered": thr_centered,
        "threshold": 1.5,
        "lower_limit": 0.1,
        "upper_limit": 0.3,
    }
    x = torch.from_numpy(rng.normal(0.5, 1.2, 2000).astype(np.float32)).requires_grad_()
    got, want = ours.state_quant(**kw)(x), quant.state_quant(**kw)(x)
    assert snn is not None
    assert torch.equal(got, want)
    (g,) = torch.autograd.grad(got.sum(), x)
    assert torch.equal(g, torch.ones_like(x))  # straight through
