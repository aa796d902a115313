"""Fine-tuning: start from pretrained weights, a NIR graph or a checkpoint; swap the head for new classes.

The head is the last linear layer in the order the network computes: for a zoo model the last ``nn.Linear`` (followed
or not by a `VotingLayer`), for an imported NIR graph (`NIRNetwork`) the last Affine/Linear node in its evaluation
order (never the string order of node names, where ``'9'`` sorts after ``'11'``). `replace_head` gives it a fresh
layer for ``num_classes`` outputs (times the voting size); after an imported Affine head it also resizes the nodes
between the head and the graph's Output (the output neurons' per-neuron parameters must then be uniform). `head_name`
gives the head's qualified name, for ``TrainConfig(freeze_backbone=True, head_prefix=...)`` (train the head only)
and ``backbone_lr_scale`` (slower pretrained layers).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from snnmodels.layers import VotingLayer


def _is_nir_network(model: nn.Module) -> bool:
    return type(model).__name__ == "NIRNetwork" and hasattr(model, "order") and hasattr(model, "nodes")


def _is_linear(m: nn.Module) -> bool:
    return isinstance(m, nn.Linear) or (type(m).__name__ in ("Affine", "NIRLinear") and hasattr(m, "weight"))


def _last_linear(model: nn.Module) -> tuple[str, nn.Module]:
    if _is_nir_network(model):
        heads = [k for k in model.order if _is_linear(model.nodes[k])]  # type: ignore[attr-defined]
        if not heads:
            raise ValueError("the NIR graph has no Affine or Linear node to use as the classifier head")
        return f"nodes.{heads[-1]}", model.nodes[heads[-1]]  # type: ignore[index]
    found: tuple[str, nn.Module] | None = None
    for name, m in model.named_modules():
        if _is_linear(m):
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


def _fresh_linear_weights(out_features: int, in_features: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.Linear's initialisation (Kaiming-uniform weight, uniform bias), in `like`'s dtype and device."""
    weight = torch.empty(out_features, in_features, dtype=like.dtype, device=like.device)
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    bound = 1 / math.sqrt(in_features) if in_features else 0.0
    bias = torch.empty(out_features, dtype=like.dtype, device=like.device).uniform_(-bound, bound)
    return weight, bias


def _replace_nir_head(model: nn.Module, key: str, num_classes: int) -> None:
    """Swap the Affine node `key` of a NIRNetwork for a fresh one; resize the nodes up to the Output."""
    import nir

    from snnmodels.export.primitives import Affine

    old = model.nodes[key]  # type: ignore[index]
    head = model.names[key]  # type: ignore[index]
    old_out, in_features = (int(s) for s in old.weight.shape)
    weight, bias = _fresh_linear_weights(num_classes, in_features, old.weight)
    model.nodes[key] = Affine(old.node_name, weight, bias)  # type: ignore[index]
    succs: dict[str, list[str]] = {}
    for s, d in model.edges:  # type: ignore[attr-defined]
        succs.setdefault(s, []).append(d)
    todo, seen = list(succs.get(key, [])), {key}
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen.add(k)
        node = model.nodes[k]  # type: ignore[index]
        name = model.names[k]  # type: ignore[attr-defined]
        if k in model.outputs:  # type: ignore[attr-defined]
            node.node = nir.Output(output_type={"output": np.array([num_classes])})
            continue
        if any(True for _ in node.parameters(recurse=False)):
            raise ValueError(
                f"cannot resize the head {head!r}: node {name!r} ({type(node).__name__}) after it has weights that "
                "depend on the class count"
            )
        for buf_name, buf in list(node.named_buffers(recurse=False)):
            if buf.shape == (old_out,):
                if not bool((buf == buf[0]).all()):
                    raise ValueError(
                        f"cannot resize the head {head!r}: node {name!r} has a different {buf_name} for each output "
                        "neuron, so there is no value for a new class count"
                    )
                setattr(node, buf_name, buf[:1].expand(num_classes).clone())
        todo.extend(succs.get(k, []))


def replace_head(model: nn.Module, num_classes: int, *, seed: int | None = None) -> nn.Module:
    """Replace the classifier with a freshly initialised one for `num_classes` (kept if it already fits)."""
    name, old = _last_linear(model)
    if num_outputs(model) == num_classes:
        return model
    if seed is not None:
        torch.manual_seed(seed)
    if _is_nir_network(model):
        _replace_nir_head(model, name.removeprefix("nodes."), num_classes)
        return model
    if not isinstance(old, nn.Linear):
        raise ValueError(f"cannot resize the head {name!r} of type {type(old).__name__}; only nn.Linear heads")
    new = type(old)(old.in_features, num_classes * _voting_size(model), bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    if hasattr(old, "step_mode"):
        new.step_mode = old.step_mode
    parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
    setattr(parent, name.rpartition(".")[2], new)
    if hasattr(model, "num_classes"):
        model.num_classes = num_classes
    return model


def load_pretrained(
    source: str, *, model: str | None = None, dt: float | None = None, **model_kwargs: Any
) -> nn.Module:
    """A network to fine-tune from `source`.

    Args:
        source: a registered weights name (a zoo model's, built with ``create_model(model, weights=source)``, or a NIR
            graph's, imported at its recorded ``dt``), ``'imagenet'`` (the ANN mapping; needs `model`), a ``.nir`` file
            (`snnmodels.export.from_nir`), or a ``.pt`` checkpoint of `Trainer`.
        model: zoo model name where the source needs one.
        dt: simulation step (seconds) of a NIR graph: a ``.nir`` file's (default 1e-4, `from_nir`'s), or to override
            a registered graph's.
    """
    from snnmodels.models import WEIGHTS, create_model, get_weights

    path = Path(source)
    if source.endswith(".nir"):
        from snnmodels.export import from_nir

        return from_nir(path, **({} if dt is None else {"dt": dt}))
    if dt is not None and source not in WEIGHTS:
        raise ValueError(f"dt applies to NIR graphs only; {source!r} is not one")
    if source.endswith(".pt"):
        from snnmodels.train.checkpoint import load_checkpoint, load_model_state

        ckpt = load_checkpoint(path)
        meta = ckpt.get("meta") or {}
        name = model or meta.get("model")
        if name is None:
            raise ValueError(f"{path}: give the model name it holds (model=...)")
        kwargs = {**meta.get("model_args", {}), **model_kwargs}
        kwargs.pop("avgpool", None)
        # the shape the run was built for (what `snnmodels train` records), unless the caller says otherwise
        shape = meta.get("frame_shape")
        if meta.get("num_classes") is not None:
            kwargs.setdefault("num_classes", int(meta["num_classes"]))
        if shape:
            kwargs.setdefault("in_channels", int(shape[0]))
        try:
            net = create_model(name, **({"input_size": tuple(shape[1:])} if shape and "input_size" not in kwargs
                                        else {}), **kwargs)
        except TypeError:
            if not shape or "input_size" in kwargs:
                raise
            net = create_model(name, **kwargs)  # a model without input_size
        if meta.get("model_args", {}).get("avgpool"):
            from snnmodels.export import avgpool_variant

            net = avgpool_variant(net)
        load_model_state(net, ckpt["model"], path)
        return net
    if source in WEIGHTS and get_weights(source).format == "nir":
        from snnmodels.export import from_nir

        w = get_weights(source)
        net = from_nir(w.download(), dt=float(w.meta["dt"]) if dt is None else dt)
        net.weights = w
        return net
    if model is None:
        raise ValueError(f"source {source!r} needs the zoo model name (model=...)")
    if source == "imagenet":
        return create_model(model, pretrained="imagenet", **model_kwargs)
    return create_model(model, weights=source, **model_kwargs)
