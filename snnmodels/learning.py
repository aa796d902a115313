"""Trace-based STDP and reward-modulated STDP for Linear, Conv1d and Conv2d synapses.

Each synapse has a presynaptic trace (shaped like its input) and a postsynaptic trace (shaped like its output),
updated per step as SpikingJelly's (Morrison et al., 2008)::

    tr_pre[t]  = tr_pre[t-1]  - tr_pre[t-1]  / tau_pre  + s_pre[t]
    tr_post[t] = tr_post[t-1] - tr_post[t-1] / tau_post + s_post[t]
    dW[t] = f_post(W) · (s_post[t] ⊗ tr_pre[t]) - f_pre(W) · (tr_post[t] ⊗ s_pre[t])      (summed over the batch)

so a pre spike followed by a post spike strengthens the synapse and the reverse order weakens it. For a
convolution the outer product runs over every kernel position, which is exactly the weight gradient of the
convolution with the post term as ``grad_output``: `stdp_delta` computes it with one ``conv_weight`` call per
term over the whole sequence (T folded into the batch) instead of a Python loop over kernel positions and steps.
The weight is read once per update, so f_pre(W) and f_post(W) are the same at every step of it; they must act
element-wise (clamp, scale, soft bounds). The result is the change ``dW``; `STDPLearner.step` adds ``-dW`` to
``weight.grad``, so a plain SGD step with lr moves W by lr·dW and STDP mixes with any optimizer.

Reward-modulated STDP (MSTDP, Florian 2007) uses exponential traces, tr[t] = tr[t-1]·e^(-1/tau) + s[t], keeps the
per-sample STDP term as an eligibility e[t], and changes W by sum_samples r[t]·e[t-1] (`mstdp_step`); MSTDPET
low-pass filters the eligibility first, z[t] = z[t-1]·e^(-1/tau_trace) + e[t] / tau_trace, dW = r·z (`mstdpet_step`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from snnmodels.base import STEP_MODES, MemoryModule, StepMode

__all__ = [
    "CompetitiveIF",
    "MSTDPETLearner",
    "MSTDPLearner",
    "STDPLearner",
    "check_synapse",
    "mstdp_eligibility",
    "mstdp_step",
    "mstdpet_step",
    "stdp_delta",
    "trace_seq",
]

WeightFn = Callable[[Tensor], Tensor]
Synapse = nn.Linear | nn.Conv1d | nn.Conv2d


def _identity(w: Tensor) -> Tensor:
    return w


def check_synapse(synapse: nn.Module, who: str = "STDP") -> Synapse:
    """``synapse`` if STDP can learn it (Linear, or Conv1d/Conv2d with groups=1, dilation=1); a TypeError naming
    the module and what is supported otherwise."""
    supported = "torch.nn.Linear, Conv1d or Conv2d (groups=1, dilation=1), or their snnmodels.layers twins"
    if not isinstance(synapse, nn.Linear | nn.Conv1d | nn.Conv2d):
        raise TypeError(
            f"{who} cannot learn the weights of {type(synapse).__name__} ({synapse!r}); supported: {supported}"
        )
    if isinstance(synapse, nn.Conv1d | nn.Conv2d) and (synapse.groups != 1 or any(d != 1 for d in synapse.dilation)):
        raise TypeError(
            f"{who} cannot learn {type(synapse).__name__} ({synapse!r}) with groups={synapse.groups}, "
            f"dilation={synapse.dilation}; supported: {supported}"
        )
    return synapse


def _check_tau(name: str, tau: float, exponential: bool) -> float:
    low = 0.0 if exponential else 1.0
    if isinstance(tau, bool) or not isinstance(tau, int | float) or not math.isfinite(tau) or tau < low or tau == 0:
        bound = "> 0" if exponential else ">= 1"
        raise ValueError(f"{name} must be a finite number {bound} (time steps), got {tau!r}")
    return float(tau)


def trace_seq(s_seq: Tensor, trace: Tensor | None, decay: float) -> Tensor:
    """Traces over a sequence: tr[t] = tr[t-1]·decay + s[t] for decay = 1 - 1/tau (as ``tr - tr/tau + s``).

    ``s_seq`` is [T, ...]; ``trace`` the trace before the first step (None: zeros). Returns [T, ...].
    """
    out = torch.empty_like(s_seq)
    tr = torch.zeros_like(s_seq[0]) if trace is None else trace
    for t in range(s_seq.shape[0]):
        tr = tr * decay + s_seq[t] if decay != 1.0 else tr + s_seq[t]
        out[t] = tr
    return out


def _sj_trace_seq(s_seq: Tensor, trace: Tensor | None, tau: float) -> Tensor:
    # written as tr - tr/tau + s (SpikingJelly's order of operations) so that the traces agree to the bit
    out = torch.empty_like(s_seq)
    tr = torch.zeros_like(s_seq[0]) if trace is None else trace
    for t in range(s_seq.shape[0]):
        tr = tr - tr / tau + s_seq[t]
        out[t] = tr
    return out


def _pad_input(conv: nn.Conv1d | nn.Conv2d, x: Tensor) -> Tensor:
    pad = conv._reversed_padding_repeated_twice  # type: ignore[attr-defined]
    if not any(pad):
        return x
    mode = "constant" if conv.padding_mode == "zeros" else conv.padding_mode
    lead = x.shape[: -(conv.weight.dim() - 1)]
    y = F.pad(x.reshape(-1, *x.shape[len(lead) :]), pad, mode=mode)
    return y.view(*lead, *y.shape[1:])


def _outer_sum(synapse: Synapse, post: Tensor, pre: Tensor) -> Tensor:
    """sum over samples and positions of post ⊗ pre, shaped like the weight; post [B, out, ...], pre [B, in, ...]."""
    if isinstance(synapse, nn.Linear):
        return post.reshape(-1, post.shape[-1]).T @ pre.reshape(-1, pre.shape[-1])
    grad = torch.nn.grad.conv2d_weight if isinstance(synapse, nn.Conv2d) else torch.nn.grad.conv1d_weight
    return grad(pre, synapse.weight.shape, post, stride=synapse.stride)


def _check_spikes(synapse: Synapse, pre: Tensor, post: Tensor) -> None:
    want = 1 if isinstance(synapse, nn.Linear) else synapse.weight.dim() - 1
    if pre.dim() < want + 2 or post.dim() != pre.dim() or pre.shape[:2] != post.shape[:2]:
        raise ValueError(
            f"STDP on {type(synapse).__name__} takes pre and post spikes [T, N, ...] with equal T and N; got pre "
            f"{tuple(pre.shape)}, post {tuple(post.shape)}"
        )
    c_in = pre.shape[-1] if isinstance(synapse, nn.Linear) else pre.shape[2]
    c_out = post.shape[-1] if isinstance(synapse, nn.Linear) else post.shape[2]
    if (c_out, c_in) != tuple(synapse.weight.shape[:2]):
        raise ValueError(
            f"STDP on {type(synapse).__name__}: spikes have {c_in} input and {c_out} output channels, the weight "
            f"{tuple(synapse.weight.shape)}"
        )


def stdp_delta(
    synapse: Synapse,
    pre_seq: Tensor,
    post_seq: Tensor,
    traces: tuple[Tensor | None, Tensor | None] = (None, None),
    *,
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """The STDP change of ``synapse.weight`` over a sequence, and the traces after its last step.

    Args:
        synapse: Linear, Conv1d or Conv2d (its weight, stride and padding are read; nothing is changed).
        pre_seq: input spikes ``[T, N, in]`` (Linear) or ``[T, N, C_in, (H,) W]``, before padding.
        post_seq: output spikes of the neurons the synapse drives, ``[T, N, out, ...]``.
        traces: (pre, post) traces before the first step; None for zeros. A convolution's pre trace is shaped
            like its padded input.
        tau_pre, tau_post: trace time constants in steps (>= 1).
        f_pre, f_post: element-wise functions of the weight that scale depression and potentiation.

    Returns:
        (dW shaped like the weight, (pre trace, post trace) after the last step).
    """
    check_synapse(synapse)
    tau_pre, tau_post = _check_tau("tau_pre", tau_pre, False), _check_tau("tau_post", tau_post, False)
    _check_spikes(synapse, pre_seq, post_seq)
    if not isinstance(synapse, nn.Linear):
        pre_seq = _pad_input(synapse, pre_seq)
    w = synapse.weight.detach()
    pre_seq, post_seq = pre_seq.to(w.dtype), post_seq.to(w.dtype)
    tr_pre = _sj_trace_seq(pre_seq, traces[0], tau_pre)
    tr_post = _sj_trace_seq(post_seq, traces[1], tau_post)
    # T folds into the batch: the weight is the same at every step of one update
    potentiation = _outer_sum(synapse, post_seq.flatten(0, 1), tr_pre.flatten(0, 1))
    depression = _outer_sum(synapse, tr_post.flatten(0, 1), pre_seq.flatten(0, 1))
    return f_post(w) * potentiation - f_pre(w) * depression, (tr_pre[-1], tr_post[-1])


def mstdp_eligibility(
    synapse: nn.Linear,
    pre: Tensor,
    post: Tensor,
    traces: tuple[Tensor | None, Tensor | None],
    *,
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One step of MSTDP for a Linear synapse: the per-sample eligibility [N, out, in] and the new traces.

    Traces decay exponentially, tr = tr·e^(-1/tau) + s (tau > 0); pre [N, in], post [N, out].
    """
    tau_pre, tau_post = _check_tau("tau_pre", tau_pre, True), _check_tau("tau_post", tau_post, True)
    w = synapse.weight.detach()
    pre, post = pre.to(w.dtype), post.to(w.dtype)
    tr_pre = (torch.zeros_like(pre) if traces[0] is None else traces[0]) * math.exp(-1 / tau_pre) + pre
    tr_post = (torch.zeros_like(post) if traces[1] is None else traces[1]) * math.exp(-1 / tau_post) + post
    e = f_post(w) * (tr_pre.unsqueeze(1) * post.unsqueeze(2)) - f_pre(w) * (tr_post.unsqueeze(2) * pre.unsqueeze(1))
    return e, (tr_pre, tr_post)


def mstdp_step(reward: Tensor | float, eligibility_before: Tensor | None, batch: int, like: Tensor) -> Tensor:
    """dW = sum over samples of reward·eligibility of the previous step; reward is a number or [N]."""
    r = torch.as_tensor(reward, dtype=like.dtype, device=like.device)
    if r.dim() != 0 and r.shape != (batch,):
        raise ValueError(f"the MSTDP reward must be a number or shaped [N={batch}], got shape {tuple(r.shape)}")
    if eligibility_before is None:
        return torch.zeros_like(like)
    return (r.reshape(-1, 1, 1) * eligibility_before).sum(0)


def mstdpet_step(
    reward: Tensor | float, eligibility: Tensor, trace_e: Tensor | None, *, tau_trace: float
) -> tuple[Tensor, Tensor]:
    """MSTDPET: z = z·e^(-1/tau_trace) + e / tau_trace, dW = reward·z; returns (dW, z)."""
    tau_trace = _check_tau("tau_trace", tau_trace, True)
    z = (torch.zeros_like(eligibility) if trace_e is None else trace_e) * math.exp(-1 / tau_trace)
    z = z + eligibility / tau_trace
    return reward * z, z


# ---------------------------------------------------------------------------------------------------------------
# learners: record the synapse's input and the neurons' output with hooks, update on `step`


class _Recorder:
    """Forward hooks that keep the detached input of one module and the output of another (picklable callables)."""

    def __init__(self, synapse: nn.Module, sn: nn.Module) -> None:
        self.pre: list[Tensor] = []
        self.post: list[Tensor] = []
        self.enabled = True
        self.handles: list[RemovableHandle] = [
            synapse.register_forward_pre_hook(self._on_pre),
            sn.register_forward_hook(self._on_post),
        ]

    def _on_pre(self, module: nn.Module, inputs: tuple[Any, ...]) -> None:
        if self.enabled:
            self.pre.append(inputs[0].detach())

    def _on_post(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        if self.enabled:
            out = output[0] if isinstance(output, tuple) else output
            self.post.append(out.detach())

    def take(self, step_mode: StepMode) -> tuple[Tensor, Tensor] | None:
        if len(self.pre) != len(self.post):
            raise RuntimeError(
                f"the learner recorded {len(self.pre)} synapse inputs but {len(self.post)} neuron outputs; the "
                "neurons given as sn must be driven by the synapse, once per call"
            )
        if not self.pre:
            return None
        try:
            if step_mode == "s":
                pre, post = torch.stack(self.pre), torch.stack(self.post)
            else:
                pre, post = torch.cat(self.pre), torch.cat(self.post)
        except RuntimeError as err:
            raise ValueError(
                f"the recorded spikes change shape between calls ({err}); call reset() before changing the batch"
            ) from err
        self.clear()
        return pre, post

    def clear(self) -> None:
        self.pre.clear()
        self.post.clear()

    def close(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles.clear()


def _accumulate(weight: Tensor, delta: Tensor) -> None:
    weight.grad = -delta if weight.grad is None else weight.grad - delta


class _Learner(nn.Module):
    def __init__(
        self, synapse: nn.Module, sn: nn.Module, step_mode: StepMode, f_pre: WeightFn | None, f_post: WeightFn | None
    ) -> None:
        super().__init__()
        if step_mode not in STEP_MODES:
            raise ValueError(f"step_mode must be 's' or 'm', got {step_mode!r}")
        self.step_mode = step_mode
        self._synapse = [check_synapse(synapse, type(self).__name__)]  # in a list: not a submodule of the learner
        self.f_pre = f_pre or _identity
        self.f_post = f_post or _identity
        self.recorder = _Recorder(synapse, sn)
        self.trace_pre: Tensor | None = None
        self.trace_post: Tensor | None = None

    @property
    def synapse(self) -> Synapse:
        """The layer whose weight is learnt."""
        return self._synapse[0]

    def _records(self) -> tuple[Tensor, Tensor] | None:
        if not self.recorder.handles:
            raise RuntimeError(f"this {type(self).__name__} is closed; create a new one to learn again")
        return self.recorder.take(self.step_mode)

    def reset(self) -> None:
        """Forget the traces and any recorded spikes."""
        self.trace_pre = self.trace_post = None
        self.recorder.clear()

    def enable(self) -> None:
        """Record again after `disable`."""
        self.recorder.enabled = True

    def disable(self) -> None:
        """Stop recording (e.g. during evaluation); the hooks stay."""
        self.recorder.enabled = False

    def close(self) -> None:
        """Remove the hooks from the network and forget the state."""
        self.recorder.close()
        self.reset()

    def _apply(self, delta: Tensor, on_grad: bool, scale: float) -> Tensor | None:
        if scale != 1.0:
            delta = delta * scale
        if on_grad:
            _accumulate(self.synapse.weight, delta)
            return None
        return delta


class STDPLearner(_Learner):
    """Trace STDP for one synapse (Linear/Conv1d/Conv2d) and the spiking neurons ``sn`` it drives.

    Every forward of the network records the synapse's input and ``sn``'s output; `step` turns everything
    recorded since the last step into a weight change with `stdp_delta` and either adds ``-scale·dW`` to
    ``synapse.weight.grad`` (``on_grad=True``: an optimizer step with lr then applies lr·scale·dW) or returns
    ``scale·dW``. Traces persist across steps until `reset` (call it with the network's reset, once per batch).

    Args:
        synapse, sn: the layer to learn and the neurons after it.
        tau_pre, tau_post: trace time constants in steps (>= 1).
        f_pre, f_post: element-wise weight functions (None: identity), e.g. ``lambda w: w.clamp(-1, 1)``.
        step_mode: 'm' when the network runs whole sequences [T, N, ...], 's' for one step [N, ...] per call.
    """

    def __init__(
        self,
        synapse: nn.Module,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        f_pre: WeightFn | None = None,
        f_post: WeightFn | None = None,
        step_mode: StepMode = "m",
    ) -> None:
        super().__init__(synapse, sn, step_mode, f_pre, f_post)
        self.tau_pre = _check_tau("tau_pre", tau_pre, False)
        self.tau_post = _check_tau("tau_post", tau_post, False)

    @torch.no_grad()
    def step(self, on_grad: bool = True, scale: float = 1.0) -> Tensor | None:
        """Learn from what was recorded; see the class docstring. Returns None if nothing was recorded."""
        records = self._records()
        if records is None:
            return None
        pre, post = records
        delta, (self.trace_pre, self.trace_post) = stdp_delta(
            self.synapse,
            pre,
            post,
            (self.trace_pre, self.trace_post),
            tau_pre=self.tau_pre,
            tau_post=self.tau_post,
            f_pre=self.f_pre,
            f_post=self.f_post,
        )
        return self._apply(delta, on_grad, scale)

    def extra_repr(self) -> str:
        return f"tau_pre={self.tau_pre}, tau_post={self.tau_post}, step_mode={self.step_mode}"


class MSTDPLearner(_Learner):
    """Reward-modulated STDP (Florian, 2007) for a Linear synapse; ``step(reward)`` after each time step.

    ``reward`` is a number or one per sample [N] (single step), or [T] / [T, N] for a multi-step record.
    """

    def __init__(
        self,
        synapse: nn.Module,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        f_pre: WeightFn | None = None,
        f_post: WeightFn | None = None,
        step_mode: StepMode = "s",
    ) -> None:
        super().__init__(synapse, sn, step_mode, f_pre, f_post)
        if not isinstance(self.synapse, nn.Linear):
            raise TypeError(
                f"{type(self).__name__} learns Linear synapses only, got {type(self.synapse).__name__} "
                f"({self.synapse!r})"
            )
        self.tau_pre = _check_tau("tau_pre", tau_pre, True)
        self.tau_post = _check_tau("tau_post", tau_post, True)
        self.eligibility: Tensor | None = None

    def reset(self) -> None:
        super().reset()
        self.eligibility = None

    def _rewards(self, reward: Tensor | float, T: int) -> list[Tensor | float]:
        if self.step_mode == "s" or not isinstance(reward, Tensor) or reward.dim() == 0:
            return [reward] * T
        if reward.shape[0] != T:
            raise ValueError(f"a multi-step reward needs T={T} values on its first axis, got {tuple(reward.shape)}")
        return list(reward)

    def _eligibilities(self, pre: Tensor, post: Tensor) -> list[Tensor]:
        out = []
        for t in range(pre.shape[0]):
            e, (self.trace_pre, self.trace_post) = mstdp_eligibility(
                self.synapse,  # type: ignore[arg-type]
                pre[t],
                post[t],
                (self.trace_pre, self.trace_post),
                tau_pre=self.tau_pre,
                tau_post=self.tau_post,
                f_pre=self.f_pre,
                f_post=self.f_post,
            )
            out.append(e)
        return out

    @torch.no_grad()
    def step(self, reward: Tensor | float, on_grad: bool = True, scale: float = 1.0) -> Tensor | None:
        """Change W by the reward times the eligibility of the step before; see the class docstring."""
        records = self._records()
        if records is None:
            return None
        pre, post = records
        w = self.synapse.weight
        delta = torch.zeros_like(w)
        for r, e in zip(self._rewards(reward, pre.shape[0]), self._eligibilities(pre, post), strict=True):
            delta += mstdp_step(r, self.eligibility, pre.shape[1], w)
            self.eligibility = e
        return self._apply(delta, on_grad, scale)


class MSTDPETLearner(MSTDPLearner):
    """MSTDP with an eligibility trace (MSTDPET, Florian 2007) for a Linear synapse with unbatched spikes [in]."""

    def __init__(
        self,
        synapse: nn.Module,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        tau_trace: float,
        f_pre: WeightFn | None = None,
        f_post: WeightFn | None = None,
        step_mode: StepMode = "s",
    ) -> None:
        super().__init__(synapse, sn, tau_pre, tau_post, f_pre, f_post, step_mode)
        self.tau_trace = _check_tau("tau_trace", tau_trace, True)
        self.trace_e: Tensor | None = None

    def reset(self) -> None:
        super().reset()
        self.trace_e = None

    @torch.no_grad()
    def step(self, reward: Tensor | float, on_grad: bool = True, scale: float = 1.0) -> Tensor | None:
        """dW = reward·z with z the filtered eligibility of the step before (see the module docstring)."""
        records = self._records()
        if records is None:
            return None
        pre, post = records  # [R, in], [R, out]: one unbatched sample per step
        w = self.synapse.weight
        delta = torch.zeros_like(w)
        for r, p_t, q_t in zip(self._rewards(reward, pre.shape[0]), pre, post, strict=True):
            traces = tuple(None if t is None else t.unsqueeze(0) for t in (self.trace_pre, self.trace_post))
            e, (tr_pre, tr_post) = mstdp_eligibility(
                self.synapse,  # type: ignore[arg-type]
                p_t.unsqueeze(0),
                q_t.unsqueeze(0),
                traces,  # type: ignore[arg-type]
                tau_pre=self.tau_pre,
                tau_post=self.tau_post,
                f_pre=self.f_pre,
                f_post=self.f_post,
            )
            self.trace_pre, self.trace_post = tr_pre[0], tr_post[0]
            before = torch.zeros_like(w) if self.eligibility is None else self.eligibility
            dw, self.trace_e = mstdpet_step(
                torch.as_tensor(r, dtype=w.dtype, device=w.device), before, self.trace_e, tau_trace=self.tau_trace
            )
            self.eligibility = e[0]
            delta += dw
        return self._apply(delta, on_grad, scale)


class CompetitiveIF(MemoryModule):
    """IF neurons that compete, for unsupervised STDP (after Diehl & Cook, 2015, simplified).

    Per sample and step, v += x; of the neurons with v >= v_threshold + theta, only the one furthest above fires,
    and its spike resets every neuron of that sample (lateral inhibition). In training mode each spike raises the
    firing neuron's threshold offset theta by ``theta_plus`` / N (homeostasis: winners get harder to excite, so
    every neuron ends up with a share of the inputs); in eval mode theta stays. Multi-step: [T, N, n] -> [T, N, n],
    from rest on every call. theta is a buffer (saved with the state dict).
    """

    def __init__(self, n: int, v_threshold: float = 1.0, theta_plus: float = 0.3) -> None:
        super().__init__("m")
        self.v_threshold, self.theta_plus = float(v_threshold), float(theta_plus)
        self.register_buffer("theta", torch.zeros(n))

    def forward(self, x_seq: Tensor) -> Tensor:
        if x_seq.dim() != 3 or x_seq.shape[-1] != self.theta.numel():
            raise ValueError(f"CompetitiveIF takes [T, N, n={self.theta.numel()}], got {tuple(x_seq.shape)}")
        v = torch.zeros_like(x_seq[0])
        out = torch.zeros_like(x_seq)
        rows = torch.arange(x_seq.shape[1], device=x_seq.device)
        for t in range(x_seq.shape[0]):
            v = v + x_seq[t]
            over = v - (self.v_threshold + self.theta)
            best = over.argmax(1)
            fire = over[rows, best] >= 0
            out[t, rows[fire], best[fire]] = 1.0
            v = v * (~fire).unsqueeze(1)
            if self.training:
                self.theta += self.theta_plus * out[t].sum(0).detach() / x_seq.shape[1]
        return out

    def extra_repr(self) -> str:
        return f"n={self.theta.numel()}, v_threshold={self.v_threshold}, theta_plus={self.theta_plus}"
