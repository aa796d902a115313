"""SpikingJelly's ``neuron``: `IFNode`, `LIFNode`, `ParametricLIFNode` with SpikingJelly 2.0's signatures and
state semantics, computed by our own neuron functions (`snnmodels.functional.multistep`).

As in SpikingJelly: single-step by default (``step_mode='s'``, input [N, ...]); the membrane ``v`` is a memory
that equals ``v_reset`` (0.0 for a soft reset) at construction and after `reset` / ``functional.reset_net`` and is
broadcast to the input's shape on the first step; a multi-step call ([T, N, ...]) continues from ``v`` and
leaves the last state there; ``store_v_seq=True`` keeps the membrane after every step in ``v_seq``. The default
surrogate is ``surrogate.Sigmoid(alpha=4)``. ``backend`` is accepted (SpikingJelly 0.0.0.0.14 had it) and
changes nothing: the kernels are ours on every device.

Each class subclasses ours (``isinstance(neuron.LIFNode(), snnmodels.LIFNode)`` is True), so the zoo, the
exporters and `snnmodels.reset_net` handle them. Deliberate difference: a single step whose input shape differs
from the stored ``v`` raises (SpikingJelly silently restarts from ``v_reset``); call ``reset_net`` between
batches, as SpikingJelly's tutorials say.
"""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels import neurons as core
from snnmodels.compat.spikingjelly import base, surrogate
from snnmodels.compat.spikingjelly._export import register_like
from snnmodels.functional.multistep import Dynamics, charge, neuron_seq, neuron_step
from snnmodels.functional.plif import w_from_tau
from snnmodels.functional.reset import reset

__all__ = [
    "BaseNode",
    "IFNode",
    "LIFNode",
    "NonSpikingLIFNode",
    "ParametricLIFNode",
    "SimpleBaseNode",
    "SimpleIFNode",
    "SimpleLIFNode",
]

BACKENDS = ("torch", "cupy", "triton", "inductor")


class BaseNode(base.MemoryModule):
    """Threshold, reset, surrogate and the memory ``v`` of the IF/LIF/PLIF family.

    Subclasses also inherit our neuron class (which supplies ``dynamics()`` and ``_q()``).
    """

    def __init__(
        self,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: Any = None,
        detach_reset: bool = False,
        step_mode: str = "s",
        store_v_seq: bool = False,
        backend: str = "torch",
    ) -> None:
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.v_threshold = float(v_threshold)
        self.v_reset = None if v_reset is None else float(v_reset)
        self.detach_reset = bool(detach_reset)
        self.surrogate_function = surrogate.Sigmoid() if surrogate_function is None else surrogate_function
        self.step_mode = step_mode
        self.backend = backend
        self.fused = True
        self.register_memory("v", 0.0 if self.v_reset is None else self.v_reset)
        self.store_v_seq = store_v_seq

    @property
    def store_v_seq(self) -> bool:
        """Whether a call keeps the membrane after every step in ``v_seq`` ([T, N, ...])."""
        return self._store_v_seq

    @store_v_seq.setter
    def store_v_seq(self, value: bool) -> None:
        self._store_v_seq = bool(value)
        self.v_seq: Tensor | None = None

    @property
    def supported_backends(self) -> tuple[str, ...]:
        """The backends SpikingJelly 0.0.0.0.14 listed for this step mode (all run our kernels here)."""
        return ("torch",) if self.step_mode == "s" else ("torch", "cupy")

    # --- SpikingJelly 0.0.0.0.14's imperative interface: a subclass that overrides ``neuronal_charge`` runs
    # charge, fire and reset on ``self.v`` step by step (SpikingJelly 2.0's BaseNode no longer does)

    def neuronal_charge(self, x: Tensor) -> None:
        """Charge ``self.v`` with input ``x`` (this neuron's equation, from our neuron functions)."""
        self.v = charge(x, self.v, self.dynamics(), self._q())  # type: ignore[attr-defined]

    def neuronal_fire(self) -> Tensor:
        """Spikes of the charged membrane: surrogate(v - v_threshold)."""
        return self.surrogate_function(self.v - self.v_threshold)

    def neuronal_reset(self, spike: Tensor) -> None:
        """Hard reset to ``v_reset`` (or soft, minus ``v_threshold``) where ``spike``."""
        self.v = reset(self.v, spike, self.v_threshold, self.v_reset, self.detach_reset)

    def _imperative(self) -> bool:
        return type(self).neuronal_charge is not BaseNode.neuronal_charge

    def reset(self) -> None:
        super().reset()
        self.v_seq = None

    def detach(self) -> None:
        super().detach()
        if isinstance(self.v_seq, Tensor):
            self.v_seq = self.v_seq.detach()

    def _spike_fn(self) -> Any:
        return surrogate.as_core(self.surrogate_function)

    def materialize_states(self, inputs: tuple[Tensor, ...], states: base.States, step_mode: str) -> base.States:
        x = inputs[0][0] if step_mode == "m" else inputs[0]
        v = states[0]
        if isinstance(v, int | float):
            v = torch.full_like(x, float(v))
        elif isinstance(v, Tensor):
            if v.shape != x.shape:
                raise ValueError(
                    f"{type(self).__name__}.v has shape {tuple(v.shape)} from earlier steps but this step's input "
                    f"has shape {tuple(x.shape)}; call functional.reset_net(net) (or .reset()) between batches"
                )
            if v.dtype != x.dtype or v.device != x.device:
                v = v.to(dtype=x.dtype, device=x.device)
        return (v, *states[1:])

    def single_step_functional_forward(
        self, inputs: tuple[Tensor, ...], states: base.States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], base.States]:
        spike, v, _ = neuron_step(inputs[0], states[0], self.dynamics(), self._spike_fn(), self._q())  # type: ignore[attr-defined,arg-type]
        return (spike,), (v, *states[1:])

    def multi_step_functional_forward(
        self, inputs: tuple[Tensor, ...], states: base.States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], base.States]:
        spikes, v, _ = self._seq(inputs[0], states[0], store_v_seq=False)  # type: ignore[arg-type]
        return (spikes,), (v, *states[1:])

    def _seq(self, x_seq: Tensor, v: Tensor, store_v_seq: bool) -> tuple[Tensor, Tensor, Tensor | None]:
        return neuron_seq(
            x_seq,
            v,
            self.dynamics(),  # type: ignore[attr-defined]
            self._spike_fn(),
            self._q(),  # type: ignore[attr-defined]
            fused=self.fused,
            store_v_seq=store_v_seq,
        )

    def single_step_forward(self, x: Tensor, *args: Any, **kwargs: Any) -> Any:
        if self._imperative():
            (self.v,) = self.materialize_states((x,), (self.v,), "s")
            self.neuronal_charge(x)
            out = self.neuronal_fire()
            self.neuronal_reset(out)
        else:
            out = super().single_step_forward(x, *args, **kwargs)
        if self.store_v_seq and isinstance(self.v, Tensor):
            step = self.v.unsqueeze(0)
            seq = self.v_seq
            same = seq is not None and (seq.shape[1:], seq.dtype, seq.device) == (
                step.shape[1:],
                step.dtype,
                step.device,
            )
            self.v_seq = torch.cat((seq, step)) if same else step.clone()  # type: ignore[arg-type]
        return out

    def multi_step_forward(self, x_seq: Tensor, *args: Any, **kwargs: Any) -> Any:
        if self._imperative():
            return torch.stack([self.single_step_forward(x) for x in x_seq])
        if type(self).single_step_functional_forward is not BaseNode.single_step_functional_forward:
            return super().multi_step_forward(x_seq, *args, **kwargs)  # a subclass with its own step equation
        if x_seq.dim() < 1 or x_seq.shape[0] == 0:
            raise ValueError(
                f"{type(self).__name__} in step_mode='m' needs x_seq [T, N, ...], got {tuple(x_seq.shape)}"
            )
        (v,) = self.materialize_states((x_seq,), (self._memories["v"],), "m")
        spikes, v_last, v_seq = self._seq(x_seq, v, store_v_seq=self.store_v_seq)  # type: ignore[arg-type]
        self._memories["v"] = v_last
        self.v_seq = v_seq
        return spikes

    def __getstate__(self) -> dict[str, Any]:
        # our neuron class drops the membrane on copy; SpikingJelly keeps it, and so does base.MemoryModule
        return base.MemoryModule.__getstate__(self)

    def extra_repr(self) -> str:
        return (
            f"v_threshold={self.v_threshold}, v_reset={self.v_reset}, detach_reset={self.detach_reset}, "
            f"step_mode={self.step_mode}"
        )


class IFNode(BaseNode, core.IFNode):
    """Integrate-and-fire, H = V + X (SpikingJelly's ``neuron.IFNode``)."""

    def __init__(
        self,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: Any = None,
        detach_reset: bool = False,
        step_mode: str = "s",
        store_v_seq: bool = False,
        *,
        backend: str = "torch",
    ) -> None:
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, backend)


class LIFNode(BaseNode, core.LIFNode):
    """Leaky integrate-and-fire with time constant ``tau`` (> 1 time steps), SpikingJelly's ``neuron.LIFNode``:
    H = V + (X - (V - V_reset))/tau, or V - (V - V_reset)/tau + X with ``decay_input=False``."""

    def __init__(
        self,
        tau: float = 2.0,
        decay_input: bool = True,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: Any = None,
        detach_reset: bool = False,
        step_mode: str = "s",
        store_v_seq: bool = False,
        *,
        backend: str = "torch",
    ) -> None:
        if not float(tau) > 1.0:
            raise ValueError(f"LIFNode.tau must be > 1 (time steps), got {tau!r}")
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, backend)
        self.tau = float(tau)
        self.decay_input = decay_input

    def extra_repr(self) -> str:
        return super().extra_repr() + f", tau={self.tau}"


class ParametricLIFNode(BaseNode, core.ParametricLIFNode):
    """LIF with a learnt time constant, 1/tau = sigmoid(w) (SpikingJelly's ``neuron.ParametricLIFNode``);
    ``w`` starts at -log(init_tau - 1) and is saved as ``w``, as SpikingJelly's."""

    def __init__(
        self,
        init_tau: float = 2.0,
        decay_input: bool = True,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: Any = None,
        detach_reset: bool = False,
        step_mode: str = "s",
        store_v_seq: bool = False,
        *,
        backend: str = "torch",
    ) -> None:
        if not float(init_tau) > 1.0:
            raise ValueError(f"ParametricLIFNode.init_tau must be > 1 (time steps), got {init_tau!r}")
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode, store_v_seq, backend)
        self.decay_input = decay_input
        self.w = nn.Parameter(torch.as_tensor(w_from_tau(float(init_tau))))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", tau={self.tau}"


class SimpleBaseNode(base.MemoryModule):
    """SpikingJelly 2.0's teaching base: subclasses write ``neuronal_charge`` (update ``self.v`` from ``x``); fire
    and reset are shared. ``v`` starts at 0.0 whatever ``v_reset`` (as SpikingJelly's); multi-step is a loop."""

    def __init__(
        self,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: Any = None,
        detach_reset: bool = False,
        step_mode: str = "s",
    ) -> None:
        super().__init__()
        self.v_threshold = v_threshold
        self.v_reset = v_reset
        self.surrogate_function = surrogate.Sigmoid() if surrogate_function is None else surrogate_function
        self.detach_reset = detach_reset
        self.step_mode = step_mode
        self.register_memory("v", 0.0)

    def neuronal_charge(self, x: Tensor) -> None:
        """Update ``self.v`` with input ``x``; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define neuronal_charge(x)")

    def neuronal_fire(self) -> Tensor:
        """Spikes: surrogate(v - v_threshold)."""
        return self.surrogate_function(self.v - self.v_threshold)

    def neuronal_reset(self, spike: Tensor) -> None:
        """Hard reset to ``v_reset`` (soft when None) where ``spike``."""
        self.v = reset(self.v, spike, self.v_threshold, self.v_reset, self.detach_reset)

    def single_step_forward(self, x: Tensor) -> Tensor:
        self.neuronal_charge(x)
        spike = self.neuronal_fire()
        self.neuronal_reset(spike)
        return spike

    def multi_step_forward(self, x_seq: Tensor) -> Tensor:
        return torch.stack([self.single_step_forward(x) for x in x_seq])


class SimpleIFNode(SimpleBaseNode):
    """`SimpleBaseNode` with the IF charge V + X."""

    def neuronal_charge(self, x: Tensor) -> None:
        self.v = charge(x, self.v, Dynamics("none", v_reset=self.v_reset))


class SimpleLIFNode(SimpleBaseNode):
    """`SimpleBaseNode` with the LIF charge of `LIFNode`."""

    def __init__(
        self,
        tau: float,
        decay_input: bool,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate_function: Any = None,
        detach_reset: bool = False,
        step_mode: str = "s",
    ) -> None:
        super().__init__(v_threshold, v_reset, surrogate_function, detach_reset, step_mode)
        self.tau = tau
        self.decay_input = decay_input

    def neuronal_charge(self, x: Tensor) -> None:
        self.v = charge(x, self.v, Dynamics("tau", self.tau, self.decay_input, v_reset=self.v_reset))


class NonSpikingLIFNode(core.NonSpikingLIFNode):
    """SpikingJelly's ``neuron.NonSpikingLIFNode(tau, decode)``: a leaky integrator over a sequence [T, N, ...],
    v += (x - v) / tau from 0, returning the membranes (or, with ``decode``, their 'max-mem', 'max-abs-mem',
    'mean-mem' or 'last_mem' over time). Multi-step, as SpikingJelly's. Difference: without ``decode`` it returns
    one tensor [T, N, ...], where SpikingJelly returns a list of T tensors (``torch.stack`` of it is the same)."""

    def __init__(self, tau: float = 2.0, decode: str | None = None) -> None:
        super().__init__(tau, decode, step_mode="m")


# SpikingJelly 2.0 splits ``neuron`` into submodules (``neuron.lif``...); imports of those find the names here
for _sub in ("base_node", "integrate_and_fire", "lif", "plif"):
    sys.modules.setdefault(f"{__name__}.{_sub}", sys.modules[__name__])

register_like(IFNode, LIFNode, ParametricLIFNode, NonSpikingLIFNode)
