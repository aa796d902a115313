"""SpikingJelly's ``model.spiking_resnet``: ``spiking_resnet18(pretrained=False, progress=True, spiking_neuron=None,
**kwargs)`` and the rest, built by our zoo (`snnmodels.models.resnet`) with SpikingJelly's module names, single-step.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from snnmodels import models
from snnmodels.compat.spikingjelly.model._zoo import build_zoo

SpikingResNet = models.SpikingResNet

__all__ = [
    "SpikingResNet",
    "spiking_resnet18",
    "spiking_resnet34",
    "spiking_resnet50",
    "spiking_resnet101",
    "spiking_resnet152",
    "spiking_resnext50_32x4d",
    "spiking_resnext101_32x8d",
    "spiking_wide_resnet50_2",
    "spiking_wide_resnet101_2",
]


def spiking_resnet18(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnet18 as SpikingJelly calls it; built by `snnmodels.models.spiking_resnet18`."""
    return build_zoo(models.spiking_resnet18, pretrained, progress, spiking_neuron, "spiking_resnet18", **kwargs)


def spiking_resnet34(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnet34 as SpikingJelly calls it; built by `snnmodels.models.spiking_resnet34`."""
    return build_zoo(models.spiking_resnet34, pretrained, progress, spiking_neuron, "spiking_resnet34", **kwargs)


def spiking_resnet50(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnet50 as SpikingJelly calls it; built by `snnmodels.models.spiking_resnet50`."""
    return build_zoo(models.spiking_resnet50, pretrained, progress, spiking_neuron, "spiking_resnet50", **kwargs)


def spiking_resnet101(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnet101 as SpikingJelly calls it; built by `snnmodels.models.spiking_resnet101`."""
    return build_zoo(models.spiking_resnet101, pretrained, progress, spiking_neuron, "spiking_resnet101", **kwargs)


def spiking_resnet152(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnet152 as SpikingJelly calls it; built by `snnmodels.models.spiking_resnet152`."""
    return build_zoo(models.spiking_resnet152, pretrained, progress, spiking_neuron, "spiking_resnet152", **kwargs)


def spiking_resnext50_32x4d(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnext50_32x4d as SpikingJelly calls it; built by `snnmodels.models.spiking_resnext50_32x4d`."""
    return build_zoo(
        models.spiking_resnext50_32x4d, pretrained, progress, spiking_neuron, "spiking_resnext50_32x4d", **kwargs
    )


def spiking_resnext101_32x8d(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_resnext101_32x8d as SpikingJelly calls it; built by `snnmodels.models.spiking_resnext101_32x8d`."""
    return build_zoo(
        models.spiking_resnext101_32x8d, pretrained, progress, spiking_neuron, "spiking_resnext101_32x8d", **kwargs
    )


def spiking_wide_resnet50_2(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_wide_resnet50_2 as SpikingJelly calls it; built by `snnmodels.models.spiking_wide_resnet50_2`."""
    return build_zoo(
        models.spiking_wide_resnet50_2, pretrained, progress, spiking_neuron, "spiking_wide_resnet50_2", **kwargs
    )


def spiking_wide_resnet101_2(
    pretrained: bool = False, progress: bool = True, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """spiking_wide_resnet101_2 as SpikingJelly calls it; built by `snnmodels.models.spiking_wide_resnet101_2`."""
    return build_zoo(
        models.spiking_wide_resnet101_2, pretrained, progress, spiking_neuron, "spiking_wide_resnet101_2", **kwargs
    )
