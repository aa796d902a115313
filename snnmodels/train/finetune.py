"""Fine-tuning: start from pretrained weights, a NIR graph or a checkpoint; swap the head for new classes.

`replace_head` finds the classifier (the last Linear, followed or not by a `VotingLayer`) and replaces it
with a fresh one for ``num_classes`` (times the voting size); `head_name` gives its qualified name so that
`TrainConfig(freeze_backbone=True, head_prefix=...)` trains only the head and `backbone_lr_scale` slows the
pretrained layers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from snnmodels.layers import VotingLayer


def _last_linear(model: nn.Module) -> tuple[str, nn.Module]:
    found: tuple[str, nn.Module] | None = None
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear) or (type(m).__name__ in ("Affine", "NIRLinear") and hasattr(m, "weight")):
            found = (name, m)
    if found is None:
        raise ValueError(f"{type(model).__name__} has no Linear layer to use as the classifier head")
    return found


def _voting_size(model: nn.Module) -> int:
    votes = [m for m in model.modules() if isinstance(m, VotingLayer)]
    return votes[-1].voting_size if votes else 1


def head_name(model: nn.Module) -> str:
    """Qualified name of the classifier layer (use it as `TrainConfig.head_prefix`)."""
    return _last_linear(model)[0]


def num_outputs(model: nn.Module) -> int:
    """Classes the model predicts: the head's width divided by the voting size."""
    _, lin = _last_linear(model)
    return int(lin.weight.shape[0]) // _voting_size(model)


def replace_head(model: nn.Module, num_classes: int, *, seed: int | None = None) -> nn.Module:
    """Replace the classifier with a freshly initialised one for `num_classes` (kept if it already fits)."""
    name, old = _last_linear(model)
    if num_outputs(model) == num_classes:
        return model
    if not isinstance(old, nn.Linear):
        raise ValueError(f"cannot resize the head {name!r} of type {type(old).__name__}; only nn.Linear heads")
    if seed is not None:
        torch.manual_seed(seed)
    new = type(old)(old.in_features, num_classes * _voting_size(model), bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    if hasattr(old, "step_mode"):
        new.step_mode = old.step_mode
    parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
    setattr(parent, name.rpartition(".")[2], new)
    if hasattr(model, "num_classes"):
        model.num_classes = num_classes
    return model


def load_pretrained(source: str, *, model: str | None = None, **model_kwargs: Any) -> nn.Module:
    """A network to fine-tune from `source`.

    Args:
        source: a registered weights name (``create_model(model, weights=source)``), ``'imagenet'`` (the ANN
            mapping; needs `model`), a ``.nir`` file (`snnmodels.export.from_nir`), or a ``.pt`` checkpoint of
            `Trainer` together with `model` and the arguments it was built with.
        model: zoo model name where the source needs one.
    """
    from snnmodels.models import create_model

    path = Path(source)
    if source.endswith(".nir"):
        from snnmodels.export import from_nir

        return from_nir(path)
    if source.endswith(".pt"):
        from snnmodels.train.checkpoint import load_checkpoint, load_model_state

        ckpt = load_checkpoint(path)
        meta = ckpt.get("meta") or {}
        name = model or meta.get("model")
        if name is None:
            raise ValueError(f"{path}: give the model name it holds (model=...)")
        kwargs = {**meta.get("model_args", {}), **model_kwargs}
        kwargs.pop("avgpool", None)
        net = create_model(name, **kwargs)
        if meta.get("model_args", {}).get("avgpool"):
            from snnmodels.export import avgpool_variant

            net = avgpool_variant(net)
        load_model_state(net, ckpt["model"], path)
        return net
    if model is None:
        raise ValueError(f"source {source!r} needs the zoo model name (model=...)")
    if source == "imagenet":
        return create_model(model, pretrained="imagenet", **model_kwargs)
    return create_model(model, weights=source, **model_kwargs)
