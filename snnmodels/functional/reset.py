"""Membrane resets after a spike: one definition, used by every neuron's reference step."""

from __future__ import annotations

from torch import Tensor


def reset_hard(h: Tensor, spike: Tensor, v_reset: float) -> Tensor:
    """Hard reset: ``v_reset`` where the neuron spiked, ``h`` elsewhere (written as SpikingJelly does, for parity)."""
    return spike * v_reset + (1.0 - spike) * h


def reset_soft(h: Tensor, spike: Tensor, v_threshold: float | Tensor) -> Tensor:
    """Soft reset (reset by subtraction): ``h - v_threshold`` where the neuron spiked, ``h`` elsewhere."""
    return h - spike * v_threshold


def reset(h: Tensor, spike: Tensor, v_threshold: float, v_reset: float | None, detach: bool = False) -> Tensor:
    """Hard reset to ``v_reset``, or soft reset when ``v_reset`` is None; ``detach`` cuts the spike's gradient here."""
    if detach:
        spike = spike.detach()
    return reset_soft(h, spike, v_threshold) if v_reset is None else reset_hard(h, spike, v_reset)
