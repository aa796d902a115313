"""SpikingJelly ``layer`` names beside the toolbox (synapses, recurrent containers); ``layer`` re-exports them.

Single-step by default, and stateful in both modes, as SpikingJelly's: a multi-step call continues from the state
of the previous call until `reset_net`. ``ElementWiseRecurrentContainer`` calls
``element_wise_function(y[t-1], x[t])`` (SpikingJelly's argument order).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from snnmodels import recurrent as R

__all__ = ["ElementWiseRecurrentContainer", "LinearRecurrentContainer", "SynapseFilter"]


class SynapseFilter(R.SynapseFilter):
    """I[t] = I[t-1] - (1 - x[t])·I[t-1]/tau + x[t]; ``learnable`` learns 1/tau = sigmoid(w)."""

    def __init__(self, tau: float = 100.0, learnable: bool = False, step_mode: str = "s") -> None:
        super().__init__(tau, learnable, step_mode)  # type: ignore[arg-type]

    @property
    def out_i(self) -> Tensor | float:
        """The output current (SpikingJelly's name for it): 0.0 after `reset`, as SpikingJelly's memory reads."""
        return 0.0 if self.current is None else self.current

    @out_i.setter
    def out_i(self, value: Tensor | float) -> None:
        # a number fills the next input's shape, as SpikingJelly materializes its float memory
        self.current = value  # type: ignore[assignment]

    def step(self, x: Tensor) -> Tensor:
        if isinstance(self.current, int | float):
            self.current = torch.full_like(x, float(self.current))
        return super().step(x)

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "s":
            return self.step(x)
        return torch.stack([self.step(x[t]) for t in range(x.shape[0])])


class _Flipped:
    """``fn(x, y)`` -> ``element_wise_function(y, x)`` (picklable when the function is)."""

    def __init__(self, fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", repr(fn))

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        return self.fn(y, x)


class ElementWiseRecurrentContainer(R.ElementWiseRecurrent):
    """y[t] = sub_module(element_wise_function(y[t-1], x[t])), y[-1] = 0."""

    def __init__(
        self,
        sub_module: nn.Module,
        element_wise_function: Callable[[Tensor, Tensor], Tensor],
        step_mode: str = "s",
    ) -> None:
        super().__init__(sub_module, _Flipped(element_wise_function), step_mode)  # type: ignore[arg-type]
        self.element_wise_function = element_wise_function

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "s":
            return self.step(x)
        return torch.stack([self.step(x[t]) for t in range(x.shape[0])])


class LinearRecurrentContainer(R.LinearRecurrent):
    """y[t] = sub_module(rc(cat(x[t], y[t-1]))), rc = Linear(in + out, in)."""

    def __init__(
        self, sub_module: nn.Module, in_features: int, out_features: int, bias: bool = True, step_mode: str = "s"
    ) -> None:
        super().__init__(sub_module, in_features, out_features, bias, step_mode)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        if self.step_mode == "s":
            return self.step(x)
        return torch.stack([self.step(x[t]) for t in range(x.shape[0])])
