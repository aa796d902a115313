"""Monitor records equal SpikingJelly's on the monitor tutorial's network (float64, same weights)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels import IFNode, layers, monitor, reset_net
from snnmodels.functional.surrogate import Sigmoid
from tests.snnmodels.peers import spikingjelly

pytestmark = pytest.mark.peers


def _nets(depth: int = 2, width: tuple[int, ...] = (8, 4, 2)) -> tuple[nn.Module, nn.Module, Any]:
    sj = spikingjelly()
    sizes = width if depth == 2 else (8,) * (depth + 1)
    theirs = nn.Sequential(
        *[m for i in range(depth) for m in (sj.layer.Linear(sizes[i], sizes[i + 1]), sj.neuron.IFNode())]
    )
    for p in theirs.parameters():
        p.data.abs_()
    sj.functional.set_step_mode(theirs, "m")
    ours = nn.Sequential(*[m for i in range(depth) for m in (layers.Linear(sizes[i], sizes[i + 1]), IFNode())])
    ours.load_state_dict(theirs.state_dict())
    return ours.double(), theirs.double(), sj


def _assert_records_equal(a: list[Any], b: list[Any]) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=1e-12)


def test_output_input_attribute_monitors(rng: np.random.Generator) -> None:
    ours, theirs, sj = _nets()
    x = torch.from_numpy(rng.random((4, 1, 8)))
    records = []
    for net, kind, mon in ((ours, IFNode, monitor), (theirs, sj.neuron.IFNode, sj.monitor)):
        for m in net.modules():
            if isinstance(m, kind):
                m.store_v_seq = True
        mons = [
            mon.OutputMonitor(net, kind),
            mon.InputMonitor(net, kind),
            mon.AttributeMonitor("v_seq", pre_forward=False, net=net, instance=kind),
            mon.OutputMonitor(net, kind, lambda s: s.flatten(1).mean(1)),
        ]
        with torch.no_grad():
            net(x)
            (reset_net if net is ours else sj.functional.reset_net)(net)
            mons[0].disable()
            net(x)
            mons[0].enable()
        records.append([(m.records, m.monitored_layers, [m[name] for name in m.monitored_layers]) for m in mons])
        for m in mons:
            m.remove_hooks()
    for (r1, l1, n1), (r2, l2, n2) in zip(*records, strict=True):
        _assert_records_equal(r1, r2)
        assert l1 == l2 == ["1", "3"]
        for a, b in zip(n1, n2, strict=True):
            _assert_records_equal(a, b)


def test_grad_monitors_deep_net(rng: np.random.Generator) -> None:
    ours, theirs, sj = _nets(depth=10)
    x = torch.from_numpy(rng.random((4, 1, 8)))
    out = []
    for net, kind, mon in ((ours, IFNode, monitor), (theirs, sj.neuron.IFNode, sj.monitor)):
        gin = mon.GradInputMonitor(net, kind, function_on_grad_input=torch.norm)
        gout = mon.GradOutputMonitor(net, kind)
        rec = []
        for alpha in (0.5, 4.0):
            for m in net.modules():
                if isinstance(m, IFNode):
                    m.surrogate_function = Sigmoid(alpha)
                if isinstance(m, sj.surrogate.Sigmoid):
                    m.alpha = alpha
            net(x).sum().backward()
            rec.append((list(gin.records), list(gout.records)))
            gin.clear_recorded_data()
            gout.clear_recorded_data()
            if net is theirs:
                sj.functional.reset_net(net)
        gin.remove_hooks()
        gout.remove_hooks()
        out.append(rec)
    for (i1, o1), (i2, o2) in zip(*out, strict=True):
        _assert_records_equal(i1, i2)
        _assert_records_equal(o1, o2)
