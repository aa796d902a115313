"""ImageNet ANN weights (torchvision) into a spiking ResNet / SEW-ResNet / VGG: a strict, name-by-name transfer.

Our ANN-derived models keep torchvision's module names (spiking neurons sit where ReLUs were, as extra modules
with names of their own), so each ANN tensor has exactly one SNN target of the same name. The transfer is strict:
an ANN tensor with no target, or an SNN tensor (outside the neurons) with no source, is an error that lists them
all. Tensors owned by spiking neurons (e.g. PLIF's ``w``) have no ANN counterpart and keep their initial values.

Two tensors are adapted rather than copied:

- the stem (``conv1.weight`` / ``features.0.weight``) when ``in_channels != 3``: every input channel gets the mean
  of the R, G and B kernels times ``3 / in_channels``, i.e. the sum of the RGB kernels divided by in_channels.
  An input with the same value ``v`` on all channels then gives the ANN's response to the grey image ``v``.
- the head (``fc.*`` / ``classifier.6.*``) when ``num_classes != 1000``: it keeps the SNN's fresh initialisation.

ANN weights are a starting point, not a trained SNN: batch-norm statistics and thresholds usually need training
(fine-tuning) before the spiking model is accurate.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.base import MemoryModule
from snnmodels.models._weights import WeightsError, load_state_dict_file

__all__ = ["IMAGENET_TAGS", "AnnTransfer", "adapt_stem", "fetch_imagenet_state_dict", "load_ann_state_dict"]

# 'imagenet' means torchvision's first ImageNet weights (IMAGENET1K_V1), the ones SpikingJelly and the SEW paper use
IMAGENET_TAGS = ("imagenet", "IMAGENET1K_V1", "IMAGENET1K_V2")

AnnSource = Mapping[str, Tensor] | str | Path


@dataclass(frozen=True)
class AnnTransfer:
    """What `load_ann_state_dict` did, tensor name by tensor name.

    Attributes:
        copied: ANN tensors copied unchanged.
        adapted: ANN tensors changed to fit (the stem for ``in_channels != 3``).
        replaced: ANN tensors not used because the SNN's differs by design (the head for ``num_classes != 1000``).
        snn_only: SNN tensors owned by spiking neurons, left at their initial values.
    """

    copied: tuple[str, ...]
    adapted: tuple[str, ...]
    replaced: tuple[str, ...]
    snn_only: tuple[str, ...]


def adapt_stem(weight: Tensor, in_channels: int) -> Tensor:
    """RGB stem kernels [O, 3, kH, kW] -> [O, in_channels, kH, kW]: each channel is sum(RGB kernels) / in_channels."""
    if in_channels == weight.shape[1]:
        return weight.clone()
    return (weight.sum(1, keepdim=True) / in_channels).expand(-1, in_channels, -1, -1).clone()


def fetch_imagenet_state_dict(arch: str, tag: str = "imagenet", *, progress: bool = False) -> dict[str, Tensor]:
    """torchvision's ImageNet state dict for ``arch`` (e.g. ``'resnet18'``), from torchvision's URL with its hash check.

    Uses torch.hub's cache (``$TORCH_HOME/hub/checkpoints``), checks the hash prefix in torchvision's file name and
    loads with ``weights_only=True``. Needs torchvision and the network (or a filled torch.hub cache).

    Raises:
        ImportError: torchvision is not installed.
        ValueError: ``tag`` is not one of `IMAGENET_TAGS` or torchvision has no such weights for ``arch``.
    """
    if tag not in IMAGENET_TAGS:
        raise ValueError(f"pretrained must be one of {list(IMAGENET_TAGS)}, got {tag!r}")
    try:
        tv_models = importlib.import_module("torchvision.models")
    except ImportError as err:
        raise ImportError(
            "pretrained='imagenet' fetches torchvision's weights and needs torchvision (pip install torchvision), "
            "or pass ann_state_dict= with a torchvision state dict or its file"
        ) from err
    enum = tv_models.get_model_weights(arch)
    member = "IMAGENET1K_V1" if tag == "imagenet" else tag
    if member not in enum.__members__:
        have = [m for m in enum.__members__ if m in IMAGENET_TAGS]
        raise ValueError(f"torchvision has no {member} weights for {arch}; choose from {have}")
    url = enum[member].url
    return torch.hub.load_state_dict_from_url(url, progress=progress, check_hash=True, weights_only=True)


def _snn_only_keys(model: nn.Module) -> set[str]:
    """Names of the tensors that belong to stateful (spiking) modules: they have no ANN counterpart."""
    keys: set[str] = set()
    for prefix, module in model.named_modules():
        if isinstance(module, MemoryModule):
            keys |= {f"{prefix}.{k}" if prefix else k for k in module.state_dict()}
    return keys


def load_ann_state_dict(model: nn.Module, ann: AnnSource) -> AnnTransfer:
    """Copy a torchvision ImageNet state dict (or its file) into ``model``, strictly, adapting stem and head.

    ``model`` must name its stem and head tensors in the class attributes ``stem_key`` and ``head_keys`` and
    carry ``in_channels`` / ``num_classes`` (our ResNet, SEW-ResNet and VGG classes do).

    Raises:
        WeightsError: ANN tensors without an SNN target, SNN tensors without an ANN source, or shape mismatches
            other than the stem/head adaptations; the message lists every offending name.
    """
    ann_sd = dict(load_state_dict_file(ann) if isinstance(ann, str | Path) else ann)
    snn_sd = model.state_dict()
    snn_only = _snn_only_keys(model)
    targets = set(snn_sd) - snn_only
    stem_key: str = model.stem_key  # type: ignore[assignment]
    head_keys: tuple[str, ...] = model.head_keys  # type: ignore[assignment]
    unmapped = sorted(set(ann_sd) - targets)
    missing = sorted(targets - set(ann_sd))
    problems: list[str] = []
    if unmapped:
        problems.append(f"ANN tensors with no SNN target: {unmapped}")
    if missing:
        problems.append(f"SNN tensors with no ANN source: {missing}")
    copied: list[str] = []
    adapted: list[str] = []
    replaced: list[str] = []
    new: dict[str, Any] = {}
    for key in sorted(targets & set(ann_sd)):
        src, dst = ann_sd[key], snn_sd[key]
        if key == stem_key and src.shape != dst.shape:
            if src.dim() != 4 or src.shape[1] != 3 or src.shape[0] != dst.shape[0]:
                problems.append(f"{key}: ANN stem {tuple(src.shape)} is not [out, 3, kH, kW] for {tuple(dst.shape)}")
                continue
            new[key] = adapt_stem(src, dst.shape[1])
            adapted.append(key)
        elif key in head_keys and src.shape != dst.shape:
            replaced.append(key)
        elif src.shape != dst.shape:
            problems.append(f"{key}: ANN shape {tuple(src.shape)} != SNN shape {tuple(dst.shape)}")
        else:
            new[key] = src
            copied.append(key)
    if problems:
        raise WeightsError(f"cannot map the ANN state dict into {type(model).__name__}:\n  " + "\n  ".join(problems))
    with torch.no_grad():
        for key, value in new.items():
            snn_sd[key].copy_(value.to(snn_sd[key].dtype))
    return AnnTransfer(tuple(copied), tuple(adapted), tuple(replaced), tuple(sorted(snn_only)))
