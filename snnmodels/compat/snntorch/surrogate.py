"""``snntorch.surrogate`` (snnTorch 1.0) under its own names: factories that return a spike function.

``spike_grad = surrogate.fast_sigmoid(slope=25)`` returns a callable ``spike_grad(x)`` that fires where x > 0
(snnTorch's convention) with the named surrogate gradient. Each is a frozen dataclass over one of our
`snnmodels.functional.surrogate` classes, so unlike snnTorch's closures it pickles, compares and prints.
The spikes keep the input's dtype (snnTorch always returns float32).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from snnmodels.functional import surrogate as _core

__all__ = [
    "LSO",
    "SFS",
    "SSO",
    "SpikeFunction",
    "atan",
    "custom_surrogate",
    "fast_sigmoid",
    "heaviside",
    "sigmoid",
    "spike_rate_escape",
    "straight_through_estimator",
    "triangular",
]


@dataclass(frozen=True)
class SpikeFunction(_core.Surrogate):
    """A core surrogate called as snnTorch calls one: ``spike_fn(x)`` is 1 where x > 0, else 0."""

    surrogate: _core.Surrogate

    def __call__(self, x: Tensor, inclusive: bool = False) -> Tensor:
        return self.surrogate(x, inclusive)

    def primitive(self, x: Tensor) -> Tensor:
        return self.surrogate.primitive(x)

    def derivative(self, x: Tensor) -> Tensor:
        return self.surrogate.derivative(x)

    def derivative_(self, x: Tensor) -> Tensor:
        return self.surrogate.derivative_(x)


def atan(alpha: float = 2.0) -> SpikeFunction:
    """Arctangent: dS/dx = (alpha/2) / (1 + (pi/2·alpha·x)²) (Fang et al., 2021); snnTorch's default."""
    return SpikeFunction(_core.ATan(alpha))


def fast_sigmoid(slope: float = 25) -> SpikeFunction:
    """Fast sigmoid (SuperSpike, Zenke & Ganguli, 2018): dS/dx = 1 / (1 + slope·|x|)²."""
    return SpikeFunction(_core.FastSigmoid(slope))


def sigmoid(slope: float = 25) -> SpikeFunction:
    """Logistic: dS/dx = slope·sigmoid(slope·x)·(1 - sigmoid(slope·x))."""
    return SpikeFunction(_core.Sigmoid(slope))


def straight_through_estimator() -> SpikeFunction:
    """Straight-through estimator: dS/dx = 1."""
    return SpikeFunction(_core.StraightThrough(1.0))


def triangular(threshold: float = 1) -> SpikeFunction:
    """snnTorch's triangular: dS/dx = threshold below 0, -threshold from 0 on."""
    return SpikeFunction(_core.Tent(threshold))


def heaviside() -> SpikeFunction:
    """Gradient 1 where the neuron spiked (x > 0), 0 elsewhere."""
    return SpikeFunction(_core.LeakySpikeOperator(0.0))


def spike_rate_escape(beta: float = 1, slope: float = 25) -> SpikeFunction:
    """Escape rate (Gerstner & Kistler, 2002): dS/dx = slope·exp(-beta·|x - 1|)."""
    return SpikeFunction(_core.SpikeRateEscape(beta, slope))


def SSO(mean: float = 0, variance: float = 0.2) -> SpikeFunction:
    """Stochastic spike operator: gradient 1 where x > 0, else (U[-1/2, 1/2) + mean)·variance, drawn anew."""
    return SpikeFunction(_core.StochasticSpikeOperator(mean, variance))


def LSO(slope: float = 0.1) -> SpikeFunction:
    """Leaky spike operator: gradient 1 where x > 0, ``slope`` elsewhere (snnTorch 1.0's own LSO() fails)."""
    return SpikeFunction(_core.LeakySpikeOperator(slope))


def SFS(slope: float = 25, B: float = 1) -> SpikeFunction:
    """Sparse fast sigmoid (Perez-Nieves & Goodman, 2021): the fast sigmoid's gradient where x > B, else 0."""
    return SpikeFunction(_core.SparseFastSigmoid(slope, B))


def custom_surrogate(custom_surrogate_function: Callable[[Tensor, Tensor, Tensor], Tensor]) -> SpikeFunction:
    """Your gradient: ``custom_surrogate_function(x, grad_output, spikes) -> grad_input``.

    The result pickles when the function does (define it at module level, not as a lambda).
    """
    return SpikeFunction(_core.CustomSurrogate(custom_surrogate_function))
