"""Parametric LIF (Fang et al., ICCV 2021; SpikingJelly's ParametricLIFNode), as pure functions.

The membrane time constant is learnt through ``w``: 1/tau = sigmoid(w), so tau = 1 + exp(-w) stays above 1.
Per time step, with V_reset = v_reset (0 for a soft reset)::

    decay_input:      H[t] = V[t-1] + (X[t] - (V[t-1] - V_reset)) · sigmoid(w)
    not decay_input:  H[t] = V[t-1] - (V[t-1] - V_reset) · sigmoid(w) + X[t]

then fire and reset as LIF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from snnmodels.functional.lif import LIFState, run_seq, run_step
from snnmodels.functional.multistep import Dynamics
from snnmodels.functional.surrogate import Surrogate

__all__ = ["PLIFParams", "plif_seq", "plif_step", "w_from_tau"]


@dataclass(frozen=True)
class PLIFParams:
    """PLIF parameters other than w: decay_input, v_threshold, v_reset (None: soft reset), detach_reset."""

    decay_input: bool = True
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    detach_reset: bool = False

    def dynamics(self) -> Dynamics:
        """The shared IF/LIF/PLIF description of these parameters."""
        return Dynamics(
            "q",
            decay_input=self.decay_input,
            v_threshold=self.v_threshold,
            v_reset=self.v_reset,
            detach_reset=self.detach_reset,
        )


def w_from_tau(tau: float) -> float:
    """The w that gives time constant ``tau`` (> 1): w = -log(tau - 1)."""
    if not tau > 1.0:
        raise ValueError(f"tau must be > 1 (in time steps), got {tau!r}")
    return -math.log(tau - 1.0)


def plif_step(
    x: Tensor,
    state: LIFState | None,
    w: Tensor,
    p: PLIFParams = PLIFParams(),
    surrogate: Surrogate | Any | None = None,
) -> tuple[Tensor, LIFState]:
    """One step: x [N, ...] -> (spikes [N, ...], new state); ``w`` is a scalar (or broadcastable) tensor."""
    return run_step(x, state, p.dynamics(), surrogate, w.sigmoid())


def plif_seq(
    x_seq: Tensor,
    state: LIFState | None,
    w: Tensor,
    p: PLIFParams = PLIFParams(),
    surrogate: Surrogate | Any | None = None,
    *,
    fused: bool = True,
) -> tuple[Tensor, LIFState]:
    """T steps: x_seq [T, N, ...] -> (spikes [T, N, ...], last state). The fused path needs a scalar ``w``."""
    q = w.sigmoid()
    return run_seq(x_seq, state, p.dynamics(), surrogate, q, fused=fused and q.dim() == 0)
