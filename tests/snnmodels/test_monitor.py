"""Monitors: records by position and name, enable/disable, clearing, hook removal."""

from __future__ import annotations

import torch
from torch import nn

from snnmodels import IFNode, layers
from snnmodels.monitor import AttributeMonitor, GradOutputMonitor, InputMonitor, OutputMonitor


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(layers.Linear(8, 4), IFNode(), layers.Linear(4, 2), IFNode())
    for p in net.parameters():
        p.data.abs_()
    return net


def test_output_monitor_records_by_position_and_name() -> None:
    net = _net()
    mon = OutputMonitor(net, IFNode)
    x = torch.rand(4, 1, 8)
    with torch.no_grad():
        y = net(x)
    assert mon.monitored_layers == ["1", "3"]
    assert len(mon.records) == 2
    assert torch.equal(mon[1], y)
    assert torch.equal(mon["3"][0], y)
    mon.clear_recorded_data()
    assert mon.records == []
    assert mon["1"] == []
    mon.disable()
    net(x)
    assert mon.records == []
    mon.enable()
    net(x)
    assert len(mon.records) == 2
    mon.remove_hooks()
    net(x)
    assert len(mon.records) == 2


def test_function_on_output_and_context_manager() -> None:
    net = _net()
    with OutputMonitor(net, IFNode, lambda s: s.flatten(1).mean(1)) as mon:
        net(torch.rand(4, 1, 8))
        assert [r.shape for r in mon.records] == [(4,), (4,)]
    assert mon.hooks == []


def test_input_attribute_and_grad_monitors() -> None:
    net = _net()
    for m in net.modules():
        if isinstance(m, IFNode):
            m.store_v_seq = True
    inputs = InputMonitor(net, IFNode)
    v_seq = AttributeMonitor("v_seq", False, net, IFNode)
    v_pre = AttributeMonitor("v", True, net, IFNode)
    grads = GradOutputMonitor(net, IFNode)
    x = torch.rand(4, 1, 8)
    net(x).sum().backward()
    assert torch.equal(inputs[0], net[0](x))
    assert [r.shape for r in v_seq.records] == [(4, 1, 4), (4, 1, 2)]
    assert v_pre.records == [None, None]  # before the first forward there is no state yet
    assert torch.equal(grads[0], torch.ones(4, 1, 2))  # the last layer's output gradient of .sum()
    assert grads.monitored_layers == ["1", "3"]


def test_instance_none_means_type_of_net() -> None:
    net = _net()
    mon = OutputMonitor(net)
    net(torch.rand(2, 1, 8))
    assert mon.monitored_layers == [""]
