"""Surrogate gradients: Heaviside forward, the derivative of a smooth function backward.

Each surrogate is a small frozen dataclass (picklable, comparable, safe as a default argument) with:

- ``primitive(x)``: the smooth function g(x) that stands in for the Heaviside step H(x);
- ``derivative(x)``: g'(x), used in backward; ``derivative_(x)`` computes it in place (the fused kernels use it
  on scratch buffers);
- ``__call__(x, inclusive=True)``: the spike ``H(x)`` with ``x >= 0`` firing (SpikingJelly's convention) or,
  with ``inclusive=False``, ``x > 0`` (snnTorch's), returned in ``x``'s dtype, with g'(x) as its gradient.

``alpha`` sets the sharpness (or, for straight-through and triangle, the height) of g'. Defaults follow
SpikingJelly where it has the surrogate and snnTorch otherwise.
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
    "SURROGATES",
    "ATan",
    "Erf",
    "FastSigmoid",
    "LeakyReLU",
    "PiecewiseQuadratic",
    "Sigmoid",
    "SoftSign",
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
