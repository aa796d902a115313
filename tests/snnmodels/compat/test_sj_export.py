"""A network written with SpikingJelly's names exports to NIR and ONNX as the same network written with ours."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels.compat.spikingjelly import functional, layer, neuron, surrogate


def test_to_nir_and_back_computes_what_the_network_computes() -> None:
    pytest.importorskip("nir", reason="nir is not installed (pip install nir)")
    from snnmodels.export import from_nir, to_nir

    torch.manual_seed(0)
    net = nn.Sequential(
        layer.Conv2d(2, 4, 3, padding=1, bias=False),
        layer.BatchNorm2d(4),
        neuron.LIFNode(tau=2.0, surrogate_function=surrogate.ATan()),
        layer.AvgPool2d(2, 2),
        layer.Flatten(),
        layer.Dropout(0.5),
        layer.Linear(4 * 4 * 4, 10),
        neuron.ParametricLIFNode(init_tau=3.0),
    )
    with torch.no_grad():
        net[1].running_var.uniform_(0.5, 1.5)
        net[1].weight.uniform_(1.0, 3.0)
        net[1].bias.uniform_(0.2, 0.8)
        net[6].weight.uniform_(0.0, 0.3)
    net.eval()
    graph = to_nir(net, (2, 8, 8))  # single-step modules: to_nir converts a multi-step copy
    assert {type(n).__name__ for n in graph.nodes.values()} >= {"LIF", "Affine", "AvgPool2d", "Flatten"}
    back = from_nir(graph, fire_at_threshold=True)  # SpikingJelly's neurons fire at v >= threshold
    functional.set_step_mode(net, "m")
    x = torch.rand(6, 3, 2, 8, 8) * 3
    with torch.no_grad():
        a, b = net(x), back(x)
    assert a.sum() > 0
    torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def _sj_net() -> nn.Module:
    """Conv-BN-LIF-MaxPool-Flatten-Dropout-Linear-BN-PLIF-Linear-IF-Voting, in SpikingJelly's names, firing."""
    from tests.snnmodels.export.nets import lively

    torch.manual_seed(0)
    net = nn.Sequential(
        layer.Conv2d(2, 8, 3, padding=1, bias=False),
        layer.BatchNorm2d(8),
        neuron.LIFNode(tau=2.0, surrogate_function=surrogate.ATan(), detach_reset=True),
        layer.MaxPool2d(2, 2),
        layer.Flatten(),
        layer.Dropout(0.5),
        layer.Linear(8 * 4 * 4, 40),
        layer.BatchNorm1d(40),
        neuron.ParametricLIFNode(init_tau=3.0),
        layer.Linear(40, 20),
        neuron.IFNode(v_reset=None),
        layer.VotingLayer(2),
    )
    lively(net, gain=2.0)
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.2, 0.2)
        net[1].running_var.uniform_(0.5, 1.5)
        net[7].running_var.uniform_(0.5, 1.5)
    return net.eval()


def test_to_onnx_exports_spikingjelly_named_neurons(tmp_path: Path) -> None:
    """The exported step, looped by onnxruntime, equals the network's own multi-step run."""
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install onnxruntime)")
    from snnmodels.export import run_onnx, to_onnx

    net = _sj_net()
    functional.set_step_mode(net, "m")
    net(torch.rand(3, 5, 2, 8, 8))  # state left over from an earlier batch: the export starts at rest anyway
    result = to_onnx(net, tmp_path / "sj.onnx", (2, 8, 8))
    assert result.neurons == ("2", "8", "10")
    assert result.initial_values == (0.0, 0.0, 0.0)  # v_reset, and 0 for the soft reset
    x = (torch.rand(10, 3, 2, 8, 8, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    functional.reset_net(net)
    with torch.no_grad():
        ours = net(x).numpy()
    assert 0.05 < ours.mean() < 0.95  # spikes to compare, and not all of them
    np.testing.assert_allclose(run_onnx(result.path, x), ours, rtol=0, atol=1e-5)


def test_exporters_refuse_a_neuron_subclass_with_its_own_update(tmp_path: Path) -> None:
    """A subclass that redefines the charge is not exported as its parent (it would compute something else)."""
    from snnmodels.export import ExportError, to_onnx

    class DoubleCharge(neuron.LIFNode):
        def neuronal_charge(self, x: torch.Tensor) -> None:
            self.v = self.v + 2 * x

    net = nn.Sequential(layer.Linear(4, 3), DoubleCharge())
    with pytest.raises(ExportError, match="neuron '1' of type DoubleCharge has no single-step ONNX form"):
        to_onnx(net, tmp_path / "x.onnx", (4,), check=False)
    if importlib.util.find_spec("nir") is not None:
        from snnmodels.export import to_nir

        # the neuron holds a surrogate module (children), so it is named rather than traced into
        with pytest.raises(
            ExportError,
            match=r"cannot export DoubleCharge '1' to NIR: no converter for it \(it subclasses "
            r"snnmodels\.compat\.spikingjelly\.neuron\.LIFNode",
        ):
            to_nir(net, (4,))


def test_to_nir_folds_spikingjelly_named_batchnorms() -> None:
    """Each BatchNorm folds into the Conv/Linear before it, as in the same network written with ours."""
    pytest.importorskip("nir", reason="nir is not installed (pip install nir)")
    from snnmodels import LIFNode, ParametricLIFNode
    from snnmodels import layers as ours
    from snnmodels.export import avgpool_variant, to_nir

    net = avgpool_variant(_sj_net()[:9])  # NIR has no max pooling, nor the soft reset of the last IF
    graph = to_nir(net, (2, 8, 8))
    assert "1" not in graph.nodes  # the BatchNorms have no node of their own
    assert "7" not in graph.nodes
    assert (type(graph.nodes["0"]).__name__, type(graph.nodes["6"]).__name__) == ("Conv2d", "Affine")
    # folded by hand, in float64: w·γ/√(σ² + ε), β - μ·γ/√(σ² + ε) (+ the Linear's bias, scaled)
    for name, conv, bn in (("0", net[0], net[1]), ("6", net[6], net[7])):
        with torch.no_grad():
            scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
            shift = bn.bias.double() - bn.running_mean.double() * scale
            w = conv.weight.double() * scale.reshape(-1, *[1] * (conv.weight.dim() - 1))
            b = shift if conv.bias is None else conv.bias.double() * scale + shift
        np.testing.assert_allclose(np.asarray(graph.nodes[name].weight, np.float64), w.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(graph.nodes[name].bias, np.float64), b.numpy(), rtol=1e-6, atol=1e-7)
    # the same network written with our layers gives the same graph
    mine = nn.Sequential(
        ours.Conv2d(2, 8, 3, padding=1, bias=False),
        ours.BatchNorm2d(8),
        LIFNode(tau=2.0),
        ours.AvgPool2d(2, 2),
        ours.Flatten(),
        ours.Dropout(0.5),
        ours.Linear(8 * 4 * 4, 40),
        ours.BatchNorm1d(40),
        ParametricLIFNode(init_tau=3.0),
    )
    mine.load_state_dict(net.state_dict())
    graph_mine = to_nir(mine.eval(), (2, 8, 8))
    assert graph_mine.nodes.keys() == graph.nodes.keys()
    for name in ("0", "6"):
        np.testing.assert_array_equal(graph_mine.nodes[name].weight, graph.nodes[name].weight)
        np.testing.assert_array_equal(graph_mine.nodes[name].bias, graph.nodes[name].bias)
