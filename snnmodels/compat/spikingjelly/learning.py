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


class _Records:
    """SpikingJelly's ``in_spike_monitor`` / ``out_spike_monitor`` view of what a learner recorded."""

    def __init__(self, learner: L._Learner, side: str) -> None:
        self._learner, self._side = learner, side

    @property
    def records(self) -> list[Tensor]:
        """The detached spikes recorded since the last step, in call order."""
        return getattr(self._learner.recorder, self._side)

    def clear_recorded_data(self) -> None:
        """Drop the records."""
        self.records.clear()

    def enable(self) -> None:
        """Record again."""
        self._learner.enable()

    def disable(self) -> None:
        """Stop recording."""
        self._learner.disable()


class _Monitors:
    @property
    def in_spike_monitor(self) -> _Records:
        """The synapse's recorded inputs (``.records``)."""
        return _Records(self, "pre")  # type: ignore[arg-type]

    @property
    def out_spike_monitor(self) -> _Records:
        """The neurons' recorded outputs (``.records``)."""
        return _Records(self, "post")  # type: ignore[arg-type]


class STDPLearner(_Monitors, L.STDPLearner):
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


class MSTDPLearner(_Monitors, L.MSTDPLearner):
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


class MSTDPETLearner(_Monitors, L.MSTDPETLearner):
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
