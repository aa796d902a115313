"""snnmodels: spiking neurons, surrogate gradients, multi-step layers, losses and monitors for PyTorch.

Public surface (everything else is an implementation detail):

- neurons: `IFNode`, `LIFNode`, `ParametricLIFNode` (SpikingJelly family), `Leaky`, `LeakyParallel` (snnTorch);
- `reset_net`, `set_step_mode`;
- layers: `snnmodels.layers` (multi-step Conv2d, BatchNorm2d, pooling, Linear, Flatten, Dropout, VotingLayer);
- surrogates: `snnmodels.surrogate` / ``SURROGATES`` registry;
- pure functions, losses, accuracy, state quantization: `snnmodels.functional`;
- monitors: `snnmodels.monitor`; pytorch-spiking style layers: `snnmodels.spiking`;
- the toolbox (docs/toolbox.md): `snnmodels.ann2snn` (ANN -> SNN conversion), `snnmodels.encoding`,
  `snnmodels.learning` (STDP), `snnmodels.recurrent` (stateful synapses, self-connections), `snnmodels.rnn`
  (spiking LSTM / GRU), `snnmodels.visualizing` (plots).
"""

# the zoo imports the core above; importing it last keeps the import order acyclic
from snnmodels import (
    ann2snn,
    encoding,
    export,
    functional,
    layers,
    learning,
    models,
    monitor,
    recurrent,
    rnn,
    spiking,
    visualizing,
)
from snnmodels.base import MemoryModule, StepModule, reset_net, set_step_mode
from snnmodels.functional import surrogate
from snnmodels.functional.surrogate import SURROGATES, get_surrogate
from snnmodels.layers import VotingLayer
from snnmodels.models import (
    MODELS,
    NEURONS,
    WEIGHTS,
    ContractError,
    InputContract,
    Weights,
    WeightsError,
    create_model,
    get_weights,
    list_models,
    list_weights,
    model_entry,
    register_weights,
    save_weights,
)
from snnmodels.monitor import AttributeMonitor, GradInputMonitor, GradOutputMonitor, InputMonitor, OutputMonitor
from snnmodels.neurons import IFNode, Leaky, LeakyParallel, LIFNode, ParametricLIFNode
from snnmodels.registry import Registry
from snnmodels.spiking import Lowpass, SpikingActivation

__version__ = "0.1.0"
__all__ = [
    "MODELS",
    "NEURONS",
    "SURROGATES",
    "WEIGHTS",
    "AttributeMonitor",
    "ContractError",
    "GradInputMonitor",
    "GradOutputMonitor",
    "IFNode",
    "InputContract",
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
    "Weights",
    "WeightsError",
    "__version__",
    "ann2snn",
    "create_model",
    "encoding",
    "export",
    "functional",
    "get_surrogate",
    "get_weights",
    "layers",
    "learning",
    "list_models",
    "list_weights",
    "model_entry",
    "models",
    "monitor",
    "recurrent",
    "register_weights",
    "reset_net",
    "rnn",
    "save_weights",
    "set_step_mode",
    "spiking",
    "surrogate",
    "visualizing",
]
