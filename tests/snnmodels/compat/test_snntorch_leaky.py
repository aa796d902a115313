"""``snnmodels.compat.snntorch.Leaky``: snnTorch 1.0's semantics (state, reset, attributes), pinned to the peer."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import snnmodels
import snnmodels.compat.snntorch as ours
from snnmodels.compat.snntorch import utils
from snnmodels.compat.snntorch.functional import quant
from tests.snnmodels.peers import snntorch

DYADIC = torch.tensor([-1.0, -0.5, 0.5, 1.0], dtype=torch.float64)  # survive snnTorch's float32 spikes exactly


def _run(m: nn.Module, x: torch.Tensor, pass_mem: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Step ``m`` over x [T, ...]; returns (spikes [T, ...], membranes [T, ...], the stored membrane)."""
    mem = m.init_leaky() if pass_mem else None
    spikes, mems = [], []
    for t in range(x.shape[0]):
        out = m(x[t], mem) if pass_mem else m(x[t])
        spk, mem = out if isinstance(out, tuple) else (out, m.mem)
        spikes.append(spk)
        mems.append(mem)
    return torch.stack(spikes), torch.stack(mems), m.mem


@pytest.mark.peers
@pytest.mark.parametrize("reset_mechanism", ["subtract", "zero", "none"])
@pytest.mark.parametrize("reset_delay", [True, False])
@pytest.mark.parametrize("hidden", ["passed", "stored", "init_hidden", "init_hidden_output"])
def test_leaky_matches_snntorch(reset_mechanism: str, reset_delay: bool, hidden: str, rng: np.random.Generator) -> None:
    snn = snntorch()
    kw: dict[str, Any] = {
        "threshold": 0.875,
        "reset_mechanism": reset_mechanism,
        "learn_beta": True,
        "learn_threshold": True,
        "graded_spikes_factor": 1.5,
        "reset_delay": reset_delay,
        "init_hidden": hidden.startswith("init_hidden"),
        "output": hidden == "init_hidden_output",
    }
    theirs = snn.Leaky(0.75, **kw).double()
    mine = ours.Leaky(0.75, **kw).double()
    x = torch.from_numpy(rng.normal(0.5, 0.8, (10, 3, 4))).requires_grad_()
    results = []
    for m in (mine, theirs):
        s, u, stored = _run(m, x, pass_mem=hidden == "passed")
        loss = (s * DYADIC).sum() + (u**2).sum()
        results.append((s, u, stored, torch.autograd.grad(loss, [x, m.beta, m.threshold])))
    (s1, u1, m1, g1), (s2, u2, m2, g2) = results
    assert torch.equal(s1, s2.to(s1.dtype))
    assert torch.equal(u1, u2)
    assert torch.equal(m1, m2)  # the membrane the module keeps
    assert 0 < s1.count_nonzero() < s1.numel()
    tol = 1e-10 if reset_delay else 1e-5  # snnTorch's float32 spikes round the gradients that pass through them
    for a, b, t in zip(g1, g2, (tol, tol, 1e-5), strict=True):
        torch.testing.assert_close(a, b, rtol=t, atol=t)


@pytest.mark.peers
def test_attributes_state_dict_and_init_leaky_match_snntorch() -> None:
    snn = snntorch()
    for mech, code in (("subtract", 0), ("zero", 1), ("none", 2)):
        theirs, mine = snn.Leaky(0.5, reset_mechanism=mech), ours.Leaky(0.5, reset_mechanism=mech)
        assert mine.reset_mechanism_val.item() == theirs.reset_mechanism_val.item() == code
        assert mine.reset_mechanism_val.dtype == theirs.reset_mechanism_val.dtype
        assert mine.state_dict().keys() == theirs.state_dict().keys()
        for k, v in theirs.state_dict().items():
            assert torch.equal(mine.state_dict()[k], v)
            assert mine.state_dict()[k].dtype == v.dtype
        assert torch.equal(mine.init_leaky(), theirs.init_leaky())  # an empty tensor until the first step
        assert mine.mem.shape == theirs.mem.shape == (0,)
    with pytest.raises(ValueError, match="reset_mechanism"):
        ours.Leaky(0.5, reset_mechanism="sub")
    with pytest.raises(ValueError, match="reset_mechanism"):
        ours.Leaky(0.5).reset_mechanism = "sub"


@pytest.mark.peers
def test_stored_state_goes_on_between_calls_and_restarts_on_a_new_shape() -> None:
    snn = snntorch()
    x = torch.tensor([[0.75, 0.25]])
    for m in (ours.Leaky(0.5), snn.Leaky(0.5)):
        _, mem1 = m(x)
        _, mem2 = m(x)  # no mem passed: goes on from the stored one, as snnTorch
        assert mem1.tolist() == [[0.75, 0.25]]
        assert mem2.tolist() == [[1.125, 0.375]]
        _, mem3 = m(torch.ones(3))  # another shape: starts from zeros
        assert mem3.tolist() == [1.0, 1.0, 1.0]


def test_setting_reset_mechanism_changes_the_update() -> None:
    # snnTorch 1.0 updates reset_mechanism_val but keeps the update chosen at construction; here it follows
    lif = ours.Leaky(0.5, threshold=1.0)
    lif.reset_mechanism = "zero"
    assert lif.reset_mechanism_val.item() == 1
    x = torch.tensor([1.5])
    _, m1 = lif(x)  # 1.5 > 1: fires
    _, m2 = lif(torch.tensor([0.25]))
    assert m1.item() == 1.5
    assert m2.item() == 0.25  # reset to zero, then + 0.25 (subtract would give 0.5·1.5 + 0.25 - 1 = 0)


@pytest.mark.peers
def test_a_snntorch_checkpoint_loads_with_its_reset_mechanism() -> None:
    snn = snntorch()
    theirs = snn.Leaky(torch.tensor([0.25, 0.5]), threshold=torch.tensor([0.5, 1.0]), reset_mechanism="zero")
    mine = ours.Leaky(torch.zeros(2), threshold=torch.zeros(2))  # subtract
    mine.load_state_dict(theirs.state_dict())
    assert mine.reset_mechanism == "zero"
    x = torch.tensor([[1.0, 2.0], [0.25, 0.25]])
    assert torch.equal(_run(mine, x, True)[1], _run(theirs, x, True)[1])


def test_reset_hidden_acts_on_one_neuron_and_reset_on_one_network() -> None:
    a, b = ours.Leaky(0.5, init_hidden=True), ours.Leaky(0.5, init_hidden=True)
    net_a, net_b = nn.Sequential(nn.Identity(), a), nn.Sequential(nn.Sequential(b))
    x = torch.tensor([0.5, 0.25])
    net_a(x)
    net_b(x)
    a.reset_hidden()
    assert a.mem.tolist() == [0.0, 0.0]
    assert b.mem.tolist() == [0.5, 0.25]  # snnTorch's class-level list would have zeroed it too
    net_a(x)
    utils.reset(net_b)  # nested: snnTorch's reset looks only at direct children
    assert b.mem.tolist() == [0.0, 0.0]
    assert a.mem.tolist() == [0.5, 0.25]
    with pytest.raises(TypeError, match="every Leaky of every network"):
        ours.Leaky.reset_hidden()
    with pytest.raises(TypeError, match="detach_hidden"):
        ours.Leaky.detach_hidden()
    snnmodels.reset_net(net_a)  # our own reset reaches the compat neurons too
    assert a.mem.tolist() == [0.0, 0.0]


def test_detach_hidden_cuts_the_graph_and_keeps_the_value() -> None:
    lif = ours.Leaky(0.5, init_hidden=True)
    x = torch.tensor([0.5], requires_grad=True)
    lif(x)
    assert lif.mem.requires_grad
    lif.detach_hidden()
    assert not lif.mem.requires_grad
    assert lif.mem.item() == 0.5


def test_init_hidden_refuses_mem_and_output_returns_both() -> None:
    lif = ours.Leaky(0.5, init_hidden=True)
    with pytest.raises(TypeError, match="should not be passed"):
        lif(torch.ones(1), torch.ones(1))
    out = ours.Leaky(0.5, init_hidden=True, output=True)(torch.full((1,), 2.0))
    assert [t.tolist() for t in out] == [[1.0], [2.0]]
    seq = nn.Sequential(ours.Leaky(0.5))
    snnmodels.set_step_mode(seq, "m")
    with pytest.raises(ValueError, match="one step per call"):
        seq(torch.ones(2, 1))


@pytest.mark.peers
def test_inhibition_and_state_quant_match_snntorch(rng: np.random.Generator) -> None:
    snn = snntorch()
    from snntorch.functional import quant as their_quant

    x = torch.from_numpy(rng.normal(0.8, 0.6, (8, 3, 5)))
    with pytest.warns(UserWarning, match="Inhibition"):
        theirs = snn.Leaky(0.5, inhibition=True, state_quant=their_quant.state_quant(4, threshold=1.0)).double()
    mine = ours.Leaky(0.5, inhibition=True, state_quant=quant.state_quant(4, threshold=1.0)).double()
    (s1, u1, _), (s2, u2, _) = _run(mine, x, True), _run(theirs, x, True)
    assert torch.equal(s1, s2.to(s1.dtype))
    assert torch.equal(u1, u2)
    assert (s1.sum(-1) <= 1).all()  # at most one winner per sample and step
    assert s1.sum() > 3


@pytest.mark.peers
@pytest.mark.parametrize("surrogate_disable", [True, False])
def test_surrogate_disable_and_learnable_graded_spikes(surrogate_disable: bool) -> None:
    snn = snntorch()
    kw = {"surrogate_disable": surrogate_disable, "learn_graded_spikes_factor": True, "graded_spikes_factor": 2.0}
    x = torch.tensor([[1.5, 0.5], [1.0, 2.0]], requires_grad=True)
    grads = []
    for m in (ours.Leaky(0.5, **kw), snn.Leaky(0.5, **kw)):
        spk, _ = m(x[0])
        spk2, mem = m(x[1])
        assert spk.tolist() == [2.0, 0.0]
        assert isinstance(m.graded_spikes_factor, nn.Parameter)
        grads.append(torch.autograd.grad((spk + spk2 + mem).sum(), x, allow_unused=True)[0])
    torch.testing.assert_close(grads[0], grads[1])


def test_copies_and_pickles_start_with_an_empty_membrane() -> None:
    lif = ours.Leaky(0.5)
    x = torch.ones(2, requires_grad=True)
    lif(x)  # the membrane is now inside x's graph, which deepcopy cannot copy
    for clone in (copy.deepcopy(lif), pickle.loads(pickle.dumps(lif))):
        assert clone.mem.shape == (0,)
        assert clone.reset_mechanism == "subtract"
        assert clone(torch.full((2,), 0.5))[1].tolist() == [0.5, 0.5]
    assert lif.mem.tolist() == [1.0, 1.0]
    assert lif.double().mem.dtype == torch.float64  # the membrane is a buffer: .double() / .to() move it
