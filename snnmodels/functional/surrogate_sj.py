"""SpikingJelly 2.0's surrogates beyond the common set, as frozen dataclasses registered in ``SURROGATES``.

Formulas are SpikingJelly's (its ``activation_based.surrogate``), so gradients agree with it in float64. They are
re-exported by `snnmodels.functional.surrogate`; import them from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from snnmodels.functional.surrogate import SURROGATES, LeakyReLU, Surrogate, heaviside

__all__ = [
    "S2NN",
    "DeterministicPass",
    "FakeNumericalGradient",
    "LeakyKReLU",
    "LogTailedReLU",
    "NonzeroSignLogAbs",
    "PiecewiseExp",
    "PiecewiseLeakyReLU",
    "PoissonPass",
    "QPseudoSpike",
    "Rect",
    "SquarewaveFourierSeries",
]

PiecewiseLeakyReLU = LeakyReLU  # SpikingJelly's name; its ``w`` is our ``alpha``


def _sign_nonzero(x: Tensor) -> Tensor:
    """+1 where x >= 0, -1 elsewhere (SpikingJelly's sign that is never 0)."""
    return heaviside(x) * 2.0 - 1.0


@SURROGATES.register("piecewise_exp")
@dataclass(frozen=True)
class PiecewiseExp(Surrogate):
    """g'(x) = alpha/2·exp(-alpha·|x|) (SLAYER, Shrestha & Orchard 2018); g(x) = 1 - exp(-alpha·x)/2 for
    x >= 0, exp(alpha·x)/2 below."""

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        sign = _sign_nonzero(x)
        return heaviside(x) - (sign * x * -self.alpha).exp() / 2.0 * sign

    def derivative(self, x: Tensor) -> Tensor:
        return (-self.alpha * x.abs()).exp_().mul_(self.alpha / 2)


@SURROGATES.register("nonzero_sign_log_abs")
@dataclass(frozen=True)
class NonzeroSignLogAbs(Surrogate):
    """g'(x) = 1 / (1/alpha + |x|); g(x) = sign(x)·log(alpha·|x| + 1), with sign(0) = +1."""

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        sign = _sign_nonzero(x)
        return sign * (self.alpha * sign * x + 1).log()

    def derivative(self, x: Tensor) -> Tensor:
        return x.abs().add_(1 / self.alpha).reciprocal_()


@SURROGATES.register("squarewave_fourier_series")
@dataclass(frozen=True)
class SquarewaveFourierSeries(Surrogate):
    """The first ``n - 1`` odd terms of the Fourier series of a square wave of period ``T_period``:
    g(x) = 1/2 + 2/pi·sum_i sin((2i-1)·w·x)/(2i-1), w = 2pi/T_period; g'(x) = 4/T_period·sum_i cos((2i-1)·w·x)."""

    n: int = 2
    T_period: float = 8.0

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n < 1 or not self.T_period > 0:
            raise ValueError(f"SquarewaveFourierSeries needs an int n >= 1 and T_period > 0, got {self!r}")

    def primitive(self, x: Tensor) -> Tensor:
        w = math.pi * 2.0 / self.T_period
        ret = torch.zeros_like(x)
        for i in range(1, self.n):
            c = 2 * i - 1.0
            ret = ret + torch.sin(c * w * x) / c
        return 0.5 + 2.0 / math.pi * ret

    def derivative(self, x: Tensor) -> Tensor:
        w = math.pi * 2.0 / self.T_period
        grad = torch.zeros_like(x)
        for i in range(1, self.n):
            grad = grad + torch.cos((2 * i - 1.0) * w * x)
        return grad * (4.0 / self.T_period)


@SURROGATES.register("s2nn")
@dataclass(frozen=True)
class S2NN(Surrogate):
    """S2NN (Suetake et al., 2023): the sigmoid's g'(x) = alpha·s·(1 - s), s = sigmoid(alpha·x), for x < 0, and
    beta/(x + 1) for x >= 0; g(x) = sigmoid(alpha·x) below 0, beta·log(|x + 1| + 1e-5) + 1/2 above (the 1e-5,
    SpikingJelly's, makes g' differ from the derivative of g by about 1e-5 relative)."""

    alpha: float = 4.0
    beta: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.where(x < 0.0, torch.sigmoid(x * self.alpha), self.beta * torch.log((x + 1.0).abs() + 1e-05) + 0.5)

    def derivative(self, x: Tensor) -> Tensor:
        s = torch.sigmoid(self.alpha * x)
        return torch.where(x < 0.0, self.alpha * s * (1.0 - s), self.beta / (x + 1.0))


@SURROGATES.register("q_pseudo_spike")
@dataclass(frozen=True)
class QPseudoSpike(Surrogate):
    """q-PseudoSpike (Herranz-Celotti & Rouat, 2022): g'(x) = (1 + 2/(alpha - 1)·|x|)^(-alpha), alpha > 1 sets the
    tail; g(x) = H(x) - sign(x)/2·(1 + 2/(alpha - 1)·|x|)^(1 - alpha)."""

    alpha: float = 2.0

    def __post_init__(self) -> None:
        if not self.alpha > 1.0:
            raise ValueError(f"QPseudoSpike.alpha (the tail factor) must be > 1, got {self.alpha!r}")

    def primitive(self, x: Tensor) -> Tensor:
        sign = _sign_nonzero(x)
        return heaviside(x) - sign * (0.5 * (1.0 + 2.0 / (self.alpha - 1.0) * x * sign).pow(1.0 - self.alpha))

    def derivative(self, x: Tensor) -> Tensor:
        return (1 + 2 / (self.alpha - 1) * x.abs()).pow_(-self.alpha)


@SURROGATES.register("leaky_k_relu")
@dataclass(frozen=True)
class LeakyKReLU(Surrogate):
    """g'(x) = k for x >= 0, ``leak`` below; g(x) = g'(x)·x."""

    leak: float = 0.0
    k: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return self.derivative(x) * x

    def derivative(self, x: Tensor) -> Tensor:
        mask = heaviside(x)
        return mask * self.k + (1.0 - mask) * self.leak


@SURROGATES.register("log_tailed_relu")
@dataclass(frozen=True)
class LogTailedReLU(Surrogate):
    """Log-tailed ReLU (Cai et al., 2017): g'(x) = alpha for x <= 0, 1 on (0, 1], 1/x above 1;
    g(x) = alpha·x, x, log(x) + 1 on those pieces."""

    alpha: float = 0.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.where(x > 1.0, torch.log(torch.clamp_min(x, 1.0)) + 1.0, F.leaky_relu(x, self.alpha))

    def derivative(self, x: Tensor) -> Tensor:
        ones = torch.ones_like(x)
        return torch.where(x > 1.0, ones / x.clamp_min(1.0), torch.where(x <= 0.0, ones * self.alpha, ones))


@SURROGATES.register("rect")
@dataclass(frozen=True)
class Rect(Surrogate):
    """Rectangular window: g'(x) = alpha for |x| < 1/(2·alpha), else 0; g(x) = clamp(alpha·x + 1/2, 0, 1)."""

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.clamp(self.alpha * x + 0.5, min=0.0, max=1.0)

    def derivative(self, x: Tensor) -> Tensor:
        return (x.abs() < 0.5 / self.alpha).to(x) * self.alpha


@SURROGATES.register("fake_numerical_gradient")
@dataclass(frozen=True)
class FakeNumericalGradient(Surrogate):
    """The finite-difference slope of the step, capped (Yang & Chen, 2023): g'(x) = min(1/|x|, alpha).

    g(x) = alpha·x for |x| <= 1/alpha, sign(x)·(1 + log(alpha·|x|)) beyond (SpikingJelly defines no g).
    """

    alpha: float = 0.3

    def primitive(self, x: Tensor) -> Tensor:
        a = self.alpha
        tail = x.sign() * (1.0 + torch.log((a * x.abs()).clamp_min(1.0)))
        return torch.where(x.abs() <= 1 / a, a * x, tail)

    def derivative(self, x: Tensor) -> Tensor:
        return x.abs().reciprocal_().clamp_max_(self.alpha)


@SURROGATES.register("deterministic_pass")
@dataclass(frozen=True)
class DeterministicPass(Surrogate):
    """Straight-through estimator with unit slope: g(x) = x, g'(x) = 1."""

    def primitive(self, x: Tensor) -> Tensor:
        return x

    def derivative(self, x: Tensor) -> Tensor:
        return torch.ones_like(x)

    def derivative_(self, x: Tensor) -> Tensor:
        return x.fill_(1.0)


class _Bernoulli(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor) -> Tensor:
        return torch.bernoulli(x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


@SURROGATES.register("poisson_pass")
@dataclass(frozen=True)
class PoissonPass(DeterministicPass):
    """Stochastic spikes: fires with probability ``x`` (in [0, 1]) by a Bernoulli draw, unit gradient backward.

    Not a threshold: ``inclusive`` is ignored and the draw uses torch's global generator.
    """

    def __call__(self, x: Tensor, inclusive: bool = True) -> Tensor:
        return _Bernoulli.apply(x)
