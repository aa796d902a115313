"""SpikingJelly's ``model.parametric_lif_net``: the PLIF paper's networks (Fang et al., ICCV 2021).

``DVSGestureNet(channels=128, spiking_neuron=neuron.LIFNode, **kwargs)`` builds our zoo's `DVSGestureNet` with
``spiking_neuron(**kwargs)`` neurons (each gets its own deep copy of the arguments), single-step like
SpikingJelly's; the module indices inside ``conv_fc`` are SpikingJelly's, so its checkpoints load unchanged.
"""

from __future__ import annotations

from typing import Any

from snnmodels import models
from snnmodels.compat.spikingjelly.model._zoo import require_neuron, sj_step_modes
from snnmodels.models import NeuronFactory

__all__ = ["CIFAR10DVSNet", "CIFAR10Net", "DVSGestureNet", "FashionMNISTNet", "MNISTNet", "NMNISTNet"]


def _init(net: Any, zoo_cls: type, channels: int, spiking_neuron: Any, kwargs: dict[str, Any]) -> None:
    cls = require_neuron(spiking_neuron, type(net).__name__)
    step_mode = kwargs.pop("step_mode", None)
    zoo_cls.__init__(net, channels, neuron=NeuronFactory(cls, kwargs))
    sj_step_modes(net, cls, step_mode)


class MNISTNet(models.MNISTNet):
    """MNIST (1x28x28): 2 x {Conv-BN-neuron-MaxPool}, FC 2048, FC 100, voting to 10."""

    def __init__(self, channels: int = 128, spiking_neuron: Any = None, **kwargs: Any) -> None:
        _init(self, models.MNISTNet, channels, spiking_neuron, kwargs)


class FashionMNISTNet(models.FashionMNISTNet):
    """Fashion-MNIST: the MNIST network."""

    def __init__(self, channels: int = 128, spiking_neuron: Any = None, **kwargs: Any) -> None:
        _init(self, models.FashionMNISTNet, channels, spiking_neuron, kwargs)


class NMNISTNet(models.NMNISTNet):
    """N-MNIST (2x34x34 frames): the MNIST network with 2 input channels."""

    def __init__(self, channels: int = 128, spiking_neuron: Any = None, **kwargs: Any) -> None:
        _init(self, models.NMNISTNet, channels, spiking_neuron, kwargs)


class CIFAR10Net(models.CIFAR10Net):
    """CIFAR-10 (3x32x32): 2 x {3 x Conv-BN-neuron, MaxPool}, FC 2048, FC 100, voting to 10."""

    def __init__(self, channels: int = 256, spiking_neuron: Any = None, **kwargs: Any) -> None:
        _init(self, models.CIFAR10Net, channels, spiking_neuron, kwargs)


class CIFAR10DVSNet(models.CIFAR10DVSNet):
    """CIFAR10-DVS (2x128x128 frames): 4 x {Conv-BN-neuron-MaxPool}, FC 512, FC 100, voting to 10."""

    def __init__(self, channels: int = 128, spiking_neuron: Any = None, **kwargs: Any) -> None:
        _init(self, models.CIFAR10DVSNet, channels, spiking_neuron, kwargs)


class DVSGestureNet(models.DVSGestureNet):
    """DVS128 Gesture (2x128x128 frames): 5 x {Conv-BN-neuron-MaxPool}, FC 512, FC 110, voting to 11."""

    def __init__(self, channels: int = 128, spiking_neuron: Any = None, **kwargs: Any) -> None:
        _init(self, models.DVSGestureNet, channels, spiking_neuron, kwargs)
