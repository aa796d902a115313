"""``snnmodels.compat.snntorch.surrogate``: snnTorch's factories, equal spikes and gradients, and picklable."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import torch

import snnmodels.compat.snntorch as ours
from snnmodels.compat.snntorch import surrogate
from tests.snnmodels.peers import snntorch

FACTORIES: dict[str, dict[str, Any]] = {
    "atan": {"alpha": 3.0},
    "fast_sigmoid": {"slope": 10},
    "sigmoid": {"slope": 5},
    "straight_through_estimator": {},
    "triangular": {"threshold": 0.5},
    "heaviside": {},
    "spike_rate_escape": {"beta": 2.0, "slope": 7},
    "SFS": {"slope": 4, "B": 0.5},
}


def _grad(spike_fn: Any, x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_()
    s = spike_fn(x)
    (g,) = torch.autograd.grad((s * w).sum(), x)
    return s, g


@pytest.mark.peers
@pytest.mark.parametrize("name", FACTORIES)
def test_spikes_and_gradients_match_snntorch(name: str, rng: np.random.Generator) -> None:
    snn = snntorch()
    x = torch.from_numpy(rng.uniform(-2, 3, 300))
    x[:3] = 0.0  # at the threshold: no spike, as snnTorch
    w = torch.from_numpy(rng.integers(-3, 4, 300).astype(np.float64))
    s1, g1 = _grad(getattr(surrogate, name)(**FACTORIES[name]), x, w)
    s2, g2 = _grad(getattr(snn.surrogate, name)(**FACTORIES[name]), x, w)
    assert s1.dtype == torch.float64  # snnTorch's are float32
    assert torch.equal(s1, s2.double())
    assert s1[:3].tolist() == [0.0, 0.0, 0.0]
    torch.testing.assert_close(g1, g2.double(), rtol=1e-12, atol=1e-12)
    assert g1.abs().sum() > 0


@pytest.mark.peers
def test_defaults_match_snntorch(rng: np.random.Generator) -> None:
    snn = snntorch()
    x = torch.from_numpy(rng.uniform(-1, 1, 50))
    w = torch.ones(50, dtype=torch.float64)
    for name in ("atan", "fast_sigmoid", "sigmoid", "triangular", "spike_rate_escape", "SFS"):
        torch.testing.assert_close(
            _grad(getattr(surrogate, name)(), x, w)[1], _grad(getattr(snn.surrogate, name)(), x, w)[1].double()
        )


@pytest.mark.peers
def test_stochastic_operator_draws_the_same_noise_as_snntorch(rng: np.random.Generator) -> None:
    snn = snntorch()
    x = torch.from_numpy(rng.uniform(-2, 2, 100))
    w = torch.ones(100, dtype=torch.float64)
    torch.manual_seed(3)
    g1 = _grad(surrogate.SSO(mean=0.1, variance=0.5), x, w)[1]
    torch.manual_seed(3)
    g2 = _grad(snn.surrogate.SSO(mean=0.1, variance=0.5), x, w)[1]
    torch.testing.assert_close(g1, g2.double())


def _fast_sigmoid_grad(input_: torch.Tensor, grad_input: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
    return grad_input / (25 * torch.abs(input_) + 1.0) ** 2 + 0.5 * spikes


@pytest.mark.peers
def test_custom_surrogate_matches_snntorch_and_pickles(rng: np.random.Generator) -> None:
    snn = snntorch()
    x = torch.from_numpy(rng.uniform(-1, 1, 64))
    w = torch.from_numpy(rng.integers(-3, 4, 64).astype(np.float64))
    mine = surrogate.custom_surrogate(_fast_sigmoid_grad)
    g1 = _grad(mine, x, w)[1]
    g2 = _grad(snn.surrogate.custom_surrogate(_fast_sigmoid_grad), x, w)[1]
    torch.testing.assert_close(g1, g2.double())
    assert pickle.loads(pickle.dumps(mine)) == mine


def test_lso_has_its_documented_gradient() -> None:
    # snnTorch 1.0's LSO() calls the stochastic operator with the wrong arguments and fails; this is its docstring
    _, g = _grad(surrogate.LSO(slope=0.25), torch.tensor([-1.0, 0.0, 0.5]), torch.ones(3))
    assert g.tolist() == [0.25, 0.25, 1.0]


def test_sigmoid_has_no_nan_far_below_threshold() -> None:
    # snnTorch writes slope·e^(-slope·x) / (e^(-slope·x) + 1)², which is inf/inf = nan once e^(-slope·x) overflows
    _, g = _grad(surrogate.sigmoid(), torch.tensor([-5.0, 0.0]), torch.ones(2))
    assert g.tolist() == [pytest.approx(25 * np.exp(-125)), 25 / 4]


@pytest.mark.parametrize("name", [*FACTORIES, "SSO", "LSO"])
def test_factories_pickle_compare_and_drive_a_leaky(name: str) -> None:
    fn = getattr(surrogate, name)()
    assert pickle.loads(pickle.dumps(fn)) == fn
    lif = ours.Leaky(0.5, spike_grad=fn)
    restored = pickle.loads(pickle.dumps(lif))
    assert restored.spike_grad == fn
    assert restored(torch.tensor([2.0]))[0].item() == 1.0
