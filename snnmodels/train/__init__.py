"""Training: `TrainConfig`, `Trainer` (exact resume, torchrun), checkpoints, fine-tuning helpers."""

from snnmodels.train.checkpoint import CheckpointError, load_checkpoint, load_model_state, save_checkpoint
from snnmodels.train.config import TrainConfig
from snnmodels.train.loop import EpochStats, EvalResult, Trainer, mean_over_time, plot_history, seed_everything

__all__ = [
    "CheckpointError",
    "EpochStats",
    "EvalResult",
    "TrainConfig",
    "Trainer",
    "load_checkpoint",
    "load_model_state",
    "mean_over_time",
    "plot_history",
    "save_checkpoint",
    "seed_everything",
]
