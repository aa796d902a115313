"""``snntorch.functional.acc`` (snnTorch 1.0): accuracy of spike outputs, as numpy.float64 like snnTorch."""

from __future__ import annotations

import numpy as np
from torch import Tensor

from snnmodels.functional import acc as _core

__all__ = ["accuracy_rate", "accuracy_temporal"]


def accuracy_rate(
    spk_out: Tensor, targets: Tensor, population_code: bool = False, num_classes: int | bool = False
) -> np.float64:
    """Fraction of samples whose most-spiking output (or class group) is the label; spk_out [T, B, C]."""
    return np.float64(_core.accuracy_rate(spk_out, targets, population_code, num_classes or None))


def accuracy_temporal(spk_out: Tensor, targets: Tensor) -> np.float64:
    """Fraction of samples whose first-firing output is the label; spk_out [T, B, C]."""
    return np.float64(_core.accuracy_temporal(spk_out, targets))
