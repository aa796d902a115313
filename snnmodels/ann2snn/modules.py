"""The modules a conversion inserts: activation statistics (calibration) and the scaled IF that replaces a ReLU.

A ReLU whose activations reach about ``s`` becomes ``x -> s · IF(x · v_th / s)`` with a soft-reset IF neuron of
threshold v_th: the IF's firing rate over T steps estimates clip(x / s, 0, 1), so ``s`` times it estimates
ReLU(x) (Rueckauer et al., 2017). ``s`` comes from the activations of calibration data (`ActivationStats`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.base import StepMode, StepModule
from snnmodels.neurons import IFNode

__all__ = ["ActivationStats", "Rescale", "ScaledIF", "parse_mode", "quantile", "scale_statistic"]


def parse_mode(mode: str | float) -> tuple[str, float]:
    """('max', 1.0), ('quantile', q) for a percentile string like '99.9%', or ('fraction', k) for 0 < k <= 1."""
    hint = "use 'max', a percentile such as '99.9%', or a fraction 0 < k <= 1 of the maximum"
    if isinstance(mode, str):
        if mode.lower() == "max":
            return "max", 1.0
        if mode.endswith("%"):
            try:
                p = float(mode[:-1])
            except ValueError:
                p = math.nan
            if 0.0 <= p <= 100.0:
                return "quantile", p / 100.0
        raise ValueError(f"mode {mode!r} is not a conversion mode; {hint}")
    if isinstance(mode, int | float) and not isinstance(mode, bool) and 0 < mode <= 1:
        return "fraction", float(mode)
    raise ValueError(f"mode {mode!r} is not a conversion mode; {hint}")


def quantile(x: Tensor, q: float) -> Tensor:
    """``torch.quantile(x, q)`` (linear interpolation, the same value to the bit) with two selections instead of a
    sort: O(n), and no limit on the number of elements."""
    flat = x.detach().flatten()
    if flat.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    n = flat.numel()
    if n == 0:
        raise ValueError("cannot take a quantile of an empty activation tensor")
    rank = float(torch.tensor(q, dtype=flat.dtype)) * (n - 1)  # torch rounds q to the input's dtype first
    lo, hi = math.floor(rank), min(math.ceil(rank), n - 1)
    below = flat.kthvalue(lo + 1).values
    above = below if hi == lo else flat.kthvalue(hi + 1).values
    return torch.lerp(below, above, torch.tensor(rank - lo, dtype=flat.dtype, device=flat.device)).to(x.dtype)


def scale_statistic(x: Tensor, kind: str, value: float) -> Tensor:
    """The per-batch statistic of `parse_mode`'s (kind, value) on activations ``x``."""
    if kind == "quantile":
        return quantile(x, value)
    top = x.detach().max()
    return top * value if kind == "fraction" else top


class ActivationStats(nn.Module):
    """Pass-through observer after a ReLU: tracks the scale of its activations over calibration batches.

    Per batch, s_b is the max, a quantile or a fraction of the max of the batch's activations; the scale is
    s_1 on the first batch and (1 - momentum)·scale + momentum·s_b after (SpikingJelly's ``VoltageHook``).
    With ``sample`` > 0 it also keeps a uniform random subsample of the activations, for threshold balancing.
    Records only in training mode; in eval mode it is the identity.
    """

    def __init__(self, mode: str | float = "max", momentum: float = 0.1, sample: int = 0, seed: int = 0) -> None:
        super().__init__()
        self.kind, self.value = parse_mode(mode)
        self.mode = mode
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        self.momentum = momentum
        self.register_buffer("scale", torch.tensor(1.0))
        self.num_batches_tracked = 0
        self.sample_size = sample
        self.samples: list[Tensor] = []
        self._gen = torch.Generator().manual_seed(seed)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        if x.numel() == 0:
            raise ValueError("an activation tensor of the calibration run is empty")
        s = scale_statistic(x, self.kind, self.value)
        if self.num_batches_tracked == 0:
            self.scale = s
        else:
            self.scale = (1 - self.momentum) * self.scale + self.momentum * s
        self.num_batches_tracked += x.shape[0] if x.dim() > 0 else 1
        if self.sample_size:
            flat = x.detach().flatten()
            idx = torch.randint(flat.numel(), (min(self.sample_size, flat.numel()),), generator=self._gen)
            self.samples.append(flat[idx.to(flat.device)].cpu())
        return x

    def sampled(self) -> Tensor:
        """The kept activations, at most ``sample`` per batch (empty without ``sample``)."""
        return torch.cat(self.samples) if self.samples else torch.empty(0)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_gen"] = None
        return state

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, momentum={self.momentum}, scale={float(self.scale):.6g}"


class Rescale(StepModule):
    """Multiply by a fixed scale (a buffer): the same in both step modes."""

    def __init__(self, scale: float | Tensor = 1.0, step_mode: StepMode = "m") -> None:
        super().__init__(step_mode)
        self.register_buffer("scale", torch.as_tensor(scale).detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale

    def extra_repr(self) -> str:
        return f"{float(self.scale):f}, step_mode={self.step_mode}"


class ScaledIF(nn.Module):
    """A converted ReLU: ``scaler1(if_node(scaler0(x)))`` = s·IF(x·v_th/s), IF with a soft reset.

    Args:
        scale: the activation scale s (> 0, finite); a float or a 0-dim tensor (its dtype is kept).
        v_threshold: the IF threshold.
        step_mode: 'm' ([T, N, ...], the default) or 's'.
        neuron: the IF to use instead of ``IFNode(v_threshold, v_reset=None)``.
        dtype: of the two scale buffers (None: the scale's, or torch's default for a float). v_th/s is computed
            in float64 first, then stored.
    """

    def __init__(
        self,
        scale: float | Tensor,
        v_threshold: float = 1.0,
        step_mode: StepMode = "m",
        neuron: nn.Module | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        s = float(scale)
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"ScaledIF needs a finite scale > 0, got {s}: the layer's activations were all <= 0")
        if dtype is None:
            dtype = scale.dtype if isinstance(scale, Tensor) else torch.get_default_dtype()
        self.scaler0 = Rescale(torch.tensor(v_threshold / s, dtype=dtype), step_mode)
        self.if_node = IFNode(v_threshold, v_reset=None, step_mode=step_mode) if neuron is None else neuron
        self.scaler1 = Rescale(torch.tensor(s, dtype=dtype), step_mode)

    @property
    def scale(self) -> float:
        """The activation scale s."""
        return float(self.scaler1.scale)

    def forward(self, x: Tensor) -> Tensor:
        return self.scaler1(self.if_node(self.scaler0(x)))
