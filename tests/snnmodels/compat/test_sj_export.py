"""A network written with SpikingJelly's names exports to NIR as the same network written with ours."""

from __future__ import annotations

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
