"""SpikingJelly's ``model.spiking_vgg``: ``spiking_vgg11(pretrained=False, progress=True, spiking_neuron=None,
**kwargs)`` and the rest (``_bn`` with batch norm), built by our zoo (`snnmodels.models.vgg`), single-step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from snnmodels import models
from snnmodels.compat.spikingjelly.model._zoo import build_zoo, no_norm_layer, require_neuron, sj_step_modes
from snnmodels.models import NeuronFactory
from snnmodels.models.vgg import VGG_CONFIGS

cfgs = VGG_CONFIGS


class SpikingVGG(models.SpikingVGG):
    """Spiking VGG (`snnmodels.models.SpikingVGG`) with SpikingJelly's constructor: ``SpikingVGG(cfg,
    batch_norm=False, norm_layer=None, num_classes=1000, init_weights=True, spiking_neuron=None, **kwargs)``."""

    def __init__(
        self,
        cfg: Sequence[int | str],
        batch_norm: bool = False,
        norm_layer: Any = None,
        num_classes: int = 1000,
        init_weights: bool = True,
        spiking_neuron: Any = None,
        **kwargs: Any,
    ) -> None:
        cls = require_neuron(spiking_neuron, "SpikingVGG")
        no_norm_layer(norm_layer, "SpikingVGG")
        step_mode = kwargs.pop("step_mode", None)
        super().__init__(
            cfg,
            batch_norm=batch_norm,
            num_classes=num_classes,
            init_weights=init_weights,
            neuron=NeuronFactory(cls, kwargs),
        )
        sj_step_modes(self, cls, step_mode)


__all__ = [
    "SpikingVGG",
    "cfgs",
    "spiking_vgg11",
    "spiking_vgg11_bn",
    "spiking_vgg13",
    "spiking_vgg13_bn",
    "spiking_vgg16",
    "spiking_vgg16_bn",
    "spiking_vgg19",
    "spiking_vgg19_bn",
]


def spiking_vgg11(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg11 as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg11`."""
    return build_zoo(models.spiking_vgg11, pretrained, progress, spiking_neuron, "spiking_vgg11", **kwargs)


def spiking_vgg11_bn(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg11_bn as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg11_bn`."""
    return build_zoo(models.spiking_vgg11_bn, pretrained, progress, spiking_neuron, "spiking_vgg11_bn", **kwargs)


def spiking_vgg13(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg13 as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg13`."""
    return build_zoo(models.spiking_vgg13, pretrained, progress, spiking_neuron, "spiking_vgg13", **kwargs)


def spiking_vgg13_bn(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg13_bn as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg13_bn`."""
    return build_zoo(models.spiking_vgg13_bn, pretrained, progress, spiking_neuron, "spiking_vgg13_bn", **kwargs)


def spiking_vgg16(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg16 as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg16`."""
    return build_zoo(models.spiking_vgg16, pretrained, progress, spiking_neuron, "spiking_vgg16", **kwargs)


def spiking_vgg16_bn(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg16_bn as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg16_bn`."""
    return build_zoo(models.spiking_vgg16_bn, pretrained, progress, spiking_neuron, "spiking_vgg16_bn", **kwargs)


def spiking_vgg19(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg19 as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg19`."""
    return build_zoo(models.spiking_vgg19, pretrained, progress, spiking_neuron, "spiking_vgg19", **kwargs)


def spiking_vgg19_bn(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_vgg19_bn as SpikingJelly calls it; built by `snnmodels.models.spiking_vgg19_bn`."""
    return build_zoo(models.spiking_vgg19_bn, pretrained, progress, spiking_neuron, "spiking_vgg19_bn", **kwargs)
