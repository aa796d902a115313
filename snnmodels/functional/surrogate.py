"""Surrogate gradients: Heaviside forward, the derivative of a smooth function backward.

Each surrogate is a small frozen dataclass (picklable, comparable, safe as a default argument) with:

- ``primitive(x)``: the smooth function g(x) that stands in for the Heaviside step H(x);
- ``derivative(x)``: g'(x), used in backward; ``derivative_(x)`` computes it in place (the fused kernels use it
  on scratch buffers);
- ``__call__(x, inclusive=True)``: the spike ``H(x)`` with ``x >= 0`` firing (SpikingJelly's convention) or,
  with ``inclusive=False``, ``x > 0`` (snnTorch's), returned in ``x``'s dtype, with g'(x) as its gradient.

``alpha`` sets the sharpness (or, for straight-through and triangle, the height) of g'. Defaults follow
SpikingJelly where it has the surrogate and snnTorch otherwise. Every surrogate of SpikingJelly 2.0 is here, with
its formulas (`PiecewiseLeakyReLU` is `LeakyReLU`, whose ``alpha`` is SpikingJelly's half-width ``w``);
`PoissonPass` alone does not fire by a threshold: it draws Bernoulli spikes with probability ``x``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from snnmodels.registry import Registry

__all__ = [
    "S2NN",
    "SURROGATES",
    "ATan",
    "DeterministicPass",
    "Erf",
    "FakeNumericalGradient",
    "FastSigmoid",
    "LeakyKReLU",
    "LeakyReLU",
    "LogTailedReLU",
    "NonzeroSignLogAbs",
    "PiecewiseExp",
    "PiecewiseLeakyReLU",
    "PiecewiseQuadratic",
    "PoissonPass",
    "QPseudoSpike",
    "Rect",
    "Sigmoid",
    "SoftSign",
    "SquarewaveFourierSeries",
    "StraightThrough",
    "SuperSpike",
    "Surrogate",
    "Triangle",
    "get_surrogate",
    "heaviside",
]


class _Heaviside(torch.autograd.Function):
    """Heaviside step forward; ``grad * surrogate.derivative(x)`` backward."""

    @staticmethod
    def forward(x: Tensor, surrogate: Surrogate, inclusive: bool) -> Tensor:
        return (x >= 0).to(x.dtype) if inclusive else (x > 0).to(x.dtype)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        x, surrogate, _ = inputs
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, None, None]:
        (x,) = ctx.saved_tensors
        return grad * ctx.surrogate.derivative(x), None, None


def heaviside(x: Tensor, inclusive: bool = True) -> Tensor:
    """The step function without a gradient: 1 where ``x >= 0`` (``x > 0`` if not inclusive), else 0."""
    return (x >= 0).to(x.dtype) if inclusive else (x > 0).to(x.dtype)


class Surrogate:
    """Base class: subclasses are frozen dataclasses that define ``primitive`` and ``derivative``."""

    def __call__(self, x: Tensor, inclusive: bool = True) -> Tensor:
        return _Heaviside.apply(x, self, inclusive)

    def primitive(self, x: Tensor) -> Tensor:
        """The smooth function g(x) whose derivative is the surrogate gradient."""
        raise NotImplementedError

    def derivative(self, x: Tensor) -> Tensor:
        """g'(x), a new tensor."""
        raise NotImplementedError

    def derivative_(self, x: Tensor) -> Tensor:
        """g'(x) written into ``x`` (a scratch buffer) and returned; subclasses avoid the temporary."""
        return x.copy_(self.derivative(x))


SURROGATES: Registry[type[Surrogate]] = Registry("surrogate")


@SURROGATES.register("atan")
@dataclass(frozen=True)
class ATan(Surrogate):
    """g(x) = atan(pi/2·alpha·x)/pi + 1/2 (Fang et al., ICCV 2021); g'(x) = (alpha/2) / (1 + (pi/2·alpha·x)²)."""

    alpha: float = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.atan(math.pi / 2 * self.alpha * x) / math.pi + 0.5

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.mul_(math.pi / 2 * self.alpha).square_().add_(1.0).reciprocal_().mul_(self.alpha / 2)


@SURROGATES.register("sigmoid")
@dataclass(frozen=True)
class Sigmoid(Surrogate):
    """g(x) = sigmoid(alpha·x); g'(x) = alpha·g(x)·(1 - g(x)). SpikingJelly's default (alpha=4)."""

    alpha: float = 4.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.alpha * x)

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        s = x.mul_(self.alpha).sigmoid_()
        return torch.addcmul(s, s, s, value=-1.0, out=s).mul_(self.alpha)


@SURROGATES.register("fast_sigmoid")
@dataclass(frozen=True)
class FastSigmoid(Surrogate):
    """g(x) = x / (1 + alpha·|x|) (Zenke & Ganguli's SuperSpike as in snnTorch); g'(x) = 1 / (1 + alpha·|x|)²."""

    alpha: float = 25.0

    def primitive(self, x: Tensor) -> Tensor:
        return x / (1.0 + self.alpha * x.abs())

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.abs_().mul_(self.alpha).add_(1.0).square_().reciprocal_()


@SURROGATES.register("super_spike")
@dataclass(frozen=True)
class SuperSpike(Surrogate):
    """g(x) = alpha·x / (1 + |x|); g'(x) = alpha / (1 + |x|)² (SpikingJelly's SuperSpike)."""

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return self.alpha * x / (1.0 + x.abs())

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.abs_().add_(1.0).square_().reciprocal_().mul_(self.alpha)


@SURROGATES.register("triangle")
@dataclass(frozen=True)
class Triangle(Surrogate):
    """g'(x) = alpha·max(0, 1 - |x|) (Bellec et al., 2018; alpha is their dampening factor).

    g(x) = 0 for x < -1, alpha for x > 1, and alpha·(x - x·|x|/2 + 1/2) between.
    """

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        inner = self.alpha * (x - x * x.abs() / 2 + 0.5)
        return torch.where(x < -1, torch.zeros_like(x), torch.where(x > 1, torch.full_like(x, self.alpha), inner))

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.abs_().neg_().add_(1.0).clamp_(min=0.0).mul_(self.alpha)


@SURROGATES.register("piecewise_quadratic")
@dataclass(frozen=True)
class PiecewiseQuadratic(Surrogate):
    """g'(x) = alpha - alpha²·|x| for |x| <= 1/alpha, else 0 (Esser et al., 2016; SpikingJelly's default alpha=1).

    g(x) = 0 below -1/alpha, 1 above 1/alpha, and -alpha²/2·x·|x| + alpha·x + 1/2 between.
    """

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        a = self.alpha
        inner = -(a**2) / 2 * x * x.abs() + a * x + 0.5
        return torch.where(x < -1 / a, torch.zeros_like(x), torch.where(x > 1 / a, torch.ones_like(x), inner))

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        a = self.alpha
        # max(0, a - a²|x|) equals the piecewise form: it is negative exactly where |x| > 1/a
        return x.abs_().mul_(-(a**2)).add_(a).clamp_(min=0.0)


@SURROGATES.register("erf")
@dataclass(frozen=True)
class Erf(Surrogate):
    """g(x) = erfc(-alpha·x)/2 (Gaussian CDF); g'(x) = alpha/sqrt(pi)·exp(-(alpha·x)²)."""

    alpha: float = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.special.erfc(-self.alpha * x) / 2.0

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.mul_(self.alpha).square_().neg_().exp_().mul_(self.alpha / math.sqrt(math.pi))


@SURROGATES.register("soft_sign")
@dataclass(frozen=True)
class SoftSign(Surrogate):
    """g(x) = (softsign(alpha·x) + 1)/2; g'(x) = 1 / (2·alpha·(1/alpha + |x|)²)."""

    alpha: float = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        return (F.softsign(self.alpha * x) + 1.0) / 2.0

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.abs_().add_(1.0 / self.alpha).square_().mul_(2.0 * self.alpha).reciprocal_()


@SURROGATES.register("leaky_relu")
@dataclass(frozen=True)
class LeakyReLU(Surrogate):
    """Piecewise leaky ReLU: g'(x) = 1/(2·alpha) for |x| < alpha, else c (SpikingJelly's PiecewiseLeakyReLU(w=alpha)).

    g(x) = c·x + c·alpha below -alpha, c·x + 1 - c·alpha above alpha, x/(2·alpha) + 1/2 between.
    """

    alpha: float = 1.0
    c: float = 0.01

    def __post_init__(self) -> None:
        if self.alpha <= 0:
            raise ValueError(f"LeakyReLU.alpha (half-width) must be > 0, got {self.alpha!r}")

    def primitive(self, x: Tensor) -> Tensor:
        w, c = self.alpha, self.c
        inner = x / (2 * w) + 0.5
        return torch.where(x < -w, c * x + c * w, torch.where(x > w, c * x + (1 - c * w), inner))

    def derivative(self, x: Tensor) -> Tensor:
        return torch.full_like(x, self.c).masked_fill_(x.abs() < self.alpha, 1.0 / (2 * self.alpha))


@SURROGATES.register("straight_through")
@dataclass(frozen=True)
class StraightThrough(Surrogate):
    """Straight-through estimator: g(x) = alpha·x, g'(x) = alpha (snnTorch's with alpha=1)."""

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return self.alpha * x

    def derivative(self, x: Tensor) -> Tensor:
        return torch.full_like(x, self.alpha)

    def derivative_(self, x: Tensor) -> Tensor:
        return x.fill_(self.alpha)


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


def get_surrogate(spec: str | Surrogate) -> Surrogate:
    """A surrogate from a registered name (a fresh instance with default alpha) or an instance (returned as is)."""
    if isinstance(spec, str):
        return SURROGATES.get(spec)()
    if isinstance(spec, Surrogate):
        return spec
    raise TypeError(f"surrogate must be a registered name {SURROGATES.names()} or a Surrogate, got {spec!r}")


# ---------------------------------------------------------------------------------------------------------------
# snnTorch's remaining surrogates (snntorch.surrogate 1.0), in our form. In snnTorch the spike fires when x > 0.


@SURROGATES.register("tent")
@dataclass(frozen=True)
class Tent(Surrogate):
    """g(x) = alpha·(1 - |x|); g'(x) = alpha below 0 and -alpha from 0 on (snnTorch's ``triangular(threshold)``).

    The gradient changes sign at the threshold: pushing the membrane up below it and down above it.
    """

    alpha: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return self.alpha * (1.0 - x.abs())

    def derivative(self, x: Tensor) -> Tensor:
        return torch.where(x < 0, self.alpha, -self.alpha).to(x.dtype)

    def derivative_(self, x: Tensor) -> Tensor:
        return x.copy_(torch.where(x < 0, self.alpha, -self.alpha))


@SURROGATES.register("leaky_spike_operator")
@dataclass(frozen=True)
class LeakySpikeOperator(Surrogate):
    """g'(x) = 1 where x > 0 (the neuron fired), alpha elsewhere: a leaky ReLU shifted to the threshold.

    g(x) = x above 0 and alpha·x below. snnTorch's ``LSO(slope=alpha)`` (as its documentation defines it; its
    factory calls the stochastic operator instead and fails); with alpha=0 this is snnTorch's ``heaviside()``,
    whose gradient passes only where the neuron spiked.
    """

    alpha: float = 0.1

    def primitive(self, x: Tensor) -> Tensor:
        return torch.where(x > 0, x, self.alpha * x)

    def derivative(self, x: Tensor) -> Tensor:
        return torch.where(x > 0, 1.0, self.alpha).to(x.dtype)

    def derivative_(self, x: Tensor) -> Tensor:
        return x.copy_(torch.where(x > 0, 1.0, self.alpha))


@SURROGATES.register("spike_rate_escape")
@dataclass(frozen=True)
class SpikeRateEscape(Surrogate):
    """g'(x) = slope·exp(-alpha·|x - 1|) (Gerstner & Kistler's escape rate; snnTorch's ``spike_rate_escape(beta=alpha,
    slope)``, centred, as snnTorch has it, one unit above the threshold).

    g(x) = (slope/alpha)·exp(alpha·(x - 1)) below x = 1 and (slope/alpha)·(2 - exp(-alpha·(x - 1))) above.
    """

    alpha: float = 1.0
    slope: float = 25.0

    def primitive(self, x: Tensor) -> Tensor:
        u = x - 1.0
        k = self.slope / self.alpha
        return torch.where(u < 0, k * torch.exp(self.alpha * u), k * (2.0 - torch.exp(-self.alpha * u)))

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.sub_(1.0).abs_().mul_(-self.alpha).exp_().mul_(self.slope)


@SURROGATES.register("sparse_fast_sigmoid")
@dataclass(frozen=True)
class SparseFastSigmoid(Surrogate):
    """g'(x) = 1/(1 + alpha·|x|)² where x > B, 0 elsewhere (Perez-Nieves & Goodman, 2021; snnTorch's
    ``SFS(slope=alpha, B)``): the fast sigmoid's gradient, kept only above B.

    g(x) = f(max(x, B)) - f(B) with f(x) = x / (1 + alpha·|x|).
    """

    alpha: float = 25.0
    B: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        def f(v: Tensor) -> Tensor:
            return v / (1.0 + self.alpha * v.abs())

        return f(x.clamp(min=self.B)) - f(torch.full_like(x, self.B))

    def derivative(self, x: Tensor) -> Tensor:
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        above = x > self.B
        return x.abs_().mul_(self.alpha).add_(1.0).square_().reciprocal_().mul_(above)


@dataclass(frozen=True)
class StochasticSpikeOperator(Surrogate):
    """g'(x) = 1 where x > 0, else noise (U[-1/2, 1/2) + mean)·variance drawn anew at every backward pass
    (snnTorch's ``SSO(mean, variance)``). Not in the registry: the gradient is random, so there is no g(x)."""

    mean: float = 0.0
    variance: float = 0.2

    def primitive(self, x: Tensor) -> Tensor:
        raise NotImplementedError("StochasticSpikeOperator has a random gradient and no primitive")

    def derivative(self, x: Tensor) -> Tensor:
        noise = (torch.rand_like(x) - 0.5 + self.mean) * self.variance
        return torch.where(x > 0, torch.ones_like(x), noise)


class _CustomGrad(torch.autograd.Function):
    """Heaviside forward; ``surrogate.function(x, grad, spikes)`` backward, exactly as the user wrote it."""

    @staticmethod
    def forward(x: Tensor, surrogate: CustomSurrogate, inclusive: bool) -> Tensor:
        return heaviside(x, inclusive)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        ctx.save_for_backward(inputs[0], output)
        ctx.surrogate = inputs[1]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        x, out = ctx.saved_tensors
        return ctx.surrogate.function(x, grad, out), None, None


@dataclass(frozen=True)
class CustomSurrogate(Surrogate):
    """A user's gradient ``function(x, grad_output, spikes) -> grad_input`` (snnTorch's ``custom_surrogate``).

    Picklable when ``function`` is (a module-level function). ``derivative(x)`` calls it with a gradient of
    ones, which is right for any gradient linear in ``grad_output`` (the fused multi-step kernels need it).
    Not in the registry: it has no parameters of its own.
    """

    function: Any

    def __call__(self, x: Tensor, inclusive: bool = True) -> Tensor:
        return _CustomGrad.apply(x, self, inclusive)

    def primitive(self, x: Tensor) -> Tensor:
        raise NotImplementedError("a custom surrogate is defined by its gradient only")

    def derivative(self, x: Tensor) -> Tensor:
        return self.function(x, torch.ones_like(x), heaviside(x, inclusive=False))


__all__ += [
    "CustomSurrogate",
    "LeakySpikeOperator",
    "SparseFastSigmoid",
    "SpikeRateEscape",
    "StochasticSpikeOperator",
    "Tent",
]
