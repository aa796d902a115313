"""SpikingJelly's ``surrogate``: surrogate functions as ``nn.Module``s with a mutable ``alpha`` and a spiking mode.

Each module keeps its parameters as plain attributes (``alpha``, ``w``, ``beta``...) and, on every call, builds
the frozen surrogate of `snnmodels.functional.surrogate` from their current values and uses it: the Heaviside
step with that surrogate's gradient in spiking mode, its smooth primitive otherwise. So changing ``alpha`` after
construction (SpikingJelly's monitor tutorial sweeps it) changes the next gradient, and the maths exists once.
Neurons of `snnmodels.compat.spikingjelly.neuron` hand the frozen surrogate to our fused kernels.

Argument names, order and defaults are SpikingJelly 2.0's; the functional forms (``surrogate.sigmoid.apply(x,
alpha)``) call the same frozen surrogates.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from torch import Tensor, nn

from snnmodels.functional import surrogate as core
from snnmodels.functional.surrogate import heaviside as _heaviside

__all__ = [
    "S2NN",
    "ATan",
    "DeterministicPass",
    "Erf",
    "FakeNumericalGradient",
    "LeakyKReLU",
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
    "SuperSpike",
    "SurrogateFunctionBase",
    "atan",
    "deterministic_pass",
    "erf",
    "fake_numerical_gradient",
    "heaviside",
    "leaky_k_relu",
    "log_tailed_relu",
    "nonzero_sign_log_abs",
    "piecewise_exp",
    "piecewise_leaky_relu",
    "piecewise_quadratic",
    "poisson_pass",
    "q_pseudo_spike",
    "rect",
    "s2nn",
    "sigmoid",
    "soft_sign",
    "squarewave_fourier_series",
    "super_spike",
]


def heaviside(x: Tensor) -> Tensor:
    """1 where ``x >= 0``, else 0, in ``x``'s dtype (no gradient)."""
    return _heaviside(x)


class SurrogateFunctionBase(nn.Module):
    """Base of the surrogate modules: parameters as attributes, ``spiking`` mode, one frozen core surrogate.

    Subclasses name the core class (``core_class``) and, where SpikingJelly's argument name differs from the core
    field, the mapping (``core_names``).
    """

    core_class: ClassVar[type[core.Surrogate]]
    core_names: ClassVar[dict[str, str]] = {}

    def __init__(self, spiking: bool = True, **kwargs: Any) -> None:
        super().__init__()
        self.spiking = spiking
        self._sg_param_names = tuple(kwargs)
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.core()  # validate the parameters now, with the core's message

    def set_spiking_mode(self, spiking: bool) -> None:
        """True: Heaviside forward with the surrogate gradient; False: the smooth primitive g(x)."""
        self.spiking = spiking

    @property
    def _sg_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._sg_param_names}

    @classmethod
    def _core_of(cls, **params: Any) -> core.Surrogate:
        return cls.core_class(**{cls.core_names.get(k, k): v for k, v in params.items()})

    def core(self) -> core.Surrogate:
        """The frozen `snnmodels.functional.surrogate` object for the current parameter values."""
        return self._core_of(**self._sg_params)

    @classmethod
    def spiking_function(cls, x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """Heaviside forward, surrogate gradient backward, for parameters given as SpikingJelly orders them."""
        return cls._core_of(**cls._params(args, kwargs))(x)

    @classmethod
    def primitive_function(cls, x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """The smooth primitive g(x) for the given parameters."""
        return cls._core_of(**cls._params(args, kwargs)).primitive(x)

    @classmethod
    def backward(cls, grad_output: Tensor, x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """``grad_output · g'(x)``: the gradient the spiking function passes back."""
        return grad_output * cls._core_of(**cls._params(args, kwargs)).derivative(x)

    @classmethod
    def _params(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = [n for n in cls._param_order() if n not in kwargs]
        return {**dict(zip(names, args, strict=False)), **kwargs}

    @classmethod
    def _param_order(cls) -> tuple[str, ...]:
        return tuple(p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "spiking"))

    def forward(self, x: Tensor) -> Tensor:
        sg = self.core()
        return sg(x) if self.spiking else sg.primitive(x)

    def extra_repr(self) -> str:
        parts = [f"{k}={v}" for k, v in self._sg_params.items()]
        parts.append(f"spiking={self.spiking}")
        return ", ".join(parts)


class PiecewiseQuadratic(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.PiecewiseQuadratic`: g'(x) = alpha - alpha²·|x| inside 1/alpha."""

    core_class = core.PiecewiseQuadratic

    def __init__(self, alpha: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class PiecewiseExp(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.PiecewiseExp`: g'(x) = alpha/2·exp(-alpha·|x|)."""

    core_class = core.PiecewiseExp

    def __init__(self, alpha: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class Sigmoid(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.Sigmoid`, every neuron's default: g(x) = sigmoid(alpha·x)."""

    core_class = core.Sigmoid

    def __init__(self, alpha: float = 4.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class SoftSign(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.SoftSign`: g'(x) = 1 / (2·alpha·(1/alpha + |x|)²)."""

    core_class = core.SoftSign

    def __init__(self, alpha: float = 2.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class SuperSpike(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.SuperSpike`: g'(x) = alpha / (1 + |x|)²."""

    core_class = core.SuperSpike

    def __init__(self, alpha: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class ATan(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.ATan`: g'(x) = (alpha/2) / (1 + (pi/2·alpha·x)²)."""

    core_class = core.ATan

    def __init__(self, alpha: float = 2.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class NonzeroSignLogAbs(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.NonzeroSignLogAbs`: g'(x) = 1 / (1/alpha + |x|)."""

    core_class = core.NonzeroSignLogAbs

    def __init__(self, alpha: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class Erf(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.Erf`: g'(x) = alpha/sqrt(pi)·exp(-(alpha·x)²)."""

    core_class = core.Erf

    def __init__(self, alpha: float = 2.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class QPseudoSpike(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.QPseudoSpike`: g'(x) = (1 + 2/(alpha - 1)·|x|)^(-alpha)."""

    core_class = core.QPseudoSpike

    def __init__(self, alpha: float = 2.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class LogTailedReLU(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.LogTailedReLU`: g'(x) = alpha, 1, 1/x on x <= 0, (0, 1], x > 1."""

    core_class = core.LogTailedReLU

    def __init__(self, alpha: float = 0.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class Rect(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.Rect`: g'(x) = alpha inside |x| < 1/(2·alpha)."""

    core_class = core.Rect

    def __init__(self, alpha: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha)


class PiecewiseLeakyReLU(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.LeakyReLU` with SpikingJelly's names: half-width ``w``, outer slope ``c``."""

    core_class = core.LeakyReLU
    core_names: ClassVar[dict[str, str]] = {"w": "alpha"}

    def __init__(self, w: float = 1.0, c: float = 0.01, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, w=w, c=c)


class SquarewaveFourierSeries(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.SquarewaveFourierSeries`."""

    core_class = core.SquarewaveFourierSeries

    def __init__(self, n: int = 2, T_period: float = 8, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, n=n, T_period=T_period)


class S2NN(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.S2NN`."""

    core_class = core.S2NN

    def __init__(self, alpha: float = 4.0, beta: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, alpha=alpha, beta=beta)


class LeakyKReLU(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.LeakyKReLU`."""

    core_class = core.LeakyKReLU

    def __init__(self, leak: float = 0.0, k: float = 1.0, spiking: bool = True) -> None:
        super().__init__(spiking=spiking, leak=leak, k=k)


class FakeNumericalGradient(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.FakeNumericalGradient`; always spiking, as SpikingJelly's."""

    core_class = core.FakeNumericalGradient

    def __init__(self, alpha: float = 0.3) -> None:
        super().__init__(spiking=True, alpha=alpha)


class DeterministicPass(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.DeterministicPass`: Heaviside forward, gradient 1; identity when not spiking."""

    core_class = core.DeterministicPass

    def __init__(self, spiking: bool = True) -> None:
        super().__init__(spiking=spiking)


class PoissonPass(SurrogateFunctionBase):
    """`snnmodels.functional.surrogate.PoissonPass`: Bernoulli(x) spikes, gradient 1; identity when not spiking."""

    core_class = core.PoissonPass

    def __init__(self, spiking: bool = True) -> None:
        super().__init__(spiking=spiking)


class _Functional:
    """SpikingJelly's functional form of a surrogate, ``surrogate.sigmoid.apply(x, alpha)``: the spiking function of
    the module class, with its parameters in the module's order."""

    def __init__(self, module_class: type[SurrogateFunctionBase]) -> None:
        self.module_class = module_class

    def apply(self, x: Tensor, *args: Any) -> Tensor:
        """Heaviside of ``x`` with the surrogate gradient for these parameters."""
        return self.module_class.spiking_function(x, *args)

    def __repr__(self) -> str:
        return f"<functional surrogate of {self.module_class.__name__}>"


piecewise_quadratic = _Functional(PiecewiseQuadratic)
piecewise_exp = _Functional(PiecewiseExp)
sigmoid = _Functional(Sigmoid)
soft_sign = _Functional(SoftSign)
super_spike = _Functional(SuperSpike)
atan = _Functional(ATan)
nonzero_sign_log_abs = _Functional(NonzeroSignLogAbs)
erf = _Functional(Erf)
piecewise_leaky_relu = _Functional(PiecewiseLeakyReLU)
squarewave_fourier_series = _Functional(SquarewaveFourierSeries)
s2nn = _Functional(S2NN)
q_pseudo_spike = _Functional(QPseudoSpike)
leaky_k_relu = _Functional(LeakyKReLU)
fake_numerical_gradient = _Functional(FakeNumericalGradient)
log_tailed_relu = _Functional(LogTailedReLU)
deterministic_pass = _Functional(DeterministicPass)
poisson_pass = _Functional(PoissonPass)
rect = _Functional(Rect)


def as_core(surrogate_function: Any) -> Any:
    """What a neuron hands to our kernels: the frozen core surrogate of a spiking surrogate module (so the fused
    path applies), anything else (a non-spiking module, a core surrogate, any callable) as it is."""
    if isinstance(surrogate_function, SurrogateFunctionBase) and surrogate_function.spiking:
        return surrogate_function.core()
    return surrogate_function
