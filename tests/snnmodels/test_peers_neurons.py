"""Parity with the real peers: SpikingJelly 2.x IF/LIF/PLIF and snnTorch 1.0 Leaky / LeakyParallel (float64)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import torch

from snnmodels import IFNode, Leaky, LeakyParallel, LIFNode, NonSpikingLIFNode, ParametricLIFNode, reset_net
from snnmodels.functional import state_quant
from snnmodels.functional.surrogate import (
    ATan,
    Erf,
    FastSigmoid,
    LeakyReLU,
    PiecewiseQuadratic,
    Sigmoid,
    SoftSign,
    StraightThrough,
    SuperSpike,
)
from tests.snnmodels.peers import snntorch, spikingjelly

pytestmark = pytest.mark.peers

OURS_TO_SJ = {  # our surrogate -> (SpikingJelly class name, kwargs)
    Sigmoid(4.0): ("Sigmoid", {"alpha": 4.0}),
    ATan(2.0): ("ATan", {"alpha": 2.0}),
    PiecewiseQuadratic(1.5): ("PiecewiseQuadratic", {"alpha": 1.5}),
    Erf(2.0): ("Erf", {"alpha": 2.0}),
    SoftSign(2.0): ("SoftSign", {"alpha": 2.0}),
    SuperSpike(1.0): ("SuperSpike", {"alpha": 1.0}),
    LeakyReLU(0.5, 0.02): ("PiecewiseLeakyReLU", {"w": 0.5, "c": 0.02}),
}


def _pair(kind: str, surrogate: Any, **kw: Any) -> tuple[torch.nn.Module, torch.nn.Module]:
    sj = spikingjelly()
    sj_sur = getattr(sj.surrogate, OURS_TO_SJ[surrogate][0])(**OURS_TO_SJ[surrogate][1])
    if kind == "if":
        kw.pop("decay_input")
        theirs = sj.neuron.IFNode(surrogate_function=sj_sur, **kw)
        ours = IFNode(surrogate_function=surrogate, **kw)
    elif kind == "lif":
        theirs = sj.neuron.LIFNode(tau=3.0, surrogate_function=sj_sur, **kw)
        ours = LIFNode(tau=3.0, surrogate_function=surrogate, **kw)
    else:
        theirs = sj.neuron.ParametricLIFNode(init_tau=3.0, surrogate_function=sj_sur, **kw)
        ours = ParametricLIFNode(init_tau=3.0, surrogate_function=surrogate, **kw)
    return ours.double(), theirs.double()


CASES = [
    (kind, decay, v_reset, detach)
    for kind, decay, v_reset, detach in itertools.product(
        ["if", "lif", "plif"], [True, False], [0.0, None, -0.25], [False, True]
    )
    if not (kind == "if" and not decay)
]


@pytest.mark.parametrize(("kind", "decay_input", "v_reset", "detach_reset"), CASES)
@pytest.mark.parametrize("step_mode", ["m", "s"])
def test_spikingjelly_neurons(
    kind: str, decay_input: bool, v_reset: float | None, detach_reset: bool, step_mode: str, rng: np.random.Generator
) -> None:
    surrogates = list(OURS_TO_SJ)
    surrogate = surrogates[CASES.index((kind, decay_input, v_reset, detach_reset)) % len(surrogates)]
    ours, theirs = _pair(
        kind,
        surrogate,
        decay_input=decay_input,
        v_reset=v_reset,
        detach_reset=detach_reset,
        v_threshold=0.9,
        step_mode=step_mode,
    )
    x = torch.from_numpy(rng.normal(0.5, 1.0, (8, 4, 6))).requires_grad_()
    gy = torch.from_numpy(rng.normal(size=(8, 4, 6)))
    outs = []
    for m in (ours, theirs):
        s = m(x) if step_mode == "m" else torch.stack([m(x[t]) for t in range(8)])
        params = list(m.parameters())
        grads = torch.autograd.grad(s, [x, *params], gy)
        outs.append((s, m.v, grads))
    (s1, v1, g1), (s2, v2, g2) = outs
    assert torch.equal(s1, s2)
    assert torch.equal(v1, v2)
    assert 0 < s1.sum() < s1.numel()
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("surrogate", list(OURS_TO_SJ), ids=repr)
def test_spikingjelly_lif_every_surrogate(surrogate: Any, rng: np.random.Generator) -> None:
    ours, theirs = _pair("lif", surrogate, decay_input=True, v_reset=0.0, detach_reset=False, step_mode="m")
    x = torch.from_numpy(rng.normal(0.8, 1.0, (10, 3, 5))).requires_grad_()
    s1, s2 = ours(x), theirs(x)
    assert torch.equal(s1, s2)
    (g1,) = torch.autograd.grad(s1.sum(), x)
    (g2,) = torch.autograd.grad(s2.sum(), x)
    torch.testing.assert_close(g1, g2, rtol=0, atol=1e-10)


@pytest.mark.parametrize("decode", [None, "max-mem", "max-abs-mem", "mean-mem", "last_mem"])
def test_spikingjelly_nonspiking_lif(decode: str | None, rng: np.random.Generator) -> None:
    sj = spikingjelly()
    if not hasattr(sj.neuron, "NonSpikingLIFNode"):
        pytest.skip("this spikingjelly has no neuron.NonSpikingLIFNode")
    x = torch.from_numpy(rng.normal(0.0, 1.0, (9, 3, 5))).requires_grad_()
    theirs = sj.neuron.NonSpikingLIFNode(tau=3.0, decode=decode)(x)
    theirs = torch.stack(theirs) if isinstance(theirs, list) else theirs  # without decode it returns a list
    x2 = x.detach().clone().requires_grad_()
    ours = NonSpikingLIFNode(3.0, decode=decode)(x2)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
    theirs.sum().backward()
    ours.sum().backward()
    torch.testing.assert_close(x2.grad, x.grad, rtol=1e-12, atol=1e-12)


def test_spikingjelly_state_dict_compatible() -> None:
    sj = spikingjelly()
    theirs = sj.neuron.ParametricLIFNode(init_tau=5.0)
    ours = ParametricLIFNode()
    ours.load_state_dict(theirs.state_dict())
    assert ours.tau == pytest.approx(5.0)


# ---------------------------------------------------------------------------------------------------------------
# snnTorch


def _snn_surrogate(snn: Any, name: str) -> Any:
    return {
        "atan": snn.surrogate.atan(alpha=2.0),
        "fast_sigmoid": snn.surrogate.fast_sigmoid(slope=25),
        "straight_through": snn.surrogate.straight_through_estimator(),
    }[name]


OUR_SNN_SURROGATE = {"atan": ATan(2.0), "fast_sigmoid": FastSigmoid(25.0), "straight_through": StraightThrough()}


@pytest.mark.parametrize("reset_mechanism", ["subtract", "zero", "none"])
@pytest.mark.parametrize("reset_delay", [True, False])
@pytest.mark.parametrize("surrogate", ["atan", "fast_sigmoid", "straight_through"])
def test_snntorch_leaky(reset_mechanism: str, reset_delay: bool, surrogate: str, rng: np.random.Generator) -> None:
    snn = snntorch()
    kw = {
        "beta": 0.75,
        "threshold": 0.875,
        "reset_mechanism": reset_mechanism,
        "learn_beta": True,
        "learn_threshold": True,
        "graded_spikes_factor": 1.5,
        "reset_delay": reset_delay,
    }
    theirs = snn.Leaky(spike_grad=_snn_surrogate(snn, surrogate), **kw).double()
    ours = Leaky(spike_grad=OUR_SNN_SURROGATE[surrogate], **kw).double()
    x = torch.from_numpy(rng.normal(0.5, 0.8, (12, 3, 4))).requires_grad_()
    results = []
    for m in (ours, theirs):
        mem = None
        spikes, mems = [], []
        for t in range(12):
            spk, mem = m(x[t], mem)
            spikes.append(spk)
            mems.append(mem)
        s, u = torch.stack(spikes), torch.stack(mems)
        # dyadic weights: snnTorch's spikes are float32 (``.float()``), so their incoming gradient is rounded to
        # float32; these weights survive that rounding exactly
        loss = (s * torch.tensor([-1.0, -0.5, 0.5, 1.0], dtype=torch.float64)).sum() + (u**2).sum()
        results.append((s, u, torch.autograd.grad(loss, [x, m.beta, m.threshold])))
    (s1, u1, g1), (s2, u2, g2) = results
    assert torch.equal(s1, s2.to(s1.dtype))
    assert torch.equal(u1, u2)
    assert 0 < s1.count_nonzero() < s1.numel()
    # snnTorch keeps spikes (and so reset·threshold) in float32, whatever the input dtype: gradients that flow
    # through them (the threshold's; with reset_delay=False, the membrane's too) have float32 precision there
    tol = 1e-10 if reset_delay else 1e-5
    for a, b, t in zip(g1, g2, (tol, tol, 1e-5), strict=True):
        torch.testing.assert_close(a, b, rtol=t, atol=t)


def test_snntorch_leaky_multi_step_and_state_quant(rng: np.random.Generator) -> None:
    snn = snntorch()
    from snntorch.functional import quant

    theirs = snn.Leaky(beta=0.5, threshold=1.0, state_quant=quant.state_quant(num_bits=4, threshold=1.0))
    ours = Leaky(beta=0.5, threshold=1.0, state_quant=state_quant(num_bits=4, threshold=1.0), step_mode="m")
    x = torch.from_numpy(rng.normal(0.5, 0.8, (10, 2, 3)).astype(np.float32))
    s1, u1 = ours(x)
    mem = None
    s2, u2 = [], []
    for t in range(10):
        spk, mem = theirs(x[t], mem)
        s2.append(spk)
        u2.append(mem)
    assert torch.equal(s1, torch.stack(s2))
    assert torch.equal(u1, torch.stack(u2))


def test_snntorch_leaky_parallel(rng: np.random.Generator) -> None:
    snn = snntorch()
    torch.manual_seed(0)
    theirs = snn.LeakyParallel(5, 7, beta=0.5, learn_beta=True).double()
    ours = LeakyParallel(5, 7, beta=0.5, learn_beta=True).double()
    ours.rnn.load_state_dict(theirs.rnn.state_dict())
    x = torch.from_numpy(rng.normal(0.5, 1.0, (9, 3, 5))).requires_grad_()
    s1, s2 = ours(x), theirs(x)
    assert torch.equal(s1, s2.to(s1.dtype))
    g1 = torch.autograd.grad(s1.sum(), [x, ours.rnn.weight_ih_l0, ours.rnn.weight_hh_l0])
    g2 = torch.autograd.grad(s2.sum(), [x, theirs.rnn.weight_ih_l0, theirs.rnn.weight_hh_l0])
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_reset_net_leaves_other_snntorch_style_networks_alone() -> None:
    a, b = Leaky(0.5, init_hidden=True), Leaky(0.5, init_hidden=True)
    a(torch.ones(2))
    b(torch.ones(2))
    reset_net(a)
    assert a.mem is None
    assert b.mem is not None
