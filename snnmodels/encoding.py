"""Encoders: turn analog values into spike trains, as pure functions and thin stateless modules.

Every function returns a whole train ``[T, *x.shape]`` (time first, as our multi-step models take it), or, where
the code is one step (`poisson_spikes` without ``T``), ``x.shape``. Random encoders take a ``generator``
(``torch.Generator``) so that a train can be reproduced; without one they draw from torch's global generator,
exactly as SpikingJelly and snnTorch do, so a seeded run gives their spikes to the bit.

Rate codes
    `poisson_spikes`   s = 1 where u <= x, u ~ U[0, 1) per element and step (SpikingJelly's PoissonEncoder)
    `rate_spikes`      s ~ Bernoulli(clamp(gain·x + offset, 0, 1)) (snnTorch's ``spikegen.rate``)
Temporal codes
    `latency_times`    t_f = round((T-1)(1-x)) or round(T-1-ln(alpha·x+1)) (SpikingJelly's LatencyEncoder)
    `rc_latency_times` t_f = tau·ln(x / (x - threshold)), the charging time of an RC circuit, or its linear
                       version (snnTorch's ``spikegen.latency``); `times_to_spikes` turns times into a train
    `weighted_phase_spikes`  binary expansion of x in K phases with weights 2^-k (Kim et al., 2018)
    `delta_spikes`     +1 (and -1) where x[t] - x[t-1] crosses a threshold (snnTorch's ``spikegen.delta``)
    `gaussian_tuning_times`  spike times from m Gaussian receptive fields per feature (Bohte et al., 2002)
`periodic_spikes` repeats a given pattern.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "GaussianTuning",
    "LatencyEncoder",
    "PoissonEncoder",
    "RateEncoder",
    "WeightedPhaseEncoder",
    "delta_spikes",
    "gaussian_receptive_fields",
    "gaussian_tuning_times",
    "latency_spikes",
    "latency_times",
    "periodic_spikes",
    "poisson_spikes",
    "rate_spikes",
    "rc_latency_times",
    "times_to_spikes",
    "weighted_phase_spikes",
]


def _check_steps(name: str, T: int) -> int:
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"{name}: T (number of time steps) must be an int >= 1, got {T!r}")
    return T


def _check_unit(name: str, x: Tensor, high: float = 1.0) -> None:
    if x.numel() and (bool((x < 0).any()) or bool((x > high).any())):
        raise ValueError(
            f"{name} encodes values in [0, {high:g}], got values in [{float(x.min()):g}, {float(x.max()):g}]; "
            "normalize the input first"
        )


def _rand(shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.rand(shape, dtype=like.dtype, device=like.device, generator=generator)


# ---------------------------------------------------------------------------------------------------------------
# rate codes


def poisson_spikes(x: Tensor, T: int | None = None, *, generator: torch.Generator | None = None) -> Tensor:
    """Rate code: each element fires with probability x at each step (s = 1 where u <= x, u ~ U[0, 1)).

    Args:
        x: firing probabilities in [0, 1], any shape (values outside are clipped by the comparison).
        T: number of steps; None for one step.
        generator: the random source (None: torch's global generator, drawn as SpikingJelly's
            ``PoissonEncoder`` draws it once per step, so a seeded run matches it to the bit).

    Returns:
        spikes of x's dtype, ``[T, *x.shape]`` (or ``x.shape`` when T is None).
    """
    if not x.is_floating_point():
        raise TypeError(f"poisson_spikes needs a floating-point x, got {x.dtype}")
    if T is None:
        return _rand(tuple(x.shape), x, generator).le(x).to(x.dtype)
    _check_steps("poisson_spikes", T)
    return _rand((T, *x.shape), x, generator).le(x).to(x.dtype)


def rate_spikes(
    x: Tensor,
    T: int,
    *,
    gain: float = 1.0,
    offset: float = 0.0,
    first_spike_time: int = 0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Rate code with Bernoulli draws: s[t] ~ Bernoulli(clamp(gain·x + offset, 0, 1)), silent before first_spike_time.

    Args:
        x: intensities, any shape.
        T: number of steps.
        gain, offset: the affine map applied before clamping to [0, 1].
        first_spike_time: steps [0, first_spike_time) carry no spikes.
        generator: the random source (None: torch's global one, as snnTorch's ``spikegen.rate``).

    Returns:
        spikes ``[T, *x.shape]`` of x's dtype.
    """
    _check_steps("rate_spikes", T)
    if not 0 <= first_spike_time <= T - 1:
        raise ValueError(f"rate_spikes: first_spike_time must be in [0, T-1={T - 1}], got {first_spike_time}")
    p = (x.unsqueeze(0).expand(T, *x.shape) * gain + offset).clamp(0.0, 1.0)
    spikes = torch.bernoulli(p, generator=generator)
    if first_spike_time:
        spikes[:first_spike_time] = 0
    return spikes


# ---------------------------------------------------------------------------------------------------------------
# temporal codes


def latency_times(x: Tensor, T: int, function: Literal["linear", "log"] = "linear") -> Tensor:
    """Spike step of each element in a latency code: larger x fires earlier (int64, values in [0, T-1]).

    ``linear``: t_f = round((T-1)(1-x)); ``log``: t_f = round(T-1 - ln(alpha·x + 1)) with alpha = e^(T-1) - 1, so
    that x = 1 fires at step 0 and x = 0 at step T-1 (SpikingJelly's ``LatencyEncoder``). x must be in [0, 1].
    """
    _check_steps("latency_times", T)
    _check_unit("latency_times", x)
    if function == "linear":
        return ((T - 1.0) * (1.0 - x)).round().long()
    if function == "log":
        alpha = math.exp(T - 1.0) - 1.0
        return (T - 1.0 - torch.log(alpha * x + 1.0)).round().long()
    raise ValueError(f"latency_times: function must be 'linear' or 'log', got {function!r}")


def latency_spikes(x: Tensor, T: int, function: Literal["linear", "log"] = "linear") -> Tensor:
    """One spike per element at its `latency_times` step: ``[T, *x.shape]`` of x's dtype."""
    t_f = latency_times(x, T, function)
    return F.one_hot(t_f, num_classes=T).to(x.dtype).movedim(-1, 0)


def rc_latency_times(
    x: Tensor,
    *,
    tau: float = 1.0,
    threshold: float = 0.01,
    linear: bool = False,
    first_spike_time: float = 0.0,
    normalize_to: int | None = None,
    epsilon: float = 1e-7,
) -> Tensor:
    """Real-valued spike times of an RC (or linear) latency code, as snnTorch's ``spikegen.latency_code``.

    RC: an input x charges a membrane towards x with time constant tau and fires on crossing ``threshold``:
    t = tau·ln(x / (x - threshold)), with x clamped to at least threshold + epsilon (weak inputs fire last).
    Linear: t = min(tau·(1 - x), tau·(1 - threshold)).  Both then add ``first_spike_time``.

    Args:
        x: intensities in [0, 1].
        tau: time constant in steps (> 0).
        threshold: in (0, 1).
        linear: use the linear code.
        first_spike_time: offset in steps.
        normalize_to: a number of steps T: rescale so that the latest spike lands on step T - 1 (the RC code
            scales t - first_spike_time; the linear code sets tau = T - 1 - first_spike_time).
        epsilon: the clamp margin of the RC code.

    Returns:
        times, of x's shape and dtype (round them, or use `times_to_spikes`).
    """
    _check_unit("rc_latency_times", x)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"rc_latency_times: threshold must be in (0, 1), got {threshold!r}")
    if not tau > 0:
        raise ValueError(f"rc_latency_times: tau must be > 0 steps, got {tau!r}")
    if first_spike_time < 0:
        raise ValueError(f"rc_latency_times: first_spike_time must be >= 0, got {first_spike_time!r}")
    if normalize_to is not None:
        _check_steps("rc_latency_times(normalize_to)", normalize_to)
    if linear:
        if normalize_to is not None:
            tau = normalize_to - 1 - first_spike_time
        times = torch.clamp_max(-tau * (x - 1), -tau * (threshold - 1)) + first_spike_time
        if normalize_to is not None and bool((times < 0).any()):
            times = (times - times.min()) * (1 / (times.max() - times.min())) * (normalize_to - 1)
        return times
    xc = torch.clamp(x, threshold + epsilon)
    times = tau * torch.log(xc / (xc - threshold))
    if first_spike_time > 0:
        times = times + first_spike_time
    if normalize_to is not None:
        shifted = times - first_spike_time
        times = shifted * (normalize_to - first_spike_time - 1) / torch.max(shifted) + first_spike_time
    return times


def times_to_spikes(
    times: Tensor,
    T: int,
    *,
    silent: Tensor | None = None,
    on_target: float = 1.0,
    off_target: float = 0.0,
) -> Tensor:
    """A train ``[T, *times.shape]`` with one spike at step round(times) (none where that is >= T or ``silent``).

    ``on_target`` is the value of a spike and ``off_target`` the floor of the train (snnTorch's ``latency``
    arguments; the result is ``max(spikes·on_target, off_target)``).
    """
    _check_steps("times_to_spikes", T)
    steps = torch.round(times).long()
    keep = steps <= T - 1
    if silent is not None:
        keep = keep & ~silent
    out = torch.zeros((T, *times.shape), dtype=times.dtype, device=times.device)
    out.scatter_(0, steps.clamp(0, T - 1).unsqueeze(0), 1.0)
    out = out * keep
    return torch.clamp(out * on_target, off_target)


def weighted_phase_spikes(x: Tensor, K: int) -> Tensor:
    """Weighted phase code (Kim et al., 2018): spike k carries weight 2^-(k+1); sum_k 2^-(k+1)·s[k] = x truncated.

    x must lie in [0, 1 - 2^-K]; returns ``[K, *x.shape]`` of x's dtype.
    """
    _check_steps("weighted_phase_spikes", K)
    _check_unit(f"weighted_phase_spikes(K={K})", x, high=1.0 - 2.0**-K)
    rest = x.clone()
    out = torch.empty((K, *x.shape), dtype=x.dtype, device=x.device)
    w = 0.5
    for k in range(K):
        out[k] = rest >= w
        rest -= w * out[k]
        w *= 0.5
    return out


def delta_spikes(x_seq: Tensor, threshold: float = 0.1, *, padding: bool = False, off_spike: bool = False) -> Tensor:
    """Change detection on a sequence ``[T, ...]``: 1 where x[t] - x[t-1] >= threshold (and -1 where <= -threshold
    with ``off_spike``). x[-1] is 0, or x[0] with ``padding`` (so the first step cannot fire)."""
    if x_seq.dim() < 1 or x_seq.shape[0] == 0:
        raise ValueError(f"delta_spikes needs a sequence [T, ...] with T >= 1, got shape {tuple(x_seq.shape)}")
    first = x_seq[:1] if padding else torch.zeros_like(x_seq[:1])
    diff = x_seq - torch.cat((first, x_seq[:-1]))
    on = (diff >= threshold).to(x_seq.dtype)
    return on - (diff <= -threshold).to(x_seq.dtype) if off_spike else on


def periodic_spikes(pattern: Tensor, T: int) -> Tensor:
    """Repeat a pattern ``[P, ...]`` over T steps: out[t] = pattern[t % P]."""
    _check_steps("periodic_spikes", T)
    P = pattern.shape[0]
    if P == 0:
        raise ValueError("periodic_spikes needs a pattern with at least one step")
    return pattern[torch.arange(T, device=pattern.device) % P]


def gaussian_receptive_fields(m: int, x_min: Tensor, x_max: Tensor) -> tuple[Tensor, Tensor]:
    """Centres and variances ``[n, m]`` of m Gaussian fields per feature over [x_min, x_max] (Bohte et al., 2002).

    mu_i = x_min + (2i - 3)/2 · (x_max - x_min)/(m - 2) for i = 1..m; sigma^2 = ((x_max - x_min) / (1.5 (m - 2)))^2.
    """
    if isinstance(m, bool) or not isinstance(m, int) or m <= 2:
        raise ValueError(f"gaussian_receptive_fields: m (fields per feature) must be an int > 2, got {m!r}")
    if x_min.dim() != 1 or x_min.shape != x_max.shape:
        raise ValueError(f"x_min and x_max must both have shape [n], got {tuple(x_min.shape)} and {tuple(x_max.shape)}")
    if not bool((x_min < x_max).all()):
        raise ValueError("every x_min must be below its x_max")
    i = torch.arange(1, m + 1, dtype=x_min.dtype, device=x_min.device).unsqueeze(0)
    width = (x_max - x_min).unsqueeze(-1)
    mu = x_min.unsqueeze(-1) + (2 * i - 3) / 2 * width / (m - 2)
    sigma2 = (1 / 1.5 * width / (m - 2)).square().expand(-1, m).clone()
    return mu, sigma2


def gaussian_tuning_times(
    x: Tensor, mu: Tensor, sigma2: Tensor, max_spike_time: float = 50, *, rounded: bool = True
) -> Tensor:
    """Spike times of Gaussian receptive fields: t = max_spike_time·(1 - exp(-(x - mu)^2 / (2 sigma^2))).

    Args:
        x: ``[B, n, k]`` (B samples, n features, k values each).
        mu, sigma2: ``[n, m]`` from `gaussian_receptive_fields`.
        max_spike_time: the coding window, in steps.
        rounded: round to whole steps (SpikingJelly's ``GaussianTuning.encode``); times >= max_spike_time
            become -1 (no spike) either way.

    Returns:
        times ``[B, n, k, m]``.
    """
    if x.dim() != 3 or x.shape[1] != mu.shape[0]:
        raise ValueError(f"gaussian_tuning_times takes x [B, n={mu.shape[0]}, k], got shape {tuple(x.shape)}")
    y = torch.exp(-(x.unsqueeze(-1) - mu[None, :, None, :]).square() / 2 / sigma2[None, :, None, :])
    times = max_spike_time * (1 - y)
    if rounded:
        times = times.round()
    return times.masked_fill(times >= max_spike_time, -1)


# ---------------------------------------------------------------------------------------------------------------
# thin modules (stateless: the same input and generator state give the same train)


class _Seeded(nn.Module):
    """Holds an optional seeded generator, recreated on the input's device and kept across pickling."""

    def __init__(self, seed: int | None) -> None:
        super().__init__()
        self.seed = seed
        self._gen: torch.Generator | None = None

    def generator(self, like: Tensor) -> torch.Generator | None:
        """The generator for ``like``'s device (None without a seed)."""
        if self.seed is None:
            return None
        if self._gen is None or self._gen.device != like.device:
            self._gen = torch.Generator(device=like.device).manual_seed(self.seed)
        return self._gen

    def reseed(self) -> None:
        """Start the random stream again from the seed."""
        self._gen = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        gen = state.pop("_gen")
        state["_gen_state"] = None if gen is None or gen.device.type != "cpu" else gen.get_state()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        gen_state = state.pop("_gen_state", None)
        self.__dict__.update(state)
        self._gen = None
        if gen_state is not None:
            self._gen = torch.Generator()
            self._gen.set_state(gen_state)

    def extra_repr(self) -> str:
        return f"seed={self.seed}"


class PoissonEncoder(_Seeded):
    """`poisson_spikes` as a module: ``forward(x) -> [T, *x.shape]`` (``x.shape`` when T is None)."""

    def __init__(self, T: int | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.T = None if T is None else _check_steps("PoissonEncoder", T)

    def forward(self, x: Tensor) -> Tensor:
        return poisson_spikes(x, self.T, generator=self.generator(x))

    def extra_repr(self) -> str:
        return f"T={self.T}, " + super().extra_repr()


class RateEncoder(_Seeded):
    """`rate_spikes` (Bernoulli) as a module: ``forward(x) -> [T, *x.shape]``."""

    def __init__(self, T: int, gain: float = 1.0, offset: float = 0.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.T = _check_steps("RateEncoder", T)
        self.gain, self.offset = gain, offset

    def forward(self, x: Tensor) -> Tensor:
        return rate_spikes(x, self.T, gain=self.gain, offset=self.offset, generator=self.generator(x))


class LatencyEncoder(nn.Module):
    """`latency_spikes` as a module: ``forward(x) -> [T, *x.shape]``, one spike per element."""

    def __init__(self, T: int, function: Literal["linear", "log"] = "linear") -> None:
        super().__init__()
        self.T = _check_steps("LatencyEncoder", T)
        if function not in ("linear", "log"):
            raise ValueError(f"LatencyEncoder: function must be 'linear' or 'log', got {function!r}")
        self.function = function

    def forward(self, x: Tensor) -> Tensor:
        return latency_spikes(x, self.T, self.function)

    def extra_repr(self) -> str:
        return f"T={self.T}, function={self.function!r}"


class WeightedPhaseEncoder(nn.Module):
    """`weighted_phase_spikes` as a module: ``forward(x) -> [K, *x.shape]``."""

    def __init__(self, K: int) -> None:
        super().__init__()
        self.K = _check_steps("WeightedPhaseEncoder", K)

    def forward(self, x: Tensor) -> Tensor:
        return weighted_phase_spikes(x, self.K)

    def extra_repr(self) -> str:
        return f"K={self.K}"


@dataclass(frozen=True)
class GaussianTuning:
    """Gaussian receptive fields for n features with m fields each; ``encode(x [B, n, k]) -> times [B, n, k, m]``."""

    mu: Tensor
    sigma2: Tensor

    @classmethod
    def from_range(cls, m: int, x_min: Tensor, x_max: Tensor) -> GaussianTuning:
        """Fields spread over [x_min, x_max] per feature (see `gaussian_receptive_fields`)."""
        return cls(*gaussian_receptive_fields(m, x_min, x_max))

    def encode(self, x: Tensor, max_spike_time: float = 50, *, rounded: bool = True) -> Tensor:
        """`gaussian_tuning_times` with these fields (-1: no spike)."""
        return gaussian_tuning_times(x, self.mu, self.sigma2, max_spike_time, rounded=rounded)
