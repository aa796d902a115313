"""pytorch-spiking style layers: hand-checked rates and filters, and parity with pytorch-spiking 0.1."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from snnmodels.spiking import Lowpass, SpikingActivation
from tests.snnmodels.peers import pytorch_spiking


def test_spiking_activation_rates_and_gradient() -> None:
    x = torch.full((1, 1000, 2), 0.0)
    x[..., 1] = 100.0  # relu(100) = 100 Hz: 100 spikes in 1000 steps of 1 ms
    x.requires_grad_()
    layer = SpikingActivation(torch.relu, dt=0.001, initial_state=torch.zeros(1, 2))
    y = layer(x)
    assert y.shape == (1, 1000, 2)
    assert (y[..., 1].sum() * 0.001).item() == pytest.approx(100.0)
    assert ((y == 0) | ((y - 1000.0).abs() < 1e-3)).all()  # spikes of height 1/dt
    y.sum().backward()
    assert torch.equal(x.grad[..., 1], torch.ones(1, 1000))  # relu's gradient, not the spikes'
    last = SpikingActivation(torch.relu, initial_state=torch.zeros(1, 2), return_sequences=False)
    assert last(x).shape == (1, 2)


def test_spiking_activation_does_not_modify_initial_state() -> None:
    state = torch.full((1, 3), 0.5)
    SpikingActivation(torch.relu, initial_state=state)(torch.full((1, 4, 3), 200.0))
    assert torch.equal(state, torch.full((1, 3), 0.5))


def test_non_spiking_training_and_lowpass() -> None:
    layer = SpikingActivation(torch.tanh, spiking_aware_training=False).train()
    x = torch.rand(2, 3, 4)
    assert torch.equal(layer(x), torch.tanh(x))
    lp = Lowpass(tau=0.01, units=1, dt=0.001)
    s = math.exp(-0.1)
    y = lp(torch.ones(1, 3, 1))
    want = [(1 - s), (1 - s) * (1 + s), (1 - s) * (1 + s + s * s)]
    assert y.view(-1).tolist() == pytest.approx(want)
    lp.apply_during_training = False
    assert torch.equal(lp.train()(x[..., :1]), x[..., :1])
    with pytest.raises(ValueError, match="tau"):
        Lowpass(tau=0.0, units=1)


@pytest.mark.peers
@pytest.mark.parametrize("return_sequences", [True, False])
def test_parity_with_pytorch_spiking(return_sequences: bool, rng: np.random.Generator) -> None:
    ps = pytorch_spiking()
    x = torch.from_numpy(rng.normal(20.0, 30.0, (3, 50, 4)).astype(np.float32))
    state = torch.from_numpy(rng.random((3, 4)).astype(np.float32))
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya = SpikingActivation(torch.relu, 0.01, state, return_sequences=return_sequences)(xa)
    yb = ps.SpikingActivation(torch.relu, 0.01, state.clone(), return_sequences=return_sequences)(xb)
    torch.testing.assert_close(ya, yb)
    (ga,) = torch.autograd.grad(ya.sum(), xa)
    (gb,) = torch.autograd.grad(yb.sum(), xb)
    torch.testing.assert_close(ga, gb)
    la = Lowpass(0.05, 4, dt=0.01, return_sequences=return_sequences)
    lb = ps.Lowpass(0.05, 4, dt=0.01, return_sequences=return_sequences)
    la.load_state_dict(lb.state_dict())
    torch.testing.assert_close(la(x), lb(x))
