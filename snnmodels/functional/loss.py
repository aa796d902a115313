"""Spike-train losses with snnTorch's ``functional`` semantics (``ce_count_loss()(spk_out, targets)`` etc.).

Inputs are [T, B, C] recordings (spikes or membrane potentials) and [B] integer labels. Each loss is a small
configured object; calling it returns the reduced loss. Every loss also takes ``mask``: a bool [T, B] tensor,
True on the valid steps of a zero-padded variable-length batch (as from ``neurodata.padded_sequence_mask``);
padded steps then count for nothing, and "T" in a formula becomes each sample's own length.

``weight`` (a [C] tensor of class weights) scales each sample's loss by the weight of its label; with
``reduction='mean'`` the result is the plain mean of those scaled losses, as in snnTorch (``ce_temporal_loss``
uses `torch.nn.functional.cross_entropy`'s weighted mean, as snnTorch does).

Where snnTorch 1.0.0 is broken we do what its documentation says instead: ``weight`` on the MSE losses
(snnTorch multiplies a [B, C] loss by a [B] weight, which only broadcasts when B == C or B == 1), ``reduction``
with ``weight`` (snnTorch returns the unreduced loss for 'sum'), population codes in ``ce_rate_loss`` (snnTorch
indexes ``weight[0]``/``weight[1]`` and ignores the code), ``off_target`` below 0 with ``on_target > off_target``
(snnTorch's clamp turns it into 0), and several spikes per neuron in ``mse_temporal_loss(multi_spike=True)``
(snnTorch blanks whole time steps of every neuron after each one it finds).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from snnmodels.registry import Registry

__all__ = [
    "LOSSES",
    "ce_count_loss",
    "ce_max_membrane_loss",
    "ce_rate_loss",
    "ce_temporal_loss",
    "first_spike_time",
    "lengths_from_mask",
    "mse_count_loss",
    "mse_membrane_loss",
    "mse_rate_loss",
    "mse_temporal_loss",
    "nth_spike_times",
    "population_code",
]

Reduction = Literal["mean", "sum", "none"]
LOSSES: Registry[type] = Registry("loss")


# ---------------------------------------------------------------------------------------------------------------
# helpers shared with acc.py


def lengths_from_mask(mask: Tensor | None, T: int, B: int, device: torch.device) -> Tensor:
    """Valid steps per sample, int64 [B]: ``mask.sum(0)``, or T everywhere when there is no mask."""
    if mask is None:
        return torch.full((B,), T, dtype=torch.int64, device=device)
    if mask.shape != (T, B):
        raise ValueError(f"mask must be bool [T, B] = [{T}, {B}], got shape {tuple(mask.shape)}")
    return mask.sum(0).to(torch.int64)


def masked(x: Tensor, mask: Tensor | None) -> Tensor:
    """``x`` [T, B, ...] with the padded steps (mask False) set to 0."""
    if mask is None:
        return x
    return x * mask.reshape(*mask.shape, *([1] * (x.dim() - 2))).to(x.dtype)


def population_code(counts: Tensor, num_classes: int | None) -> Tensor:
    """Sum [B, C] counts over each class's group of C/num_classes consecutive neurons: -> [B, num_classes]."""
    if not num_classes:
        raise ValueError("num_classes must be given when population_code=True")
    C = counts.shape[-1]
    if C % num_classes:
        raise ValueError(f"the number of outputs ({C}) must be a multiple of num_classes ({num_classes})")
    return counts.reshape(*counts.shape[:-1], num_classes, C // num_classes).sum(-1)


class _FirstSpike(torch.autograd.Function):
    """[T, B, N] spikes -> first spike step [B, N] (last valid step if none); d(time)/d(spike) = -1 there."""

    @staticmethod
    def forward(spk: Tensor, last: Tensor) -> Tensor:
        fired = spk != 0
        first = fired.to(torch.uint8).argmax(0)  # first True (argmax returns the first maximum)
        return torch.where(fired.any(0), first, last.expand_as(first)).to(spk.dtype)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        ctx.save_for_backward(output)
        ctx.T = inputs[0].shape[0]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (times,) = ctx.saved_tensors
        out = grad.new_zeros((ctx.T, *grad.shape))
        return out.scatter_(0, times.long().unsqueeze(0), -grad.unsqueeze(0)), None


class _NthSpikes(torch.autograd.Function):
    """[T, B, N] spikes -> the steps of the first F spikes [F, B, N] (last valid step for missing ones)."""

    @staticmethod
    def forward(spk: Tensor, count: int, last: Tensor) -> Tensor:
        fired = spk != 0
        rank = fired.to(torch.int64).cumsum(0)
        times = []
        for n in range(1, count + 1):
            hit = fired & (rank == n)
            times.append(torch.where(hit.any(0), hit.to(torch.uint8).argmax(0), last.expand(spk.shape[1:])))
        return torch.stack(times).to(spk.dtype)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Tensor) -> None:
        ctx.save_for_backward(output)
        ctx.T = inputs[0].shape[0]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        (times,) = ctx.saved_tensors
        out = grad.new_zeros((ctx.T, *grad.shape[1:]))
        return out.scatter_add_(0, times.long(), -grad), None, None


def _last_step(spk: Tensor, mask: Tensor | None) -> Tensor:
    lengths = lengths_from_mask(mask, spk.shape[0], spk.shape[1], spk.device)
    return (lengths - 1).clamp(min=0).reshape(-1, *([1] * (spk.dim() - 2)))


def first_spike_time(spk: Tensor, mask: Tensor | None = None) -> Tensor:
    """Step of each neuron's first spike, [T, B, N] -> [B, N]; the last valid step where there is none."""
    return _FirstSpike.apply(masked(spk, mask), _last_step(spk, mask))


def nth_spike_times(spk: Tensor, count: int, mask: Tensor | None = None) -> Tensor:
    """Steps of each neuron's first ``count`` spikes, [T, B, N] -> [count, B, N]; missing ones: last valid step."""
    return _NthSpikes.apply(masked(spk, mask), count, _last_step(spk, mask))


def _one_hot(targets: Tensor, C: int, on: float, off: float, dtype: torch.dtype) -> Tensor:
    if targets.numel() and int(targets.max()) >= C:
        raise ValueError(f"target {int(targets.max())} is out of range for {C} outputs")
    hot = F.one_hot(targets.long(), C).to(torch.bool)
    return torch.where(
        hot, torch.tensor(on, dtype=dtype, device=targets.device), torch.tensor(off, dtype=dtype, device=targets.device)
    )


def _check_reduction(reduction: str) -> Reduction:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction  # type: ignore[return-value]


class _Loss:
    def __init__(self, reduction: Reduction = "mean", weight: Tensor | None = None) -> None:
        self.reduction = _check_reduction(reduction)
        self.weight = weight
        self.__name__ = type(self).__name__

    def _reduce(self, loss: Tensor) -> Tensor:
        if self.reduction == "mean":
            return loss.mean()
        return loss.sum() if self.reduction == "sum" else loss

    def _sample_weight(self, targets: Tensor, like: Tensor) -> Tensor:
        assert self.weight is not None
        w = self.weight.to(like.device, like.dtype)[targets.long()]
        return w.reshape(*w.shape, *([1] * (like.dim() - w.dim())))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "__name__")
        return f"{type(self).__name__}({fields})"


class _CodedLoss(_Loss):
    """A loss over class outputs that may be a population code (k neurons per class, summed per class)."""

    def __init__(
        self,
        population_code: bool = False,
        num_classes: int | None = None,
        reduction: Reduction = "mean",
        weight: Tensor | None = None,
    ) -> None:
        super().__init__(reduction, weight)
        self.population_code = population_code
        self.num_classes = num_classes

    def _code(self, x: Tensor) -> Tensor:
        return population_code(x, self.num_classes) if self.population_code else x


# ---------------------------------------------------------------------------------------------------------------
# count / rate / membrane losses


@LOSSES.register("ce_count")
class ce_count_loss(_CodedLoss):
    """Cross entropy of the spike counts: log_softmax(sum_t spk[t]) against the labels."""

    def __call__(self, spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        counts = self._code(masked(spk_out, mask).sum(0))
        nll = F.nll_loss(F.log_softmax(counts, -1), targets, weight=self.weight, reduction="none")
        return self._reduce(nll)


@LOSSES.register("ce_rate")
class ce_rate_loss(_CodedLoss):
    """Cross entropy at every step, averaged over the (valid) steps: mean_t CE(log_softmax(spk[t]), y)."""

    def __call__(self, spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        T, B = spk_out.shape[:2]
        out = self._code(spk_out)
        logp = F.log_softmax(out, -1)
        nll = F.nll_loss(logp.flatten(0, 1), targets.repeat(T), weight=self.weight, reduction="none").view(T, B)
        lengths = lengths_from_mask(mask, T, B, spk_out.device)
        per_sample = masked(nll, mask).sum(0) / lengths.clamp(min=1).to(nll.dtype)
        return self._reduce(per_sample)


@LOSSES.register("ce_max_membrane")
class ce_max_membrane_loss(_Loss):
    """Cross entropy of each output's maximum membrane potential over the (valid) steps (SpyTorch's readout)."""

    def __call__(self, mem_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is not None:
            mem_out = mem_out.masked_fill(~mask.reshape(*mask.shape, 1), float("-inf"))
        peak = mem_out.max(0).values
        return self._reduce(F.nll_loss(F.log_softmax(peak, -1), targets, weight=self.weight, reduction="none"))


@LOSSES.register("mse_count")
class mse_count_loss(_CodedLoss):
    """Squared error of the spike counts against T·correct_rate (label) and T·incorrect_rate (others), over T.

    With a population code of k neurons per class the targets are T·rate·k. Targets are whole counts
    (``int(T·rate)``, as snnTorch), per sample when a mask gives each its own T.
    """

    def __init__(
        self,
        correct_rate: float = 1.0,
        incorrect_rate: float = 0.0,
        population_code: bool = False,
        num_classes: int | None = None,
        reduction: Reduction = "mean",
        weight: Tensor | None = None,
    ) -> None:
        super().__init__(population_code, num_classes, reduction, weight)
        for name, rate in (("correct_rate", correct_rate), ("incorrect_rate", incorrect_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {rate!r}")
        self.correct_rate, self.incorrect_rate = correct_rate, incorrect_rate

    def __call__(self, spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        T, B, C = spk_out.shape[0], spk_out.shape[1], spk_out.shape[-1]
        counts = masked(spk_out, mask).sum(0)
        per = 1.0
        if self.population_code:
            counts = population_code(counts, self.num_classes)
            per = C / counts.shape[-1]
        if mask is None:
            lengths = [T] * B
        else:
            lengths = lengths_from_mask(mask, T, B, spk_out.device).tolist()
        on = torch.tensor([int(n * self.correct_rate * per) for n in lengths], dtype=counts.dtype, device=counts.device)
        off = torch.tensor(
            [int(n * self.incorrect_rate * per) for n in lengths], dtype=counts.dtype, device=counts.device
        )
        hot = F.one_hot(targets.long(), counts.shape[-1]).to(torch.bool)
        target = torch.where(hot, on[:, None], off[:, None])
        steps = torch.tensor(lengths, dtype=counts.dtype, device=counts.device).clamp(min=1)[:, None]
        loss = (counts - target) ** 2 / steps
        if self.weight is not None:
            loss = loss * self._sample_weight(targets, loss)
        return self._reduce(loss)


@LOSSES.register("mse_rate")
class mse_rate_loss(_CodedLoss):
    """Squared error of the firing rate against the one-hot label, averaged over samples and classes.

    The rate is each output's mean over the (valid) steps, so for equal-length sequences this is SpikingJelly's
    tutorial loss ``F.mse_loss(out.mean(0), F.one_hot(y, C).float())``, to the bit.
    """

    def __call__(self, spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        T, B = spk_out.shape[:2]
        if mask is None:
            rate = spk_out.mean(0)
        else:
            steps = lengths_from_mask(mask, T, B, spk_out.device).clamp(min=1).to(spk_out.dtype)
            rate = masked(spk_out, mask).sum(0) / steps.reshape(B, *([1] * (spk_out.dim() - 2)))
        rate = self._code(rate)
        target = F.one_hot(targets.long(), rate.shape[-1]).to(rate.dtype)
        loss = F.mse_loss(rate, target, reduction="none")
        if self.weight is not None:
            loss = loss * self._sample_weight(targets, loss)
        return self._reduce(loss)


@LOSSES.register("mse_membrane")
class mse_membrane_loss(_Loss):
    """Squared error of the membrane against on_target (label) / off_target (others), averaged over steps.

    With ``time_var_targets`` the labels are [T, B] (one per step).
    """

    def __init__(
        self,
        time_var_targets: bool = False,
        on_target: float = 1.0,
        off_target: float = 0.0,
        reduction: Reduction = "mean",
        weight: Tensor | None = None,
    ) -> None:
        super().__init__(reduction, weight)
        self.time_var_targets = time_var_targets
        self.on_target, self.off_target = on_target, off_target

    def __call__(self, mem_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        T, B, C = mem_out.shape
        if self.time_var_targets and targets.shape[:2] != (T, B):
            raise ValueError(f"time_var_targets needs [T, B] = [{T}, {B}] labels, got {tuple(targets.shape)}")
        target = _one_hot(targets, C, self.on_target, self.off_target, mem_out.dtype)
        err = (mem_out - target) ** 2  # target [B, C] broadcasts over T, or is [T, B, C]
        if self.weight is not None:
            err = err * self._sample_weight(targets, err if self.time_var_targets else err[0])
        lengths = lengths_from_mask(mask, T, B, mem_out.device).clamp(min=1).to(err.dtype)
        return self._reduce(masked(err, mask).sum(0) / lengths[:, None])


# ---------------------------------------------------------------------------------------------------------------
# spike-time losses


def _as_list(v: Any) -> list[float]:
    return [float(x) for x in (v.tolist() if isinstance(v, Tensor) else v)]


@LOSSES.register("mse_temporal")
class mse_temporal_loss(_Loss):
    """Squared error between first spike times and target times, both divided by T.

    Targets are labels (the label's neuron should fire at ``on_target``, the others at ``off_target``; negative
    times count from the end, -1 = last step) or, with ``target_is_time``, times [B, N] ([F, B, N] with
    ``multi_spike``). ``multi_spike`` compares the first F spikes with F targets (``on_target``/``off_target``
    sequences of length F). Spike times within ``tolerance`` steps of their target count as on target.
    Neurons that never fire are taken to fire at the last step. ``weight`` needs label targets.
    """

    def __init__(
        self,
        target_is_time: bool = False,
        on_target: Any = 0,
        off_target: Any = -1,
        tolerance: float = 0,
        multi_spike: bool = False,
        reduction: Reduction = "mean",
        weight: Tensor | None = None,
    ) -> None:
        super().__init__(reduction, weight)
        if weight is not None and target_is_time:
            raise ValueError("weight is per class, so it needs label targets (target_is_time=False)")
        if multi_spike and not target_is_time and len(_as_list(on_target)) != len(_as_list(off_target)):
            raise ValueError(f"on_target and off_target must have the same length, got {on_target!r}, {off_target!r}")
        self.target_is_time, self.tolerance, self.multi_spike = target_is_time, tolerance, multi_spike
        self.on_target, self.off_target = on_target, off_target

    def _target_times(self, targets: Tensor, N: int, dtype: torch.dtype) -> Tensor:
        if self.target_is_time:
            return targets.to(dtype)
        if not self.multi_spike:
            return _one_hot(targets, N, float(self.on_target), float(self.off_target), dtype)
        return torch.stack(
            [
                _one_hot(targets, N, on, off, dtype)
                for on, off in zip(_as_list(self.on_target), _as_list(self.off_target), strict=True)
            ]
        )

    def __call__(self, spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        T, B, N = spk_out.shape
        steps = lengths_from_mask(mask, T, B, spk_out.device).to(spk_out.dtype)
        steps = steps.view(B, 1) if not self.multi_spike else steps.view(1, B, 1)
        target = self._target_times(targets, N, spk_out.dtype)
        target = torch.where(target < 0, target + steps, target)
        if self.multi_spike:
            times = nth_spike_times(spk_out, target.shape[0], mask)
        else:
            times = first_spike_time(spk_out, mask)
        if self.tolerance:
            close = (times - target).abs() < self.tolerance
            times = times + (torch.where(close, target, times) - times).detach()  # value snaps, gradient passes
        loss = (times / steps - target / steps) ** 2
        if self.weight is not None:
            w = self.weight.to(loss)[targets.long()]
            loss = loss * (w.view(B, 1) if not self.multi_spike else w.view(1, B, 1))
        return self._reduce(loss)


@LOSSES.register("ce_temporal")
class ce_temporal_loss(_Loss):
    """Cross entropy of "inverted" first spike times, so that the label's neuron is pushed to fire first.

    ``inverse='negate'`` uses -t, ``'reciprocal'`` uses 1/(t + 1).
    """

    def __init__(
        self,
        inverse: Literal["negate", "reciprocal"] = "negate",
        reduction: Reduction = "mean",
        weight: Tensor | None = None,
    ) -> None:
        super().__init__(reduction, weight)
        if inverse not in ("negate", "reciprocal"):
            raise ValueError(f"inverse must be 'negate' or 'reciprocal', got {inverse!r}")
        self.inverse = inverse

    def __call__(self, spk_out: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
        times = first_spike_time(spk_out, mask)
        logits = -times if self.inverse == "negate" else 1.0 / (times + 1.0)
        return F.cross_entropy(logits, targets, weight=self.weight, reduction=self.reduction)
