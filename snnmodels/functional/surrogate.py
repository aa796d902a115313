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


# SpikingJelly 2.0's other surrogates live in their own module; importing it here registers them and keeps
# every surrogate reachable from this module
from snnmodels.functional.surrogate_sj import (  # noqa: E402
    S2NN,
    DeterministicPass,
    FakeNumericalGradient,
    LeakyKReLU,
    LogTailedReLU,
    NonzeroSignLogAbs,
    PiecewiseExp,
    PiecewiseLeakyReLU,
    PoissonPass,
    QPseudoSpike,
    Rect,
    SquarewaveFourierSeries,
)
