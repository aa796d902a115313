"""The model registry: one `ModelEntry` per architecture name, `create_model` and `list_models`.

Each entry records what a user needs before building: the family, the default neuron, the default input contract
(channels, input size, T, dataset and frame settings), the torchvision architecture used by
``pretrained='imagenet'`` (if any), the reference it matches and the accuracy reported there.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from torch import nn

from snnmodels.models._weights import InputContract
from snnmodels.registry import Registry

__all__ = ["MODELS", "ModelEntry", "create_model", "list_models", "model_entry", "register_model"]

F = TypeVar("F", bound=Callable[..., nn.Module])


@dataclass(frozen=True)
class ModelEntry:
    """What the registry knows about one model name.

    Attributes:
        name: registry name.
        fn: the builder; ``fn(**kwargs)`` returns the model.
        family: ``'spiking_resnet'``, ``'sew_resnet'``, ``'spiking_vgg'``, ``'plif_net'``, ``'sew_dvs'`` or
            ``'heidelberg'`` (the SHD/SSC nets).
        contract: default input: channels, input size (the smallest size the model takes is documented in
            ``notes``), T, dataset and frame settings of the reference training.
        default_neuron: (neuron registry name, keyword arguments) used when no ``spiking_neuron`` is given.
        imagenet_arch: torchvision architecture for ``pretrained='imagenet'``, or None.
        reference: the paper and implementation the architecture and parameter count match.
        notes: reported accuracy, minimum input size, differences from the reference.
    """

    name: str
    fn: Callable[..., nn.Module]
    family: str
    contract: InputContract
    default_neuron: tuple[str, Mapping[str, Any]] = field(hash=False)
    imagenet_arch: str | None = None
    reference: str = ""
    notes: str = ""

    def describe(self) -> str:
        """A short multi-line summary (name, family, input contract, default neuron, reference, notes)."""
        neuron, kw = self.default_neuron
        args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
        lines = [
            f"{self.name} ({self.family})",
            f"  input: {self.contract.describe()}",
            f"  default neuron: {neuron}({args})",
        ]
        if self.imagenet_arch:
            lines.append(f"  pretrained='imagenet': torchvision {self.imagenet_arch}")
        if self.reference:
            lines.append(f"  reference: {self.reference}")
        if self.notes:
            lines.append(f"  notes: {self.notes}")
        return "\n".join(lines)


MODELS: Registry[ModelEntry] = Registry("model")


def register_model(
    name: str,
    *,
    family: str,
    contract: InputContract,
    default_neuron: tuple[str, Mapping[str, Any]],
    imagenet_arch: str | None = None,
    reference: str = "",
    notes: str = "",
) -> Callable[[F], F]:
    """Decorator: register a builder under ``name`` with its documentation (a duplicate name raises)."""

    def deco(fn: F) -> F:
        entry = ModelEntry(name, fn, family, contract, default_neuron, imagenet_arch, reference, notes)
        MODELS.register(name)(entry)
        return fn

    return deco


def model_entry(name: str) -> ModelEntry:
    """The registry entry of ``name``; a KeyError suggests close names."""
    return MODELS.get(name)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the registered model ``name``; ``kwargs`` go to its builder.

    Common arguments: ``num_classes``, ``in_channels``, ``spiking_neuron`` (a neuron registry name such as
    ``'lif'`` or a class), ``weights`` (a `Weights` entry or its name), ``pretrained='imagenet'`` (ResNet / SEW /
    VGG families), and any other keyword, which goes to every neuron (``tau=2.0``, ``detach_reset=True``...).
    The model takes [T, N, C, H, W] and returns [T, N, num_classes].

    Raises:
        KeyError: unknown ``name`` (close matches are suggested).
    """
    return MODELS.get(name).fn(**kwargs)


def list_models(pattern: str | None = None) -> list[str]:
    """Registered model names, sorted; ``pattern`` is a shell-style filter such as ``'sew_*'``."""
    names = MODELS.names()
    return names if pattern is None else [n for n in names if fnmatch.fnmatchcase(n, pattern)]
