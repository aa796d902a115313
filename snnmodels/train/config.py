"""`TrainConfig`: every knob of a training run, validated once, readable from TOML, saved with checkpoints."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("cosine", "step", "none")
AMP_MODES = ("none", "fp16", "bf16")


@dataclass(frozen=True)
class TrainConfig:
    """A training recipe.

    Attributes:
        epochs: passes over the training set.
        batch_size: the global batch (split evenly across processes under torchrun).
        lr, optimizer, momentum, weight_decay: the optimizer (sgd / adam / adamw).
        scheduler: 'cosine' (to 0 over the epochs after warm-up), 'step' (x`gamma` every `step_size`
            epochs) or 'none'; `warmup_epochs` ramps the learning rate linearly from lr/100 first. A run resumed
            with more `epochs` continues the schedule stretched to the new total (no epoch runs at rate 0).
        label_smoothing: for the default loss.
        loss: 'ce' (cross-entropy on the output averaged over each sample's real time steps) or the name
            of a `snnmodels.functional.LOSSES` entry, called as ``loss(output [T, B, C], labels, mask)``.
        grad_clip: max gradient norm (0 = off).
        amp: mixed precision on CUDA ('fp16' with a gradient scaler, or 'bf16'); ignored on CPU.
        seed: seeds Python, numpy and torch when the `Trainer` is made (dropout, augmentation, DataLoader
            workers); the data order of epoch e depends on (seed, e) only. The model's initial weights are
            drawn before: ``snnmodels train`` seeds before building it, and Python code calls
            `seed_everything` (seed) before building the model for a bit-identical run.
        deterministic: ask torch for deterministic kernels.
        num_workers: DataLoader worker processes.
        freeze_backbone: train only the head (the parameters of module `head_prefix`).
        backbone_lr_scale: learning-rate factor for non-head parameters when fine-tuning (1 = same).
        head_prefix: qualified name of the classifier module (``'fc'`` holds ``'fc.weight'``; ``'nodes.1'`` does
            not hold ``'nodes.11.weight'``); `snnmodels.train.finetune.head_name` finds it.
        sync_bn: convert BatchNorm to SyncBatchNorm under torchrun.
        device: 'auto' (CUDA when present), 'cpu' or 'cuda[:k]'.
    """

    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    scheduler: str = "cosine"
    step_size: int = 10
    gamma: float = 0.1
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    loss: str = "ce"
    grad_clip: float = 0.0
    amp: str = "none"
    seed: int = 0
    deterministic: bool = True
    num_workers: int = 0
    freeze_backbone: bool = False
    backbone_lr_scale: float = 1.0
    head_prefix: str = "head"
    sync_bn: bool = False
    device: str = "auto"

    def __post_init__(self) -> None:
        for name, choices in (("optimizer", OPTIMIZERS), ("scheduler", SCHEDULERS), ("amp", AMP_MODES)):
            if getattr(self, name) not in choices:
                raise ValueError(f"TrainConfig.{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name in ("epochs", "batch_size", "step_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.lr <= 0:
            raise ValueError(f"TrainConfig.lr must be positive, got {self.lr!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"TrainConfig.label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.warmup_epochs < 0 or (self.warmup_epochs >= self.epochs and self.warmup_epochs):
            raise ValueError(f"TrainConfig.warmup_epochs must be in [0, epochs), got {self.warmup_epochs!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (saved in checkpoints)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict; unknown keys are an error listing the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; known: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_toml(cls, path: str | Path) -> TrainConfig:
        """Read a TOML file whose top level (or ``[train]`` table) holds the fields."""
        try:
            import tomllib
        except ModuleNotFoundError:  # pragma: no cover - Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]

        data = tomllib.loads(Path(path).read_text())
        return cls.from_dict(data.get("train", data))

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)
