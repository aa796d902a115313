"""SpikingJelly's ``activation_based.encoding`` (and ``timing_based.encoding.GaussianTuning``) over
`snnmodels.encoding`.

Stateful encoders (``PeriodicEncoder``, ``LatencyEncoder``, ``WeightedPhaseEncoder``) encode x on their first
call and return spike[t % T] on the t-th call, until ``reset()``; in 'm' mode a call takes x_seq and returns as
many steps as it has, continuing the count. ``PoissonEncoder`` draws from torch's global generator, as
SpikingJelly's, so a seeded run gives the same spikes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from snnmodels import encoding as E
from snnmodels.base import MemoryModule, StepModule

__all__ = [
    "GaussianTuning",
    "LatencyEncoder",
    "PeriodicEncoder",
    "PoissonEncoder",
    "StatefulEncoder",
    "StatelessEncoder",
    "WeightedPhaseEncoder",
]


class StatelessEncoder(StepModule):
    """Base of encoders whose output depends on the current input only."""

    def __init__(self, step_mode: str = "s") -> None:
        super().__init__(step_mode)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError


class PoissonEncoder(StatelessEncoder):
    """Spikes with probability x at every call (one draw per element)."""

    def forward(self, x: Tensor) -> Tensor:
        return E.poisson_spikes(x)


class StatefulEncoder(MemoryModule):
    """Base of encoders that encode x into T steps at the first call and then play them back."""

    def __init__(self, T: int, step_mode: str = "s") -> None:
        super().__init__(step_mode)  # type: ignore[arg-type]
        if isinstance(T, bool) or not isinstance(T, int) or T < 1:
            raise ValueError(f"{type(self).__name__}: T must be an int >= 1, got {T!r}")
        self.T = T
        self.spike: Tensor | None = None
        self.t = 0

    def reset(self) -> None:
        self.spike = None
        self.t = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "spike": None, "t": 0}

    def single_step_encode(self, x: Tensor) -> Tensor:
        """The whole code [T, *x.shape] of x."""
        raise NotImplementedError

    def single_step_forward(self, x: Tensor | None = None) -> Tensor:
        """The next step of the code (x is encoded at the first call only)."""
        if self.spike is None:
            if x is None:
                raise ValueError(f"{type(self).__name__} needs an input at its first call")
            self.spike = self.single_step_encode(x)
        out = self.spike[self.t]
        self.t = (self.t + 1) % self.spike.shape[0]
        return out

    def forward(self, x: Tensor | None = None) -> Tensor:
        if self.step_mode == "s":
            return self.single_step_forward(x)
        if x is None:
            raise ValueError(f"{type(self).__name__} in multi-step mode needs x_seq [T, ...]")
        return torch.stack([self.single_step_forward(x[t]) for t in range(x.shape[0])])

    def extra_repr(self) -> str:
        return f"T={self.T}, step_mode={self.step_mode}"


class PeriodicEncoder(StatefulEncoder):
    """Plays back a pattern [T, ...] periodically: the input of the first call (``spike`` only sets T)."""

    def __init__(self, spike: Tensor, step_mode: str = "s") -> None:
        super().__init__(spike.shape[0], step_mode)

    def single_step_encode(self, spike: Tensor) -> Tensor:
        return spike


class LatencyEncoder(StatefulEncoder):
    """One spike per element at t_f = (T-1)(1-x) ('linear') or T-1-ln(alpha·x+1) ('log'), x in [0, 1]."""

    def __init__(self, T: int, enc_function: str = "linear", step_mode: str = "s") -> None:
        super().__init__(T, step_mode)
        if enc_function not in ("linear", "log"):
            raise ValueError(f"LatencyEncoder: enc_function must be 'linear' or 'log', got {enc_function!r}")
        self.enc_function = enc_function

    def single_step_encode(self, x: Tensor) -> Tensor:
        return E.latency_spikes(x, self.T, self.enc_function)  # type: ignore[arg-type]


class WeightedPhaseEncoder(StatefulEncoder):
    """Weighted phase code in K phases (Kim et al., 2018), x in [0, 1 - 2^-K]."""

    def __init__(self, K: int, step_mode: str = "s") -> None:
        super().__init__(K, step_mode)

    def single_step_encode(self, x: Tensor) -> Tensor:
        return E.weighted_phase_spikes(x, self.T)


class GaussianTuning:
    """Gaussian receptive fields (Bohte et al., 2002): n features, m fields each, over [x_min, x_max] per feature.

    ``encode(x [batch, n, k], max_spike_time=50)`` returns spike times [batch, n, k, m] (-1: no spike), as in
    SpikingJelly's documentation (``spikingjelly.timing_based.encoding``).
    """

    def __init__(self, n: int, m: int, x_min: Tensor, x_max: Tensor) -> None:
        if x_min.shape != (n,):
            raise ValueError(f"GaussianTuning: x_min and x_max must have shape [n={n}], got {tuple(x_min.shape)}")
        self.n, self.m = n, m
        self.mu, self.sigma2 = E.gaussian_receptive_fields(m, x_min, x_max)

    def encode(self, x: Tensor, max_spike_time: int = 50) -> Tensor:
        """Spike times of x; see the class docstring."""
        return E.gaussian_tuning_times(x, self.mu, self.sigma2, max_spike_time)
