"""Spiking neuron modules: thin `nn.Module` wrappers over the pure functions in `snnmodels.functional`.

SpikingJelly family (fire when v >= v_threshold): `IFNode`, `LIFNode`, `ParametricLIFNode`; and
`NonSpikingLIFNode`, a leaky integrator that never fires (a readout layer's membrane).
snnTorch family (fire when mem > threshold): `Leaky`, `LeakyParallel`.

Step modes: in ``"m"`` mode (the default for the SpikingJelly family) ``forward(x_seq [T, N, ...])`` starts from
the initial state on every call, so there is no ``reset_net`` to forget between batches; the state after the last
step is left in ``.v`` for inspection. In ``"s"`` mode ``forward(x [N, ...])`` carries the state over between
calls until ``reset()`` / `reset_net`; a call with a different shape raises instead of silently restarting.
For explicit state, use ``forward_with_state`` or the functions in `snnmodels.functional`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.base import MemoryModule, StepMode
from snnmodels.functional.leaky import LeakyParams, leaky_seq, leaky_step
from snnmodels.functional.multistep import Dynamics, charge, neuron_seq, neuron_step
from snnmodels.functional.plif import w_from_tau
from snnmodels.functional.surrogate import ATan, Surrogate, get_surrogate, heaviside

__all__ = ["IFNode", "LIFNode", "Leaky", "LeakyParallel", "NonSpikingLIFNode", "ParametricLIFNode"]


def _check_state_shape(name: str, state: Tensor, x: Tensor) -> None:
    if state.shape != x.shape:
        raise ValueError(
            f"{name} holds state of shape {tuple(state.shape)} from an earlier single-step call, but got input of "
            f"shape {tuple(x.shape)}; call reset_net(model) (or .reset()) between sequences"
        )


class _SJNeuron(MemoryModule):
    """IF/LIF/PLIF base: threshold, reset, surrogate, state handling and step modes.

    A multi-step call leaves its final state in ``.v``; single steps taken after it continue from there, as in
    SpikingJelly, until `reset` / `reset_net`.
    """

    def __init__(
        self,
        v_threshold: float,
        v_reset: float | None,
        surrogate_function: str | Surrogate | Callable[[Tensor], Tensor],
        detach_reset: bool,
        step_mode: StepMode,
        store_v_seq: bool,
        fused: bool,
    ) -> None:
        super().__init__(step_mode)
        self.v_threshold = float(v_threshold)
        self.v_reset = None if v_reset is None else float(v_reset)
        self.detach_reset = bool(detach_reset)
        self.surrogate_function = (
            surrogate_function
            if callable(surrogate_function) and not isinstance(surrogate_function, str)
            else get_surrogate(surrogate_function)
        )
        self.store_v_seq = store_v_seq
        self.fused = fused
        self.v: Tensor | None = None
        self.v_seq: Tensor | None = None

    def dynamics(self) -> Dynamics:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        # the membrane is runtime state, often part of an autograd graph: not saved, not copied
        return {**self.__dict__, "v": None, "v_seq": None}

    def _q(self) -> Tensor | None:
        return None

    def reset(self) -> None:
        self.v = None
        self.v_seq = None

    def forward_with_state(self, x: Tensor, v: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Explicit state: ``v`` None starts at rest; returns (spikes, state) for one step or a sequence."""
        dyn, q = self.dynamics(), self._q()
        if self.step_mode == "s":
            v0 = x.new_full(x.shape, dyn.v_rest) if v is None else v
            spike, v1, _ = neuron_step(x, v0, dyn, self.surrogate_function, q)
            return spike, v1
        spikes, v1, _ = neuron_seq(x, v, dyn, self.surrogate_function, q, fused=self.fused)
        return spikes, v1

    def forward(self, x: Tensor) -> Tensor:
        dyn, q = self.dynamics(), self._q()
        if self.step_mode == "s":
            if self.v is None:
                v = x.new_full(x.shape, dyn.v_rest)
            else:
                _check_state_shape(type(self).__name__, self.v, x)
                v = self.v
            spike, self.v, _ = neuron_step(x, v, dyn, self.surrogate_function, q)
            if self.store_v_seq:
                step = self.v.unsqueeze(0)
                self.v_seq = step if self.v_seq is None else torch.cat((self.v_seq, step))
            return spike
        spikes, self.v, self.v_seq = neuron_seq(
            x, None, dyn, self.surrogate_function, q, fused=self.fused, store_v_seq=self.store_v_seq
        )
        return spikes

    def extra_repr(self) -> str:
        return (
            f"v_threshold={self.v_threshold}, v_reset={self.v_reset}, detach_reset={self.detach_reset}, "
            f"surrogate={self.surrogate_function}, step_mode={self.step_mode}"
        )


class IFNode(_SJNeuron):
    """Integrate-and-fire: H = V + X; spike when H >= v_threshold; hard reset to v_reset or soft if None.

    Args:
        v_threshold: firing threshold.
        v_reset: reset potential; None for a soft reset (subtract v_threshold).
        surrogate_function: a registered surrogate name or a `Surrogate` (default: sigmoid, alpha=4).
        detach_reset: no gradient through the reset.
        step_mode: 'm' ([T, N, ...], default) or 's' ([N, ...]).
        store_v_seq: keep the membrane after every step in ``.v_seq`` ([T, N, ...]); uses the unfused path.
        fused: use the fused multi-step path (fast; cannot be backpropagated through twice).
    """

    def __init__(
        self,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: str | Surrogate | Callable[[Tensor], Tensor] = "sigmoid",
        detach_reset: bool = False,
        step_mode: StepMode = "m",
        store_v_seq: bool = False,
        fused: bool = True,
    ) -> None:
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, fused)

    def dynamics(self) -> Dynamics:
        return Dynamics("none", v_threshold=self.v_threshold, v_reset=self.v_reset, detach_reset=self.detach_reset)


class LIFNode(_SJNeuron):
    """Leaky integrate-and-fire, SpikingJelly's LIFNode (see `snnmodels.functional.lif` for the equations).

    Args:
        tau: membrane time constant in time steps (> 1).
        decay_input: whether the input is divided by tau too.
        v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, fused: as `IFNode`.
    """

    def __init__(
        self,
        tau: float = 2.0,
        decay_input: bool = True,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: str | Surrogate | Callable[[Tensor], Tensor] = "sigmoid",
        detach_reset: bool = False,
        step_mode: StepMode = "m",
        store_v_seq: bool = False,
        fused: bool = True,
    ) -> None:
        if not float(tau) > 1.0:
            raise ValueError(f"LIFNode.tau must be > 1 (time steps), got {tau!r}")
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, fused)
        self.tau = float(tau)
        self.decay_input = decay_input

    def dynamics(self) -> Dynamics:
        return Dynamics("tau", self.tau, self.decay_input, self.v_threshold, self.v_reset, self.detach_reset)

    def extra_repr(self) -> str:
        return f"tau={self.tau}, decay_input={self.decay_input}, " + super().extra_repr()


class ParametricLIFNode(_SJNeuron):
    """LIF with a learnt time constant (Fang et al., ICCV 2021): 1/tau = sigmoid(w), w a parameter.

    Args:
        init_tau: initial tau in time steps (> 1); ``w`` starts at -log(init_tau - 1).
        decay_input, v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, fused:
            as `LIFNode`.
    """

    def __init__(
        self,
        init_tau: float = 2.0,
        decay_input: bool = True,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: str | Surrogate | Callable[[Tensor], Tensor] = "sigmoid",
        detach_reset: bool = False,
        step_mode: StepMode = "m",
        store_v_seq: bool = False,
        fused: bool = True,
    ) -> None:
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, fused)
        self.decay_input = decay_input
        self.w = nn.Parameter(torch.tensor(w_from_tau(float(init_tau))))  # named as SpikingJelly's, same state_dict

    @property
    def tau(self) -> float:
        """The current time constant, 1/sigmoid(w)."""
        return float(1.0 / torch.sigmoid(self.w.detach()))

    def dynamics(self) -> Dynamics:
        return Dynamics(
            "q",
            decay_input=self.decay_input,
            v_threshold=self.v_threshold,
            v_reset=self.v_reset,
            detach_reset=self.detach_reset,
        )

    def _q(self) -> Tensor:
        return self.w.sigmoid()

    def extra_repr(self) -> str:
        return f"tau={self.tau:.4g}, decay_input={self.decay_input}, " + super().extra_repr()


NONSPIKING_DECODES = ("max-mem", "max-abs-mem", "mean-mem", "last_mem")


class NonSpikingLIFNode(MemoryModule):
    """A leaky integrator that never fires (SpikingJelly's ``NonSpikingLIFNode``): the membrane of a readout layer.

    Per step ``v[t] = v[t-1] + (x[t] - v[t-1]) / tau`` from ``v = 0``: the charge of a `LIFNode` with
    ``decay_input=True`` and ``v_reset=0`` (`snnmodels.functional.multistep.charge`), without threshold or reset.
    It returns the membrane, [T, N, ...] in 'm' mode and [N, ...] in 's' mode. A multi-step call with ``decode``
    returns one value per sample and neuron, [N, ...]: 'max-mem' (the maximum over time), 'max-abs-mem' (the
    extreme of larger magnitude, with its sign), 'mean-mem' or 'last_mem' (SpikingJelly's names).

    Args:
        tau: time constant in time steps (> 1).
        decode: None (the membrane at every step) or one of `NONSPIKING_DECODES` (multi-step mode only).
        step_mode: 'm' ([T, N, ...], default) or 's' ([N, ...]).
    """

    def __init__(self, tau: float = 2.0, decode: str | None = None, step_mode: StepMode = "m") -> None:
        if not float(tau) > 1.0:
            raise ValueError(f"NonSpikingLIFNode.tau must be > 1 (time steps), got {tau!r}")
        if decode is not None and decode not in NONSPIKING_DECODES:
            raise ValueError(f"NonSpikingLIFNode.decode must be None or one of {NONSPIKING_DECODES}, got {decode!r}")
        super().__init__(step_mode)
        self.tau = float(tau)
        self.decode = decode
        self.v: Tensor | None = None

    def dynamics(self) -> Dynamics:
        """The charge rule (a LIF that never reaches its threshold)."""
        return Dynamics("tau", self.tau, True, v_threshold=float("inf"), v_reset=0.0)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "v": None}

    def reset(self) -> None:
        self.v = None

    def forward(self, x: Tensor) -> Tensor:
        dyn = self.dynamics()
        if self.step_mode == "s":
            if self.decode is not None:
                raise ValueError(f"NonSpikingLIFNode(decode={self.decode!r}) reduces over time: use step_mode='m'")
            if self.v is not None:
                _check_state_shape(type(self).__name__, self.v, x)
            self.v = charge(x, x.new_zeros(x.shape) if self.v is None else self.v, dyn)
            return self.v
        v = x.new_zeros(x.shape[1:])
        v_seq = torch.empty_like(x)
        for t in range(x.shape[0]):
            v = charge(x[t], v, dyn)
            v_seq[t] = v
        self.v = v
        if self.decode == "max-mem":
            return v_seq.amax(0)
        if self.decode == "max-abs-mem":
            hi, lo = v_seq.amax(0), v_seq.amin(0)
            return torch.where(hi.abs() > lo.abs(), hi, lo)
        if self.decode == "mean-mem":
            return v_seq.mean(0)
        if self.decode == "last_mem":
            return v_seq[-1]
        return v_seq

    def extra_repr(self) -> str:
        return f"tau={self.tau}, decode={self.decode!r}, step_mode={self.step_mode}"


# ---------------------------------------------------------------------------------------------------------------
# snnTorch family


def _tensor_attr(module: nn.Module, name: str, value: Any, learn: bool) -> None:
    t = value.detach().clone() if isinstance(value, Tensor) else torch.as_tensor(value)
    if learn:
        setattr(module, name, nn.Parameter(t))
    else:
        module.register_buffer(name, t)


def _spike_fn(spike_grad: Surrogate | Callable[[Tensor], Tensor] | None, surrogate_disable: bool) -> Any:
    if surrogate_disable:
        return functools.partial(heaviside, inclusive=False)  # no gradient at all, as snnTorch's bypass
    return ATan() if spike_grad is None else spike_grad


class Leaky(MemoryModule):
    """snnTorch's first-order leaky neuron (see `snnmodels.functional.leaky` for the equations).

    Args:
        beta: membrane decay in [0, 1] (clipped when used); a float or a per-neuron tensor.
        threshold: firing threshold; the neuron fires when mem > threshold.
        spike_grad: surrogate (default `ATan` alpha=2, as snnTorch) or any spike function.
        surrogate_disable: spike with no gradient at all.
        init_hidden: keep the membrane in the module between single-step calls and return only spikes.
        learn_beta, learn_threshold, learn_graded_spikes_factor: make those parameters learnable.
        reset_mechanism: 'subtract', 'zero' or 'none'.
        state_quant: a quantizer for the membrane (`snnmodels.functional.state_quant`), or None/False.
        output: with ``init_hidden``, also return the membrane.
        graded_spikes_factor: spikes are scaled by this.
        reset_delay: apply the reset on the next step (snnTorch's default) rather than at once too.
        step_mode: 's' (default, as snnTorch) or 'm'.

    ``forward(x, mem=None)``: with ``init_hidden=False`` (the default) returns (spk, mem), using ``mem`` (None:
    zeros); with ``init_hidden=True`` uses and updates ``self.mem`` and returns spk (or (spk, mem) if ``output``).
    In 'm' mode x is [T, N, ...] and the returned membrane is the sequence [T, N, ...].
    """

    def __init__(
        self,
        beta: float | Tensor,
        threshold: float | Tensor = 1.0,
        spike_grad: Surrogate | Callable[[Tensor], Tensor] | None = None,
        surrogate_disable: bool = False,
        init_hidden: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        reset_mechanism: str = "subtract",
        state_quant: Callable[[Tensor], Tensor] | bool | None = None,
        output: bool = False,
        graded_spikes_factor: float | Tensor = 1.0,
        learn_graded_spikes_factor: bool = False,
        reset_delay: bool = True,
        step_mode: StepMode = "s",
    ) -> None:
        super().__init__(step_mode)
        self.params = LeakyParams(reset_mechanism, reset_delay)  # type: ignore[arg-type]
        _tensor_attr(self, "beta", beta, learn_beta)
        _tensor_attr(self, "threshold", threshold, learn_threshold)
        _tensor_attr(self, "graded_spikes_factor", graded_spikes_factor, learn_graded_spikes_factor)
        self.spike_grad = _spike_fn(spike_grad, surrogate_disable)
        self.state_quant = state_quant if callable(state_quant) else None
        self.init_hidden = init_hidden
        self.output = output
        self.mem: Tensor | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "mem": None}  # runtime state is not saved or copied

    @property
    def reset_mechanism(self) -> str:
        return self.params.reset_mechanism

    def reset(self) -> None:
        self.mem = None

    def _kw(self) -> dict[str, Any]:
        return {
            "p": self.params,
            "surrogate": self.spike_grad,
            "graded_spikes_factor": self.graded_spikes_factor,
            "state_quant": self.state_quant,
        }

    def forward(self, x: Tensor, mem: Tensor | None = None) -> Any:
        if self.init_hidden and mem is not None:
            raise TypeError("`mem` should not be passed as an argument while `init_hidden=True`")
        if self.init_hidden and self.mem is not None and self.step_mode == "s":
            _check_state_shape("Leaky", self.mem, x)
        start = self.mem if self.init_hidden and self.step_mode == "s" else mem
        if self.step_mode == "s":
            spk, new = leaky_step(x, start, self.beta, self.threshold, **self._kw())
            returned = new
        else:
            spk, returned, new = leaky_seq(x, start, self.beta, self.threshold, **self._kw())
        if self.init_hidden:
            self.mem = new
            return (spk, returned) if self.output else spk
        return spk, returned

    def extra_repr(self) -> str:
        return f"reset_mechanism={self.reset_mechanism!r}, step_mode={self.step_mode}"


def _diagonal_grad(grad: Tensor) -> Tensor:
    return grad * torch.eye(grad.shape[0], grad.shape[1], device=grad.device, dtype=grad.dtype)


class LeakyParallel(nn.Module):
    """snnTorch's LeakyParallel: a Leaky layer with a fused input Linear, run over all steps by `torch.nn.RNN`.

    mem[t] = ReLU(W_ih x[t] + b_ih + W_hh mem[t-1] + b_hh) with W_hh diagonal (= beta) unless
    ``weight_hh_enable``; spikes are H(mem - threshold) (strict), no reset. Input [L, N, input_size] or
    [L, input_size]; output spikes of shape [L, (N,) hidden_size].

    Differences from snnTorch 1.0.0, where it was wrong: a per-neuron ``beta`` (length hidden_size) sets each
    diagonal entry (snnTorch ignored it, snnTorch#442); ``dropout`` is applied to the output spikes (snnTorch
    passed it to a one-layer RNN, where it does nothing, snnTorch#403).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        beta: float | Tensor | None = None,
        bias: bool = True,
        threshold: float | Tensor = 1.0,
        dropout: float = 0.0,
        spike_grad: Surrogate | Callable[[Tensor], Tensor] | None = None,
        surrogate_disable: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        graded_spikes_factor: float | Tensor = 1.0,
        learn_graded_spikes_factor: bool = False,
        weight_hh_enable: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(
            input_size, hidden_size, num_layers=1, nonlinearity="relu", bias=bias, device=device, dtype=dtype
        )
        self.dropout = nn.Dropout(dropout)
        beta_t = None if beta is None else torch.as_tensor(beta, dtype=torch.float32).reshape(-1).clamp(0, 1)
        self.register_buffer("beta", beta_t)
        weight_hh = self.rnn.weight_hh_l0
        with torch.no_grad():
            if beta_t is not None:
                if beta_t.numel() == 1:
                    weight_hh.fill_(float(beta_t[0]))
                elif beta_t.numel() == hidden_size:
                    weight_hh.copy_(beta_t.to(weight_hh).unsqueeze(1).expand(hidden_size, hidden_size))
                else:
                    raise ValueError(f"beta must have 1 or hidden_size={hidden_size} values, got {beta_t.numel()}")
            if not weight_hh_enable:
                weight_hh.mul_(torch.eye(hidden_size, device=weight_hh.device, dtype=weight_hh.dtype))
        if not weight_hh_enable and learn_beta:
            weight_hh.register_hook(_diagonal_grad)
        if not learn_beta:
            weight_hh.requires_grad_(False)
        _tensor_attr(self, "threshold", threshold, learn_threshold)
        _tensor_attr(self, "graded_spikes_factor", graded_spikes_factor, learn_graded_spikes_factor)
        self.spike_grad = _spike_fn(spike_grad, surrogate_disable)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.fire(self.rnn(x)[0]))

    def fire(self, mem: Tensor) -> Tensor:
        """Spikes (times graded_spikes_factor) of the membranes [L, (N,) hidden_size] that the RNN computed."""
        shifted = mem - self.threshold
        spk = (
            self.spike_grad(shifted, inclusive=False)
            if isinstance(self.spike_grad, Surrogate)
            else (self.spike_grad(shifted))
        )
        return spk * self.graded_spikes_factor

    def extra_repr(self) -> str:
        return f"hidden_size={self.hidden_size}"
