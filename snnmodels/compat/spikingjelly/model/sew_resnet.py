"""SpikingJelly's ``model.sew_resnet``: ``sew_resnet18(pretrained=False, progress=True, cnf=None, spiking_neuron=None,
**kwargs)`` and the rest, built by our zoo (`snnmodels.models.resnet`) with SpikingJelly's module names, single-step.

Bottleneck blocks join as SpikingJelly 2.0's do (g(A, S): with ``cnf='IAND'`` that is A·(1 - S), where our own
`snnmodels.models.SEWResNet` follows the paper's S·(1 - A)), so SpikingJelly's checkpoints compute the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from snnmodels import models
from snnmodels.compat.spikingjelly.model._zoo import build_zoo, no_norm_layer, require_neuron, sj_step_modes
from snnmodels.models import NeuronFactory
from snnmodels.models.resnet import BasicBlock, Bottleneck


class SEWResNet(models.SEWResNet):
    """SEW-ResNet (`snnmodels.models.SEWResNet`) with SpikingJelly's constructor.

    ``SEWResNet(block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
    replace_stride_with_dilation=None, norm_layer=None, cnf=None, spiking_neuron=None, **kwargs)``, as
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
        cnf: str | None = None,
        spiking_neuron: Any = None,
        **kwargs: Any,
    ) -> None:
        cls = require_neuron(spiking_neuron, "SEWResNet")
        no_norm_layer(norm_layer, "SEWResNet")
        step_mode = kwargs.pop("step_mode", None)
        super().__init__(
            block,
            layers,
            cnf=cnf,
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
    "SEWResNet",
    "sew_resnet18",
    "sew_resnet34",
    "sew_resnet50",
    "sew_resnet101",
    "sew_resnet152",
    "sew_resnext50_32x4d",
    "sew_resnext101_32x8d",
    "sew_wide_resnet50_2",
    "sew_wide_resnet101_2",
]


def sew_resnet18(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnet18 as SpikingJelly calls it; built by `snnmodels.models.sew_resnet18`."""
    return build_zoo(models.sew_resnet18, pretrained, progress, spiking_neuron, "sew_resnet18", cnf=cnf, **kwargs)


def sew_resnet34(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnet34 as SpikingJelly calls it; built by `snnmodels.models.sew_resnet34`."""
    return build_zoo(models.sew_resnet34, pretrained, progress, spiking_neuron, "sew_resnet34", cnf=cnf, **kwargs)


def sew_resnet50(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnet50 as SpikingJelly calls it; built by `snnmodels.models.sew_resnet50`."""
    return build_zoo(models.sew_resnet50, pretrained, progress, spiking_neuron, "sew_resnet50", cnf=cnf, **kwargs)


def sew_resnet101(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnet101 as SpikingJelly calls it; built by `snnmodels.models.sew_resnet101`."""
    return build_zoo(models.sew_resnet101, pretrained, progress, spiking_neuron, "sew_resnet101", cnf=cnf, **kwargs)


def sew_resnet152(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnet152 as SpikingJelly calls it; built by `snnmodels.models.sew_resnet152`."""
    return build_zoo(models.sew_resnet152, pretrained, progress, spiking_neuron, "sew_resnet152", cnf=cnf, **kwargs)


def sew_resnext50_32x4d(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnext50_32x4d as SpikingJelly calls it; built by `snnmodels.models.sew_resnext50_32x4d`."""
    return build_zoo(
        models.sew_resnext50_32x4d, pretrained, progress, spiking_neuron, "sew_resnext50_32x4d", cnf=cnf, **kwargs
    )


def sew_resnext101_32x8d(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_resnext101_32x8d as SpikingJelly calls it; built by `snnmodels.models.sew_resnext101_32x8d`."""
    return build_zoo(
        models.sew_resnext101_32x8d, pretrained, progress, spiking_neuron, "sew_resnext101_32x8d", cnf=cnf, **kwargs
    )


def sew_wide_resnet50_2(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_wide_resnet50_2 as SpikingJelly calls it; built by `snnmodels.models.sew_wide_resnet50_2`."""
    return build_zoo(
        models.sew_wide_resnet50_2, pretrained, progress, spiking_neuron, "sew_wide_resnet50_2", cnf=cnf, **kwargs
    )


def sew_wide_resnet101_2(
    pretrained: bool = False, progress: bool = True, cnf: str | None = None, spiking_neuron: Any = None, **kwargs: Any
) -> nn.Module:
    """sew_wide_resnet101_2 as SpikingJelly calls it; built by `snnmodels.models.sew_wide_resnet101_2`."""
    return build_zoo(
        models.sew_wide_resnet101_2, pretrained, progress, spiking_neuron, "sew_wide_resnet101_2", cnf=cnf, **kwargs
    )
