"""SpikingJelly's own tutorials (basic concepts, containers, neurons; from ``../shared/seeds/003_*.txt``) run on
``snnmodels.compat.spikingjelly`` with only their import lines changed.

Each snippet below is the tutorials' user code, unchanged but for imports. Where SpikingJelly 2.0.0 runs the
snippet too, the test runs it on both with the same seed and compares what the snippet computes (its variables,
or everything it prints); where SpikingJelly 2.0.0 fails on its own tutorial (noted per snippet), the test checks
the result against the tutorial's stated outcome.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.snnmodels.compat.sj_tutorial import OURS, run, same

# --- Basic Conception ------------------------------------------------------------------------------------------

STEP_MODES = """
import torch
from spikingjelly.activation_based import neuron

net = neuron.IFNode(step_mode='m')
# 'm' is the multi-step mode
net.step_mode = 's'
# 's' is the single-step mode
"""

STEP_LOOP = """
import torch
from spikingjelly.activation_based import neuron

net_s = neuron.IFNode(step_mode='s')
T = 4
N = 1
C = 3
H = 8
W = 8
x_seq = torch.rand([T, N, C, H, W])
y_seq = []
for t in range(T):
    x = x_seq[t]  # x.shape = [N, C, H, W]
    y = net_s(x)  # y.shape = [N, C, H, W]
    y_seq.append(y.unsqueeze(0))

y_seq = torch.cat(y_seq)
# y_seq.shape = [T, N, C, H, W]
"""

MULTI_STEP_FORWARD = """
import torch
from spikingjelly.activation_based import neuron, functional
net_s = neuron.IFNode(step_mode='s')
T = 4
N = 1
C = 3
H = 8
W = 8
x_seq = torch.rand([T, N, C, H, W])
y_seq = functional.multi_step_forward(x_seq, net_s)
# y_seq.shape = [T, N, C, H, W]
"""

MULTI_STEP_MODULE = """
import torch
from spikingjelly.activation_based import neuron

net_m = neuron.IFNode(step_mode='m')
T = 4
N = 1
C = 3
H = 8
W = 8
x_seq = torch.rand([T, N, C, H, W])
y_seq = net_m(x_seq)
# y_seq.shape = [T, N, C, H, W]
"""

STATE = """
import torch
from spikingjelly.activation_based import neuron

net_s = neuron.IFNode(step_mode='s')
x = torch.rand([4])
print(net_s)
print(f'the initial v={net_s.v}')
y = net_s(x)
print(f'x={x}')
print(f'y={y}')
print(f'v={net_s.v}')
"""

RESET = """
import torch
from spikingjelly.activation_based import neuron

net_s = neuron.IFNode(step_mode='s')
x = torch.rand([4])
print(f'check point 0: v={net_s.v}')
y = net_s(x)
print(f'check point 1: v={net_s.v}')
net_s.reset()
print(f'check point 2: v={net_s.v}')
x = torch.rand([8])
y = net_s(x)
print(f'check point 3: v={net_s.v}')
"""

LAYER_BY_LAYER = """
import torch
import torch.nn as nn
from spikingjelly.activation_based import neuron, functional, layer
T = 4
N = 2
C = 8
x_seq = torch.rand([T, N, C]) * 64.

net = nn.Sequential(
    layer.Linear(C, 4),
    neuron.IFNode(),
    layer.Linear(4, 2),
    neuron.IFNode()
)

functional.set_step_mode(net, step_mode='m')
with torch.no_grad():
    y_seq_layer_by_layer = x_seq
    for i in range(net.__len__()):
        y_seq_layer_by_layer = net[i](y_seq_layer_by_layer)
"""

STEP_VS_LAYER = """
import torch
import torch.nn as nn
from spikingjelly.activation_based import neuron, functional, layer
T = 4
N = 2
C = 3
H = 8
W = 8
x_seq = torch.rand([T, N, C, H, W]) * 64.

net = nn.Sequential(
layer.Conv2d(3, 8, kernel_size=3, padding=1, stride=1, bias=False),
neuron.IFNode(),
layer.MaxPool2d(2, 2),
neuron.IFNode(),
layer.Flatten(start_dim=1),
layer.Linear(8 * H // 2 * W // 2, 10),
neuron.IFNode(),
)

print(f'net={net}')

with torch.no_grad():
    y_seq_step_by_step = []
    for t in range(T):
        x = x_seq[t]
        y = net(x)
        y_seq_step_by_step.append(y.unsqueeze(0))

    y_seq_step_by_step = torch.cat(y_seq_step_by_step, 0)
    # we can also use `y_seq_step_by_step = functional.multi_step_forward(x_seq, net)` to get the same results

    print(f'y_seq_step_by_step=\\n{y_seq_step_by_step}')

    functional.reset_net(net)
    functional.set_step_mode(net, step_mode='m')
    y_seq_layer_by_layer = net(x_seq)

    max_error = (y_seq_layer_by_layer - y_seq_step_by_step).abs().max()
    print(f'max_error={max_error}')
"""


def test_basic_concepts_step_modes() -> None:
    ns, _ = run(STEP_MODES)
    assert ns["net"].step_mode == "s"
    loop = same(STEP_LOOP, "y_seq")
    assert loop["y_seq"].shape == (4, 1, 3, 8, 8)
    assert torch.equal(same(MULTI_STEP_FORWARD, "y_seq")["y_seq"], loop["y_seq"])  # same seed, same input
    assert torch.equal(same(MULTI_STEP_MODULE, "y_seq")["y_seq"], loop["y_seq"])


def test_basic_concepts_state_and_reset_print_as_spikingjelly() -> None:
    _, out = run(STATE)
    assert "the initial v=0.0" in out
    same(STATE)
    ours = same(RESET)
    assert ours["net_s"].v.shape == (8,)  # after reset() the layer takes a new shape


def test_basic_concepts_layer_by_layer_equals_step_by_step() -> None:
    same(LAYER_BY_LAYER, "y_seq_layer_by_layer")
    ns = same(STEP_VS_LAYER)
    assert ns["max_error"] == 0
    assert ns["y_seq_step_by_step"].sum() > 0


# --- Container -------------------------------------------------------------------------------------------------

MULTI_STEP_CONTAINER = """
import torch
from spikingjelly.activation_based import neuron, functional, layer

net_s = neuron.IFNode(step_mode='s')
T = 4
N = 1
C = 3
H = 8
W = 8
x_seq = torch.rand([T, N, C, H, W])
y_seq = functional.multi_step_forward(x_seq, net_s)
# y_seq.shape = [T, N, C, H, W]

net_s.reset()
net_m = layer.MultiStepContainer(net_s)
z_seq = net_m(x_seq)
# z_seq.shape = [T, N, C, H, W]

# z_seq is identical to y_seq
"""

SEQ_TO_ANN = """
import torch
import torch.nn as nn
from spikingjelly.activation_based import functional, layer

with torch.no_grad():
    T = 4
    N = 1
    C = 3
    H = 8
    W = 8
    x_seq = torch.rand([T, N, C, H, W])

    conv = nn.Conv2d(C, 8, kernel_size=3, padding=1, bias=False)
    bn = nn.BatchNorm2d(8)

    y_seq = functional.multi_step_forward(x_seq, (conv, bn))
    # y_seq.shape = [T, N, 8, H, W]

    net = layer.MultiStepContainer(conv, bn)
    z_seq = net(x_seq)
    # z_seq.shape = [T, N, 8, H, W]

    # z_seq is identical to y_seq

    p_seq = functional.seq_to_ann_forward(x_seq, (conv, bn))
    # p_seq.shape = [T, N, 8, H, W]

    net = layer.SeqToANNContainer(conv, bn)
    q_seq = net(x_seq)
    # q_seq.shape = [T, N, 8, H, W]

    # q_seq is identical to p_seq, and also identical to y_seq and z_seq
"""

STATE_DICT_KEYS = """
import torch
import torch.nn as nn
from spikingjelly.activation_based import functional, layer, neuron


ann = nn.Sequential(
    nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
    nn.BatchNorm2d(8),
    nn.ReLU()
)

print(f'ann.state_dict.keys()={ann.state_dict().keys()}')

net_container = nn.Sequential(
    layer.SeqToANNContainer(
        nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(8),
    ),
    neuron.IFNode(step_mode='m')
)
print(f'net_container.state_dict.keys()={net_container.state_dict().keys()}')

net_origin = nn.Sequential(
    layer.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
    nn.BatchNorm2d(8),
    neuron.IFNode(step_mode='m')
)
print(f'net_origin.state_dict.keys()={net_origin.state_dict().keys()}')

try:
    print('net_container is trying to load state dict from ann...')
    net_container.load_state_dict(ann.state_dict())
    print('Load success!')
except BaseException as e:
    print('net_container can not load! The error message is\\n', e)

try:
    print('net_origin is trying to load state dict from ann...')
    net_origin.load_state_dict(ann.state_dict())
    print('Load success!')
except BaseException as e:
    print('net_origin can not load! The error message is', e)
"""

# SpikingJelly 2.0.0 fails on the next three: its StepModeContainer(stateful, step_mode='s', *args) takes the first
# module as step_mode (the tutorial predates that signature)
STEP_MODE_CONTAINER_STATELESS = """
import torch
from spikingjelly.activation_based import neuron, layer


with torch.no_grad():
    T = 4
    N = 2
    C = 4
    H = 8
    W = 8
    x_seq = torch.rand([T, N, C, H, W])
    net = layer.StepModeContainer(
        False,
        nn.Conv2d(C, C, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(C),
    )
    net.step_mode = 'm'
    y_seq = net(x_seq)
    # y_seq.shape = [T, N, C, H, W]

    net.step_mode = 's'
    y = net(x_seq[0])
    # y.shape = [N, C, H, W]
"""

STEP_MODE_CONTAINER_STATEFUL = """
import torch
from spikingjelly.activation_based import neuron, layer, functional


with torch.no_grad():
    T = 4
    N = 2
    C = 4
    H = 8
    W = 8
    x_seq = torch.rand([T, N, C, H, W])
    net = layer.StepModeContainer(
        True,
        neuron.IFNode()
    )
    net.step_mode = 'm'
    y_seq = net(x_seq)
    # y_seq.shape = [T, N, C, H, W]
    functional.reset_net(net)

    net.step_mode = 's'
    y = net(x_seq[0])
    # y.shape = [N, C, H, W]
    functional.reset_net(net)
"""

STEP_MODE_CONTAINER_SET = """
import torch
from spikingjelly.activation_based import neuron, layer, functional


with torch.no_grad():
    net = layer.StepModeContainer(
        True,
        neuron.IFNode()
    )
    functional.set_step_mode(net, 'm')
    print(f'net.step_mode={net.step_mode}')
    print(f'net[0].step_mode={net[0].step_mode}')
"""


def test_containers() -> None:
    ns = same(MULTI_STEP_CONTAINER, "y_seq", "z_seq")
    assert torch.equal(ns["y_seq"], ns["z_seq"])
    ns = same(SEQ_TO_ANN, "y_seq", "z_seq", "p_seq", "q_seq")
    assert torch.equal(ns["y_seq"], ns["z_seq"])
    assert torch.equal(ns["p_seq"], ns["q_seq"])
    # "identical" across the two groups holds in eval mode only: in training, BatchNorm normalises each step
    # with its own statistics in multi_step_forward and all T·N samples together in seq_to_ann_forward
    ns = same(STATE_DICT_KEYS)
    _, out = run(STATE_DICT_KEYS)
    assert "net_container can not load!" in out
    assert out.rstrip().endswith("Load success!")


def test_step_mode_container_as_the_tutorial_writes_it() -> None:
    nn = torch.nn  # the tutorial's snippet uses nn from the page's earlier imports
    ns, _ = run(STEP_MODE_CONTAINER_STATELESS, nn=nn)
    assert ns["y_seq"].shape == (4, 2, 4, 8, 8)
    assert ns["y"].shape == (2, 4, 8, 8)
    ns, _ = run(STEP_MODE_CONTAINER_STATEFUL)
    assert ns["y_seq"].shape == (4, 2, 4, 8, 8)
    assert ns["net"][0].v == 0.0
    _, out = run(STEP_MODE_CONTAINER_SET)
    assert out == "net.step_mode=m\nnet[0].step_mode=s\n"


# --- Neuron ----------------------------------------------------------------------------------------------------

NEURON_STATE = """
import torch
from spikingjelly.activation_based import neuron

if_layer = neuron.IFNode()
print(if_layer.v)
# if_layer.v=0.0
x = torch.rand(size=[2, 3])
if_layer(x)
print(f'x.shape={x.shape}, if_layer.v.shape={if_layer.v.shape}')
# x.shape=torch.Size([2, 3]), if_layer.v.shape=torch.Size([2, 3])
if_layer.reset()

x = torch.rand(size=[4, 5, 6])
if_layer(x)
print(f'x.shape={x.shape}, if_layer.v.shape={if_layer.v.shape}')
# x.shape=torch.Size([4, 5, 6]), if_layer.v.shape=torch.Size([4, 5, 6])
if_layer.reset()
"""

NEURON_SIMULATION = """
if_layer.reset()
x = torch.as_tensor([0.02])
T = 150
s_list = []
v_list = []
for t in range(T):
    s_list.append(if_layer(x))
    v_list.append(if_layer.v)
"""

NEURON_STEP_MODES = """
import torch
from spikingjelly.activation_based import neuron, functional
if_layer = neuron.IFNode(step_mode='s')
T = 8
N = 2
x_seq = torch.rand([T, N])
y_seq = functional.multi_step_forward(x_seq, if_layer)
if_layer.reset()

if_layer.step_mode = 'm'
y_seq = if_layer(x_seq)
if_layer.reset()
"""

# SpikingJelly 2.0.0 has no backend attribute any more; this is the CPU part of the tutorial's snippet
NEURON_BACKEND = """
import torch
from spikingjelly.activation_based import neuron
if_layer = neuron.IFNode()
print(f'if_layer.backend={if_layer.backend}')
# if_layer.backend=torch

print(f'step_mode={if_layer.step_mode}, supported_backends={if_layer.supported_backends}')
# step_mode=s, supported_backends=('torch',)


if_layer.step_mode = 'm'
print(f'step_mode={if_layer.step_mode}, supported_backends={if_layer.supported_backends}')
# step_mode=m, supported_backends=('torch', 'cupy')
"""

# SpikingJelly 2.0.0's BaseNode needs single_step_functional_forward, so it fails on this tutorial snippet
SQUARE_IF = """
import torch
from spikingjelly.activation_based import neuron

class SquareIFNode(neuron.BaseNode):

    def neuronal_charge(self, x: torch.Tensor):
        self.v = self.v + x ** 2

sif_layer = SquareIFNode()

T = 4
N = 1
x_seq = torch.rand([T, N])
print(f'x_seq={x_seq}')

for t in range(T):
    yt = sif_layer(x_seq[t])
    print(f'sif_layer.v[{t}]={sif_layer.v}')

sif_layer.reset()
sif_layer.step_mode = 'm'
y_seq = sif_layer(x_seq)
print(f'y_seq={y_seq}')
sif_layer.reset()
"""


def test_neuron_tutorial() -> None:
    ns = same(NEURON_STATE)
    ns = same(NEURON_STATE + NEURON_SIMULATION, "s_list")
    v = torch.cat(ns["v_list"])
    # by hand, in float32 as the layer computes: V += 0.02; fire when V >= 1 and reset to 0
    h, spikes, vs = torch.zeros(1), [], []
    for _ in range(150):
        h = h + torch.as_tensor([0.02])
        spikes.append(float(h >= 1.0))
        h = h * float(h < 1.0)
        vs.append(h.item())
    assert torch.cat(ns["s_list"]).tolist() == spikes
    assert 2 <= sum(spikes) <= 3
    assert v.tolist() == vs
    same(NEURON_STEP_MODES, "y_seq")
    _, out = run(NEURON_BACKEND)
    assert out.splitlines() == [
        "if_layer.backend=torch",
        "step_mode=s, supported_backends=('torch',)",
        "step_mode=m, supported_backends=('torch', 'cupy')",
    ]


def test_custom_neuron_from_the_tutorial() -> None:
    ns, out = run(SQUARE_IF, seed=1)
    x = ns["x_seq"].flatten()
    v, expected = 0.0, []
    for xt in x.tolist():  # hand-computed: V = V + X², fire at 1, hard reset to 0
        v = v + xt**2
        expected.append(1.0 if v >= 1.0 else 0.0)
        v = 0.0 if v >= 1.0 else v
    assert ns["y_seq"].flatten().tolist() == expected
    assert sum(expected) >= 1  # seed 1 makes it fire
    assert out.count("sif_layer.v[") == 4


def test_neuron_plots_with_the_toolbox_visualizing_module(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip(f"{OURS}.visualizing", reason="visualizing (the toolbox part of the layer) is not here")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    code = (
        "import torch\nfrom spikingjelly.activation_based import neuron\nfrom spikingjelly import visualizing\n"
        "from matplotlib import pyplot as plt\nif_layer = neuron.IFNode()\n"
        + NEURON_SIMULATION
        + "visualizing.plot_one_neuron_v_s(torch.cat(v_list).numpy(), torch.cat(s_list).numpy(), "
        "v_threshold=if_layer.v_threshold, v_reset=if_layer.v_reset, figsize=(12, 8), dpi=50)\nplt.close('all')\n"
    )
    run(code)
