"""Leaky integrate-and-fire (SpikingJelly's LIFNode), as pure functions.

Per time step, with tau in time steps and V_reset = v_reset (0 for a soft reset)::

    decay_input:      H[t] = V[t-1] + (X[t] - (V[t-1] - V_reset)) / tau
    not decay_input:  H[t] = V[t-1] - (V[t-1] - V_reset) / tau + X[t]
    S[t] = 1 if H[t] >= v_threshold else 0
    V[t] = V_reset if S[t] else H[t]          (hard reset; soft reset: H[t] - v_threshold·S[t])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from torch import Tensor

from snnmodels.functional.multistep import Dynamics, neuron_seq, neuron_step
from snnmodels.functional.surrogate import Sigmoid, Surrogate

__all__ = ["LIFParams", "LIFState", "lif_seq", "lif_step"]


@dataclass(frozen=True)
class LIFParams:
    """LIF parameters: tau (time steps, > 1), decay_input, v_threshold, v_reset (None: soft reset), detach_reset."""

    tau: float = 2.0
    decay_input: bool = True
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    detach_reset: bool = False

    def dynamics(self) -> Dynamics:
        """The shared IF/LIF/PLIF description of these parameters."""
        return Dynamics("tau", self.tau, self.decay_input, self.v_threshold, self.v_reset, self.detach_reset)


class LIFState(NamedTuple):
    """Membrane potential, shaped like one time step of the input."""

    v: Tensor


def run_step(
    x: Tensor, state: LIFState | None, dyn: Dynamics, surrogate: Surrogate | Any | None, q: Tensor | None = None
) -> tuple[Tensor, LIFState]:
    """One step of any IF/LIF/PLIF `Dynamics` with explicit state; shared by the ``*_step`` functions."""
    v = x.new_full(x.shape, dyn.v_rest) if state is None else state.v
    spike, v, _ = neuron_step(x, v, dyn, surrogate or Sigmoid(), q)
    return spike, LIFState(v)


def run_seq(
    x_seq: Tensor,
    state: LIFState | None,
    dyn: Dynamics,
    surrogate: Surrogate | Any | None,
    q: Tensor | None = None,
    *,
    fused: bool = True,
) -> tuple[Tensor, LIFState]:
    """T steps of any IF/LIF/PLIF `Dynamics` with explicit state; shared by the ``*_seq`` functions."""
    spikes, v, _ = neuron_seq(x_seq, None if state is None else state.v, dyn, surrogate or Sigmoid(), q, fused=fused)
    return spikes, LIFState(v)


def lif_step(
    x: Tensor,
    state: LIFState | None = None,
    p: LIFParams = LIFParams(),
    surrogate: Surrogate | Any | None = None,
) -> tuple[Tensor, LIFState]:
    """One step: x [N, ...] -> (spikes [N, ...], new state).

    A None state starts at v_reset (0 for a soft reset); a None surrogate is sigmoid with alpha=4.
    """
    return run_step(x, state, p.dynamics(), surrogate)


def lif_seq(
    x_seq: Tensor,
    state: LIFState | None = None,
    p: LIFParams = LIFParams(),
    surrogate: Surrogate | Any | None = None,
    *,
    fused: bool = True,
) -> tuple[Tensor, LIFState]:
    """T steps: x_seq [T, N, ...] -> (spikes [T, N, ...], state after the last step); fused path by default."""
    return run_seq(x_seq, state, p.dynamics(), surrogate, fused=fused)
