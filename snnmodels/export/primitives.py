"""Torch modules that simulate the NIR primitives in discrete time, one module per primitive.

NIR is continuous-time: each node is an ODE or a static map. These modules discretize it with forward Euler at a
step ``dt`` (seconds), which is what Norse, snnTorch, SpikingJelly and Sinabs do. With ``k = tau / dt``::

    I (integrator)   v[t] = v[t-1] + dt·r·x[t]                                        out v
    IF               v = v[t-1] + dt·r·x[t];  z = H(v - v_threshold);  v[t] = z ? v_reset : v      out z
    LI               v[t] = v[t-1] + (v_leak - v[t-1] + r·x[t]) / k                  out v
    LIF              LI, then z and the hard reset of IF                              out z
    CubaLI           i[t] = i[t-1] + (w_in·x[t] - i[t-1]) / k_syn;  v as LI driven by i[t]
    CubaLIF          CubaLI, then z and the hard reset on v                           out z
    Threshold        z = H(x - threshold)
    Delay            y[t] = x[t - delay/dt]   (delay must be a whole number of steps)
    Affine / Linear / Scale / Conv1d / Conv2d / SumPool2d / AvgPool2d / Flatten       static, applied per step

H(u) is 1 where u > 0 (NIR's rule: a neuron fires when v exceeds its threshold); with ``fire_at_threshold`` it is
1 where u >= 0 (the rule of snnmodels' IF/LIF/PLIF and SpikingJelly). It is a surrogate-gradient spike, so an
imported network can be fine-tuned. States start at rest: v = v_reset for IF, v = v_leak for LI/LIF/CubaLI(F),
zero for I and the synaptic current.

Each module works on one step ``[N, ...]`` (`step`) or on a sequence ``[T, N, ...]`` (`seq`); NIR shapes and
``Flatten`` dimensions count neither N nor T. `to_node` writes the module back as a NIR node with its current
(possibly fine-tuned) parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnmodels.export.errors import ExportError
from snnmodels.functional.reset import reset_hard
from snnmodels.functional.surrogate import Surrogate

__all__ = [
    "PRIMITIVES",
    "Primitive",
]


def _t(a: Any, dtype: torch.dtype, device: torch.device | str | None) -> Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=device)


def _np(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _pair(v: Any, name: str, what: str, n: int) -> tuple[int, ...] | str:
    """A NIR stride/padding/dilation/kernel field as ``n`` ints (or the strings 'same'/'valid' for padding)."""
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, str):
        return v
    arr = np.atleast_1d(np.asarray(v))
    if arr.dtype.kind not in "iuf" or not np.all(arr == np.round(arr)) or arr.size not in (1, n):
        raise ExportError(f"NIR node {name!r} ({what}) has a field {v!r} that is not {n} whole numbers")
    return tuple(int(x) for x in np.broadcast_to(arr, (n,)))


class Primitive(nn.Module):
    """Base: a stateless primitive maps each step alone; subclasses with state override `step`/`init_state`."""

    stateful = False

    def __init__(self, name: str) -> None:
        super().__init__()
        self.node_name = name

    def apply_static(self, x: Tensor) -> Tensor:
        """The map of a stateless primitive on ``[B, ...]`` (B = N, or T·N for a sequence)."""
        raise NotImplementedError

    def init_state(self, x: Tensor) -> Any:
        """The state at rest for a first step ``x`` [N, ...] (None for stateless primitives)."""
        return None

    def step(self, x: Tensor, state: Any) -> tuple[Tensor, Any]:
        """One step: x [N, ...] -> (y [N, ...], new state)."""
        return self.apply_static(x), state

    def seq(self, x: Tensor) -> Tensor:
        """T steps from rest: x [T, N, ...] -> y [T, N, ...]."""
        if not self.stateful:
            T, N = x.shape[:2]
            y = self.apply_static(x.flatten(0, 1))
            return y.view(T, N, *y.shape[1:])
        state = self.init_state(x[0])
        ys = []
        for t in range(x.shape[0]):
            y, state = self.step(x[t], state)
            ys.append(y)
        return torch.stack(ys) if ys else x.clone()

    def to_node(self) -> Any:
        """This module as a NIR node, with its current parameters."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"node={self.node_name!r}"


class Passthrough(Primitive):
    """NIR Input, Output and Identity: the sum of the incoming edges, unchanged."""

    def __init__(self, name: str, node: Any) -> None:
        super().__init__(name)
        self.node = node

    def apply_static(self, x: Tensor) -> Tensor:
        return x

    def to_node(self) -> Any:
        return self.node


class Affine(Primitive):
    """NIR Affine (W·x + b) and Linear (W·x): ``weight`` [out, in]; the input must be 1-D per sample."""

    def __init__(self, name: str, weight: Tensor, bias: Tensor | None) -> None:
        super().__init__(name)
        if weight.dim() != 2:
            raise ExportError(
                f"NIR node {name!r}: Affine/Linear weights of shape {tuple(weight.shape)} are not supported; "
                "only [out, in] matrices are"
            )
        self.weight = nn.Parameter(weight)
        self.bias = None if bias is None else nn.Parameter(bias)

    def apply_static(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def to_node(self) -> Any:
        import nir

        if self.bias is None:
            return nir.Linear(weight=_np(self.weight))
        return nir.Affine(weight=_np(self.weight), bias=_np(self.bias))


class Scale(Primitive):
    """NIR Scale: element-wise ``scale ⊙ x``."""

    def __init__(self, name: str, scale: Tensor) -> None:
        super().__init__(name)
        self.scale = nn.Parameter(scale)

    def apply_static(self, x: Tensor) -> Tensor:
        return x * self.scale

    def to_node(self) -> Any:
        import nir

        return nir.Scale(scale=_np(self.scale))


class Conv(Primitive):
    """NIR Conv1d / Conv2d (cross-correlation, as torch)."""

    def __init__(self, name: str, node: Any, dims: int, dtype: torch.dtype, device: Any) -> None:
        super().__init__(name)
        self.dims = dims
        self.weight = nn.Parameter(_t(node.weight, dtype, device))
        bias = np.zeros(node.weight.shape[0]) if node.bias is None else node.bias
        self.bias = nn.Parameter(_t(bias, dtype, device))
        what = f"Conv{dims}d"
        self.stride = _pair(node.stride, name, what, dims)
        self.padding = _pair(node.padding, name, what, dims)
        self.dilation = _pair(node.dilation, name, what, dims)
        self.groups = int(np.asarray(node.groups))
        self.input_shape = None if node.input_shape is None else np.atleast_1d(node.input_shape).astype(int)

    def apply_static(self, x: Tensor) -> Tensor:
        conv = F.conv1d if self.dims == 1 else F.conv2d
        return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def to_node(self) -> Any:
        import nir

        cls = nir.Conv1d if self.dims == 1 else nir.Conv2d
        shape: Any = self.input_shape
        if shape is not None:
            shape = int(shape[0]) if self.dims == 1 else tuple(int(s) for s in shape)
        padding = self.padding if isinstance(self.padding, str) else np.array(self.padding)
        return cls(
            input_shape=shape,
            weight=_np(self.weight),
            stride=np.array(self.stride),
            padding=padding,
            dilation=np.array(self.dilation),
            groups=self.groups,
            bias=_np(self.bias),
        )


class Pool2d(Primitive):
    """NIR SumPool2d and AvgPool2d (AvgPool2d = SumPool2d / kernel area; zero padding counts as input)."""

    def __init__(self, name: str, node: Any, average: bool) -> None:
        super().__init__(name)
        what = "AvgPool2d" if average else "SumPool2d"
        self.average = average
        self.kernel_size = _pair(node.kernel_size, name, what, 2)
        self.stride = _pair(node.stride, name, what, 2)
        self.padding = _pair(node.padding, name, what, 2)
        self.types = (node.input_type, node.output_type)

    def apply_static(self, x: Tensor) -> Tensor:
        # divisor 1 makes avg_pool2d a sum pool: one kernel for both, and exact
        divisor = None if self.average else 1
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, divisor_override=divisor)

    def to_node(self) -> Any:
        import nir

        cls = nir.AvgPool2d if self.average else nir.SumPool2d
        node = cls(np.array(self.kernel_size), np.array(self.stride), np.array(self.padding))
        node.input_type, node.output_type = self.types
        return node


class Flatten(Primitive):
    """NIR Flatten: ``start_dim``/``end_dim`` count the dimensions of one sample (no N, no T)."""

    def __init__(self, name: str, node: Any) -> None:
        super().__init__(name)
        self.start_dim = int(node.start_dim)
        self.end_dim = int(node.end_dim)
        self.node_input_type = node.input_type["input"]

    def apply_static(self, x: Tensor) -> Tensor:
        rank = x.dim() - 1
        start = self.start_dim if self.start_dim >= 0 else rank + self.start_dim
        end = self.end_dim if self.end_dim >= 0 else rank + self.end_dim
        return x.flatten(start + 1, end + 1)

    def to_node(self) -> Any:
        import nir

        return nir.Flatten(input_type=self.node_input_type, start_dim=self.start_dim, end_dim=self.end_dim)


class _Spiking(Primitive):
    """Shared firing rule: surrogate spike of ``v - threshold``, strict (NIR) or at threshold."""

    def __init__(self, name: str, surrogate: Surrogate, fire_at_threshold: bool) -> None:
        super().__init__(name)
        self.surrogate = surrogate
        self.fire_at_threshold = fire_at_threshold

    def fire(self, u: Tensor) -> Tensor:
        return self.surrogate(u, inclusive=self.fire_at_threshold)

    def extra_repr(self) -> str:
        rule = "v >= threshold" if self.fire_at_threshold else "v > threshold"
        return f"{super().extra_repr()}, fires when {rule}"


class Threshold(_Spiking):
    """NIR Threshold: z = H(x - threshold), no state."""

    def __init__(self, name: str, node: Any, dtype: torch.dtype, device: Any, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.register_buffer("threshold", _t(node.threshold, dtype, device))

    def apply_static(self, x: Tensor) -> Tensor:
        return self.fire(x - self.threshold)

    def to_node(self) -> Any:
        import nir

        return nir.Threshold(threshold=_np(self.threshold).astype(np.float64))


def _buffers(module: nn.Module, dtype: torch.dtype, device: Any, **arrays: Any) -> None:
    for key, value in arrays.items():
        module.register_buffer(key, _t(value, dtype, device))


def _f64(t: Tensor) -> np.ndarray:
    return _np(t).astype(np.float64)


class Integrator(Primitive):
    """NIR I: v[t] = v[t-1] + dt·r·x[t]; outputs v."""

    stateful = True

    def __init__(self, name: str, node: Any, dt: float, dtype: torch.dtype, device: Any) -> None:
        super().__init__(name)
        self.dt = dt
        _buffers(self, dtype, device, gain=dt * np.asarray(node.r, dtype=np.float64))

    def init_state(self, x: Tensor) -> Tensor:
        return torch.zeros_like(x)

    def step(self, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        v = v + self.gain * x
        return v, v

    def to_node(self) -> Any:
        import nir

        return nir.I(r=_f64(self.gain) / self.dt)


class IF(_Spiking):
    """NIR IF: v += dt·r·x; z = H(v - v_threshold); hard reset to v_reset; starts at v_reset."""

    stateful = True

    def __init__(self, name: str, node: Any, dt: float, dtype: torch.dtype, device: Any, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.dt = dt
        _buffers(
            self,
            dtype,
            device,
            gain=dt * np.asarray(node.r, dtype=np.float64),
            v_threshold=node.v_threshold,
            v_reset=node.v_reset,
        )

    def init_state(self, x: Tensor) -> Tensor:
        return self.v_reset.expand_as(x).clone()

    def step(self, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        v = v + self.gain * x
        z = self.fire(v - self.v_threshold)
        return z, reset_hard(v, z, self.v_reset)  # type: ignore[arg-type]

    def to_node(self) -> Any:
        import nir

        return nir.IF(r=_f64(self.gain) / self.dt, v_threshold=_f64(self.v_threshold), v_reset=_f64(self.v_reset))


class LI(Primitive):
    """NIR LI: v[t] = v[t-1] + (v_leak - v[t-1] + r·x[t]) / (tau/dt); outputs v; starts at v_leak."""

    stateful = True

    def __init__(self, name: str, node: Any, dt: float, dtype: torch.dtype, device: Any) -> None:
        super().__init__(name)
        self.dt = dt
        _buffers(self, dtype, device, k=np.asarray(node.tau, dtype=np.float64) / dt, r=node.r, v_leak=node.v_leak)

    def init_state(self, x: Tensor) -> Tensor:
        return self.v_leak.expand_as(x).clone()

    def step(self, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        v = v + (self.v_leak - v + self.r * x) / self.k
        return v, v

    def to_node(self) -> Any:
        import nir

        return nir.LI(tau=_f64(self.k) * self.dt, r=_f64(self.r), v_leak=_f64(self.v_leak))


class LIF(_Spiking):
    """NIR LIF: LI, then z = H(v - v_threshold) and a hard reset to v_reset; starts at v_leak."""

    stateful = True

    def __init__(self, name: str, node: Any, dt: float, dtype: torch.dtype, device: Any, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.dt = dt
        _buffers(
            self,
            dtype,
            device,
            k=np.asarray(node.tau, dtype=np.float64) / dt,
            r=node.r,
            v_leak=node.v_leak,
            v_threshold=node.v_threshold,
            v_reset=node.v_reset,
        )

    def init_state(self, x: Tensor) -> Tensor:
        return self.v_leak.expand_as(x).clone()

    def step(self, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        v = v + (self.v_leak - v + self.r * x) / self.k
        z = self.fire(v - self.v_threshold)
        return z, reset_hard(v, z, self.v_reset)  # type: ignore[arg-type]

    def to_node(self) -> Any:
        import nir

        return nir.LIF(
            tau=_f64(self.k) * self.dt,
            r=_f64(self.r),
            v_leak=_f64(self.v_leak),
            v_threshold=_f64(self.v_threshold),
            v_reset=_f64(self.v_reset),
        )


class CubaLIF(_Spiking):
    """NIR CubaLI / CubaLIF: a synaptic current i (tau_syn, w_in) drives a membrane v (tau_mem, r, v_leak).

    With ``spiking=False`` (CubaLI) the output is v and nothing resets; otherwise z with a hard reset of v.
    The membrane update uses the synaptic current of the same step.
    """

    stateful = True

    def __init__(
        self, name: str, node: Any, dt: float, dtype: torch.dtype, device: Any, spiking: bool, **kw: Any
    ) -> None:
        super().__init__(name, **kw)
        self.dt = dt
        self.spiking = spiking
        _buffers(
            self,
            dtype,
            device,
            k_syn=np.asarray(node.tau_syn, dtype=np.float64) / dt,
            k_mem=np.asarray(node.tau_mem, dtype=np.float64) / dt,
            r=node.r,
            v_leak=node.v_leak,
            w_in=node.w_in,
        )
        if spiking:
            _buffers(self, dtype, device, v_threshold=node.v_threshold, v_reset=node.v_reset)

    def init_state(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return torch.zeros_like(x), self.v_leak.expand_as(x).clone()

    def step(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        i, v = state
        i = i + (self.w_in * x - i) / self.k_syn
        v = v + (self.v_leak - v + self.r * i) / self.k_mem
        if not self.spiking:
            return v, (i, v)
        z = self.fire(v - self.v_threshold)
        return z, (i, reset_hard(v, z, self.v_reset))  # type: ignore[arg-type]

    def to_node(self) -> Any:
        import nir

        common = {
            "tau_syn": _f64(self.k_syn) * self.dt,
            "tau_mem": _f64(self.k_mem) * self.dt,
            "r": _f64(self.r),
            "v_leak": _f64(self.v_leak),
            "w_in": _f64(self.w_in),
        }
        if not self.spiking:
            return nir.CubaLI(**common)
        return nir.CubaLIF(**common, v_threshold=_f64(self.v_threshold), v_reset=_f64(self.v_reset))


class Delay(Primitive):
    """NIR Delay: y[t] = x[t - d] with d = delay/dt steps per element (zeros before the first input arrives)."""

    stateful = True

    def __init__(self, name: str, node: Any, dt: float, device: Any) -> None:
        super().__init__(name)
        self.dt = dt
        steps = np.asarray(node.delay, dtype=np.float64) / dt
        whole = np.round(steps)
        if np.any(whole < 0) or not np.allclose(steps, whole, rtol=0, atol=1e-6):
            raise ExportError(
                f"NIR Delay {name!r} has delays {np.unique(np.asarray(node.delay))[:5]} s that are not whole "
                f"multiples of dt={dt} s; choose a dt that divides every delay"
            )
        self.register_buffer("d", torch.as_tensor(whole.astype(np.int64), device=device))
        self.max_d = int(whole.max()) if whole.size else 0

    def init_state(self, x: Tensor) -> Tensor:
        # the last max_d inputs, newest first
        return x.new_zeros((self.max_d, *x.shape))

    def step(self, x: Tensor, past: Tensor) -> tuple[Tensor, Tensor]:
        window = torch.cat((x.unsqueeze(0), past))  # window[j] = x[t - j]
        index = self.d.expand_as(x).unsqueeze(0)
        y = window.gather(0, index).squeeze(0)
        return y, window[: self.max_d]

    def seq(self, x: Tensor) -> Tensor:
        T = x.shape[0]
        padded = torch.cat((x.new_zeros((self.max_d, *x.shape[1:])), x))
        t = torch.arange(T, device=x.device).view(T, *([1] * (x.dim() - 1)))
        index = (t + self.max_d - self.d.expand(x.shape[1:])).expand(x.shape)
        return padded.gather(0, index)

    def to_node(self) -> Any:
        import nir

        return nir.Delay(delay=_np(self.d).astype(np.float64) * self.dt)


def _neuron_kw(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"surrogate": ctx["surrogate"], "fire_at_threshold": ctx["fire_at_threshold"]}


def _build_affine(name: str, node: Any, ctx: dict[str, Any]) -> Primitive:
    w = _t(node.weight, ctx["dtype"], ctx["device"])
    b = _t(node.bias, ctx["dtype"], ctx["device"]) if hasattr(node, "bias") else None
    return Affine(name, w, b)


# NIR type name -> builder(name, node, ctx); ctx holds dt, dtype, device, surrogate, fire_at_threshold
PRIMITIVES: dict[str, Any] = {
    "Input": lambda name, node, ctx: Passthrough(name, node),
    "Output": lambda name, node, ctx: Passthrough(name, node),
    "Identity": lambda name, node, ctx: Passthrough(name, node),
    "Affine": _build_affine,
    "Linear": _build_affine,
    "Scale": lambda name, node, ctx: Scale(name, _t(node.scale, ctx["dtype"], ctx["device"])),
    "Conv1d": lambda name, node, ctx: Conv(name, node, 1, ctx["dtype"], ctx["device"]),
    "Conv2d": lambda name, node, ctx: Conv(name, node, 2, ctx["dtype"], ctx["device"]),
    "SumPool2d": lambda name, node, ctx: Pool2d(name, node, average=False),
    "AvgPool2d": lambda name, node, ctx: Pool2d(name, node, average=True),
    "Flatten": lambda name, node, ctx: Flatten(name, node),
    "Threshold": lambda name, node, ctx: Threshold(name, node, ctx["dtype"], ctx["device"], **_neuron_kw(ctx)),
    "I": lambda name, node, ctx: Integrator(name, node, ctx["dt"], ctx["dtype"], ctx["device"]),
    "IF": lambda name, node, ctx: IF(name, node, ctx["dt"], ctx["dtype"], ctx["device"], **_neuron_kw(ctx)),
    "LI": lambda name, node, ctx: LI(name, node, ctx["dt"], ctx["dtype"], ctx["device"]),
    "LIF": lambda name, node, ctx: LIF(name, node, ctx["dt"], ctx["dtype"], ctx["device"], **_neuron_kw(ctx)),
    "CubaLI": lambda name, node, ctx: CubaLIF(
        name, node, ctx["dt"], ctx["dtype"], ctx["device"], spiking=False, **_neuron_kw(ctx)
    ),
    "CubaLIF": lambda name, node, ctx: CubaLIF(
        name, node, ctx["dt"], ctx["dtype"], ctx["device"], spiking=True, **_neuron_kw(ctx)
    ),
    "Delay": lambda name, node, ctx: Delay(name, node, ctx["dt"], ctx["device"]),
}
