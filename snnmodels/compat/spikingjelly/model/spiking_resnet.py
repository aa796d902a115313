"""SpikingJelly's ``model.spiking_resnet``: ``spiking_resnet18(pretrained=False, progress=True, spiking_neuron=None,
**kwargs)`` and the rest, built by our zoo (`snnmodels.models.resnet`) with SpikingJelly's module names, single-step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from snnmodels import models
from snnmodels.compat.spikingjelly.model._zoo import build_zoo, no_norm_layer, require_neuron, sj_step_modes
from snnmodels.models import NeuronFactory
from snnmodels.models.resnet import BasicBlock, Bottleneck


class SpikingResNet(models.SpikingResNet):
    """Spiking ResNet (`snnmodels.models.SpikingResNet`) with SpikingJelly's constructor.

    ``SpikingResNet(block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
    replace_stride_with_dilation=None, norm_layer=None, spiking_neuron=None, **kwargs)``, as
    SpikingJelly's; ``kwargs`` go to every neuron.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: Sequence[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: Sequence[bool] | None = None,
        norm_layer: Any = None,
        spiking_neuron: Any = None,
        **kwargs: Any,
    ) -> None:
        cls = require_neuron(spiking_neuron, "SpikingResNet")
        no_norm_layer(norm_layer, "SpikingResNet")
        step_mode = kwargs.pop("step_mode", None)
        super().__init__(
            block,
            layers,
            num_classes=num_classes,
            groups=groups,
            width_per_group=width_per_group,
            replace_stride_with_dilation=replace_stride_with_dilation,
            zero_init_residual=zero_init_residual,
            neuron=NeuronFactory(cls, kwargs),
        )
        sj_step_modes(self, cls, step_mode)


__all__ = [
    "BasicBlock",
    "Bottleneck",
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
