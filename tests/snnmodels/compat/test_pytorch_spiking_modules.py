"""``snnmodels.compat.pytorch_spiking``: pytorch-spiking 0.1's layers and functional, pinned to the peer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import snnmodels.compat.pytorch_spiking as ours
from tests.snnmodels.peers import pytorch_spiking


@pytest.mark.peers
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("spiking_aware_training", [True, False])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_spiking_activation_matches(
    training: bool, spiking_aware_training: bool, return_sequences: bool, rng: np.random.Generator
) -> None:
    ps = pytorch_spiking()
    x = torch.from_numpy(rng.normal(70.0, 40.0, (3, 60, 5)))
    state = torch.from_numpy(rng.random((3, 5)))
    kw = {"dt": 0.01, "spiking_aware_training": spiking_aware_training, "return_sequences": return_sequences}
    results = []
    for module in (ours.SpikingActivation, ps.SpikingActivation):
        layer = module(torch.nn.functional.leaky_relu, initial_state=state.clone(), **kw).train(training)
        xg = x.clone().requires_grad_()
        y = layer(xg)
        (g,) = torch.autograd.grad((y * y.detach().sign()).sum(), xg)
        results.append((y, g))
    (y1, g1), (y2, g2) = results
    torch.testing.assert_close(y1, y2, rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-12)
    assert y1.shape == ((3, 60, 5) if return_sequences else (3, 5))
    assert y1.abs().sum() > 0


@pytest.mark.peers
@pytest.mark.parametrize("return_sequences", [True, False])
def test_functional_default_is_the_last_step(return_sequences: bool, rng: np.random.Generator) -> None:
    ps = pytorch_spiking()
    x = torch.from_numpy(rng.normal(50.0, 30.0, (2, 40, 3)))
    state = torch.from_numpy(rng.random((2, 3)))
    kw = {} if not return_sequences else {"return_sequences": True}
    y1 = ours.functional.spiking_activation(x, torch.relu, 0.01, state.clone(), **kw)
    y2 = ps.functional.spiking_activation(x, torch.relu, 0.01, state.clone(), True, return_sequences)
    assert y1.shape == ((2, 40, 3) if return_sequences else (2, 3))
    torch.testing.assert_close(y1, y2, rtol=1e-12, atol=1e-9)


@pytest.mark.peers
def test_the_initial_state_is_left_as_given() -> None:
    ps = pytorch_spiking()
    x = torch.full((1, 3, 2), 250.0)
    mine, theirs = torch.full((1, 2), 0.5), torch.full((1, 2), 0.5)
    ours.SpikingActivation(torch.relu, initial_state=mine)(x)
    ps.SpikingActivation(torch.relu, initial_state=theirs)(x)
    assert mine.tolist() == [[0.5, 0.5]]
    assert theirs.tolist() == [[0.25, 0.25]]  # pytorch-spiking advanced the caller's tensor in place: 0.5 + 0.75


@pytest.mark.peers
@pytest.mark.parametrize("return_sequences", [True, False])
def test_lowpass_matches_and_trains_alike(return_sequences: bool, rng: np.random.Generator) -> None:
    ps = pytorch_spiking()
    level = torch.from_numpy(rng.normal(size=(1, 4)))
    mine = ours.Lowpass(0.05, 4, dt=0.01, initial_level=level.clone(), return_sequences=return_sequences).double()
    theirs = ps.Lowpass(0.05, 4, dt=0.01, initial_level=level.clone(), return_sequences=return_sequences).double()
    assert mine.smoothing_init == pytest.approx(theirs.smoothing_init, rel=1e-15)
    assert mine.smoothing_init == pytest.approx(math.log(math.exp(-0.2) / (1 - math.exp(-0.2))))
    assert mine.state_dict().keys() == theirs.state_dict().keys()
    for k, v in theirs.state_dict().items():
        torch.testing.assert_close(mine.state_dict()[k], v, rtol=1e-7, atol=0)  # float32 logit, as theirs
    mine.load_state_dict(theirs.state_dict())
    x = torch.from_numpy(rng.normal(size=(3, 20, 4)))
    y1, y2 = mine(x), theirs(x)
    torch.testing.assert_close(y1, y2, rtol=1e-12, atol=1e-12)
    g1 = torch.autograd.grad(y1.square().sum(), [mine.level_var, mine.smoothing_var])
    g2 = torch.autograd.grad(y2.square().sum(), [theirs.level_var, theirs.smoothing_var])
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_lowpass_by_hand_and_temporal_avg_pool() -> None:
    lp = ours.Lowpass(tau=0.01, units=1, dt=0.001, initial_level=torch.full((1, 1), 2.0)).double()
    s = math.exp(-0.1)
    y = lp(torch.ones(1, 2, 1, dtype=torch.float64)).view(-1).tolist()
    assert y == pytest.approx([(1 - s) + 2 * s, (1 - s) * (1 + s) + 2 * s * s], rel=1e-6)
    assert lp.initial_level.tolist() == [[2.0]]
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert ours.TemporalAvgPool()(x).tolist() == x.mean(1).tolist()
    assert ours.modules.TemporalAvgPool(dim=2)(x)[0].tolist() == [1.5, 5.5, 9.5]
