"""SpikingJelly's toolbox names (ann2snn, encoding, learning, rnn, layer extras, visualizing) against SpikingJelly
2.0 itself: the same code with only the import changed gives the same numbers (float64)."""

from __future__ import annotations

import operator

import pytest
import torch
from torch import nn

from snnmodels import reset_net
from snnmodels.compat.spikingjelly import _layer_extra as layer_extra
from snnmodels.compat.spikingjelly import ann2snn, encoding, learning, rnn
from snnmodels.neurons import IFNode
from tests.snnmodels.peers import spikingjelly

pytestmark = pytest.mark.peers


def _cnn() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(36, 10), nn.ReLU(), nn.Linear(10, 3),
    ).double()  # fmt: skip
    net[1].running_var.uniform_(0.5, 1.5)
    return net.eval()


@pytest.mark.parametrize("mode", ["Max", "99.9%", 0.25])
def test_converter_matches_spikingjelly(mode: str | float) -> None:
    spikingjelly()
    from spikingjelly.activation_based import ann2snn as sj_ann2snn
    from spikingjelly.activation_based import functional as sj_f

    ann = _cnn()
    x = torch.rand(20, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    loader = [x[:10], x[10:]]
    theirs = sj_ann2snn.Converter(sj_ann2snn.RateCodingRecipe(dataloader=loader, mode=mode)).convert(ann)
    ours_seed_api = ann2snn.Converter(mode=mode, dataloader=loader)(ann)  # SpikingJelly's documented call
    ours_2_0_api = ann2snn.Converter(ann2snn.RateCodingRecipe(dataloader=loader, mode=mode)).convert(ann)
    for ours in (ours_seed_api, ours_2_0_api):
        sj_f.reset_net(theirs)
        reset_net(ours)
        with torch.no_grad():
            for _ in range(16):  # single-step, one call per time step, as SpikingJelly's
                torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)


def test_voltage_hook_and_scaler_match() -> None:
    spikingjelly()
    from spikingjelly.activation_based.ann2snn.modules import VoltageHook, VoltageScaler

    for mode in ("Max", "99%", 0.5):
        theirs, ours = VoltageHook(momentum=0.2, mode=mode), ann2snn.VoltageHook(momentum=0.2, mode=mode)
        for _ in range(3):
            a = torch.rand(4, 7, dtype=torch.float64)
            theirs(a)
            ours(a)
        assert float(ours.scale) == float(theirs.scale)
    x = torch.rand(3, 4, dtype=torch.float64)
    torch.testing.assert_close(ann2snn.VoltageScaler(0.3)(x), VoltageScaler(0.3)(x), rtol=0, atol=0)


@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_stateful_encoders_match(step_mode: str) -> None:
    spikingjelly()
    import spikingjelly.activation_based.encoding as sj_enc

    x = torch.rand(3, 4, dtype=torch.float64) * (1 - 2**-4)
    pattern = (torch.rand(5, 3, 4) > 0.5).double()
    pairs = [
        (sj_enc.LatencyEncoder(6, "log", step_mode), encoding.LatencyEncoder(6, "log", step_mode)),
        (sj_enc.WeightedPhaseEncoder(4, step_mode), encoding.WeightedPhaseEncoder(4, step_mode)),
        (sj_enc.PeriodicEncoder(pattern, step_mode), encoding.PeriodicEncoder(pattern, step_mode)),
    ]
    for theirs, ours in pairs:
        src = pattern if isinstance(ours, encoding.PeriodicEncoder) else x
        for _ in range(2):
            if step_mode == "s":
                got = torch.stack([ours(src) for _ in range(9)])
                want = torch.stack([theirs(src) for _ in range(9)])
            else:
                seq = src.unsqueeze(0).repeat(7, *[1] * src.dim())
                got, want = ours(seq), theirs(seq)  # a second call continues the count
            torch.testing.assert_close(got, want.to(got.dtype), rtol=0, atol=0)
    torch.manual_seed(1)
    want = sj_enc.PoissonEncoder()(x)
    torch.manual_seed(1)
    torch.testing.assert_close(encoding.PoissonEncoder()(x), want, rtol=0, atol=0)


def test_stdp_learner_signature_matches() -> None:
    sj = spikingjelly()
    from spikingjelly.activation_based import learning as sj_learning

    torch.manual_seed(0)
    net_t = nn.Sequential(nn.Linear(4, 3, bias=False), sj.neuron.IFNode(v_threshold=0.3)).double()
    net_o = nn.Sequential(nn.Linear(4, 3, bias=False), IFNode(v_threshold=0.3, step_mode="s")).double()
    net_o.load_state_dict(net_t.state_dict())
    lt = sj_learning.STDPLearner("s", net_t[0], net_t[1], 2.0, 3.0)
    lo = learning.STDPLearner("s", net_o[0], net_o[1], 2.0, 3.0)
    with torch.no_grad():
        for _ in range(5):
            x = (torch.rand(2, 4) > 0.4).double()
            net_t(x)
            net_o(x)
        torch.testing.assert_close(lo.step(on_grad=False), lt.step(on_grad=False))


def test_rnn_names_match() -> None:
    spikingjelly()
    from spikingjelly.activation_based import rnn as sj_rnn

    torch.manual_seed(2)
    theirs = sj_rnn.SpikingVanillaRNN(3, 4, 2).double()
    ours = rnn.SpikingVanillaRNN(3, 4, 2).double()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], theirs(x)[0])
    cell_t, cell_o = sj_rnn.SpikingGRUCell(3, 4).double(), rnn.SpikingGRUCell(3, 4).double()
    cell_o.load_state_dict(cell_t.state_dict())
    y_t, _ = sj_rnn.directional_rnn_cell_forward(cell_t, x, torch.zeros(2, 4, dtype=torch.float64))
    y_o, _ = rnn.directional_rnn_cell_forward(cell_o, x, torch.zeros(2, 4, dtype=torch.float64))
    torch.testing.assert_close(y_o, y_t)


def test_layer_extras_keep_state_across_calls_as_spikingjelly() -> None:
    sj = spikingjelly()
    from spikingjelly.activation_based import functional as sj_f

    x = torch.rand(6, 2, 3, dtype=torch.float64) * 1.5
    pairs = [
        (sj.layer.SynapseFilter(tau=3.0, step_mode="m"), layer_extra.SynapseFilter(tau=3.0, step_mode="m")),
        (
            sj.layer.ElementWiseRecurrentContainer(sj.neuron.IFNode(), operator.sub, step_mode="m"),
            layer_extra.ElementWiseRecurrentContainer(IFNode(), operator.sub, step_mode="m"),
        ),
    ]
    torch.manual_seed(0)
    lin_t = sj.layer.LinearRecurrentContainer(sj.neuron.IFNode(), 3, 3, step_mode="m").double()
    lin_o = layer_extra.LinearRecurrentContainer(IFNode(), 3, 3, step_mode="m").double()
    lin_o.load_state_dict(lin_t.state_dict())
    pairs.append((lin_t, lin_o))
    with torch.no_grad():
        for theirs, ours in pairs:
            for _ in range(2):  # the second call continues from the first one's state
                torch.testing.assert_close(ours(x), theirs(x))
            sj_f.reset_net(theirs)
            reset_net(ours)
            torch.testing.assert_close(ours(x[0:1]), theirs(x[0:1]))
