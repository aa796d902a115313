"""``snnmodels.compat.snntorch.LeakyParallel``: snnTorch's outputs, state dict and dropout on the membrane."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import snnmodels.compat.snntorch as ours
from tests.snnmodels.peers import snntorch


@pytest.mark.peers
@pytest.mark.parametrize("weight_hh_enable", [False, True])
def test_outputs_gradients_and_state_dict_match_snntorch(weight_hh_enable: bool, rng: np.random.Generator) -> None:
    snn = snntorch()
    kw = {"beta": 0.5, "learn_beta": True, "threshold": 0.25, "weight_hh_enable": weight_hh_enable}
    theirs = snn.LeakyParallel(5, 7, **kw).double()
    mine = ours.LeakyParallel(5, 7, **kw).double()
    assert mine.state_dict().keys() == theirs.state_dict().keys()
    mine.load_state_dict(theirs.state_dict())
    x = torch.from_numpy(rng.normal(0.3, 1.0, (9, 3, 5))).requires_grad_()
    s1, s2 = mine(x), theirs(x)
    assert torch.equal(s1, s2.to(s1.dtype))
    assert 0 < s1.count_nonzero() < s1.numel()
    w = torch.from_numpy(rng.integers(-2, 3, s1.shape).astype(np.float64))  # small integers: exact in float32
    g1 = torch.autograd.grad((s1 * w).sum(), [x, mine.rnn.weight_ih_l0, mine.rnn.weight_hh_l0])
    g2 = torch.autograd.grad((s2 * w).sum(), [x, theirs.rnn.weight_ih_l0, theirs.rnn.weight_hh_l0])
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    if not weight_hh_enable:  # the recurrent weights stay diagonal (= beta), and so do their gradients
        assert torch.equal(mine.rnn.weight_hh_l0, torch.eye(7, dtype=torch.float64) * 0.5)
        assert torch.equal(g1[2], torch.diag(torch.diag(g1[2])))


def test_dropout_acts_on_the_membrane() -> None:
    torch.manual_seed(0)
    lp = ours.LeakyParallel(2, 3, beta=0.5, dropout=0.5, threshold=-1.0)  # every unit fires unless dropped
    assert lp.dropout == 0.5
    assert isinstance(lp.dropout_layer, torch.nn.Dropout)
    assert ours.LeakyParallel(2, 3, beta=0.5).dropout_layer is None
    x = torch.randn(4, 6, 2)
    # a dropped membrane is 0 > -1, so it still fires: dropout on the membrane, not on the spikes
    assert torch.equal(lp.train()(x), torch.ones(4, 6, 3))
    shut = ours.LeakyParallel(2, 3, beta=0.5, dropout=1.0, threshold=0.0)
    with torch.no_grad():
        shut.rnn.bias_ih_l0.fill_(5.0)
    assert shut.train()(x).count_nonzero() == 0  # every membrane dropped to 0: nothing above threshold 0
    assert torch.equal(shut.eval()(x), torch.ones(4, 6, 3))  # eval: no dropout, membranes >= 5 - small
    with pytest.raises(ValueError, match="dropout must be a probability"):
        ours.LeakyParallel(2, 3, dropout=1.5)


def test_per_neuron_beta_sets_the_diagonal() -> None:
    # snnTorch 1.0 ignores a beta of length hidden_size (snnTorch#442); here each neuron gets its own
    lp = ours.LeakyParallel(2, 3, beta=torch.tensor([0.25, 0.5, 0.75]))
    assert torch.equal(lp.rnn.weight_hh_l0, torch.diag(torch.tensor([0.25, 0.5, 0.75])))
