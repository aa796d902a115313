"""State quantization for quantization-aware training (snnTorch's ``functional.quant.state_quant``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

__all__ = ["StateQuant", "quant_levels", "state_quant"]

# snnTorch's default bases of the exponential level spacing, by number of bits (8 and more: 0.95)
_MULTIPLIERS = {1: 0.05, 2: 0.1, 3: 0.3, 4: 0.5, 5: 0.7, 6: 0.9, 7: 0.925}


def _exp_levels(bits: int, multiplier: float, lo: float, pivot: float, hi: float) -> list[float]:
    """2**bits levels on [lo, hi], split at ``pivot`` in proportion to the two ranges; each side spaced by
    powers of ``multiplier`` (levels dense near the pivot when multiplier < 1)."""
    n = 2**bits
    lower_n = math.floor(n * (pivot - lo) / (hi - lo))
    upper_n = n - lower_n
    levels: list[float] = []
    if lower_n:
        room = sum(multiplier**j for j in reversed(range(lower_n))) / (pivot - lo)
        value = lo
        for j in range(lower_n):
            levels.append(value)
            value += multiplier**j / room
    if upper_n:
        room = sum(multiplier**j for j in reversed(range(upper_n))) / (hi - pivot)
        value = pivot
        for j in reversed(range(upper_n)):
            value += multiplier**j / room
            levels.append(value)
    return levels


def quant_levels(
    num_bits: int = 8,
    uniform: bool = True,
    thr_centered: bool = True,
    threshold: float = 1.0,
    lower_limit: float = 0.0,
    upper_limit: float = 0.2,
    multiplier: float | None = None,
) -> Tensor:
    """The 2**num_bits valid states, ascending, as snnTorch computes them (float32).

    They span [-threshold·(1 + lower_limit), threshold·(1 + upper_limit)]: evenly if ``uniform``, else spaced
    exponentially and clustered about ``threshold`` (``thr_centered``) or about 0.
    """
    if num_bits < 1:
        raise ValueError(f"num_bits must be >= 1, got {num_bits}")
    lo = -(threshold + threshold * lower_limit)
    hi = threshold + threshold * upper_limit
    if uniform:
        return torch.linspace(lo, hi, 2**num_bits)
    if multiplier is None:
        multiplier = _MULTIPLIERS.get(num_bits, 0.95)
    return torch.tensor(_exp_levels(num_bits, multiplier, lo, threshold if thr_centered else 0.0, hi))


class _NearestLevel(torch.autograd.Function):
    """Forward: the nearest level (the lower one on a tie); backward: straight through."""

    @staticmethod
    def forward(x: Tensor, levels: Tensor) -> Tensor:
        levels = levels.to(device=x.device, dtype=x.dtype)
        # nearest of the two neighbours found by binary search; O(N log L) instead of an [N, L] distance table
        hi = torch.searchsorted(levels, x.detach().contiguous()).clamp_(1, len(levels) - 1)
        lo = hi - 1
        take_hi = (levels[hi] - x).abs() < (x - levels[lo]).abs()
        return levels[torch.where(take_hi, hi, lo)]

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return grad, None


@dataclass(frozen=True)
class StateQuant:
    """A picklable quantizer: maps each value to its nearest level; gradients pass straight through."""

    levels: Tensor = field(repr=False)

    def __call__(self, x: Tensor) -> Tensor:
        if len(self.levels) == 1:
            return self.levels.to(device=x.device, dtype=x.dtype).expand_as(x).clone()
        return _NearestLevel.apply(x, self.levels)


def state_quant(
    num_bits: int = 8,
    uniform: bool = True,
    thr_centered: bool = True,
    threshold: float = 1.0,
    lower_limit: float = 0.0,
    upper_limit: float = 0.2,
    multiplier: float | None = None,
) -> StateQuant:
    """A state quantizer for neuron states (e.g. ``Leaky(state_quant=state_quant(4, threshold=thr))``).

    Args:
        num_bits: 2**num_bits levels.
        uniform: evenly spaced levels; else exponentially spaced (``multiplier`` is the base; None picks
            snnTorch's default for ``num_bits``).
        thr_centered: for non-uniform levels, cluster them about ``threshold`` rather than 0.
        threshold: the neuron threshold the range is built around.
        lower_limit, upper_limit: how far (as a fraction of threshold) the range extends below -threshold and
            above threshold.
    Returns:
        a callable x -> quantized x (same shape and dtype), straight-through gradient.
    """
    return StateQuant(quant_levels(num_bits, uniform, thr_centered, threshold, lower_limit, upper_limit, multiplier))
