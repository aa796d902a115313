"""SpikingJelly's own tutorials on surrogate gradients and monitors (from ``../shared/seeds/003_*.txt``) run on
``snnmodels.compat.spikingjelly`` with only their imports changed, compared with SpikingJelly on the same seed
(see `test_sj_tutorials.py`)."""

from __future__ import annotations

import torch

from tests.snnmodels.compat.sj_tutorial import run, same

# --- Surrogate Gradient Method ---------------------------------------------------------------------------------

SURROGATE_MODULE = """
import torch
from spikingjelly.activation_based import surrogate

sg = surrogate.Sigmoid(alpha=4.)

x = torch.rand([8]) - 0.5
x.requires_grad = True
y = sg(x)
y.sum().backward()
print(f'x={x}')
print(f'y={y}')
print(f'x.grad={x.grad}')
"""

SURROGATE_FUNCTIONAL = """
import torch
from spikingjelly.activation_based import surrogate

alpha = 4.
x = torch.rand([8]) - 0.5
x.requires_grad = True
y = surrogate.sigmoid.apply(x, alpha)
y.sum().backward()
print(f'x={x}')
print(f'y={y}')
print(f'x.grad={x.grad}')
"""


def test_surrogate_tutorial() -> None:
    for code in (SURROGATE_MODULE, SURROGATE_FUNCTIONAL):
        ours, _ = run(code)
        theirs, _ = run(code, peer=True)
        assert torch.equal(ours["y"], theirs["y"])
        torch.testing.assert_close(ours["x"].grad, theirs["x"].grad)
        # hand-computed: sigmoid'(4x)·4 at x
        s = torch.sigmoid(4 * ours["x"].detach())
        torch.testing.assert_close(ours["x"].grad, 4 * s * (1 - s))


# --- Monitor ---------------------------------------------------------------------------------------------------

# the page shows the printed network but not the code that builds it; this is that network (Linear 8-4, IF,
# Linear 4-2, IF, multi-step) with the positive weights the page asks for
MONITOR_NET = """
import torch
import torch.nn as nn
from spikingjelly.activation_based import monitor, neuron, functional, layer

net = nn.Sequential(layer.Linear(8, 4), neuron.IFNode(), layer.Linear(4, 2), neuron.IFNode())
for param in net.parameters():
    param.data.abs_()
functional.set_step_mode(net, 'm')
"""

MONITOR_OUTPUT = """
spike_seq_monitor = monitor.OutputMonitor(net, neuron.IFNode)
T = 4
N = 1
x_seq = torch.rand([T, N, 8])

with torch.no_grad():
    net(x_seq)
print(f'spike_seq_monitor.records=\\n{spike_seq_monitor.records}')
print(f'spike_seq_monitor[0]={spike_seq_monitor[0]}')
print(f'net={net}')
print(f'spike_seq_monitor.monitored_layers={spike_seq_monitor.monitored_layers}')
print(f"spike_seq_monitor['1']={spike_seq_monitor['1']}")
spike_seq_monitor.clear_recorded_data()
print(f'spike_seq_monitor.records={spike_seq_monitor.records}')
print(f"spike_seq_monitor['1']={spike_seq_monitor['1']}")
spike_seq_monitor.remove_hooks()
functional.reset_net(net)

def cal_firing_rate(s_seq: torch.Tensor):
    # s_seq.shape = [T, N, *]
    return s_seq.flatten(1).mean(1)
fr_monitor = monitor.OutputMonitor(net, neuron.IFNode, cal_firing_rate)
with torch.no_grad():
    fr_monitor.disable()
    net(x_seq)
    functional.reset_net(net)
    print(f'after call fr_monitor.disable(), fr_monitor.records=\\n{fr_monitor.records}')

    fr_monitor.enable()
    net(x_seq)
    print(f'after call fr_monitor.enable(), fr_monitor.records=\\n{fr_monitor.records}')
    functional.reset_net(net)
    fr_records = fr_monitor.records
    del fr_monitor

for m in net.modules():
    if isinstance(m, neuron.IFNode):
        m.store_v_seq = True
v_seq_monitor = monitor.AttributeMonitor('v_seq', pre_forward=False, net=net, instance=neuron.IFNode)
with torch.no_grad():
    net(x_seq)
    print(f'v_seq_monitor.records=\\n{v_seq_monitor.records}')
    functional.reset_net(net)
    del v_seq_monitor

input_monitor = monitor.InputMonitor(net, neuron.IFNode)
with torch.no_grad():
    net(x_seq)
    print(f'input_monitor.records=\\n{input_monitor.records}')
    functional.reset_net(net)
    del input_monitor

spike_seq_grad_monitor = monitor.GradOutputMonitor(net, neuron.IFNode)
net(x_seq).sum().backward()
print(f'spike_seq_grad_monitor.records=\\n{spike_seq_grad_monitor.records}')
functional.reset_net(net)
grad_records = spike_seq_grad_monitor.records
del spike_seq_grad_monitor
"""

MONITOR_ALPHA_SWEEP = """
import torch
import torch.nn as nn
from spikingjelly.activation_based import monitor, neuron, functional, layer, surrogate

net = []
for i in range(10):
    net.append(layer.Linear(8, 8))
    net.append(neuron.IFNode())

net = nn.Sequential(*net)

functional.set_step_mode(net, 'm')

T = 4
N = 1
x_seq = torch.rand([T, N, 8])

input_grad_monitor = monitor.GradInputMonitor(net, neuron.IFNode, function_on_grad_input=torch.norm)

for alpha in [0.1, 0.5, 2, 4, 8]:
    for m in net.modules():
        if isinstance(m, surrogate.Sigmoid):
            m.alpha = alpha
    net(x_seq).sum().backward()
    print(f'alpha={alpha}, input_grad_monitor.records=\\n{input_grad_monitor.records}\\n')
    functional.reset_net(net)
    # zero grad
    for param in net.parameters():
        param.grad.zero_()

    sweep.append(torch.stack(input_grad_monitor.records))
    input_grad_monitor.records.clear()
"""


def test_monitor_tutorial_prints_as_spikingjelly() -> None:
    ns = same(MONITOR_NET + MONITOR_OUTPUT)
    fired = ns["fr_records"][:2]  # `del fr_monitor` leaves its hooks recording, as the page warns
    assert max(float(r.max()) for r in fired) > 0  # the positive weights make it fire
    assert torch.equal(ns["grad_records"][0], torch.ones(4, 1, 2))  # dL/dS of the last layer under .sum()


def test_monitor_tutorial_alpha_sweep_changes_the_gradients_as_spikingjelly() -> None:
    ours, _ = run(MONITOR_ALPHA_SWEEP, sweep=[])
    theirs, _ = run(MONITOR_ALPHA_SWEEP, peer=True, sweep=[])
    a, b = torch.stack(ours["sweep"]), torch.stack(theirs["sweep"])  # [alpha, layer]
    assert a.shape == (5, 10)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-30)
    # the sweep over surrogate_function.alpha changes every layer's gradient norm
    assert all(not torch.allclose(a[i], a[i + 1]) for i in range(4))
