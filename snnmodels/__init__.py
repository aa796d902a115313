"""snnmodels: spiking neurons, surrogate gradients, multi-step layers, losses and monitors for PyTorch.

Public surface (everything else is an implementation detail):

- neurons: `IFNode`, `LIFNode`, `ParametricLIFNode` (SpikingJelly family), `Leaky`, `LeakyParallel` (snnTorch);
- `reset_net`, `set_step_mode`;
- layers: `snnmodels.layers` (multi-step Conv2d, BatchNorm2d, pooling, Linear, Flatten, Dropout, VotingLayer);
- surrogates: `snnmodels.surrogate` / ``SURROGATES`` registry;
- pure functions, losses, accuracy, state quantization: `snnmodels.functional`;
- monitors: `snnmodels.monitor`; pytorch-spiking style layers: `snnmodels.spiking`.
"""

from snnmodels import export, functional, layers, monitor, spiking
from snnmodels.base import MemoryModule, StepModule, reset_net, set_step_mode
from snnmodels.functional import surrogate
from snnmodels.functional.surrogate import SURROGATES, get_surrogate
from snnmodels.layers import VotingLayer
from snnmodels.monitor import AttributeMonitor, GradInputMonitor, GradOutputMonitor, InputMonitor, OutputMonitor
from snnmodels.neurons import IFNode, Leaky, LeakyParallel, LIFNode, ParametricLIFNode
from snnmodels.registry import Registry
from snnmodels.spiking import Lowpass, SpikingActivation

__version__ = "0.1.0"
__all__ = [
    "SURROGATES",
    "AttributeMonitor",
    "GradInputMonitor",
    "GradOutputMonitor",
    "IFNode",
    "InputMonitor",
    "LIFNode",
    "Leaky",
    "LeakyParallel",
    "Lowpass",
    "MemoryModule",
    "OutputMonitor",
    "ParametricLIFNode",
    "Registry",
    "SpikingActivation",
    "StepModule",
    "VotingLayer",
    "__version__",
    "export",
    "functional",
    "get_surrogate",
    "layers",
    "monitor",
    "reset_net",
    "set_step_mode",
    "spiking",
    "surrogate",
]
