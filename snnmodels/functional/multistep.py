"""Shared dynamics of the SpikingJelly-family neurons (IF, LIF, PLIF): reference step, and a fused multi-step path.

Every neuron here does, per time step t (SpikingJelly's conventions, which we match to the bit in float64)::

    h[t] = charge(v[t-1], x[t])                 # IF: v + x;  LIF: v + (x - (v - v_reset)) / tau  (decay_input)
    s[t] = H(h[t] - v_threshold)                # fires when h >= v_threshold; surrogate gradient backward
    v[t] = reset(h[t], s[t])                    # hard (to v_reset) or soft (minus v_threshold)

`neuron_seq` runs T steps. On the fast path (``fused=True``, a `Surrogate` object, no per-step voltages wanted) it
is one autograd node that preallocates its outputs, updates state in place, and saves only the charged membrane
``h`` [T, N], which its backward overwrites with the input gradient, so a forward+backward allocates two
[T, N] tensors in all. On the CPU it walks the neurons in cache-sized blocks, all T steps per block, so the state
and temporaries stay in L2 instead of streaming every [N] temporary through memory once per operation. The
[T, N] tensors and the per-call scratch come from a pool of recycled memory (`snnmodels.functional.buffers`),
so after the first step of a training loop no call faults in fresh pages: without it a call's time depended on
how expensive the system made fresh pages at that moment (by up to 30x here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from snnmodels.functional.buffers import pool_empty
from snnmodels.functional.reset import reset
from snnmodels.functional.surrogate import Surrogate

__all__ = ["Dynamics", "neuron_seq", "neuron_seq_reference", "neuron_step"]

# bytes per [block] buffer on the CPU. LIF [16, 32, 128, 32, 32] fwd+bwd on one thread (CPU time, which the
# machine's load hardly moves; AMD EPYC, 1 MiB L2 per core): 512 KiB 176 ms, 1 MiB 171, 2 MiB 166, 4 MiB 189;
# whole [N] steps stream every temporary through memory (~1.5x). Each op on a block is one parallel region
# (a barrier of the intra-op threads) and a call makes ~16 per block and step, so the larger of the fast sizes
# halves the barriers a busy machine makes threads wait at
CPU_BLOCK_BYTES = 2 << 20


@dataclass(frozen=True)
class Dynamics:
    """Charge, threshold and reset of an IF/LIF/PLIF neuron.

    Attributes:
        leak: "none" (IF), "tau" (LIF, divides by ``tau``) or "q" (PLIF, multiplies by a tensor q = 1/tau).
        tau: membrane time constant in time steps (leak "tau" only).
        decay_input: whether the input is scaled by the leak too (SpikingJelly's ``decay_input``).
        v_threshold: firing threshold; a neuron fires when h >= v_threshold.
        v_reset: hard-reset potential, or None for a soft reset (subtract ``v_threshold``).
        detach_reset: cut the gradient through the reset.
    """

    leak: Literal["none", "tau", "q"] = "tau"
    tau: float = 2.0
    decay_input: bool = True
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    detach_reset: bool = False

    def __post_init__(self) -> None:
        if self.leak not in ("none", "tau", "q"):
            raise ValueError(f"Dynamics.leak must be 'none', 'tau' or 'q', got {self.leak!r}")
        if self.leak == "tau" and not self.tau > 1.0:
            raise ValueError(f"tau must be > 1 (in time steps), got {self.tau!r}")

    @property
    def v_rest(self) -> float:
        """The potential the leak pulls towards and the initial state: v_reset, or 0 for a soft reset."""
        return 0.0 if self.v_reset is None else self.v_reset


def charge(x: Tensor, v: Tensor, dyn: Dynamics, q: Tensor | None = None) -> Tensor:
    """The membrane potential after integrating input ``x`` from state ``v`` (no spike, no reset)."""
    if dyn.leak == "none":
        return v + x
    vr = dyn.v_rest
    if dyn.leak == "tau":
        return v + (x - (v - vr)) / dyn.tau if dyn.decay_input else v - (v - vr) / dyn.tau + x
    if q is None:
        raise ValueError("leak 'q' (PLIF) needs the decay tensor q = sigmoid(w)")
    return v + (x - (v - vr)) * q if dyn.decay_input else v - (v - vr) * q + x


def neuron_step(
    x: Tensor, v: Tensor, dyn: Dynamics, surrogate: Any, q: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """One step: returns (spike, v_next, h). Shapes of ``x`` and ``v`` broadcast; spike has ``x``'s dtype."""
    h = charge(x, v, dyn, q)
    spike = surrogate(h - dyn.v_threshold)
    return spike, reset(h, spike, dyn.v_threshold, dyn.v_reset, dyn.detach_reset), h


def neuron_seq_reference(
    x_seq: Tensor, v: Tensor, dyn: Dynamics, surrogate: Any, q: Tensor | None = None, store_v_seq: bool = False
) -> tuple[Tensor, Tensor, Tensor | None]:
    """T steps with plain autograd: (spikes [T, ...], v after the last step, v after each step [T, ...] or None).

    Outputs are preallocated and filled per step (no list of T tensors to stack).
    """
    spikes = pool_empty(x_seq.shape, x_seq)
    v_seq = pool_empty(x_seq.shape, x_seq) if store_v_seq else None
    for t in range(x_seq.shape[0]):
        spike, v, _ = neuron_step(x_seq[t], v, dyn, surrogate, q)
        spikes[t] = spike
        if v_seq is not None:
            v_seq[t] = v
    return spikes, v, v_seq


# ---------------------------------------------------------------------------------------------------------------
# fused path


def _blocks(n: int, like: Tensor) -> list[tuple[int, int]]:
    size = max(CPU_BLOCK_BYTES // like.element_size(), 1) if like.device.type == "cpu" else max(n, 1)
    return [(a, min(a + size, n)) for a in range(0, n, size)] or [(0, 0)]


def _charge_into(h: Tensor, x: Tensor, v: Tensor, dyn: Dynamics, q: Tensor | None) -> None:
    # same operations in the same order as `charge`, so results agree to the bit
    vr = dyn.v_rest
    if dyn.leak == "none":
        torch.add(v, x, out=h)
        return
    k: float | Tensor = dyn.tau if dyn.leak == "tau" else q  # type: ignore[assignment]
    scale = h.div_ if dyn.leak == "tau" else h.mul_
    if dyn.decay_input:  # v + (x - (v - vr)) * k
        torch.sub(x, v if vr == 0.0 else v - vr, out=h)
        scale(k)
        h.add_(v)
    else:  # v - (v - vr) * k + x
        torch.sub(v, vr, out=h)
        scale(k)
        torch.sub(v, h, out=h)
        h.add_(x)


def _reset_into(v: Tensor, h: Tensor, s: Tensor, dyn: Dynamics) -> None:
    # s is exactly 0 or 1, so these equal reset_hard / reset_soft to the bit
    if dyn.v_reset is None:
        torch.add(h, s, alpha=-dyn.v_threshold, out=v)
    else:
        torch.addcmul(h, h, s, value=-1.0, out=v)
        if dyn.v_reset != 0.0:
            v.add_(s, alpha=dyn.v_reset)


def _fused_forward(
    x2: Tensor, v0: Tensor, dyn: Dynamics, q: Tensor | None, keep_h: bool
) -> tuple[Tensor, Tensor, Tensor | None]:
    T, N = x2.shape
    out = pool_empty(x2.shape, x2)
    hs = pool_empty(x2.shape, x2) if keep_h else None
    v_last = pool_empty(v0.shape, v0)
    blocks = _blocks(N, x2)
    width = max(b - a for a, b in blocks)
    work = pool_empty((2, width), x2)  # the state and (without keep_h) the charged membrane of one block
    for a, b in blocks:
        v = work[0, : b - a]
        v.copy_(v0[a:b])
        scratch = None if keep_h else work[1, : b - a]
        for t in range(T):
            h = hs[t, a:b] if hs is not None else scratch
            _charge_into(h, x2[t, a:b], v, dyn, q)
            s = out[t, a:b]
            torch.ge(h, dyn.v_threshold, out=s)
            _reset_into(v, h, s, dyn)
        v_last[a:b] = v
    return out, v_last, hs


def _fused_backward(
    gs: Tensor,
    gv: Tensor | None,
    hs: Tensor,
    v0: Tensor,
    dyn: Dynamics,
    surrogate: Surrogate,
    q: Tensor | None,
    need_q: bool,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Overwrites ``hs`` with dL/dx and returns (dL/dx, dL/dv0, dL/dq)."""
    T, N = hs.shape
    vth, vr = dyn.v_threshold, dyn.v_rest
    hard, detach = dyn.v_reset is not None, dyn.detach_reset
    gv0 = pool_empty(v0.shape, v0)
    gq = torch.zeros((), dtype=torch.float64, device=hs.device) if need_q else None
    blocks = _blocks(N, hs)
    width = max(b - a for a, b in blocks)
    work = pool_empty((6 if need_q else 5, width), hs)  # one block's scratch, reused for every block
    for a, b in blocks:
        c, z, s, tmp, gh = (work[i, : b - a] for i in range(5))
        if gv is None:  # the final state was not used: no gradient flows in through it
            c.zero_()
        else:
            c.copy_(gv[a:b])  # dL/dv[t], the state after step t
        vp = work[5, : b - a] if need_q else None
        for t in range(T - 1, -1, -1):
            h, g = hs[t, a:b], gs[t, a:b]
            torch.sub(h, vth, out=z)
            sg = surrogate.derivative_(z)
            torch.ge(h, vth, out=s)
            # gh = dL/dh[t] = g*sg + c*dv[t]/dh[t]
            if hard and not detach:  # dv/dh = (1 - s) + (v_reset - h)*sg
                if vr != 0.0:
                    torch.sub(h, vr, out=tmp)
                    tmp.mul_(c)
                else:
                    torch.mul(h, c, out=tmp)
                torch.sub(g, tmp, out=tmp)
                tmp.mul_(sg)
                torch.addcmul(c, c, s, value=-1.0, out=gh)
                gh.add_(tmp)
            elif hard:  # dv/dh = 1 - s
                torch.addcmul(c, c, s, value=-1.0, out=gh)
                torch.mul(g, sg, out=tmp)  # not addcmul: its fused multiply-add rounds once, autograd twice
                gh.add_(tmp)
            elif not detach:  # dv/dh = 1 - v_threshold*sg
                torch.mul(c, vth, out=tmp)
                torch.sub(g, tmp, out=tmp)
                tmp.mul_(sg)
                torch.add(c, tmp, out=gh)
            else:  # dv/dh = 1
                torch.mul(g, sg, out=gh)
                gh.add_(c)
            if need_q:
                assert vp is not None
                assert q is not None
                if t == 0:
                    vp.copy_(v0[a:b])
                else:
                    hp = hs[t - 1, a:b]
                    torch.ge(hp, vth, out=z)
                    _reset_into(vp, hp, z, dyn)
                if dyn.decay_input:  # dh/dq = x - (v_prev - v_reset) = (h - v_prev) / q
                    torch.sub(h, vp, out=tmp)
                    tmp.div_(q)
                else:  # dh/dq = v_reset - v_prev
                    torch.sub(vp, vr, out=tmp)
                    tmp.neg_()
                gq += torch.dot(gh, tmp).double()
            # dL/dx[t] goes where h[t] was; c becomes dL/dv[t-1] = gh * dh/dv
            if dyn.leak == "none":
                h.copy_(gh)
                c.copy_(gh)
                continue
            k: float | Tensor = dyn.tau if dyn.leak == "tau" else q  # type: ignore[assignment]
            op = torch.div if dyn.leak == "tau" else torch.mul
            if dyn.decay_input:  # dh/dx = 1/tau (or q), dh/dv = 1 - 1/tau
                op(gh, k, out=h)
                torch.sub(gh, h, out=c)
            else:  # dh/dx = 1
                h.copy_(gh)
                op(gh, k, out=tmp)
                torch.sub(gh, tmp, out=c)
        gv0[a:b] = c
    return hs, gv0, (gq.to(q.dtype) if gq is not None and q is not None else None)


class _FusedSeq(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x2: Tensor, v0: Tensor, q: Tensor | None, dyn: Dynamics, surrogate: Surrogate
    ) -> tuple[Tensor, Tensor]:
        out, v_last, hs = _fused_forward(x2, v0, dyn, q, keep_h=True)
        ctx.save_for_backward(hs, v0, q)
        ctx.dyn, ctx.surrogate, ctx.used = dyn, surrogate, False
        ctx.set_materialize_grads(False)  # an unused output gets None, not a tensor of zeros to read
        return out, v_last

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, gs: Tensor | None, gv: Tensor | None) -> tuple[Tensor | None, ...]:
        if ctx.used:
            raise RuntimeError(
                "the fused multi-step neuron reuses its saved buffer for the input gradient, so it cannot be "
                "backpropagated through twice (retain_graph=True); build the neuron with fused=False for that"
            )
        ctx.used = True
        hs, v0, q = ctx.saved_tensors
        if gs is None:
            gs = torch.zeros((), dtype=hs.dtype, device=hs.device).expand(hs.shape)
        need_q = q is not None and ctx.needs_input_grad[2]
        gx, gv0, gq = _fused_backward(gs, gv, hs, v0, ctx.dyn, ctx.surrogate, q, need_q)
        return gx, (gv0 if ctx.needs_input_grad[1] else None), gq, None, None


def neuron_seq(
    x_seq: Tensor,
    v: Tensor | float | None,
    dyn: Dynamics,
    surrogate: Any,
    q: Tensor | None = None,
    *,
    fused: bool = True,
    store_v_seq: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run T steps of an IF/LIF/PLIF neuron.

    Args:
        x_seq: input current [T, N, ...].
        v: initial state, broadcastable to [N, ...]; None or a float fills it (None: ``dyn.v_rest``).
        dyn: the neuron's dynamics.
        surrogate: a `Surrogate` (the fused path needs one) or any spike function with a surrogate gradient.
        q: PLIF's decay 1/tau as a tensor (leak "q"), usually ``sigmoid(w)``.
        fused: use the fused path when it applies (a `Surrogate`, a scalar ``q``, no ``store_v_seq``).
        store_v_seq: also return the state after every step (reference path).

    Returns:
        spikes [T, N, ...] in x's dtype, the state after the last step [N, ...], and the per-step states or None.
    """
    if x_seq.dim() < 1:
        raise ValueError(f"x_seq must be [T, ...], got shape {tuple(x_seq.shape)}")
    step_shape = x_seq.shape[1:]
    if v is None or isinstance(v, float | int):
        v = pool_empty(step_shape, x_seq).fill_(dyn.v_rest if v is None else float(v))
    else:
        v = v.expand(step_shape)
    scalar_q = q is None or q.dim() == 0  # the fused kernels take one decay for all neurons
    if not fused or store_v_seq or not scalar_q or not isinstance(surrogate, Surrogate) or x_seq.shape[0] == 0:
        return neuron_seq_reference(x_seq, v, dyn, surrogate, q, store_v_seq)
    T = x_seq.shape[0]
    x2 = x_seq.reshape(T, -1)
    v0 = v.reshape(-1).to(x_seq.dtype)
    needs_grad = torch.is_grad_enabled() and (
        x_seq.requires_grad or v0.requires_grad or (q is not None and q.requires_grad)
    )
    if needs_grad:
        out, v_last = _FusedSeq.apply(x2, v0, q, dyn, surrogate)
    else:
        with torch.no_grad():
            out, v_last, _ = _fused_forward(x2, v0, dyn, q, keep_h=False)
    return out.view(x_seq.shape), v_last.view(step_shape), None
