"""SpikingJelly's ``activation_based.learning`` over `snnmodels.learning`: the learners take ``step_mode`` first,
as SpikingJelly's (``STDPLearner(step_mode, synapse, sn, tau_pre, tau_post, f_pre, f_post)``).

Deliberate difference: MSTDPLearner and MSTDPETLearner also accept step_mode 'm' (SpikingJelly: 's' only).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from snnmodels import learning as L

__all__ = ["MSTDPETLearner", "MSTDPLearner", "STDPLearner"]

WeightFn = Callable[[Tensor], Tensor]


def _identity(w: Tensor) -> Tensor:
    return w


class STDPLearner(L.STDPLearner):
    """Trace STDP for a Linear/Conv1d/Conv2d ``synapse`` and the neurons ``sn`` after it."""

    def __init__(
        self,
        step_mode: str,
        synapse: nn.Module,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        f_pre: WeightFn = _identity,
        f_post: WeightFn = _identity,
    ) -> None:
        super().__init__(synapse, sn, tau_pre, tau_post, f_pre, f_post, step_mode)  # type: ignore[arg-type]


class MSTDPLearner(L.MSTDPLearner):
    """Reward-modulated STDP for a Linear synapse; ``step(reward, on_grad=True, scale=1.0)``."""

    def __init__(
        self,
        step_mode: str,
        synapse: nn.Module,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        f_pre: WeightFn = _identity,
        f_post: WeightFn = _identity,
    ) -> None:
        super().__init__(synapse, sn, tau_pre, tau_post, f_pre, f_post, step_mode)  # type: ignore[arg-type]


class MSTDPETLearner(L.MSTDPETLearner):
    """MSTDP with an eligibility trace (tau_trace) for a Linear synapse with unbatched spikes."""

    def __init__(
        self,
        step_mode: str,
        synapse: nn.Module,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        tau_trace: float,
        f_pre: WeightFn = _identity,
        f_post: WeightFn = _identity,
    ) -> None:
        super().__init__(synapse, sn, tau_pre, tau_post, tau_trace, f_pre, f_post, step_mode)  # type: ignore[arg-type]
