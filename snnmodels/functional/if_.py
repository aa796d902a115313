"""Integrate-and-fire (SpikingJelly's IFNode), as pure functions.

Per time step: H[t] = V[t-1] + X[t]; S[t] = 1 if H[t] >= v_threshold; then a hard reset to v_reset, or a soft
reset (minus v_threshold) when v_reset is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from snnmodels.functional.lif import LIFState, run_seq, run_step
from snnmodels.functional.multistep import Dynamics
from snnmodels.functional.surrogate import Surrogate

__all__ = ["IFParams", "if_seq", "if_step"]


@dataclass(frozen=True)
class IFParams:
    """IF parameters: v_threshold, v_reset (None: soft reset), detach_reset."""

    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    detach_reset: bool = False

    def dynamics(self) -> Dynamics:
        """The shared IF/LIF/PLIF description of these parameters."""
        return Dynamics("none", v_threshold=self.v_threshold, v_reset=self.v_reset, detach_reset=self.detach_reset)


def if_step(
    x: Tensor,
    state: LIFState | None = None,
    p: IFParams = IFParams(),
    surrogate: Surrogate | Any | None = None,
) -> tuple[Tensor, LIFState]:
    """One step: x [N, ...] -> (spikes [N, ...], new state).

    A None state starts at v_reset (0 for a soft reset); a None surrogate is sigmoid with alpha=4.
    """
    return run_step(x, state, p.dynamics(), surrogate)


def if_seq(
    x_seq: Tensor,
    state: LIFState | None = None,
    p: IFParams = IFParams(),
    surrogate: Surrogate | Any | None = None,
    *,
    fused: bool = True,
) -> tuple[Tensor, LIFState]:
    """T steps: x_seq [T, N, ...] -> (spikes [T, N, ...], state after the last step); fused path by default."""
    return run_seq(x_seq, state, p.dynamics(), surrogate, fused=fused)
