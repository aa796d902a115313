"""``snnmodels.compat.snntorch.spikegen``: snnTorch's encoders and target codes over `snnmodels.encoding`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from snnmodels import encoding
from snnmodels.compat.snntorch import spikegen
from tests.snnmodels.peers import snntorch


def _seeded(fn: Callable[..., Any], *args: Any, seed: int = 7, **kw: Any) -> Any:
    torch.manual_seed(seed)
    return fn(*args, **kw)


# ---------------------------------------------------------------------------------------------------------------
# hand-computed values and the one implementation


def test_rate_is_our_bernoulli_rate_code() -> None:
    x = torch.tensor([0.0, 0.3, 1.0, 2.0], dtype=torch.float64)
    got = _seeded(spikegen.rate, x, num_steps=6, gain=0.5, offset=0.1, first_spike_time=2)
    want = _seeded(encoding.rate_spikes, x, 6, gain=0.5, offset=0.1, first_spike_time=2)
    assert torch.equal(got, want)
    assert got.shape == (6, 4)
    assert got.dtype == torch.float64
    assert not got[:2].any()
    # p = clamp(0.5·2 + 0.1, 0, 1) = 1 for the last element: it fires at every step after the silent ones
    assert got[2:, 3].tolist() == [1.0] * 4


def test_time_varying_rate_draws_each_step_and_prepends_silent_steps() -> None:
    seq = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    got = spikegen.rate(seq, first_spike_time=2, time_var_input=True)
    assert got.tolist() == [[0, 0], [0, 0], [0, 1], [1, 0], [1, 1]]  # p in {0, 1}: no randomness
    assert torch.equal(spikegen.rate_conv(torch.tensor([-1.0, 0.0, 1.0, 5.0])), torch.tensor([0.0, 0.0, 1.0, 1.0]))


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({}, "num_steps must be > 0"),
        ({"num_steps": 3, "first_spike_time": 3}, "first_spike_time"),
        ({"num_steps": -1}, "cannot be negative"),
        ({"num_steps": 3, "time_var_input": True}, "must not be given"),
    ],
)
def test_rate_refuses_what_snntorch_refuses(kw: dict[str, Any], what: str) -> None:
    with pytest.raises(ValueError, match=what):
        spikegen.rate(torch.rand(2), **kw)


def test_latency_places_the_rc_code_spikes_by_hand() -> None:
    x = torch.tensor([1.0, 0.5, 0.005], dtype=torch.float64)
    tau, thr = 2.0, 0.1
    # t = tau·ln(x / (x - thr)); below threshold x is clamped to thr + 1e-7, t = 2·ln(0.1000001 / 1e-7) ≈ 27.6
    t = [tau * np.log(1.0 / 0.9), tau * np.log(0.5 / 0.4), tau * np.log((thr + 1e-7) / 1e-7)]
    times, below = spikegen.latency_code(x, tau=tau, threshold=thr)
    np.testing.assert_allclose(times.numpy(), t, rtol=1e-9)
    assert below.tolist() == [False, False, True]
    train = spikegen.latency(x, num_steps=4, tau=tau, threshold=thr, bypass=True, on_target=2.0, off_target=0.5)
    # round(0.21) = 0, round(0.45) = 0, 27.6 is past the end: dropped (bypass), the floor is off_target
    assert train.tolist() == [[2.0, 2.0, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    sized = spikegen.latency(x, tau=tau, threshold=thr, bypass=True, clip=True)
    assert sized.shape == (29, 3)
    assert sized.sum().item() == 2.0  # clip silences the element below threshold
    with pytest.raises(ValueError, match="beyond num_steps-1"):
        spikegen.latency(x, num_steps=4, tau=tau, threshold=thr)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        spikegen.latency(x * 3, num_steps=4)


def test_latency_normalized_linear_code_spans_the_steps() -> None:
    x = torch.tensor([0.0, 0.5, 1.0])
    # tau = num_steps - 1 - first_spike_time = 3; t = min(3·(1 - x), 3·0.99) + 1
    times = spikegen.latency_code_linear(x, num_steps=5, first_spike_time=1, normalize=True)
    torch.testing.assert_close(times, torch.tensor([3.97, 2.5, 1.0]))
    train = spikegen.latency(x, num_steps=5, first_spike_time=1, normalize=True, linear=True)
    assert train.argmax(0).tolist() == [4, 2, 1]  # round(3.97) = 4, round(2.5) = 2 (half to even), 1


def test_delta_is_our_delta_code() -> None:
    seq = torch.tensor([[1.0], [2.0], [2.05], [1.0], [1.5]])
    assert spikegen.delta(seq).flatten().tolist() == [1, 1, 0, 0, 1]
    assert spikegen.delta(seq, padding=True, off_spike=True).flatten().tolist() == [0, 1, 0, -1, 1]
    assert torch.equal(spikegen.delta(seq, 0.3, off_spike=True), encoding.delta_spikes(seq, 0.3, off_spike=True))


def test_one_hot_targets_by_hand() -> None:
    targets = torch.tensor([2, 0])
    one_hot = spikegen.to_one_hot(targets, 3)
    assert one_hot.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert one_hot.dtype == torch.float32
    assert spikegen.to_one_hot_inverse(one_hot).tolist() == [[1, 1, 0], [0, 1, 1]]
    assert spikegen.from_one_hot(torch.tensor([0.0, 0.0, 1.0, 0.0])).tolist() == [2]
    with pytest.raises(ValueError, match="out of range for num_classes=3"):
        spikegen.to_one_hot(torch.tensor([3]), 3)


def test_rate_targets_by_hand() -> None:
    targets = torch.tensor([1, 0])
    levels = spikegen.targets_convert(targets, 2, on_target=0.9, off_target=0.2)
    torch.testing.assert_close(levels, torch.tensor([[0.2, 0.9], [0.9, 0.2]]))
    trains = spikegen.targets_rate(targets, 3, num_steps=6, correct_rate=0.5, incorrect_rate=0.25)
    assert trains.shape == (6, 2, 3)
    # regular pattern: the label fires every 2 steps, the other classes every 4
    assert trains[:, 0, 1].tolist() == [1, 0, 1, 0, 1, 0]
    assert trains[:, 0, 0].tolist() == trains[:, 0, 2].tolist() == [1, 0, 0, 0, 1, 0]
    ramps = spikegen.targets_rate(targets, 2, num_steps=5, correct_rate=0.5, interpolate=True)
    assert ramps[:, 1, 0].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert ramps[:, 1, 1].tolist() == [0.0] * 5
    with pytest.raises(ValueError, match="num_steps must be given"):
        spikegen.targets_rate(targets, 2, correct_rate=0.5)


def test_target_codes_and_interpolations_by_hand() -> None:
    spikes, steps = spikegen.target_rate_code(7, first_spike_time=1, rate=1 / 3)
    assert spikes.tolist() == [0, 1, 0, 0, 1, 0, 0]
    assert steps.tolist() == [1, 4]
    # ramps from 0 to 1 ending at each spike; the step after the last spike is 0
    assert spikegen.rate_interpolate(torch.tensor([1, 3]), 5).tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    lat = spikegen.latency_interpolate(torch.tensor([0.0, 2.0, 9.0]), 4, on_target=1.0, off_target=0.5)
    # element 0 fires at step 0 (1 there, 0.5 after); element 1 rises as step/2; element 2 never reaches 1
    expected = [[1.0, 0.5, 0.5], [0.5, 0.75, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 0.5]]
    assert lat.tolist() == expected


# ---------------------------------------------------------------------------------------------------------------
# parity with snnTorch 1.0.0 on identical inputs


@pytest.mark.peers
def test_the_names_and_signatures_are_snntorchs() -> None:
    their = snntorch().spikegen
    public = {n for n, v in vars(their).items() if inspect.isfunction(v) and not n.startswith("_")}
    assert public == set(spikegen.__all__)
    for name in public:
        a, b = inspect.signature(getattr(spikegen, name)), inspect.signature(getattr(their, name))
        assert [(p.name, p.default) for p in a.parameters.values()] == [
            (p.name, p.default) for p in b.parameters.values()
        ], name


@pytest.mark.peers
@pytest.mark.parametrize(
    "kw",
    [
        {"num_steps": 9},
        {"num_steps": 9, "gain": 0.7, "offset": 0.2, "first_spike_time": 3},
        {"time_var_input": True},
        {"time_var_input": True, "first_spike_time": 2},
    ],
)
def test_rate_draws_snntorchs_spikes(kw: dict[str, Any], rng: np.random.Generator) -> None:
    their = snntorch().spikegen
    x = torch.from_numpy(rng.random((4, 3, 5)))  # float64
    got, want = _seeded(spikegen.rate, x, **kw), _seeded(their.rate, x, **kw)
    assert got.dtype == want.dtype
    assert torch.equal(got, want)
    assert 0 < got.mean() < 1
    assert torch.equal(_seeded(spikegen.rate_conv, x), _seeded(their.rate_conv, x))


@pytest.mark.peers
@pytest.mark.parametrize(
    "kw",
    [
        {"num_steps": 40},
        {"num_steps": 60, "tau": 3, "threshold": 0.05, "first_spike_time": 2, "clip": True},
        {"num_steps": 12, "normalize": True, "first_spike_time": 1},
        {"num_steps": 12, "normalize": True, "linear": True, "on_target": 1.5, "off_target": 0.25},
        {"num_steps": 12, "linear": True, "tau": 5, "interpolate": True},
        {"bypass": True, "tau": 2},
        {"num_steps": 3, "bypass": True, "tau": 2},
    ],
)
def test_latency_equals_snntorch(kw: dict[str, Any], rng: np.random.Generator) -> None:
    their = snntorch().spikegen
    x = torch.from_numpy(rng.random((6, 7)))
    x[0, 0], x[0, 1] = 0.0, 1.0
    got, want = spikegen.latency(x, **kw), their.latency(x, **kw)
    assert got.shape == want.shape
    # snnTorch's trains are float32 whatever the input; ours keep float64, the values are the same
    torch.testing.assert_close(got, want.to(got.dtype), rtol=1e-6, atol=1e-6)
    assert got.sum() > 0
    code_kw = {
        k: kw[k] for k in ("num_steps", "tau", "threshold", "first_spike_time", "normalize", "linear") if k in kw
    }
    for a, b in zip(spikegen.latency_code(x, **code_kw), their.latency_code(x, **code_kw), strict=True):
        assert torch.equal(a, b)


@pytest.mark.peers
def test_delta_equals_snntorch(rng: np.random.Generator) -> None:
    their = snntorch().spikegen
    seq = torch.from_numpy(rng.normal(size=(10, 3, 4)).cumsum(0))
    for kw in ({}, {"threshold": 0.5, "padding": True}, {"threshold": 0.3, "off_spike": True}):
        got, want = spikegen.delta(seq, **kw), their.delta(seq, **kw)
        assert got.dtype == want.dtype
        assert torch.equal(got, want)
        assert got.abs().sum() > 0


@pytest.mark.peers
@pytest.mark.parametrize("pattern", ["regular", "uniform", "poisson"])
@pytest.mark.parametrize(("steps", "first", "rate"), [(10, 0, 0.5), (11, 3, 0.3), (6, 6, 0.8), (5, 0, 0.0)])
def test_target_rate_code_equals_snntorch(pattern: str, steps: int, first: int, rate: float) -> None:
    their = snntorch().spikegen
    got = _seeded(spikegen.target_rate_code, steps, first, rate, pattern)
    want = _seeded(their.target_rate_code, steps, first, rate, pattern)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        assert torch.equal(a, b)


@pytest.mark.peers
def test_targets_and_interpolations_equal_snntorch() -> None:
    their = snntorch().spikegen
    targets = torch.tensor([3, 0, 4, 4, 1])
    cases: list[dict[str, Any]] = [
        {},
        {"on_target": 0.2, "off_target": 0.7},
        {"num_steps": 6, "first_spike_time": 2, "on_target": 1.2, "off_target": 0.5},
        {"code": "latency", "num_steps": 8, "normalize": True},
    ]
    for kw in cases:
        got, want = spikegen.targets_convert(targets, 5, **kw), their.targets_convert(targets, 5, **kw)
        assert got.shape == want.shape, kw
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    # snnTorch's targets_convert(code="latency") drops interpolate, on_target, off_target and epsilon on the way
    # to targets_latency; ours passes them on, so it equals snnTorch's targets_latency
    kw = {"num_steps": 8, "tau": 2, "linear": True, "interpolate": True, "on_target": 1.5, "off_target": 0.5}
    got = spikegen.targets_convert(targets, 5, code="latency", **kw)
    torch.testing.assert_close(got, their.targets_latency(targets, 5, **kw))
    assert not torch.equal(got, their.targets_convert(targets, 5, code="latency", **kw))
    # rates other than (1, 0): snnTorch multiplies the [T, B, C] wrong-class mask by the [T] train along C (an
    # error unless C == T, and then a [T, B, C, B, C] tensor indexed by class where time should be); ours are the
    # trains its documentation describes, pinned by hand in test_rate_targets_by_hand
    kw = {"num_steps": 5, "correct_rate": 0.5, "incorrect_rate": 0.25}
    assert their.targets_rate(targets, 5, **kw).shape == (5, 5, 5, 5, 5)
    assert spikegen.targets_rate(targets, 5, **kw).shape == (5, 5, 5)
    with pytest.raises(RuntimeError):
        their.targets_rate(targets, 5, num_steps=6, correct_rate=0.5, incorrect_rate=0.25)
    for steps in ([0, 2, 3], [1], [4, 1], []):
        t = torch.tensor(steps, dtype=torch.int64) if steps else torch.Tensor()
        assert torch.equal(spikegen.rate_interpolate(t, 6, 1.5, 0.5), their.rate_interpolate(t, 6, 1.5, 0.5))
    times = torch.tensor([[0.0, 1.4, 2.6], [3.0, 7.5, 30.0]])
    torch.testing.assert_close(
        spikegen.latency_interpolate(times, 6, 1.2, 0.3), their.latency_interpolate(times, 6, 1.2, 0.3)
    )
    onehot = torch.eye(4)[[1, 3, 0]]
    assert torch.equal(spikegen.to_one_hot_inverse(onehot), their.to_one_hot_inverse(onehot))
    assert torch.equal(spikegen.from_one_hot(onehot.T), their.from_one_hot(onehot.T))
