"""STDP: a hand-computed 1x1 synapse, the tutorial's mix with an optimizer, parity with SpikingJelly, bad input."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from snnmodels import IFNode, layers, reset_net, set_step_mode
from snnmodels.learning import MSTDPETLearner, MSTDPLearner, STDPLearner, stdp_delta
from tests.snnmodels.peers import spikingjelly


def clamp(w: torch.Tensor) -> torch.Tensor:
    return w.clamp(-1, 1)


def test_pair_of_spikes_by_hand() -> None:
    # one pre spike at t=0, one post spike at t=2, tau=2: tr_pre = 1, 0.5, 0.25; tr_post = 0, 0, 1
    syn = nn.Linear(1, 1, bias=False)
    nn.init.constant_(syn.weight, 1.0)  # f_pre = f_post = identity: dW is the bare trace product
    pre = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)
    post = torch.tensor([0.0, 0.0, 1.0]).view(3, 1, 1)
    dw, (tr_pre, tr_post) = stdp_delta(syn, pre, post, tau_pre=2.0, tau_post=2.0)
    # potentiation at t=2: s_post·tr_pre = 0.25; no depression (tr_post = 0 when pre fired)
    assert dw.item() == 0.25
    assert (tr_pre.item(), tr_post.item()) == (0.25, 1.0)
    dw_rev, _ = stdp_delta(syn, post, pre, tau_pre=2.0, tau_post=2.0)  # post before pre: depression only
    # post at t=0: tr_post = 1, 0.5, 0.25; pre at t=2 sees 0.25; pre trace at t=0 is 0 when post fired
    assert dw_rev.item() == -0.25


def test_conv_delta_is_the_loop_over_kernel_positions() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=False).double()
    pre = (torch.rand(4, 2, 2, 7, 7) > 0.6).double()
    post = (torch.rand(4, 2, 3, 4, 4) > 0.7).double()
    dw, _ = stdp_delta(conv, pre, post, tau_pre=3.0, tau_post=5.0)
    # reference: explicit sums over t, samples and output positions
    padded = nn.functional.pad(pre, (1, 1, 1, 1))
    tr_pre = torch.zeros_like(padded[0])
    tr_post = torch.zeros_like(post[0])
    ref = torch.zeros_like(conv.weight)
    for t in range(4):
        tr_pre = tr_pre - tr_pre / 3.0 + padded[t]
        tr_post = tr_post - tr_post / 5.0 + post[t]
        for i in range(4):
            for j in range(4):
                patch_tr = tr_pre[:, :, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]  # [N, C, 3, 3]
                patch_s = padded[t][:, :, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]
                ref += torch.einsum("no,nckl->ockl", post[t][:, :, i, j], patch_tr) * conv.weight.detach()
                ref -= torch.einsum("no,nckl->ockl", tr_post[:, :, i, j], patch_s) * conv.weight.detach()
    torch.testing.assert_close(dw, ref)


def test_tutorial_mix_with_gradient_descent() -> None:
    # the STDP tutorial: STDP trains the convolutions, Adam the rest, one optimizer step each
    torch.manual_seed(0)
    net = nn.Sequential(
        layers.Conv2d(3, 8, 3, padding=1, bias=False),
        IFNode(),
        layers.MaxPool2d(2, 2),
        layers.Flatten(),
        layers.Linear(8 * 4 * 4, 10, bias=False),
        IFNode(),
    )
    learner = STDPLearner(net[0], net[1], tau_pre=2.0, tau_post=100.0, f_pre=clamp, f_post=clamp)
    stdp_params = list(net[0].parameters())
    others = [p for p in net.parameters() if all(p is not q for q in stdp_params)]
    opt_gd = torch.optim.Adam(others, lr=0.1)
    opt_stdp = torch.optim.SGD(stdp_params, lr=0.1, momentum=0.0)
    x = (torch.rand(8, 2, 3, 8, 8) > 0.5).float()
    before = net[0].weight.detach().clone()
    y = net(x).mean(0)
    nn.functional.cross_entropy(y, torch.tensor([1, 2])).backward()
    opt_stdp.zero_grad()  # the STDP layer's gradient-descent gradient is dropped
    learner.step(on_grad=True)
    dw = -net[0].weight.grad.clone()
    opt_gd.step()
    opt_stdp.step()
    torch.testing.assert_close(net[0].weight.detach(), before + 0.1 * dw)
    assert dw.abs().sum() > 0
    reset_net(net)
    learner.reset()
    assert learner.step() is None  # nothing recorded since
    learner.close()
    net(x)
    with pytest.raises(RuntimeError, match="STDPLearner is closed"):
        learner.step()


def test_bad_input_names_the_module() -> None:
    with pytest.raises(TypeError, match=r"STDPLearner cannot learn the weights of ConvTranspose2d"):
        STDPLearner(nn.ConvTranspose2d(1, 1, 3), IFNode(), 2.0, 2.0)
    with pytest.raises(TypeError, match=r"cannot learn Conv2d .* with groups=2"):
        STDPLearner(nn.Conv2d(2, 2, 3, groups=2), IFNode(), 2.0, 2.0)
    with pytest.raises(TypeError, match="MSTDPLearner learns Linear synapses only, got Conv2d"):
        MSTDPLearner(nn.Conv2d(1, 1, 3), IFNode(), 2.0, 2.0)
    with pytest.raises(ValueError, match=r"tau_pre must be a finite number >= 1"):
        STDPLearner(nn.Linear(2, 2), IFNode(), 0.5, 2.0)


# ---------------------------------------------------------------------------------------------------------------
# parity with SpikingJelly 2.0 (float64): weight change after N steps


def _sj_pair(kind: str, step_mode: str) -> tuple[Any, Any]:
    sj = spikingjelly()
    torch.manual_seed(1)
    if kind == "linear":
        syn = sj.layer.Linear(6, 4, bias=False, step_mode=step_mode)
    elif kind == "conv1d":
        syn = sj.layer.Conv1d(2, 3, 3, stride=2, padding=1, bias=False, step_mode=step_mode)
    else:
        syn = sj.layer.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="reflect", bias=False, step_mode=step_mode)
    sn = sj.neuron.IFNode(v_threshold=0.3, step_mode=step_mode)
    net = nn.Sequential(syn, sn).double()
    ours_syn = {
        "linear": layers.Linear(6, 4, bias=False),
        "conv1d": layers.Conv1d(2, 3, 3, stride=2, padding=1, bias=False),
        "conv2d": layers.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="reflect", bias=False),
    }[kind]
    ours = nn.Sequential(ours_syn, IFNode(v_threshold=0.3)).double()
    set_step_mode(ours, step_mode)  # type: ignore[arg-type]
    ours.load_state_dict(net.state_dict())
    return net, ours


@pytest.mark.peers
@pytest.mark.parametrize("kind", ["linear", "conv2d", "conv1d"])
@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_stdp_matches_spikingjelly(kind: str, step_mode: str) -> None:
    spikingjelly()
    from spikingjelly.activation_based import functional as sj_f
    from spikingjelly.activation_based import learning as sj_learning

    theirs_net, ours_net = _sj_pair(kind, step_mode)
    shape = {"linear": (6,), "conv1d": (2, 9), "conv2d": (2, 7, 7)}[kind]
    theirs = sj_learning.STDPLearner(step_mode, theirs_net[0], theirs_net[1], 2.0, 5.0, f_pre=clamp, f_post=clamp)
    ours = STDPLearner(ours_net[0], ours_net[1], 2.0, 5.0, f_pre=clamp, f_post=clamp, step_mode=step_mode)
    opt_t = torch.optim.SGD(theirs_net.parameters(), lr=0.05)
    opt_o = torch.optim.SGD(ours_net.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for _ in range(3):  # three learning steps, each over T = 5 steps of input
            x = (torch.rand(5, 3, *shape, generator=gen) > 0.4).double()
            for net, opt, learner in ((theirs_net, opt_t, theirs), (ours_net, opt_o, ours)):
                opt.zero_grad()
                if step_mode == "m":
                    net(x)
                else:
                    for t in range(5):
                        net(x[t])
                learner.step(on_grad=True)
                opt.step()
            sj_f.reset_net(theirs_net)
            reset_net(ours_net)
            torch.testing.assert_close(ours.trace_pre, theirs.trace_pre)
            torch.testing.assert_close(ours.trace_post, theirs.trace_post)
    torch.testing.assert_close(ours_net[0].weight, theirs_net[0].weight, rtol=1e-12, atol=1e-12)
    assert not torch.equal(ours_net[0].weight, _sj_pair(kind, step_mode)[1][0].weight)  # it did learn


@pytest.mark.peers
def test_mstdp_and_mstdpet_match_spikingjelly() -> None:
    sj = spikingjelly()
    from spikingjelly.activation_based import learning as sj_learning

    torch.manual_seed(4)
    for kind in ("mstdp", "mstdpet"):
        theirs_net = nn.Sequential(nn.Linear(5, 3, bias=False), sj.neuron.IFNode(v_threshold=0.2)).double()
        ours_net = nn.Sequential(nn.Linear(5, 3, bias=False), IFNode(v_threshold=0.2, step_mode="s")).double()
        ours_net.load_state_dict(theirs_net.state_dict())
        if kind == "mstdp":
            theirs = sj_learning.MSTDPLearner("s", theirs_net[0], theirs_net[1], 2.0, 3.0)
            ours: MSTDPLearner = MSTDPLearner(ours_net[0], ours_net[1], 2.0, 3.0)
            batch: tuple[int, ...] = (4,)
        else:
            theirs = sj_learning.MSTDPETLearner("s", theirs_net[0], theirs_net[1], 2.0, 3.0, 4.0)
            ours = MSTDPETLearner(ours_net[0], ours_net[1], 2.0, 3.0, 4.0)
            batch = ()
        with torch.no_grad():
            for t in range(6):
                x = (torch.rand(*batch, 5) > 0.5).double()
                reward = torch.rand(4).double() - 0.5 if kind == "mstdp" else float(t % 3 - 1)
                theirs_net(x)
                ours_net(x)
                dw_t = theirs.step(reward, on_grad=False)
                dw_o = ours.step(reward, on_grad=False)
                torch.testing.assert_close(dw_o, dw_t)
        assert dw_t.abs().sum() > 0


def test_competitive_if_one_winner_per_step_and_homeostasis() -> None:
    from snnmodels.learning import CompetitiveIF

    sn = CompetitiveIF(3, theta_plus=0.5)
    x = torch.tensor([0.6, 0.5, 0.1]).expand(4, 2, 3)  # the same drive for 2 samples over 4 steps
    s = sn(x)
    # v = 0.6, 1.2 -> neuron 0 fires at t=1 (alone: neuron 1 is at 1.0 >= 1 but less far above); all reset
    assert s.sum(-1).max() == 1
    assert s[:, 0, 0].tolist() == [0.0, 1.0, 0.0, 0.0]
    # theta[0] rose to 0.5, so at t=3 neuron 0 (1.2 < 1.5) loses to neuron 1 (exactly at its threshold 1.0)
    assert s[:, 0, 1].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert sn.theta.tolist() == pytest.approx([0.5, 0.5, 0.0])
    sn.eval()
    frozen = sn.theta.clone()
    sn(x)
    assert torch.equal(sn.theta, frozen)
