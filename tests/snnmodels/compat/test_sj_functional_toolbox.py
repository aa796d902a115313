"""SpikingJelly's functional learning and layer steps (``functional.learning``, ``functional.layer``) over
`snnmodels.learning` and `snnmodels.recurrent`: by hand, and against SpikingJelly 2.0 on identical float64 inputs."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest
import torch

from snnmodels import learning, recurrent
from snnmodels.compat.spikingjelly import functional
from snnmodels.compat.spikingjelly import layer as sj_layer
from tests.snnmodels.peers import spikingjelly

LEARNING = (
    "mstdp_linear_step",
    "mstdpet_linear_step",
    "mstdpet_reward_step",
    "stdp_conv1d_step",
    "stdp_conv2d_step",
    "stdp_linear_step",
)
NAMES = (*LEARNING, "synapse_filter_step")


def _clip(w: torch.Tensor) -> torch.Tensor:
    return torch.clamp(w, -0.2, 0.2)


def _spikes(*shape: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g, dtype=torch.float64) < 0.5).double()


def test_the_steps_are_reachable_from_functional_and_map_onto_the_core() -> None:
    for name in LEARNING:
        assert getattr(functional, name) is getattr(functional.learning, name)
    assert functional.synapse_filter_step is functional.layer.synapse_filter_step
    assert functional.mstdpet_reward_step is learning.mstdpet_step


def test_synapse_filter_step_by_hand() -> None:
    x = torch.tensor([0.0, 1.0, 0.5])
    out_i = torch.tensor([2.0, 2.0, 4.0])
    # I - (1 - x)·I/tau + x with 1/tau = 0.25: 2 - 0.5 = 1.5; 2 - 0 + 1 = 3; 4 - 0.5 + 0.5 = 4
    assert functional.synapse_filter_step(x, out_i, 0.25).tolist() == [1.5, 3.0, 4.0]
    assert out_i.tolist() == [2.0, 2.0, 4.0]  # not changed in place
    torch.testing.assert_close(
        functional.synapse_filter_step(x, out_i, torch.tensor(0.25)), recurrent.synapse_filter_step(x, out_i, 0.25)
    )


def test_mstdpet_reward_step_by_hand() -> None:
    e = torch.tensor([[1.0, -2.0]])
    z0 = torch.tensor([[4.0, 0.0]])
    dw, z = functional.mstdpet_reward_step(0.5, e, z0, tau_trace=2.0)
    want = z0 * math.exp(-0.5) + e / 2.0  # [4·e^-0.5 + 0.5, -1]
    torch.testing.assert_close(z, want)
    torch.testing.assert_close(dw, 0.5 * want)
    with pytest.raises(ValueError, match="tau_trace"):
        functional.mstdpet_reward_step(0.5, e, z0, tau_trace=0.0)


def test_stdp_linear_step_by_hand() -> None:
    w = torch.tensor([[0.1, -0.3]])  # one output, two inputs
    pre, post = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0]])
    tr = (torch.tensor([[0.0, 2.0]]), torch.tensor([[4.0]]))
    dw, (tr_pre, tr_post) = functional.stdp_linear_step(pre, post, tr, w, tau_pre=2.0, tau_post=4.0, f_post=_clip)
    assert tr_pre.tolist() == [[1.0, 1.0]]  # tr - tr/2 + s
    assert tr_post.tolist() == [[4.0]]  # 4 - 1 + 1
    # f_post(W)·(post ⊗ tr_pre) - W·(tr_post ⊗ pre) = [0.1·1 - 0.1·4, -0.2·1 - (-0.3)·0]
    torch.testing.assert_close(dw, torch.tensor([[-0.3, -0.2]]))


@pytest.mark.parametrize(
    ("fn", "args", "what"),
    [
        ("stdp_linear_step", ((2, 4), (2, 3), (1, 4), (2, 3), (3, 4)), "pre trace has shape"),
        ("stdp_linear_step", ((2, 4), (2, 3), (2, 4), (2, 3), (3, 5)), "do not match the weight"),
        ("mstdpet_linear_step", ((2, 4), (2, 3), (2, 4), (2, 3), (3, 4)), "1 dimensions"),
        ("stdp_conv2d_step", ((1, 2, 5, 5), (1, 3, 4, 4), (1, 2, 5, 5), (1, 3, 4, 4), (3, 2, 3, 3)), "spatial shape"),
    ],
)
def test_steps_refuse_what_spikingjelly_refuses(fn: str, args: tuple[tuple[int, ...], ...], what: str) -> None:
    s_in, s_out, t_in, t_out, w = (torch.zeros(a) for a in args)
    kw: dict[str, Any] = {"stride": (1, 1)} if "conv" in fn else {}
    with pytest.raises(ValueError, match=what):
        getattr(functional, fn)(s_in, s_out, (t_in, t_out), w, tau_pre=2.0, tau_post=3.0, **kw)


def test_synapse_filter_out_i_is_the_current() -> None:
    m = sj_layer.SynapseFilter(tau=2.0)
    assert m.out_i == 0.0
    m.out_i = 1.0  # a number fills the next input's shape
    assert m(torch.zeros(2)).tolist() == [0.5, 0.5]
    m.out_i = torch.tensor([2.0, 0.0])
    assert m(torch.ones(2)).tolist() == [3.0, 1.0]
    assert m.out_i is m.current
    m.reset()
    assert m.out_i == 0.0


# ---------------------------------------------------------------------------------------------------------------
# parity with SpikingJelly 2.0.0


@pytest.mark.peers
def test_names_and_signatures_are_spikingjellys() -> None:
    sj = spikingjelly()

    def key(fn: Any) -> list[tuple[str, Any, Any]]:
        # f_pre / f_post default to each library's own identity function; every other default must be equal
        params = inspect.signature(fn).parameters.values()
        return [(p.name, p.kind, "identity" if p.name in ("f_pre", "f_post") else p.default) for p in params]

    for name in NAMES:
        assert key(getattr(functional, name)) == key(getattr(sj.functional, name)), name
    assert functional.stdp_linear_step.__kwdefaults__["f_pre"](torch.ones(1)).item() == 1.0


@pytest.mark.peers
def test_linear_steps_equal_spikingjelly() -> None:
    sj = spikingjelly()
    w = torch.rand(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) - 0.5
    pre, post = _spikes(5, 4, seed=2), _spikes(5, 3, seed=3)
    tr = (torch.rand(5, 4, dtype=torch.float64), torch.rand(5, 3, dtype=torch.float64))
    kw = {"tau_pre": 2.0, "tau_post": 3.0, "f_pre": _clip, "f_post": _clip}
    for name in ("stdp_linear_step", "mstdp_linear_step"):
        got = getattr(functional, name)(pre, post, tr, w, **kw)
        want = getattr(sj.functional, name)(pre, post, tr, w, **kw)
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
        assert got[0].abs().sum() > 0
    got = functional.mstdpet_linear_step(pre[0], post[0], (tr[0][0], tr[1][0]), w, **kw)
    want = sj.functional.mstdpet_linear_step(pre[0], post[0], (tr[0][0], tr[1][0]), w, **kw)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    z = torch.rand(3, 4, dtype=torch.float64)
    torch.testing.assert_close(
        functional.mstdpet_reward_step(torch.tensor(0.7), got[0], z, tau_trace=4.0),
        sj.functional.mstdpet_reward_step(torch.tensor(0.7), got[0], z, tau_trace=4.0),
        rtol=0,
        atol=0,
    )


@pytest.mark.peers
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_steps_equal_spikingjelly(stride: int) -> None:
    sj = spikingjelly()
    kw = {"tau_pre": 2.0, "tau_post": 3.0, "f_pre": _clip, "f_post": _clip}
    w2 = torch.rand(3, 2, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) - 0.5
    pre2 = _spikes(2, 2, 7, 7, seed=5)
    out_hw = (7 - 3) // stride + 1
    post2 = _spikes(2, 3, out_hw, out_hw, seed=6)
    tr2 = (torch.rand_like(pre2), torch.rand_like(post2))
    got = functional.stdp_conv2d_step(pre2, post2, tr2, w2, stride=(stride, stride), **kw)
    want = sj.functional.stdp_conv2d_step(pre2, post2, tr2, w2, stride=(stride, stride), **kw)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    assert got[0].abs().sum() > 0
    w1 = w2[:, :, 1]
    pre1, post1 = pre2[:, :, 0], post2[:, :, 0]
    tr1 = (tr2[0][:, :, 0], tr2[1][:, :, 0])
    got = functional.stdp_conv1d_step(pre1, post1, tr1, w1, stride=(stride,), **kw)
    want = sj.functional.stdp_conv1d_step(pre1, post1, tr1, w1, stride=(stride,), **kw)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.peers
def test_synapse_filter_step_equals_spikingjelly_with_gradients() -> None:
    sj = spikingjelly()
    x = torch.rand(2, 3, dtype=torch.float64)
    state = torch.rand(2, 3, dtype=torch.float64)
    grads = []
    for fn in (functional.synapse_filter_step, sj.functional.synapse_filter_step):
        w = torch.tensor(-math.log(2.5), dtype=torch.float64, requires_grad=True)
        xi, si = x.clone().requires_grad_(), state.clone().requires_grad_()
        out = fn(x=xi, out_i=si, reciprocal_tau=w.sigmoid())
        out.square().sum().backward()
        grads.append((out.detach(), xi.grad, si.grad, w.grad))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
