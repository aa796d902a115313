"""SpikingJelly's ``model.sew_resnet``: ``sew_resnet18(pretrained=False, progress=True, cnf=None, spiking_neuron=None,
**kwargs)`` and the rest, built by our zoo (`snnmodels.models.resnet`) with SpikingJelly's module names, single-step.

Difference: Bottleneck blocks with ``cnf='IAND'`` compute S·(1 - A) as the SEW paper; SpikingJelly 2.0 swaps S and A.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from snnmodels import models
from snnmodels.compat.spikingjelly.model._zoo import build_zoo

SEWResNet = models.SEWResNet

__all__ = [
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
