"""snnTorch 1.0's ``snn.Leaky`` and ``snn.LeakyParallel``: thin subclasses of `snnmodels.Leaky` /
`snnmodels.LeakyParallel` with snnTorch's argument order, attributes and state handling.

The membrane update is `snnmodels.functional.leaky_step`; what these classes add is snnTorch's bookkeeping:
the membrane lives in the module (``mem``, a non-persistent buffer) whether or not ``init_hidden`` is set,
``reset_mechanism`` can be changed after construction (``reset_mechanism_val`` follows, and is saved in the
state dict as snnTorch saves it), and ``init_leaky`` / ``reset_mem`` / ``reset_hidden`` / ``detach_hidden``.

One deliberate difference: snnTorch keeps a class-level list of every neuron ever built, and its
``Leaky.reset_hidden()`` / ``utils.reset(net)`` reset all of them, in every network. Here ``reset_hidden`` and
``detach_hidden`` act on the neuron they are called on, `utils.reset` on the neurons inside the network it is
given, and calling ``Leaky.reset_hidden()`` on the class raises a TypeError that says so.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from snnmodels import neurons as _core
from snnmodels.compat.snntorch import surrogate
from snnmodels.functional.leaky import RESET_MECHANISMS, LeakyParams, leaky_step

__all__ = ["Leaky", "LeakyParallel"]


class _PerNeuron:
    """A method on the neuron it is called on; on the class (snnTorch's ``Leaky.reset_hidden()``) a clear error."""

    def __init__(self, fn: Callable[..., None]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.name = fn.__name__

    def __get__(self, obj: Any, cls: type | None = None) -> Callable[..., None]:
        if obj is not None:
            return types.MethodType(self.fn, obj)
        owner = cls.__name__ if cls is not None else "Leaky"
        name = self.name

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise TypeError(
                f"{owner}.{name}() on the class would act on every {owner} of every network (snnTorch's class-level "
                f"instance list, which this layer does not keep); call it on a neuron (net.lif1.{name}()) or use "
                "snnmodels.compat.snntorch.utils.reset(net) for all neurons of one network"
            )

        return refuse


class Leaky(_core.Leaky):
    """snnTorch's first-order leaky integrate-and-fire neuron, single step: ``spk, mem = lif(x, mem)``.

    U[t] = beta·U[t-1] + X[t] - R·threshold (subtract), beta·(1 - R)·U[t-1] + X[t] (zero) or beta·U[t-1] + X[t]
    (none), R the detached spike of the previous step; S = graded_spikes_factor·H(U - threshold), strict.
    Arguments are snnTorch's, in its order (see `snnmodels.Leaky` for each).

    ``forward(input_, mem=None)``: a given ``mem`` replaces the stored membrane; otherwise the neuron goes on
    from the membrane it stored on its last call (zeros when the shape changes). Returns ``spk`` with
    ``init_hidden`` (``(spk, mem)`` if ``output``), else ``(spk, mem)``.
    """

    # snnTorch's codes: subtract 0, zero 1, none 2
    reset_dict: ClassVar[dict[str, int]] = {name: i for i, name in enumerate(RESET_MECHANISMS)}

    def __init__(
        self,
        beta: float | Tensor,
        threshold: float | Tensor = 1.0,
        spike_grad: Callable[[Tensor], Tensor] | None = None,
        surrogate_disable: bool = False,
        init_hidden: bool = False,
        inhibition: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        reset_mechanism: str = "subtract",
        state_quant: Callable[[Tensor], Tensor] | bool = False,
        output: bool = False,
        graded_spikes_factor: float | Tensor = 1.0,
        learn_graded_spikes_factor: bool = False,
        reset_delay: bool = True,
    ) -> None:
        super().__init__(
            beta,
            threshold,
            surrogate.atan() if spike_grad is None else spike_grad,
            surrogate_disable,
            init_hidden,
            learn_beta,
            learn_threshold,
            reset_mechanism,
            state_quant,
            output,
            graded_spikes_factor,
            learn_graded_spikes_factor,
            reset_delay,
            step_mode="s",
        )
        self.inhibition = inhibition
        self.surrogate_disable = surrogate_disable
        del self.mem  # the base keeps a plain attribute; snnTorch keeps a buffer, so .to() and .double() move it
        self.register_buffer("mem", torch.zeros(0), persistent=False)
        self.register_buffer("reset_mechanism_val", torch.as_tensor(self.reset_dict[reset_mechanism]))

    @property
    def reset_mechanism(self) -> str:
        """'subtract', 'zero' or 'none'; setting it changes the update and ``reset_mechanism_val``."""
        return self.params.reset_mechanism

    @reset_mechanism.setter
    def reset_mechanism(self, value: str) -> None:
        self.params = LeakyParams(value, self.params.reset_delay)  # type: ignore[arg-type]
        self.reset_mechanism_val = torch.as_tensor(self.reset_dict[value], device=self.reset_mechanism_val.device)

    @property
    def reset_delay(self) -> bool:
        """Apply the reset on the next step (snnTorch's default) rather than at once too."""
        return self.params.reset_delay

    @reset_delay.setter
    def reset_delay(self, value: bool) -> None:
        self.params = LeakyParams(self.params.reset_mechanism, bool(value))

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if prefix + "reset_mechanism_val" in state_dict:  # a checkpoint's mechanism is the one that runs
            code = int(self.reset_mechanism_val)
            self.params = LeakyParams(RESET_MECHANISMS[code], self.params.reset_delay)  # type: ignore[arg-type]

    def __getstate__(self) -> dict[str, Any]:
        # the membrane is runtime state, often inside an autograd graph: copies and pickles start empty
        state = dict(self.__dict__)
        state["_buffers"] = {**self._buffers, "mem": self.mem.detach().new_zeros(0)}
        return state

    def reset_mem(self) -> Tensor:
        """Zero the stored membrane (keeping its shape) and return it."""
        self.mem = torch.zeros_like(self.mem)
        return self.mem

    def init_leaky(self) -> Tensor:
        """snnTorch's older name for `reset_mem`."""
        return self.reset_mem()

    def reset(self) -> None:
        """The `snnmodels.reset_net` hook: zero the membrane."""
        self.reset_mem()

    @_PerNeuron
    def reset_hidden(self) -> None:
        """Zero this neuron's stored membrane (detached from any graph)."""
        self.reset_mem()

    @_PerNeuron
    def detach_hidden(self) -> None:
        """Detach this neuron's stored membrane from the graph (truncated backpropagation through time)."""
        self.mem = self.mem.detach()

    def forward(self, input_: Tensor, mem: Tensor | None = None) -> Any:  # type: ignore[override]
        if self.step_mode != "s":
            raise ValueError(
                "snntorch's Leaky takes one step per call; for a whole sequence [T, N, ...] use snnmodels.Leaky"
                "(step_mode='m') or call it once per step"
            )
        if self.init_hidden and mem is not None:
            raise TypeError("`mem` should not be passed as an argument while `init_hidden=True`")
        if mem is not None:
            self.mem = mem
        if self.mem.shape != input_.shape:
            self.mem = torch.zeros_like(input_)
        spk, self.mem = leaky_step(
            input_, self.mem, self.beta, self.threshold, inhibition=self.inhibition, **self._kw()
        )
        if self.output or not self.init_hidden:
            return spk, self.mem
        return spk

    def extra_repr(self) -> str:
        return f"reset_mechanism={self.reset_mechanism!r}"


class LeakyParallel(_core.LeakyParallel):
    """snnTorch's LeakyParallel: all steps at once through `torch.nn.RNN`, input [L, (N,) input_size].

    Arguments are snnTorch's (see `snnmodels.LeakyParallel`). ``dropout`` (a float, kept as such) acts on the
    RNN's output membrane through ``dropout_layer`` (None when dropout is 0), as snnTorch's fix of its #403 does;
    snnTorch 1.0 passed it to a one-layer `torch.nn.RNN`, where it has no effect.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        beta: float | Tensor | None = None,
        bias: bool = True,
        threshold: float | Tensor = 1.0,
        dropout: float = 0.0,
        spike_grad: Callable[[Tensor], Tensor] | None = None,
        surrogate_disable: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        graded_spikes_factor: float | Tensor = 1.0,
        learn_graded_spikes_factor: bool = False,
        weight_hh_enable: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        super().__init__(
            input_size,
            hidden_size,
            beta,
            bias,
            threshold,
            0.0,
            surrogate.atan() if spike_grad is None else spike_grad,
            surrogate_disable,
            learn_beta,
            learn_threshold,
            graded_spikes_factor,
            learn_graded_spikes_factor,
            weight_hh_enable,
            device,
            dtype,
        )
        del self.dropout  # the base's output dropout; snnTorch's `dropout` is the probability
        self.dropout = dropout
        self.dropout_layer = nn.Dropout(dropout) if dropout > 0.0 else None
        self.surrogate_disable = surrogate_disable

    def forward(self, input_: Tensor) -> Tensor:
        mem = self.rnn(input_)[0]
        if self.dropout_layer is not None:
            mem = self.dropout_layer(mem)
        return self.fire(mem)
