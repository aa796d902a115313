"""Stateful synapses, recurrent containers and spiking LSTM/GRU: by hand and against SpikingJelly 2.0 (float64)."""

from __future__ import annotations

import operator
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels import IFNode, LIFNode, reset_net, set_step_mode
from snnmodels.functional.surrogate import ATan, Erf
from snnmodels.recurrent import ElementWiseRecurrent, LinearRecurrent, SynapseFilter
from snnmodels.rnn import SpikingGRU, SpikingGRUCell, SpikingLSTM, SpikingLSTMCell, SpikingRNN
from tests.snnmodels.peers import spikingjelly


def test_elementwise_recurrent_if_by_hand() -> None:
    # the tutorial: IF with its output added to the next input; x = [1.5, 0, 0, ...]
    net = ElementWiseRecurrent(IFNode(), operator.add)
    x = torch.zeros(6, 1, 1)
    x[0] = 1.5
    # v: 1.5 -> spike, reset 0; then input 0 + 1 = 1 -> spike each step forever
    assert net(x).flatten().tolist() == [1, 1, 1, 1, 1, 1]
    plain = IFNode()
    assert plain(x).flatten().tolist() == [1, 0, 0, 0, 0, 0]
    torch.testing.assert_close(net(x), net(x))  # every multi-step call starts at rest


def test_synapse_filter_by_hand_and_step_modes() -> None:
    f = SynapseFilter(tau=2.0)
    x = torch.tensor([1.0, 0.0, 0.0, 1.0]).view(4, 1)
    # I = I - (1 - x)·I/2 + x: 1, 0.5, 0.25, 1.25
    assert f(x).flatten().tolist() == [1.0, 0.5, 0.25, 1.25]
    s = SynapseFilter(tau=2.0, step_mode="s")
    assert [s(x[t]).item() for t in range(4)] == [1.0, 0.5, 0.25, 1.25]
    learn = SynapseFilter(tau=2.0, learnable=True)
    learn(x).sum().backward()
    assert learn.w.grad is not None
    assert learn.w.grad.item() != 0
    pickle.loads(pickle.dumps(s))
    with pytest.raises(ValueError, match=r"SynapseFilter.tau must be > 1"):
        SynapseFilter(tau=0.5)


def test_linear_recurrent_shapes_and_single_step_agree() -> None:
    torch.manual_seed(0)
    net = LinearRecurrent(LIFNode(tau=2.0), 4, 4)
    x = torch.rand(7, 3, 4) * 2
    y = net(x)
    assert y.shape == (7, 3, 4)
    set_step_mode(net, "s")
    reset_net(net)
    torch.testing.assert_close(torch.stack([net(x[t]) for t in range(7)]), y)
    with pytest.raises(ValueError, match="LinearRecurrent takes 4 features"):
        net(torch.zeros(3, 5))


def test_lstm_gru_shapes_states_and_grad() -> None:
    torch.manual_seed(0)
    for cls, n in ((SpikingLSTM, 2), (SpikingGRU, 1), (SpikingRNN, 1)):
        net = cls(5, 6, num_layers=2, bidirectional=True)
        y, states = net(torch.randn(4, 3, 5))
        assert y.shape == (4, 3, 12)
        shapes = [tuple(s.shape) for s in states] if n == 2 else [tuple(states.shape)]
        assert shapes == [(4, 3, 6)] * n
        assert set(y.unique().tolist()) <= {0.0, 1.0}
        y.sum().backward()
        assert net.cells[0].linear_ih.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r"SpikingGRU takes \[T, N, input_size=5\]"):
        SpikingGRU(5, 6, 1)(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"states must be a tuple \(h, c\)"):
        SpikingLSTM(5, 6, 1)(torch.zeros(3, 2, 5), (torch.zeros(2, 2, 6), torch.zeros(2, 2, 6)))


# ---------------------------------------------------------------------------------------------------------------
# parity with SpikingJelly 2.0


def _grads(module: nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in module.parameters()]


@pytest.mark.peers
def test_synapse_filter_and_containers_match_spikingjelly() -> None:
    sj = spikingjelly()
    x = (torch.rand(9, 3, 4, dtype=torch.float64) * 1.2).requires_grad_()
    for learnable in (False, True):
        theirs = sj.layer.SynapseFilter(tau=3.0, learnable=learnable, step_mode="m").double()
        ours = SynapseFilter(tau=3.0, learnable=learnable).double()
        yt, yo = theirs(x), ours(x)
        torch.testing.assert_close(yo, yt, rtol=0, atol=0)
        if learnable:
            (gt,) = torch.autograd.grad(yt.sum(), theirs.w)
            (go,) = torch.autograd.grad(yo.sum(), ours.w)
            torch.testing.assert_close(go, gt)
    x = (torch.rand(9, 3, 4, dtype=torch.float64) * 2.5).requires_grad_()
    # element-wise: SpikingJelly calls element_wise_function(y_prev, x)
    theirs_e = sj.layer.ElementWiseRecurrentContainer(
        sj.neuron.LIFNode(tau=2.0, surrogate_function=sj.surrogate.ATan()),
        lambda y, xx: xx + 0.5 * y,
        step_mode="m",
    )
    ours_e = ElementWiseRecurrent(LIFNode(tau=2.0, surrogate_function=ATan()), lambda xx, y: xx + 0.5 * y)
    _same_outputs_and_input_grads(theirs_e, ours_e, x)
    torch.manual_seed(3)
    theirs_l = sj.layer.LinearRecurrentContainer(
        sj.neuron.IFNode(surrogate_function=sj.surrogate.ATan()), 4, 4, step_mode="m"
    ).double()
    ours_l = LinearRecurrent(IFNode(surrogate_function=ATan()), 4, 4).double()
    ours_l.load_state_dict(theirs_l.state_dict())
    _same_outputs_and_input_grads(theirs_l, ours_l, x)
    from spikingjelly.activation_based import functional as sj_f

    sj_f.reset_net(theirs_l)
    gt = torch.autograd.grad(theirs_l(x).sum(), theirs_l.rc.weight)
    go = torch.autograd.grad(ours_l(x).sum(), ours_l.rc.weight)
    torch.testing.assert_close(go, gt)


def _same_outputs_and_input_grads(theirs: nn.Module, ours: nn.Module, x: torch.Tensor) -> None:
    spikingjelly()
    from spikingjelly.activation_based import functional as sj_f

    sj_f.reset_net(theirs)
    yt = theirs(x)
    yo = ours(x)
    assert yt.sum() > 0
    torch.testing.assert_close(yo, yt)
    (gt,) = torch.autograd.grad((yt * torch.arange(yt.numel()).view_as(yt)).sum(), x)
    (go,) = torch.autograd.grad((yo * torch.arange(yo.numel()).view_as(yo)).sum(), x)
    torch.testing.assert_close(go, gt)


@pytest.mark.peers
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize(("num_layers", "bidirectional", "two"), [(1, False, False), (2, True, True)])
def test_spiking_rnn_matches_spikingjelly(kind: str, num_layers: int, bidirectional: bool, two: bool) -> None:
    spikingjelly()
    from spikingjelly.activation_based import rnn as sj_rnn
    from spikingjelly.activation_based import surrogate as sj_sur

    kw_t: dict[str, Any] = {}
    kw_o: dict[str, Any] = {}
    if kind == "rnn":
        kw_t["surrogate_function"], kw_o["surrogate_function"] = sj_sur.Erf(alpha=3.0), Erf(3.0)
    else:
        kw_t["surrogate_function1"], kw_o["surrogate_function1"] = sj_sur.Erf(), Erf()
        if two:
            kw_t["surrogate_function2"], kw_o["surrogate_function2"] = sj_sur.ATan(), ATan()
    cls_t = {"lstm": sj_rnn.SpikingLSTM, "gru": sj_rnn.SpikingGRU, "rnn": sj_rnn.SpikingVanillaRNN}[kind]
    cls_o = {"lstm": SpikingLSTM, "gru": SpikingGRU, "rnn": SpikingRNN}[kind]
    torch.manual_seed(5)
    theirs = cls_t(4, 5, num_layers, bidirectional=bidirectional, **kw_t).double()
    ours = cls_o(4, 5, num_layers, bidirectional=bidirectional, **kw_o).double()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(6, 3, 4, dtype=torch.float64) * 2
    yt, st = theirs(x)
    yo, so = ours(x)
    torch.testing.assert_close(yo, yt)
    for a, b in zip(so if kind == "lstm" else [so], st if kind == "lstm" else [st], strict=True):
        torch.testing.assert_close(a, b)
    assert 0 < yt.mean() < 1
    weight = torch.randn_like(yt)
    (yt * weight).sum().backward()
    (yo * weight).sum().backward()
    for go, gt in zip(_grads(ours), _grads(theirs), strict=True):
        torch.testing.assert_close(go, gt)


@pytest.mark.peers
def test_cells_match_spikingjelly() -> None:
    spikingjelly()
    from spikingjelly.activation_based import rnn as sj_rnn

    torch.manual_seed(6)
    for cls_t, cls_o in ((sj_rnn.SpikingLSTMCell, SpikingLSTMCell), (sj_rnn.SpikingGRUCell, SpikingGRUCell)):
        theirs, ours = cls_t(3, 4).double(), cls_o(3, 4).double()
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(5, 3, dtype=torch.float64)
        st, so = None, None
        for _ in range(4):
            st, so = theirs(x, st), ours(x, so)
            torch.testing.assert_close(so, st)


# ---------------------------------------------------------------------------------------------------------------
# NIR: a self-connection is a cycle in the graph, and comes back spike for spike


@pytest.mark.parametrize(
    "loop",
    [
        lambda: LinearRecurrent(LIFNode(tau=2.0), 6, 6),
        lambda: LinearRecurrent(IFNode(v_reset=None), 6, 6, bias=False),  # soft reset: a cycle in a cycle
        lambda: ElementWiseRecurrent(LIFNode(tau=3.0, v_threshold=0.8)),
    ],
)
def test_recurrent_model_round_trips_through_nir(loop: Any, tmp_path: Any) -> None:
    nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")
    from snnmodels import layers
    from snnmodels.export import from_nir, to_nir

    torch.manual_seed(0)
    model = nn.Sequential(layers.Linear(5, 6), loop(), layers.Linear(6, 3), IFNode()).double()
    with torch.no_grad():  # enough drive to spike, and a loop strong enough to matter
        model[0].weight.uniform_(0.0, 1.0)
        for m in model[1].modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(4)
    path = tmp_path / "loop.nir"
    nir.write(str(path), to_nir(model, (5,)))
    back = from_nir(path, dtype=torch.float64, fire_at_threshold=True)
    assert back.is_recurrent
    x = torch.rand(30, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want_hidden = model[:2](x)
        want = model(x)
        got = back(x)
    assert 0.05 < float(want_hidden.mean()) < 0.95
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_recurrent_export_refusals() -> None:
    pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")
    from snnmodels import layers
    from snnmodels.export import ExportError, to_nir

    with pytest.raises(ExportError, match=r"combines with 'mul'; NIR can only add"):
        to_nir(nn.Sequential(layers.Linear(3, 3), ElementWiseRecurrent(IFNode(), operator.mul)), (3,))
    with pytest.raises(
        ExportError, match="SynapseFilter '1' cannot be exported to NIR: its decay depends on the input"
    ):
        to_nir(nn.Sequential(layers.Linear(3, 3), SynapseFilter()), (3,))


def test_set_step_mode_leaves_the_loop_body_single_step(rng: np.random.Generator) -> None:
    # a zoo builder calls set_step_mode(model, 'm'); a multi-step LIF inside the loop would take the batch for time
    loop = LinearRecurrent(LIFNode(tau=2.0), 4, 4).double()
    x = torch.from_numpy(rng.normal(0.0, 2.0, (6, 3, 4)))
    with torch.no_grad():
        want = loop(x)
        model = nn.Sequential(loop)
        set_step_mode(model, "m")
        assert loop.step_mode == "m"
        assert loop.sub_module.step_mode == "s"
        torch.testing.assert_close(model(x), want, rtol=0, atol=0)
        set_step_mode(model, "s")
        assert loop.sub_module.step_mode == "s"
        reset_net(model)
        torch.testing.assert_close(torch.stack([model(x[t]) for t in range(6)]), want, rtol=0, atol=0)
