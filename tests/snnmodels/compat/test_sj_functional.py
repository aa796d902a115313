"""SpikingJelly-named ``functional``: network helpers, forward helpers, functional neuron steps and losses, pinned
against SpikingJelly (float64, identical inputs) and against hand-computed values."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from snnmodels.compat.spikingjelly import functional, layer, neuron, surrogate
from snnmodels.compat.spikingjelly.functional import net_config
from tests.snnmodels.peers import spikingjelly


class Counter(nn.Module):
    """A plain module with reset(), as users write them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def reset(self) -> None:
        self.calls += 1


def test_reset_net_resets_neurons_to_v_reset_and_plain_modules_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    net = nn.Sequential(layer.Linear(3, 4), neuron.LIFNode(v_reset=-0.1), Counter(), nn.Sequential(neuron.IFNode()))
    net(torch.rand(2, 3))
    assert isinstance(net[1].v, torch.Tensor)
    with caplog.at_level(logging.WARNING, logger="snnmodels.compat.spikingjelly"):
        functional.reset_net(net)
    assert net[1].v == -0.1
    assert net[3][0].v == 0.0
    assert net[2].calls == 1
    assert [r for r in caplog.records if "Counter" in r.getMessage()]  # only the plain module is warned about
    assert not [r for r in caplog.records if "LIFNode" in r.getMessage()]


def test_reset_net_resets_a_module_swapped_in_after_a_reset() -> None:
    # SpikingJelly's cache keeps resetting the replaced module here until invalidate_reset_cache(net)
    net = nn.Sequential(Counter())
    functional.reset_net(net)
    old, new = net[0], Counter()
    net[0] = new
    functional.reset_net(net)
    assert (old.calls, new.calls) == (1, 1)
    functional.reset_net(net)
    assert tuple(r() for r in net_config._RESET_MODULE_CACHE[net]) == (new,)
    functional.invalidate_reset_cache(net)
    assert net not in net_config._RESET_MODULE_CACHE


def test_set_step_mode_leaves_modules_inside_containers_single_step() -> None:
    net = nn.Sequential(
        layer.Conv2d(2, 2, 3), neuron.IFNode(), layer.StepModeContainer(True, neuron.IFNode()), layer.Flatten()
    )
    functional.set_step_mode(net, "m")
    assert [net[0].step_mode, net[1].step_mode, net[2].step_mode, net[3].step_mode] == ["m"] * 4
    assert net[2][0].step_mode == "s"
    with pytest.raises(ValueError, match="step_mode"):
        functional.set_step_mode(net, "q")


def test_detach_net_cuts_the_state_from_the_graph() -> None:
    net = nn.Sequential(layer.Linear(3, 3), neuron.LIFNode(store_v_seq=True))
    net(torch.rand(2, 3))
    assert net[1].v.grad_fn is not None
    functional.detach_net(net)
    assert net[1].v.grad_fn is None
    assert net[1].v_seq.grad_fn is None


def test_forward_helpers_equal_spikingjelly() -> None:
    sj = spikingjelly()
    torch.manual_seed(0)
    conv, bn = nn.Conv2d(2, 3, 3, padding=1).double(), nn.BatchNorm2d(3).double().eval()
    x = torch.rand(4, 2, 2, 6, 6, dtype=torch.float64)
    a = functional.seq_to_ann_forward(x, (conv, bn))
    assert a.shape == (4, 2, 3, 6, 6)
    torch.testing.assert_close(a, sj.functional.seq_to_ann_forward(x, (conv, bn)), rtol=0, atol=0)
    torch.testing.assert_close(a, functional.multi_step_forward(x, (conv, bn)), rtol=1e-13, atol=1e-14)
    node_a, node_b = neuron.IFNode(), sj.neuron.IFNode()
    assert torch.equal(functional.multi_step_forward(x * 2, node_a), sj.functional.multi_step_forward(x * 2, node_b))
    pooled = functional.seq_to_ann_forward(x, nn.MaxPool2d(2, return_indices=True))
    assert isinstance(pooled, tuple)
    assert pooled[1].shape == (4, 2, 2, 3, 3)
    chunks = functional.chunk_multi_step_forward(3, x, layer.SeqToANNContainer(conv))
    torch.testing.assert_close(chunks, functional.seq_to_ann_forward(x, conv), rtol=0, atol=0)


@pytest.mark.parametrize("v_reset", [0.0, None])
@pytest.mark.parametrize("detach_reset", [False, True])
def test_functional_neuron_steps_equal_spikingjelly(v_reset: float | None, detach_reset: bool) -> None:
    sj = spikingjelly()
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(6, 3, 4, generator=g, dtype=torch.float64) * 1.5).requires_grad_()
    v0 = torch.rand(3, 4, generator=g, dtype=torch.float64)
    w = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    cases = [
        ("if", (0.9, v_reset), ()),
        ("lif", (2.5, True, 0.9, v_reset), ()),
        ("lif", (2.5, False, 0.9, v_reset), ()),
        ("plif", (True, 0.9, v_reset), (w,)),
    ]
    for kind, args, extra in cases:
        outs = []
        for lib in (functional, sj.functional):
            sg = (surrogate if lib is functional else sj.surrogate).ATan()
            step = getattr(lib, f"{kind}_step")
            v, spikes = v0, []
            for t in range(x.shape[0]):
                s, v = step(x[t], v, *extra, *args, sg, detach_reset)
                spikes.append(s)
            seq, v_last, v_seq = getattr(lib, f"{kind}_multi_step")(x, v0, *extra, *args, sg, detach_reset, True)
            grads = torch.autograd.grad((torch.stack(spikes) * 0.7).sum() + v.sum() + seq.sum(), (x, *extra))
            outs.append((torch.stack(spikes), v, seq, v_last, v_seq, grads))
        (s1, v1, q1, l1, vs1, g1), (s2, v2, q2, l2, vs2, g2) = outs
        assert s1.sum() > 0
        assert torch.equal(s1, s2)
        assert torch.equal(q1, q2)
        for a, b in [(v1, v2), (l1, l2), (vs1, vs2), *zip(g1, g2, strict=True)]:
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


def test_lif_charge_and_voltage_reset_by_hand() -> None:
    x, v = torch.tensor([0.6]), torch.tensor([0.2])
    # decay_input: 0.2 + (0.6 - (0.2 - 0)) / 2 = 0.4;  without: 0.2 - 0.2 / 2 + 0.6 = 0.7
    torch.testing.assert_close(functional.lif_charge(x, v, 2.0, True, 0.0), torch.tensor([0.4]))
    torch.testing.assert_close(functional.lif_charge(x, v, 2.0, False, None), torch.tensor([0.7]))
    h, s = torch.tensor([1.3, 0.4]), torch.tensor([1.0, 0.0])
    torch.testing.assert_close(functional.voltage_reset(h, s, 1.0, -0.1, False), torch.tensor([-0.1, 0.4]))
    torch.testing.assert_close(functional.voltage_reset(h, s, 1.0, None, False), torch.tensor([0.3, 0.4]))


def test_losses_and_helpers_equal_spikingjelly() -> None:
    sj = spikingjelly()
    torch.manual_seed(2)
    logits, target = torch.randn(4, 3, 5, dtype=torch.float64), torch.tensor([1, 0, 4])
    torch.testing.assert_close(
        functional.temporal_efficient_training_cross_entropy(logits, target),
        sj.functional.temporal_efficient_training_cross_entropy(logits, target),
    )
    spikes = (torch.rand(6, 2, 4, dtype=torch.float64) > 0.5).double()
    labels = torch.nn.functional.one_hot(torch.tensor([0, 1, 0, 2, 1, 2]), 3)
    for kernel, args in (("linear", ()), ("polynomial", (2,)), ("sigmoid", (0.5,)), ("gaussian", (1.2,))):
        torch.testing.assert_close(
            functional.spike_similar_loss(spikes, labels, kernel, "mse", *args),
            sj.functional.spike_similar_loss(spikes, labels, kernel, "mse", *args),
        )
    s = (torch.rand(3, 7) > 0.6).float()
    assert torch.equal(functional.first_spike_index(s), sj.functional.first_spike_index(s))
    assert torch.equal(functional.redundant_one_hot(target, 5, 3), sj.functional.redundant_one_hot(target, 5, 3))
    assert torch.equal(functional.delay(logits, 2), sj.functional.delay(logits, 2))
    with pytest.raises(ValueError, match="kernel"):
        functional.kernel_dot_product(s, s, "cosine")
