"""snnmodels: spiking neurons, surrogate gradients, multi-step layers, losses and monitors for PyTorch.

Public surface (everything else is an implementation detail):

- neurons: `IFNode`, `LIFNode`, `ParametricLIFNode`, `NonSpikingLIFNode` (SpikingJelly family), `Leaky`,
  `LeakyParallel` (snnTorch);
- `reset_net`, `set_step_mode`;
- layers: `snnmodels.layers` (multi-step Conv2d, BatchNorm2d, pooling, Linear, Flatten, Dropout, VotingLayer);
- surrogates: `snnmodels.surrogate` / ``SURROGATES`` registry;
- pure functions, losses, accuracy, state quantization: `snnmodels.functional`;
- monitors: `snnmodels.monitor`; pytorch-spiking style layers: `snnmodels.spiking`;
- cost metrics (NeuroBench's: footprint, sparsity, synaptic operations, firing rates): `snnmodels.profile`;
- the toolbox (docs/toolbox.md): `snnmodels.ann2snn` (ANN -> SNN conversion), `snnmodels.encoding`,
  `snnmodels.learning` (STDP), `snnmodels.recurrent` (stateful synapses, self-connections), `snnmodels.rnn`
  (spiking LSTM / GRU), `snnmodels.visualizing` (plots).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names below are imported on first use, so that `import snnmodels` needs no torch
    from snnmodels import (
        ann2snn,
        encoding,
        export,
        functional,
        layers,
        learning,
        models,
        monitor,
        profile,
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
    from snnmodels.neurons import IFNode, Leaky, LeakyParallel, LIFNode, NonSpikingLIFNode, ParametricLIFNode
    from snnmodels.registry import Registry
    from snnmodels.spiking import Lowpass, SpikingActivation

# name -> the module that defines it (a submodule itself when the name is a module)
_LAZY = {
    **dict.fromkeys(
        (
            "ann2snn", "encoding", "export", "functional", "layers", "learning", "models", "monitor", "profile",
            "recurrent", "rnn", "spiking", "visualizing",
        ),
        "",
    ),
    **dict.fromkeys(("MemoryModule", "StepModule", "reset_net", "set_step_mode"), "snnmodels.base"),
    "surrogate": "snnmodels.functional",
    **dict.fromkeys(("SURROGATES", "get_surrogate"), "snnmodels.functional.surrogate"),
    "VotingLayer": "snnmodels.layers",
    **dict.fromkeys(
        (
            "MODELS", "NEURONS", "WEIGHTS", "ContractError", "InputContract", "Weights", "WeightsError",
            "create_model", "get_weights", "list_models", "list_weights", "model_entry", "register_weights",
            "save_weights",
        ),
        "snnmodels.models",
    ),
    **dict.fromkeys(
        ("AttributeMonitor", "GradInputMonitor", "GradOutputMonitor", "InputMonitor", "OutputMonitor"),
        "snnmodels.monitor",
    ),
    **dict.fromkeys(
        ("IFNode", "Leaky", "LeakyParallel", "LIFNode", "NonSpikingLIFNode", "ParametricLIFNode"), "snnmodels.neurons"
    ),
    "Registry": "snnmodels.registry",
    **dict.fromkeys(("Lowpass", "SpikingActivation"), "snnmodels.spiking"),
}


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'snnmodels' has no attribute {name!r}")
    where = _LAZY[name]
    value = importlib.import_module(f"snnmodels.{name}") if not where else getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    "NonSpikingLIFNode",
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
    "profile",
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
