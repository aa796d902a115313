"""Neuron functions: hand-computed traces (dyadic inputs, so exact), and the fused path against the reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import snnmodels.functional.multistep as ms
from snnmodels.functional import (
    Dynamics,
    IFParams,
    LeakyParams,
    LIFParams,
    LIFState,
    PLIFParams,
    if_seq,
    if_step,
    leaky_seq,
    leaky_step,
    lif_seq,
    lif_step,
    neuron_seq,
    plif_seq,
    plif_step,
    w_from_tau,
)
from snnmodels.functional.surrogate import ATan, Erf, PiecewiseQuadratic, Sigmoid, Triangle


def col(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).view(-1, 1)


@pytest.mark.parametrize(
    ("fn", "params", "x", "spikes", "v_last"),
    [
        # IF, hard reset: h = 0.5, 1.25 (fire, v=0), 0.5, 1.0 (fires: h >= threshold)
        (if_seq, IFParams(), [0.5, 0.75, 0.5, 0.5], [0, 1, 0, 1], 0.0),
        # IF, soft reset: h = 0.5, 1.25 -> 0.25, 0.75, 1.25 -> 0.25
        (if_seq, IFParams(v_reset=None), [0.5, 0.75, 0.5, 0.5], [0, 1, 0, 1], 0.25),
        # LIF tau=2: h = 0.75, 1.125 (fire), 0.75, 1.125 (fire)
        (lif_seq, LIFParams(tau=2.0), [1.5, 1.5, 1.5, 1.5], [0, 1, 0, 1], 0.0),
        # LIF without input decay: h = v/2 + x = 0.75, 1.125 (fire), 0.75, 1.125
        (lif_seq, LIFParams(tau=2.0, decay_input=False), [0.75] * 4, [0, 1, 0, 1], 0.0),
        # LIF, v_reset=-0.5: starts at -0.5 and climbs 0.25, 0.625, 0.8125, 0.90625 without firing
        (lif_seq, LIFParams(tau=2.0, v_reset=-0.5), [1.5] * 4, [0, 0, 0, 0], 0.90625),
        # LIF tau=4, soft reset, threshold 0.5: h = 0.5 (fire, v=0), 0.5 (fire), ...
        (lif_seq, LIFParams(tau=4.0, v_threshold=0.5, v_reset=None), [2.0, 2.0, 0.0], [1, 1, 0], 0.0),
    ],
)
def test_hand_traces(fn, params, x, spikes, v_last) -> None:  # type: ignore[no-untyped-def]
    for fused in (True, False):
        s, state = fn(col(x), None, params, fused=fused)
        assert s.view(-1).tolist() == spikes
        assert state.v.item() == v_last


def test_plif_with_tau_2_is_lif_with_tau_2() -> None:
    w = torch.tensor(w_from_tau(2.0), dtype=torch.float64)
    assert w.item() == 0.0
    s, _ = plif_seq(col([1.5] * 4), None, w, PLIFParams())
    assert s.view(-1).tolist() == [0, 1, 0, 1]
    s1, st1 = plif_step(col([1.5]), None, w)
    assert (s1.item(), st1.v.item()) == (0.0, 0.75)


def test_single_steps_chain_like_the_sequence(rng: np.random.Generator) -> None:
    x = torch.from_numpy(rng.normal(0.5, 1.0, (7, 3, 4)))
    for step, seq, p in ((lif_step, lif_seq, LIFParams(tau=3.0)), (if_step, if_seq, IFParams(v_reset=None))):
        state: LIFState | None = None
        outs = []
        for t in range(7):
            s, state = step(x[t], state, p)
            outs.append(s)
        s_seq, st = seq(x, None, p)
        assert torch.equal(torch.stack(outs), s_seq)
        assert state is not None
        assert torch.equal(state.v, st.v)


@pytest.mark.parametrize(
    ("mechanism", "spikes", "mems"),
    [
        # beta=0.5, x=0.75: mem 0.75, 1.125 (fires); next step subtracts the threshold: 0.3125, 0.90625
        ("subtract", [0, 1, 0, 0], [0.75, 1.125, 0.3125, 0.90625]),
        ("zero", [0, 1, 0, 1], [0.75, 1.125, 0.75, 1.125]),
        ("none", [0, 1, 1, 1], [0.75, 1.125, 1.3125, 1.40625]),
    ],
)
def test_leaky_hand_traces(mechanism: str, spikes: list[int], mems: list[float]) -> None:
    s, m, last = leaky_seq(col([0.75] * 4), None, 0.5, 1.0, p=LeakyParams(mechanism))  # type: ignore[arg-type]
    assert s.view(-1).tolist() == spikes
    assert m.view(-1).tolist() == mems
    assert last.item() == mems[-1]


def test_leaky_fires_strictly_above_threshold_and_if_at_it() -> None:
    s, mem = leaky_step(torch.ones(1, dtype=torch.float64), None, 0.5)
    assert (s.item(), mem.item()) == (0.0, 1.0)
    s, _ = if_step(torch.ones(1, dtype=torch.float64))
    assert s.item() == 1.0


def test_leaky_reset_delay_false_resets_at_once() -> None:
    s, mem = leaky_step(torch.full((1,), 1.5, dtype=torch.float64), None, 0.5, p=LeakyParams("subtract", False))
    assert (s.item(), mem.item()) == (1.0, 0.5)


# ---------------------------------------------------------------------------------------------------------------
# fused path == reference path

CONFIGS = [
    *(Dynamics("none", v_reset=vr, detach_reset=d) for vr, d in itertools.product([0.0, None, 0.25], [False, True])),
    *(
        Dynamics("tau", 3.0, di, 0.8, vr, d)
        for di, vr, d in itertools.product([True, False], [0.0, None, -0.5], [False, True])
    ),
    *(
        Dynamics("q", decay_input=di, v_reset=vr, detach_reset=d)
        for di, vr, d in itertools.product([True, False], [0.0, None], [False, True])
    ),
]


@pytest.mark.parametrize("dyn", CONFIGS, ids=str)
@pytest.mark.parametrize("surrogate", [Sigmoid(), ATan(3.0), PiecewiseQuadratic(), Erf(), Triangle(0.5)], ids=repr)
def test_fused_matches_reference(
    dyn: Dynamics, surrogate: object, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ms, "CPU_BLOCK_BYTES", 40)  # 5 float64 per block: exercises the blocking
    x = torch.from_numpy(rng.normal(0.6, 1.0, (6, 3, 4))).requires_grad_()
    v0 = torch.from_numpy(rng.normal(0.0, 0.3, (3, 4))).requires_grad_()
    w = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    gy, gv = torch.from_numpy(rng.normal(size=(6, 3, 4))), torch.from_numpy(rng.normal(size=(3, 4)))
    results = []
    for fused in (True, False):
        q = w.sigmoid() if dyn.leak == "q" else None
        s, v, _ = neuron_seq(x, v0, dyn, surrogate, q, fused=fused)
        inputs = [x, v0] + ([w] if q is not None else [])
        grads = torch.autograd.grad([s, v], inputs, [gy, gv])
        results.append((s, v, grads))
    (s1, v1, g1), (s2, v2, g2) = results
    assert torch.equal(s1, s2)
    assert torch.equal(v1, v2)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_fused_without_grad_and_special_shapes(rng: np.random.Generator) -> None:
    dyn = LIFParams(tau=2.0).dynamics()
    x = torch.from_numpy(rng.normal(0.6, 1.0, (5, 4, 3)))
    ref, v_ref, _ = neuron_seq(x, None, dyn, Sigmoid(), fused=False)
    with torch.no_grad():
        s, v, _ = neuron_seq(x, None, dyn, Sigmoid())
    assert torch.equal(s, ref)
    assert torch.equal(v, v_ref)
    s_nc, _, _ = neuron_seq(x.transpose(1, 2), None, dyn, Sigmoid())  # non-contiguous input
    assert torch.equal(s_nc, ref.transpose(1, 2))
    empty, v_empty, _ = neuron_seq(x[:0], None, dyn, Sigmoid())
    assert empty.shape == (0, 4, 3)
    assert torch.equal(v_empty, torch.zeros(4, 3, dtype=torch.float64))


def test_fused_backward_twice_raises() -> None:
    x = torch.rand(3, 4, requires_grad=True)
    s, _, _ = neuron_seq(x * 2, None, Dynamics("tau"), Sigmoid())
    s.sum().backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="fused=False"):
        s.sum().backward()


def test_float32_matches_float64_spikes_on_fused_path(rng: np.random.Generator) -> None:
    x = torch.from_numpy(rng.normal(0.6, 1.0, (8, 16)).astype(np.float32))
    s32, _ = lif_seq(x)
    s_ref, _ = lif_seq(x, fused=False)
    assert s32.dtype == torch.float32
    assert torch.equal(s32, s_ref)
