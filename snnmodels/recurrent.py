"""Stateful synapses and self-connections: `SynapseFilter`, `ElementWiseRecurrent`, `LinearRecurrent`.

Per step t, with x the module's input and y its output (SpikingJelly's definitions)::

    SynapseFilter         I[t] = I[t-1] - (1 - x[t])·I[t-1] / tau + x[t]   (1/tau = sigmoid(w) if learnable)
    ElementWiseRecurrent  y[t] = sub(combine(x[t], y[t-1]))                      (y[-1] = 0)
    LinearRecurrent       y[t] = sub(W·[x[t], y[t-1]] + b),  W: [in, in + out]   (y[-1] = 0)

Step modes follow our neurons: in 'm' (the default) ``forward(x_seq [T, N, ...])`` starts from rest on every call
and returns ``[T, N, ...]``; in 's' the state carries over between calls until `reset` / `reset_net`. The wrapped
``sub`` module sees one step at a time (it is switched to single-step mode), so any neuron can be inside.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.base import MemoryModule, StepMode, reset_net, set_step_mode

__all__ = [
    "ElementWiseRecurrent",
    "LinearRecurrent",
    "SynapseFilter",
    "synapse_filter_seq",
    "synapse_filter_step",
]


def synapse_filter_step(x: Tensor, current: Tensor, inv_tau: float | Tensor) -> Tensor:
    """One step of the synaptic filter: I - (1 - x)·I·inv_tau + x (``inv_tau`` = 1/tau)."""
    return current - (1.0 - x) * current * inv_tau + x


def synapse_filter_seq(x_seq: Tensor, inv_tau: float | Tensor, current: Tensor | None = None) -> Tensor:
    """T steps of `synapse_filter_step` from ``current`` (None: zeros): ``[T, ...] -> [T, ...]``."""
    i = torch.zeros_like(x_seq[0]) if current is None else current
    out = []
    for t in range(x_seq.shape[0]):
        i = synapse_filter_step(x_seq[t], i, inv_tau)
        out.append(i)
    return torch.stack(out) if out else x_seq.clone()


class SynapseFilter(MemoryModule):
    """A first-order synaptic current filter after a stateless synapse (see the module docstring).

    Args:
        tau: time constant in steps (> 1).
        learnable: learn it, as 1/tau = sigmoid(w) with ``w`` a parameter (named as SpikingJelly's).
        step_mode: 'm' ([T, N, ...], default) or 's'.
    """

    def __init__(self, tau: float = 100.0, learnable: bool = False, step_mode: StepMode = "m") -> None:
        super().__init__(step_mode)
        if not float(tau) > 1.0:
            raise ValueError(f"SynapseFilter.tau must be > 1 (time steps), got {tau!r}")
        self.learnable = learnable
        if learnable:
            self.w = nn.Parameter(torch.as_tensor(-math.log(float(tau) - 1.0)))
        else:
            self.tau = float(tau)
        self.current: Tensor | None = None

    def inv_tau(self) -> float | Tensor:
        """1/tau: sigmoid(w) when learnable."""
        return self.w.sigmoid() if self.learnable else 1.0 / self.tau

    def reset(self) -> None:
        self.current = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "current": None}

    def step(self, x: Tensor) -> Tensor:
        """One step from the stored current (zeros after `reset` or for a new shape); stores the new one."""
        current = self.current if self.current is not None and self.current.shape == x.shape else torch.zeros_like(x)
        self.current = synapse_filter_step(x, current, self.inv_tau())
        return self.current

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "m":
            return synapse_filter_seq(x, self.inv_tau())
        return self.step(x)

    def extra_repr(self) -> str:
        tau = float(1.0 / self.w.detach().sigmoid()) if self.learnable else self.tau
        return f"tau={tau:.4g}, learnable={self.learnable}, step_mode={self.step_mode}"


class _Recurrent(MemoryModule):
    """Shared loop: y[t] = sub(mix(x[t], y[t-1])), with y[-1] = 0 shaped by `_zero_output`."""

    keeps_inner_step_mode = True  # set_step_mode(model, 'm') must not turn the loop body multi-step

    def __init__(self, sub_module: nn.Module, step_mode: StepMode) -> None:
        super().__init__(step_mode)
        set_step_mode(sub_module, "s")
        self.sub_module = sub_module  # the name SpikingJelly uses, so state dicts load both ways
        self.y: Tensor | None = None

    def mix(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def zero_output(self, x: Tensor) -> Tensor:
        """y[-1]: zeros shaped like the output of one step."""
        raise NotImplementedError

    def reset(self) -> None:
        self.y = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "y": None}

    def step(self, x: Tensor) -> Tensor:
        """One step from the stored output (zeros after `reset`); stores and returns the new output."""
        y = self.y if self.y is not None else self.zero_output(x)
        if y.shape[:-1] != x.shape[:-1]:
            raise ValueError(
                f"{type(self).__name__} holds an output of shape {tuple(y.shape)} from an earlier step, but got "
                f"input {tuple(x.shape)}; call reset_net between sequences"
            )
        self.y = self.sub_module(self.mix(x, y))
        return self.y

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "s":
            return self.step(x)
        if x.dim() < 2:
            raise ValueError(f"{type(self).__name__} in multi-step mode takes [T, N, ...], got {tuple(x.shape)}")
        reset_net(self.sub_module)
        y = self.zero_output(x[0])
        out = []
        for t in range(x.shape[0]):
            y = self.sub_module(self.mix(x[t], y))
            out.append(y)
        self.y = y
        return torch.stack(out)


class ElementWiseRecurrent(_Recurrent):
    """Feed the output back element-wise: y[t] = sub(combine(x[t], y[t-1])), y[-1] = 0.

    Args:
        sub_module: the module inside the loop (its output has the input's shape), e.g. an `IFNode`.
        combine: ``combine(x, y_prev)``, element-wise; the default adds (and is what `to_nir` can export).
        step_mode: 'm' (default) or 's'.
    """

    def __init__(
        self,
        sub_module: nn.Module,
        combine: Callable[[Tensor, Tensor], Tensor] = operator.add,
        step_mode: StepMode = "m",
    ) -> None:
        super().__init__(sub_module, step_mode)
        self.combine = combine

    def mix(self, x: Tensor, y: Tensor) -> Tensor:
        return self.combine(x, y)

    def zero_output(self, x: Tensor) -> Tensor:
        return torch.zeros_like(x)

    def extra_repr(self) -> str:
        return f"combine={getattr(self.combine, '__name__', self.combine)}, step_mode={self.step_mode}"


class LinearRecurrent(_Recurrent):
    """A linear self-connection: y[t] = sub(rc([x[t], y[t-1]])), rc = Linear(in + out, in), y[-1] = 0.

    Args:
        sub_module: the module inside the loop, mapping [N, in] to [N, out] (usually a neuron: in == out).
        in_features, out_features: sizes of x and y (their last dimension).
        bias: whether rc has a bias.
        step_mode: 'm' (default) or 's'.
    """

    def __init__(
        self,
        sub_module: nn.Module,
        in_features: int,
        out_features: int,
        bias: bool = True,
        step_mode: StepMode = "m",
    ) -> None:
        super().__init__(sub_module, step_mode)
        self.in_features, self.out_features = in_features, out_features
        self.rc = nn.Linear(in_features + out_features, in_features, bias)

    def mix(self, x: Tensor, y: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"LinearRecurrent takes {self.in_features} features on the last axis, got input {tuple(x.shape)}"
            )
        return self.rc(torch.cat((x, y), dim=-1))

    def zero_output(self, x: Tensor) -> Tensor:
        return x.new_zeros(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, step_mode={self.step_mode}"
