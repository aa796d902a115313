"""Neuron modules: step modes, state handling, reset_net / set_step_mode scope, snnTorch-family modules."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels import (
    IFNode,
    Leaky,
    LeakyParallel,
    LIFNode,
    NonSpikingLIFNode,
    ParametricLIFNode,
    reset_net,
    set_step_mode,
)
from snnmodels.functional import state_quant
from snnmodels.functional.surrogate import ATan, Sigmoid

SJ_NEURONS = [IFNode, LIFNode, ParametricLIFNode]


@pytest.mark.parametrize("cls", SJ_NEURONS)
def test_single_step_chain_equals_multi_step(cls: type, rng: np.random.Generator) -> None:
    x = torch.from_numpy(rng.normal(0.6, 1.0, (6, 2, 5)))
    m = cls(step_mode="m").double()
    s_seq = m(x)
    v_seq_last = m.v
    set_step_mode(m, "s")
    reset_net(m)  # single steps continue from the state a previous call left, like SpikingJelly
    s_steps = torch.stack([m(x[t]) for t in range(6)])
    assert torch.equal(s_seq, s_steps)
    assert torch.equal(m.v, v_seq_last)


@pytest.mark.parametrize("cls", SJ_NEURONS)
def test_multi_step_starts_fresh_each_call(cls: type) -> None:
    m = cls()
    x = torch.full((4, 3), 0.7)
    assert torch.equal(m(x), m(x))


def test_single_step_state_persists_until_reset_and_checks_shape() -> None:
    m = IFNode(step_mode="s")
    x = torch.full((2,), 0.6)
    assert m(x).tolist() == [0.0, 0.0]
    assert m(x).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="reset_net"):
        m(torch.zeros(3))
    m.reset()
    assert m(x).tolist() == [0.0, 0.0]


def test_reset_net_and_set_step_mode_touch_only_the_given_model() -> None:
    a = nn.Sequential(nn.Linear(2, 2), IFNode(step_mode="s"))
    b = nn.Sequential(IFNode(step_mode="s"))
    a(torch.ones(1, 2))
    b(torch.ones(1, 1))
    reset_net(a)
    assert a[1].v is None
    assert b[0].v is not None  # snnTorch's class-level reset would have cleared this one too
    set_step_mode(a, "m")
    assert (a[1].step_mode, b[0].step_mode) == ("m", "s")
    with pytest.raises(ValueError, match="step_mode"):
        set_step_mode(a, "x")  # type: ignore[arg-type]


def test_store_v_seq_and_forward_with_state() -> None:
    m = LIFNode(tau=2.0, store_v_seq=True)
    x = torch.full((3, 1), 1.5, dtype=torch.float64)
    s = m(x)
    assert s.view(-1).tolist() == [0, 1, 0]
    assert m.v_seq is not None
    assert m.v_seq.view(-1).tolist() == [0.75, 0.0, 0.75]
    s2, v = m.forward_with_state(x, torch.full((1,), 0.75, dtype=torch.float64))
    assert s2.view(-1).tolist() == [1, 0, 1]
    assert v.item() == 0.0


def test_plif_parameter_learns_and_pickles() -> None:
    m = ParametricLIFNode(init_tau=3.0)
    assert m.tau == pytest.approx(3.0)
    assert list(m.state_dict()) == ["w"]
    x = torch.rand(5, 4, requires_grad=True)
    m(x * 3).sum().backward()
    assert m.w.grad is not None
    assert m.w.grad.abs().item() > 0
    clone = pickle.loads(pickle.dumps(m))
    assert torch.equal(clone.w, m.w)
    assert copy.deepcopy(m).surrogate_function == m.surrogate_function


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="tau must be > 1"):
        LIFNode(tau=1.0)
    with pytest.raises(ValueError, match="tau must be > 1"):
        ParametricLIFNode(init_tau=0.5)
    with pytest.raises(ValueError, match="reset_mechanism"):
        Leaky(0.5, reset_mechanism="sub")
    with pytest.raises(KeyError, match="unknown surrogate"):
        LIFNode(surrogate_function="atn")


def test_surrogate_default_is_per_instance_and_configurable() -> None:
    a, b = LIFNode(), LIFNode(surrogate_function=ATan(3.0))
    assert a.surrogate_function == Sigmoid(4.0)
    assert b.surrogate_function == ATan(3.0)


def test_leaky_init_hidden_and_output() -> None:
    lif = Leaky(beta=0.5, init_hidden=True)
    x = torch.full((1,), 0.75)
    assert lif(x).item() == 0.0
    assert lif(x).item() == 1.0
    lif.reset()
    lif_out = Leaky(beta=0.5, init_hidden=True, output=True)
    spk, mem = lif_out(x)
    assert mem.item() == 0.75
    with pytest.raises(TypeError, match="init_hidden"):
        lif(x, mem)
    spk, mem = Leaky(beta=0.5)(x)
    assert (spk.item(), mem.item()) == (0.0, 0.75)


def test_leaky_multi_step_and_learnables() -> None:
    lif = Leaky(beta=0.5, learn_beta=True, learn_threshold=True, step_mode="m")
    x = torch.full((4, 1), 0.75, requires_grad=True)
    spk, mem = lif(x)
    assert spk.view(-1).tolist() == [0, 1, 0, 0]
    assert mem.view(-1).tolist() == [0.75, 1.125, 0.3125, 0.90625]
    (spk.sum() + mem.sum()).backward()
    assert {n for n, _ in lif.named_parameters()} == {"beta", "threshold"}
    assert lif.beta.grad is not None
    assert lif.threshold.grad is not None


def test_leaky_state_quant_and_graded_and_disable() -> None:
    q = state_quant(num_bits=2, threshold=1.0, upper_limit=0.5)  # levels -1, -1/6, 2/3, 1.5
    lif = Leaky(beta=0.5, state_quant=q, graded_spikes_factor=2.0)
    spk, mem = lif(torch.full((1,), 0.75))
    assert mem.item() == pytest.approx(2 / 3)
    spk, mem = lif(torch.full((1,), 1.4))
    assert (spk.item(), mem.item()) == (2.0, 1.5)
    x = torch.full((1,), 2.0, requires_grad=True)
    spk, _ = Leaky(beta=0.5, surrogate_disable=True)(x)
    assert spk.item() == 1.0
    assert not spk.requires_grad


def test_leaky_parallel_diagonal_and_per_neuron_beta() -> None:
    torch.manual_seed(0)
    lp = LeakyParallel(3, 4, beta=torch.tensor([0.1, 0.2, 0.3, 0.4]))
    assert torch.allclose(lp.rnn.weight_hh_l0, torch.diag(torch.tensor([0.1, 0.2, 0.3, 0.4])))
    assert not lp.rnn.weight_hh_l0.requires_grad
    lp2 = LeakyParallel(3, 4, beta=0.5, learn_beta=True)
    x = torch.rand(6, 2, 3)
    out = lp2(x)
    assert out.shape == (6, 2, 4)
    out.sum().backward()
    g = lp2.rnn.weight_hh_l0.grad
    assert g is not None
    assert torch.equal(g, torch.diag(torch.diag(g)))  # off-diagonal gradients masked
    with pytest.raises(ValueError, match="hidden_size"):
        LeakyParallel(3, 4, beta=torch.tensor([0.1, 0.2]))


def test_leaky_parallel_dropout_acts_on_spikes() -> None:
    torch.manual_seed(0)
    lp = LeakyParallel(3, 50, beta=0.5, dropout=0.5, threshold=-10.0)  # always spikes
    x = torch.rand(4, 2, 3)
    lp.train()
    train_out = lp(x)
    assert set(train_out.unique().tolist()) == {0.0, 2.0}
    lp.eval()
    assert torch.equal(lp(x), torch.ones(4, 2, 50))


# --- the non-spiking readout ------------------------------------------------------------------------------------------


def test_nonspiking_lif_integrates_by_hand() -> None:
    # tau = 2: v <- v + (x - v) / 2, from 0: 1, 1, 0, 0 -> 1/2, 3/4, 3/8, 3/16; tau = 4 on the same input
    x = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=torch.float64)[:, None]
    assert NonSpikingLIFNode(2.0)(x).flatten().tolist() == [0.5, 0.75, 0.375, 0.1875]
    assert NonSpikingLIFNode(4.0)(x).flatten().tolist() == [0.25, 0.4375, 0.328125, 0.24609375]
    node = NonSpikingLIFNode(2.0)
    node(x)
    assert node.v is not None
    assert node.v.tolist() == [0.1875]  # the state after the last step, as the spiking neurons keep it


@pytest.mark.parametrize(
    ("decode", "expected"),
    [("max-mem", [0.75, -0.1875]), ("max-abs-mem", [0.75, -0.75]), ("mean-mem", [0.453125, -0.453125]),
     ("last_mem", [0.1875, -0.1875])],
)  # fmt: skip
def test_nonspiking_lif_decodes_over_time(decode: str, expected: list[float]) -> None:
    # [T, N=2]: the second sample is the first negated, membranes -1/2, -3/4, -3/8, -3/16 (its max is the last)
    x = torch.tensor([[1.0, -1.0], [1.0, -1.0], [0.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    assert NonSpikingLIFNode(2.0, decode=decode)(x).tolist() == expected


def test_nonspiking_lif_single_steps_equal_multi_step(rng: np.random.Generator) -> None:
    x = torch.from_numpy(rng.normal(0.0, 1.0, (7, 3, 4)))
    node = NonSpikingLIFNode(3.0)
    want = node(x)
    set_step_mode(node, "s")
    reset_net(node)
    got = torch.stack([node(x[t]) for t in range(7)])
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    with pytest.raises(ValueError, match="call reset_net"):
        node(x[0, :2])
    reset_net(node)
    assert node.v is None
    clone = pickle.loads(pickle.dumps(node))  # the membrane is runtime state: not pickled
    assert clone.v is None


def test_nonspiking_lif_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match=r"tau must be > 1"):
        NonSpikingLIFNode(1.0)
    with pytest.raises(ValueError, match=r"decode must be None or one of .*'max-mem'.*got 'max'"):
        NonSpikingLIFNode(2.0, decode="max")
    with pytest.raises(ValueError, match="reduces over time: use step_mode='m'"):
        NonSpikingLIFNode(2.0, decode="max-mem", step_mode="s")(torch.zeros(2, 3))
