"""Shared by the SpikingJelly-named model constructors: SpikingJelly's argument conventions mapped onto our zoo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from snnmodels.compat.spikingjelly import layer
from snnmodels.compat.spikingjelly.functional import set_step_mode
from snnmodels.models.resnet import Bottleneck

__all__ = ["build_zoo", "no_norm_layer", "require_neuron", "sj_step_modes"]


def require_neuron(spiking_neuron: Any, what: str) -> Callable[..., nn.Module]:
    """``spiking_neuron`` if callable; SpikingJelly needs it too (it fails calling None), so say so clearly."""
    if not callable(spiking_neuron):
        raise TypeError(
            f"{what} needs spiking_neuron=<a neuron class>, e.g. spiking_neuron=neuron.IFNode (its keyword arguments "
            f"follow as **kwargs); got {spiking_neuron!r}"
        )
    return spiking_neuron


def sj_step_modes(model: nn.Module, spiking_neuron: Any, neuron_step_mode: str | None) -> None:
    """SpikingJelly's models start single-step; a ``step_mode`` among the neuron arguments applies to neurons only.

    Also gives the model SpikingJelly's `layer.Dropout` (one mask kept until reset) in place of ours, and
    SpikingJelly's SEW join order in Bottleneck blocks (``join_order``, which only changes IAND).
    """
    for m in model.modules():
        if isinstance(m, Bottleneck):
            m.join_order = "spikingjelly"
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child).__name__ == "Dropout" and not isinstance(child, layer.Dropout) and hasattr(child, "p"):
                setattr(parent, name, layer.Dropout(child.p))
    set_step_mode(model, "s")
    if neuron_step_mode is not None and isinstance(spiking_neuron, type):
        for m in model.modules():
            if isinstance(m, spiking_neuron):
                m.step_mode = neuron_step_mode


def no_norm_layer(norm_layer: Any, what: str) -> None:
    """Our zoo's models use BatchNorm2d; SpikingJelly's ``norm_layer=`` has no counterpart (say so, not ignore it)."""
    if norm_layer is not None:
        raise TypeError(f"{what}: norm_layer={norm_layer!r} is not supported here (the layers are BatchNorm2d)")


def build_zoo(
    builder: Callable[..., nn.Module],
    pretrained: bool,
    progress: bool,
    spiking_neuron: Any,
    what: str,
    **kwargs: Any,
) -> nn.Module:
    """``builder`` (a zoo function) with SpikingJelly's ``pretrained`` (bool: torchvision's ImageNet ANN weights),
    ``spiking_neuron`` and ``**kwargs`` (architecture keywords, the rest to every neuron)."""
    neuron_cls = require_neuron(spiking_neuron, what)
    no_norm_layer(kwargs.pop("norm_layer", None), what)
    step_mode = kwargs.pop("step_mode", None)
    model = builder(
        pretrained="imagenet" if pretrained else None, progress=progress, spiking_neuron=neuron_cls, **kwargs
    )
    sj_step_modes(model, neuron_cls, step_mode)
    return model
