"""SpikingJelly-named layers and containers: same state-dict keys, same outputs in both step modes as SpikingJelly's
(float64), SpikingJelly's Dropout mask rule, and the step-mode containers."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import snnmodels
from snnmodels.compat.spikingjelly import functional, layer, neuron
from tests.snnmodels.peers import spikingjelly

# (name, constructor args, one-step input shape)
LAYERS: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, ...]]] = [
    ("Conv1d", (2, 3, 3), {"padding": 1}, (2, 2, 7)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "bias": False}, (2, 2, 6, 6)),
    ("Conv3d", (2, 3, 3), {}, (2, 2, 4, 5, 5)),
    ("ConvTranspose2d", (2, 3, 2), {"stride": 2}, (2, 2, 3, 3)),
    ("BatchNorm1d", (2,), {}, (3, 2, 5)),
    ("BatchNorm2d", (2,), {}, (3, 2, 4, 4)),
    ("BatchNorm3d", (2,), {}, (3, 2, 3, 3, 3)),
    ("GroupNorm", (1, 2), {}, (2, 2, 4, 4)),
    ("MaxPool1d", (2,), {}, (2, 2, 6)),
    ("MaxPool2d", (2, 2), {}, (2, 2, 6, 6)),
    ("AvgPool2d", (2,), {}, (2, 2, 6, 6)),
    ("AvgPool3d", (2,), {}, (2, 2, 4, 4, 4)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 2, 6, 6)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 2, 7)),
    ("Linear", (5, 3), {}, (2, 4, 5)),
    ("Flatten", (), {}, (2, 2, 3, 3)),
    ("Upsample", (), {"scale_factor": 2}, (2, 2, 3, 3)),
    ("VotingLayer", (5,), {}, (2, 10)),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), LAYERS, ids=[item[0] for item in LAYERS])
@pytest.mark.parametrize("mode", ["s", "m"])
def test_layer_equals_spikingjelly_in_both_modes(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], shape: tuple[int, ...], mode: str
) -> None:
    sj = spikingjelly()
    torch.manual_seed(0)
    a = getattr(layer, name)(*args, **kwargs, step_mode=mode).double()
    b = getattr(sj.layer, name)(*args, **kwargs, step_mode=mode).double()
    assert a.state_dict().keys() == b.state_dict().keys()
    b.load_state_dict(a.state_dict())
    x = torch.rand((4, *shape) if mode == "m" else shape, dtype=torch.float64)
    torch.testing.assert_close(a(x), b(x), rtol=1e-13, atol=1e-14)
    assert a.step_mode == mode
    assert isinstance(a, snnmodels.base.StepModule)  # our own set_step_mode reaches them


def test_default_step_mode_is_single_and_reprs_are_spikingjelly_s() -> None:
    sj = spikingjelly()
    for name, args, kwargs, _ in LAYERS:
        a, b = getattr(layer, name)(*args, **kwargs), getattr(sj.layer, name)(*args, **kwargs)
        assert a.step_mode == b.step_mode == "s", name
        if name not in ("VotingLayer",):  # SpikingJelly prints VotingLayer's fields without a separator
            assert repr(a) == repr(b), name


def test_multi_step_layers_name_the_expected_shape() -> None:
    with pytest.raises(ValueError, match=r"expected x with shape \[T, N, C, H, W\]"):
        layer.Conv2d(2, 2, 1, step_mode="m")(torch.rand(2, 2, 4, 4))


def test_containers_equal_spikingjelly() -> None:
    sj = spikingjelly()
    torch.manual_seed(1)
    conv, bn = nn.Conv2d(2, 3, 3, padding=1).double(), nn.BatchNorm2d(3).double()
    x = torch.rand(4, 2, 2, 5, 5, dtype=torch.float64)
    for name in ("SeqToANNContainer", "MultiStepContainer"):
        a, b = getattr(layer, name)(conv, bn), getattr(sj.layer, name)(conv, bn)
        assert a.state_dict().keys() == b.state_dict().keys()
        assert "1.running_mean" in a.state_dict()  # the container prefix, as the tutorial shows
        torch.testing.assert_close(a(x), b(x), rtol=1e-13, atol=1e-14)
    stateful = layer.MultiStepContainer(neuron.IFNode())
    reference = sj.layer.MultiStepContainer(sj.neuron.IFNode())
    assert torch.equal(stateful(x * 3), reference(x * 3))
    with pytest.raises(ValueError, match="step_mode must be 's'"):
        layer.SeqToANNContainer(neuron.IFNode(step_mode="m"))
    t_last = layer.TLastSeqToANNContainer(nn.Linear(5, 2).double())
    y = torch.rand(2, 3, 5, 4, dtype=torch.float64)  # [N, C, features, T]
    torch.testing.assert_close(t_last(y), sj.layer.TLastSeqToANNContainer(t_last[0])(y), rtol=0, atol=0)


def test_step_mode_container_in_both_spellings() -> None:
    x = torch.rand(4, 2, 3, 5, 5)
    conv, bn = nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3).eval()
    # the tutorial's spelling, StepModeContainer(stateful, *modules) (SpikingJelly 2.0 itself fails on it)
    net = layer.StepModeContainer(False, conv, bn)
    assert len(net) == 2
    net.step_mode = "m"
    torch.testing.assert_close(net(x), bn(conv(x.flatten(0, 1))).view(4, 2, 3, 5, 5))
    net.step_mode = "s"
    assert net(x[0]).shape == (2, 3, 5, 5)
    # SpikingJelly 2.0's positional step mode
    stateful = layer.StepModeContainer(True, "m", neuron.IFNode())
    assert stateful.step_mode == "m"
    assert torch.equal(stateful(x * 2), functional.multi_step_forward(x * 2, neuron.IFNode()))


def test_dropout_keeps_one_mask_until_reset_as_spikingjelly() -> None:
    sj = spikingjelly()
    x = torch.ones(3, 2, 50, dtype=torch.float64)
    for mode in ("s", "m"):
        a, b = layer.Dropout(0.4, step_mode=mode), sj.layer.Dropout(0.4, step_mode=mode)
        outs = []
        for d in (a, b):
            torch.manual_seed(5)
            first = d(x) if mode == "m" else torch.stack([d(xt) for xt in x])
            again = d(x) if mode == "m" else torch.stack([d(xt) for xt in x])
            outs.append((first, again))
        assert torch.equal(outs[0][0], outs[1][0])
        assert torch.equal(outs[0][0], outs[0][1])  # the same mask on the next call
        assert torch.equal(outs[0][0][0], outs[0][0][-1])  # and for every step
        a.reset()
        assert a.mask is None
    d = layer.Dropout(0.5).eval()
    assert torch.equal(d(x[0]), x[0])


def test_max_pool_indices_and_unpool_in_multi_step_mode() -> None:
    x = torch.rand(3, 2, 1, 4, 4)
    pool, unpool = layer.MaxPool2d(2, return_indices=True, step_mode="m"), layer.MaxUnpool2d(2, step_mode="m")
    values, indices = pool(x)
    restored = unpool(values, indices)
    expected = torch.stack([nn.MaxUnpool2d(2)(*nn.MaxPool2d(2, return_indices=True)(xt)) for xt in x])
    assert torch.equal(restored, expected)
    with pytest.raises(ValueError, match="indices with the same shape"):
        unpool(values, indices[..., :1])
