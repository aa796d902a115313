"""SpikingJelly's functional learning steps (explicit traces in, new traces out) over `snnmodels.learning`.

``stdp_linear_step``, ``stdp_conv1d_step``, ``stdp_conv2d_step`` (trace-based STDP, `stdp_delta`),
``mstdp_linear_step`` and ``mstdpet_linear_step`` (the reward-modulated eligibility, `mstdp_eligibility`) and
``mstdpet_reward_step`` (`mstdpet_step` itself). Arguments in SpikingJelly 2.0's order: spikes of one step, the
(pre, post) traces, the weight tensor, then keyword-only time constants and weight functions. A convolution's
input is already padded; its traces are shaped like the spikes.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from snnmodels import learning as _learning

__all__ = [
    "mstdp_linear_step",
    "mstdpet_linear_step",
    "mstdpet_reward_step",
    "stdp_conv1d_step",
    "stdp_conv2d_step",
    "stdp_linear_step",
]

WeightFn = Callable[[Tensor], Tensor]
Traces = tuple[Tensor, Tensor]

mstdpet_reward_step = _learning.mstdpet_step  # (reward, eligibility, trace_e, *, tau_trace) -> (dW, trace_e)


def _identity(w: Tensor) -> Tensor:
    return w


def _check(who: str, in_spike: Tensor, out_spike: Tensor, trace: Traces, weight: Tensor, ndim: int) -> None:
    """SpikingJelly's shape and device checks, as ValueErrors naming the function and the shapes."""
    if in_spike.dim() != ndim or out_spike.dim() != ndim:
        raise ValueError(
            f"{who} takes spikes with {ndim} dimensions, got in_spike {tuple(in_spike.shape)}, "
            f"out_spike {tuple(out_spike.shape)}"
        )
    if weight.dim() != (2 if ndim <= 2 else ndim):
        raise ValueError(f"{who}: a weight of shape {tuple(weight.shape)} does not fit {ndim}-d spikes")
    c = 0 if ndim == 1 else 1
    if (
        in_spike.shape[c] != weight.shape[1]
        or out_spike.shape[c] != weight.shape[0]
        or (ndim > 1 and in_spike.shape[0] != out_spike.shape[0])
    ):
        raise ValueError(
            f"{who}: in_spike {tuple(in_spike.shape)} and out_spike {tuple(out_spike.shape)} do not match the weight "
            f"{tuple(weight.shape)} (channels) or each other (batch)"
        )
    for side, spike, state in zip(("pre", "post"), (in_spike, out_spike), trace, strict=True):
        if state.shape != spike.shape:
            raise ValueError(
                f"{who}: the {side} trace has shape {tuple(state.shape)}, its spikes {tuple(spike.shape)}; "
                "start from zero traces after changing the batch size"
            )
        if spike.device != weight.device or state.device != weight.device:
            raise ValueError(
                f"{who}: spikes, traces and weight must be on one device (the weight is on {weight.device})"
            )


def _check_conv_output(who: str, in_spike: Tensor, out_spike: Tensor, weight: Tensor, stride: tuple[int, ...]) -> None:
    if any(s <= 0 for s in stride):
        raise ValueError(f"{who}: stride must be positive, got {tuple(stride)}")
    want = tuple((n - k) // s + 1 for n, k, s in zip(in_spike.shape[2:], weight.shape[2:], stride, strict=True))
    if tuple(out_spike.shape[2:]) != want:
        raise ValueError(
            f"{who}: out_spike has spatial shape {tuple(out_spike.shape[2:])}; the (padded) input "
            f"{tuple(in_spike.shape[2:])}, kernel {tuple(weight.shape[2:])} and stride {tuple(stride)} give {want}"
        )


def _synapse(weight: Tensor, stride: tuple[int, ...] = ()) -> nn.Linear | nn.Conv1d | nn.Conv2d:
    """A bias-free Linear / Conv1d / Conv2d (no padding) holding ``weight``: what `snnmodels.learning` reads."""
    out_c, in_c = weight.shape[:2]
    m: nn.Linear | nn.Conv1d | nn.Conv2d
    if weight.dim() == 2:
        m = nn.Linear(in_c, out_c, bias=False, device="meta")
    elif weight.dim() == 3:
        m = nn.Conv1d(in_c, out_c, tuple(weight.shape[2:]), stride=stride, bias=False, device="meta")
    else:
        m = nn.Conv2d(in_c, out_c, tuple(weight.shape[2:]), stride=stride, bias=False, device="meta")
    del m.weight  # the meta placeholder; the caller's tensor takes its place, uncopied
    m.weight = weight  # type: ignore[assignment]
    return m


def stdp_linear_step(
    in_spike: Tensor,
    out_spike: Tensor,
    trace: Traces,
    weight: Tensor,
    *,
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, Traces]:
    """One STDP step of a Linear synapse: (dW [out, in] summed over the batch, (pre [N, in], post [N, out]) traces).

    Traces: tr = tr - tr/tau + s (tau >= 1 steps); dW = f_post(W)·(s_post ⊗ tr_pre) - f_pre(W)·(tr_post ⊗ s_pre).
    """
    _check("stdp_linear_step", in_spike, out_spike, trace, weight, 2)
    dw, traces = _learning.stdp_delta(
        _synapse(weight),
        in_spike.unsqueeze(0),
        out_spike.unsqueeze(0),
        trace,
        tau_pre=tau_pre,
        tau_post=tau_post,
        f_pre=f_pre,
        f_post=f_post,
    )
    return dw, traces


def _stdp_conv_step(
    who: str,
    in_spike: Tensor,
    out_spike: Tensor,
    trace: Traces,
    weight: Tensor,
    stride: tuple[int, ...],
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn,
    f_post: WeightFn,
) -> tuple[Tensor, Traces]:
    _check(who, in_spike, out_spike, trace, weight, weight.dim())
    _check_conv_output(who, in_spike, out_spike, weight, tuple(stride))
    return _learning.stdp_delta(
        _synapse(weight, tuple(stride)),
        in_spike.unsqueeze(0),
        out_spike.unsqueeze(0),
        trace,
        tau_pre=tau_pre,
        tau_post=tau_post,
        f_pre=f_pre,
        f_post=f_post,
    )


def stdp_conv2d_step(
    in_spike: Tensor,
    out_spike: Tensor,
    trace: Traces,
    weight: Tensor,
    *,
    stride: tuple[int, int],
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, Traces]:
    """One STDP step of a Conv2d synapse on padded input ``[N, C_in, H, W]`` and output ``[N, C_out, H', W']``:
    (dW shaped like the weight, (pre, post) traces). The outer products run over every kernel position."""
    return _stdp_conv_step(
        "stdp_conv2d_step", in_spike, out_spike, trace, weight, stride, tau_pre, tau_post, f_pre, f_post
    )


def stdp_conv1d_step(
    in_spike: Tensor,
    out_spike: Tensor,
    trace: Traces,
    weight: Tensor,
    *,
    stride: tuple[int],
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, Traces]:
    """One STDP step of a Conv1d synapse on padded input ``[N, C_in, L]``: (dW, (pre, post) traces)."""
    return _stdp_conv_step(
        "stdp_conv1d_step", in_spike, out_spike, trace, weight, stride, tau_pre, tau_post, f_pre, f_post
    )


def mstdp_linear_step(
    in_spike: Tensor,
    out_spike: Tensor,
    trace: Traces,
    weight: Tensor,
    *,
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, Traces]:
    """One MSTDP step of a Linear synapse: (per-sample eligibility [N, out, in], (pre, post) traces).

    Traces decay exponentially, tr = tr·e^(-1/tau) + s (tau > 0).
    """
    _check("mstdp_linear_step", in_spike, out_spike, trace, weight, 2)
    return _learning.mstdp_eligibility(
        _synapse(weight),  # type: ignore[arg-type]
        in_spike,
        out_spike,
        trace,
        tau_pre=tau_pre,
        tau_post=tau_post,
        f_pre=f_pre,
        f_post=f_post,
    )


def mstdpet_linear_step(
    in_spike: Tensor,
    out_spike: Tensor,
    trace: Traces,
    weight: Tensor,
    *,
    tau_pre: float,
    tau_post: float,
    f_pre: WeightFn = _identity,
    f_post: WeightFn = _identity,
) -> tuple[Tensor, Traces]:
    """`mstdp_linear_step` for one unbatched sample: spikes ``[in]`` and ``[out]``, eligibility ``[out, in]``."""
    _check("mstdpet_linear_step", in_spike, out_spike, trace, weight, 1)
    e, (tr_pre, tr_post) = _learning.mstdp_eligibility(
        _synapse(weight),  # type: ignore[arg-type]
        in_spike.unsqueeze(0),
        out_spike.unsqueeze(0),
        (trace[0].unsqueeze(0), trace[1].unsqueeze(0)),
        tau_pre=tau_pre,
        tau_post=tau_post,
        f_pre=f_pre,
        f_post=f_post,
    )
    return e[0], (tr_pre[0], tr_post[0])
