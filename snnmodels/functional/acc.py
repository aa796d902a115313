"""Accuracy of spike-train outputs (snnTorch's ``functional.acc``), with optional masks for padded batches."""

from __future__ import annotations

import torch
from torch import Tensor

from snnmodels.functional.loss import first_spike_time, masked
from snnmodels.functional.loss import population_code as _population_code

__all__ = ["accuracy_rate", "accuracy_temporal"]


def accuracy_rate(
    spk_out: Tensor,
    targets: Tensor,
    population_code: bool = False,
    num_classes: int | None = None,
    mask: Tensor | None = None,
) -> float:
    """Fraction of samples whose most-spiking output (or class group, with a population code) is the label.

    Args:
        spk_out: spikes [T, B, C].
        targets: labels [B].
        population_code: C outputs form num_classes groups of consecutive neurons; a group's count is its sum.
        num_classes: number of classes (needed with a population code).
        mask: bool [T, B], True on valid steps of a padded batch.
    Ties go to the lowest index, as `torch.max`.
    """
    with torch.no_grad():
        counts = masked(spk_out, mask).sum(0)
        if population_code:
            counts = _population_code(counts, num_classes)
        return float((counts.max(-1).indices == targets).double().mean())


def accuracy_temporal(spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    """Fraction of samples whose first-firing output is the label (never firing = firing at the last step).

    Ties go to the lowest index, as `torch.min`.
    """
    with torch.no_grad():
        return float((first_spike_time(spk_out.detach(), mask).min(-1).indices == targets).double().mean())
