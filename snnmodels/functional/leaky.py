"""snnTorch's first-order leaky neuron (``snn.Leaky``), as pure functions.

Per time step, with beta clipped to [0, 1] and R[t] = H(U[t-1] - threshold) the (detached) spike of the
previous step::

    subtract:  U[t] = beta·U[t-1] + X[t] - R[t]·threshold
    zero:      U[t] = beta·(1 - R[t])·U[t-1] + X[t]
    none:      U[t] = beta·U[t-1] + X[t]
    S[t] = graded_spikes_factor · H(U[t] - threshold)      (fires when U > threshold, strictly)

The reset is applied one step late (snnTorch's default ``reset_delay=True``); with ``reset_delay=False`` it
is also applied to U[t] at once. Note that the subtracted threshold is not decayed by beta (snnTorch#364).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from snnmodels.functional.surrogate import ATan, Surrogate

__all__ = ["RESET_MECHANISMS", "LeakyParams", "leaky_seq", "leaky_step"]

RESET_MECHANISMS = ("subtract", "zero", "none")


@dataclass(frozen=True)
class LeakyParams:
    """How a Leaky neuron resets: ``reset_mechanism`` in ('subtract', 'zero', 'none'), and ``reset_delay``."""

    reset_mechanism: Literal["subtract", "zero", "none"] = "subtract"
    reset_delay: bool = True

    def __post_init__(self) -> None:
        if self.reset_mechanism not in RESET_MECHANISMS:
            raise ValueError(f"reset_mechanism must be one of {RESET_MECHANISMS}, got {self.reset_mechanism!r}")


def _spike(x: Tensor, surrogate: Surrogate | Callable[[Tensor], Tensor]) -> Tensor:
    return surrogate(x, inclusive=False) if isinstance(surrogate, Surrogate) else surrogate(x)


def leaky_step(
    x: Tensor,
    mem: Tensor | None,
    beta: Tensor | float,
    threshold: Tensor | float = 1.0,
    p: LeakyParams = LeakyParams(),
    surrogate: Surrogate | Callable[[Tensor], Tensor] | None = None,
    graded_spikes_factor: Tensor | float = 1.0,
    state_quant: Callable[[Tensor], Tensor] | None = None,
    inhibition: bool = False,
) -> tuple[Tensor, Tensor]:
    """One step: x [N, ...], membrane [N, ...] (None: zeros) -> (spikes, new membrane), as snnTorch's Leaky.

    ``beta`` and ``threshold`` are scalars or tensors broadcastable to x (per-neuron values); ``surrogate`` is a
    `Surrogate` (fires when U > threshold; None: ATan) or any spike function; ``state_quant`` quantizes the membrane.
    With ``inhibition`` only the neuron with the highest membrane along dim 1 (the features of [N, C]) may spike
    (winner-take-all); the reset still applies to every neuron above threshold, as in snnTorch.
    """
    surrogate = ATan() if surrogate is None else surrogate
    if mem is None or mem.shape != x.shape:
        mem = torch.zeros_like(x)
    beta_t = beta.clamp(0, 1) if isinstance(beta, Tensor) else min(max(float(beta), 0.0), 1.0)
    r = _spike(mem - threshold, surrogate).detach()
    if p.reset_mechanism == "subtract":
        mem = beta_t * mem + x - r * threshold
    elif p.reset_mechanism == "zero":
        mem = beta_t * ((1 - r) * mem) + x
    else:
        mem = beta_t * mem + x
    if state_quant is not None:
        mem = state_quant(mem)
    shifted = (state_quant(mem) if state_quant is not None else mem) - threshold
    spk = _spike(shifted, surrogate)
    if inhibition:
        winner = torch.zeros_like(shifted).scatter_(1, shifted.detach().argmax(1, keepdim=True), 1.0)
        spk = spk * winner
    spk = spk * graded_spikes_factor
    if not p.reset_delay:
        do_reset = spk / graded_spikes_factor - r
        if p.reset_mechanism == "subtract":
            mem = mem - do_reset * threshold
        elif p.reset_mechanism == "zero":
            mem = mem - do_reset * mem
    return spk, mem


def leaky_seq(
    x_seq: Tensor, mem: Tensor | None, beta: Tensor | float, threshold: Tensor | float = 1.0, **kw: Any
) -> tuple[Tensor, Tensor, Tensor]:
    """T steps of `leaky_step`: x_seq [T, N, ...] -> (spikes [T, N, ...], membranes [T, N, ...], last membrane)."""
    spikes = torch.empty_like(x_seq)
    mems = torch.empty_like(x_seq)
    for t in range(x_seq.shape[0]):
        spk, mem = leaky_step(x_seq[t], mem, beta, threshold, **kw)
        spikes[t] = spk
        mems[t] = mem
    if mem is None:
        mem = torch.zeros_like(x_seq[0]) if x_seq.shape[0] else x_seq.new_zeros(x_seq.shape[1:])
    return spikes, mems, mem
