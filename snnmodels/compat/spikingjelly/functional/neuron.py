"""SpikingJelly's functional neuron steps (explicit state in, new state out), computed by
`snnmodels.functional.multistep`: ``if_step``, ``lif_step``, ``plif_step``, their ``*_multi_step`` sequences,
``lif_charge`` and ``voltage_reset``. Arguments in SpikingJelly 2.0's order."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from snnmodels.compat.spikingjelly.surrogate import Sigmoid, as_core
from snnmodels.functional.multistep import Dynamics, charge, neuron_seq, neuron_step
from snnmodels.functional.reset import reset

__all__ = [
    "if_multi_step",
    "if_step",
    "lif_charge",
    "lif_multi_step",
    "lif_step",
    "plif_multi_step",
    "plif_step",
    "voltage_reset",
]


def _sg(surrogate_function: Any) -> Any:
    return as_core(Sigmoid() if surrogate_function is None else surrogate_function)


def _if(v_threshold: float, v_reset: float | None, detach_reset: bool) -> Dynamics:
    return Dynamics("none", v_threshold=v_threshold, v_reset=v_reset, detach_reset=detach_reset)


def _lif(tau: float, decay_input: bool, v_threshold: float, v_reset: float | None, detach_reset: bool) -> Dynamics:
    return Dynamics("tau", tau, decay_input, v_threshold, v_reset, detach_reset)


def _plif(decay_input: bool, v_threshold: float, v_reset: float | None, detach_reset: bool) -> Dynamics:
    return Dynamics("q", decay_input=decay_input, v_threshold=v_threshold, v_reset=v_reset, detach_reset=detach_reset)


def lif_charge(x: Tensor, v: Tensor, tau: float, decay_input: bool, v_reset: float | None) -> Tensor:
    """The LIF membrane after charging from ``v`` with input ``x`` (no fire, no reset); v_reset None leaks to 0."""
    return charge(x, v, _lif(tau, decay_input, 1.0, v_reset, False))


def voltage_reset(v: Tensor, spike: Tensor, v_threshold: float, v_reset: float | None, detach_reset: bool) -> Tensor:
    """Hard reset to ``v_reset`` where ``spike``, or soft (minus ``v_threshold``) when ``v_reset`` is None."""
    return reset(v, spike, v_threshold, v_reset, detach_reset)


def if_step(
    x: Tensor,
    v: Tensor,
    v_threshold: float,
    v_reset: float | None,
    surrogate_function: Any,
    detach_reset: bool = False,
) -> tuple[Tensor, Tensor]:
    """One IF step: (spike, v_next)."""
    spike, v, _ = neuron_step(x, v, _if(v_threshold, v_reset, detach_reset), _sg(surrogate_function))
    return spike, v


def lif_step(
    x: Tensor,
    v: Tensor,
    tau: float,
    decay_input: bool,
    v_threshold: float,
    v_reset: float | None,
    surrogate_function: Any,
    detach_reset: bool = False,
) -> tuple[Tensor, Tensor]:
    """One LIF step: (spike, v_next)."""
    dyn = _lif(tau, decay_input, v_threshold, v_reset, detach_reset)
    spike, v, _ = neuron_step(x, v, dyn, _sg(surrogate_function))
    return spike, v


def plif_step(
    x: Tensor,
    v: Tensor,
    w: Tensor,
    decay_input: bool,
    v_threshold: float,
    v_reset: float | None,
    surrogate_function: Any,
    detach_reset: bool = False,
) -> tuple[Tensor, Tensor]:
    """One parametric-LIF step, 1/tau = sigmoid(w): (spike, v_next); differentiable in ``w``."""
    dyn = _plif(decay_input, v_threshold, v_reset, detach_reset)
    spike, v, _ = neuron_step(x, v, dyn, _sg(surrogate_function), w.sigmoid())
    return spike, v


def if_multi_step(
    x_seq: Tensor,
    v: Tensor | float,
    v_threshold: float = 1.0,
    v_reset: float | None = 0.0,
    surrogate_function: Any = None,
    detach_reset: bool = False,
    store_v_seq: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """T IF steps from ``v``: (spikes [T, N, ...], v after the last step, v after each step or None)."""
    return neuron_seq(
        x_seq, v, _if(v_threshold, v_reset, detach_reset), _sg(surrogate_function), store_v_seq=store_v_seq
    )


def lif_multi_step(
    x_seq: Tensor,
    v: Tensor | float,
    tau: float = 2.0,
    decay_input: bool = True,
    v_threshold: float = 1.0,
    v_reset: float | None = 0.0,
    surrogate_function: Any = None,
    detach_reset: bool = False,
    store_v_seq: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """T LIF steps from ``v``: (spikes, last v, per-step v or None)."""
    dyn = _lif(tau, decay_input, v_threshold, v_reset, detach_reset)
    return neuron_seq(x_seq, v, dyn, _sg(surrogate_function), store_v_seq=store_v_seq)


def plif_multi_step(
    x_seq: Tensor,
    v: Tensor | float,
    w: Tensor,
    decay_input: bool = True,
    v_threshold: float = 1.0,
    v_reset: float | None = 0.0,
    surrogate_function: Any = None,
    detach_reset: bool = False,
    store_v_seq: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """T parametric-LIF steps from ``v``: (spikes, last v, per-step v or None)."""
    dyn = _plif(decay_input, v_threshold, v_reset, detach_reset)
    return neuron_seq(x_seq, v, dyn, _sg(surrogate_function), w.sigmoid(), store_v_seq=store_v_seq)
