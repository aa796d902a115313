"""Checkpoints written atomically, read without executing pickled code.

A checkpoint holds everything needed to continue a run exactly: model, optimizer, scheduler and scaler
states, the RNG states of Python, numpy and torch, the epoch, the best metric, the history and the config.
Whatever is wrong with a checkpoint file (missing, cut short, random bytes, pickled code, a dict without the
expected entries, the weights of another model) is one `CheckpointError` naming the file and what to do.
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (CPU and CUDA) generator states, in types ``weights_only`` loading accepts."""
    py = random.getstate()
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `rng_state` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write `payload` to `path` via a temporary file and an atomic rename (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        torch.save(payload, tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or does not fit the model or trainer it is loaded into."""


_RUN = "give last.pt or best.pt of a run folder written by `snnmodels train`"


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", *, require: tuple[str, ...] = ("model",)
) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``: tensors and plain containers only, no code execution.

    Raises `CheckpointError` naming the file when it is missing, damaged, not a checkpoint, holds pickled
    code, or lacks an entry of `require`.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path}: no such file; {_RUN}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's message names the GLOBAL a pickle of code asks for; random bytes fail on an opcode instead
        wanted = [ln.strip() for ln in str(err).splitlines() if "GLOBAL" in ln]
        if not wanted:
            raise CheckpointError(
                f"checkpoint {path} cannot be read: it is cut short, damaged or not a checkpoint (not a pickle of "
                f"tensors); {_RUN}"
            ) from None
        raise CheckpointError(
            f"checkpoint {path} holds objects other than tensors and plain containers, and unpickling them could "
            f"run code; refused ({wanted[0][:200]}). Only load files you trust"
        ) from None
    except Exception as err:  # torch raises RuntimeError, EOFError, zipfile/struct/Unicode errors on bad bytes
        detail = " ".join(str(err).split())[:200] or type(err).__name__
        raise CheckpointError(
            f"checkpoint {path} cannot be read: it is cut short, damaged or not a checkpoint ({detail}); {_RUN}"
        ) from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(ckpt).__name__}, not a checkpoint; {_RUN}")
    missing = [k for k in require if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {path} has no {', '.join(map(repr, missing))} entry; {_RUN}")
    if "model" in require and not (
        isinstance(ckpt["model"], dict) and all(isinstance(v, torch.Tensor) for v in ckpt["model"].values())
    ):
        raise CheckpointError(f"checkpoint {path}: its 'model' entry is not a state dict of tensors; {_RUN}")
    return ckpt


def load_model_state(
    model: torch.nn.Module, state: dict[str, Any], path: str | Path, name: str | None = None
) -> None:
    """``model.load_state_dict(state)``, or a `CheckpointError` naming `path` (and the model's `name`) and the
    entries that do not fit (a checkpoint of another model, or of the same model built with other arguments)."""
    try:
        result = model.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, TypeError, ValueError) as err:
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        detail = "; ".join(lines[1:4] if len(lines) > 1 else lines)[:400]
        this = f" than {name}" if name else ""
        raise CheckpointError(
            f"checkpoint {path} holds the weights of another model{this}, or of it built with other arguments "
            f"({detail}); load it into the model it was trained as (its meta says which)"
        ) from None
    del result
