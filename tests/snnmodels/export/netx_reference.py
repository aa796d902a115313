"""A fixed-point simulator of netx CUBA networks, written from lava-dl 0.6's slayer and netx sources.

It follows ``slayer/neuron/dynamics/leaky_integrator.py`` (``_li_dynamics_fwd``: states in units of 2^-12,
``right_shift_to_zero`` decay, spike when v exceeds ``vThMant·2^6``, reset to 0) and ``netx/hdf5.py`` (layer order,
conv weights as torch cross-correlation [out, in, kH, kW], flatten in (C, H, W) order, bias mantissas added to v
with exponent 6). It reads the file with h5py only, independently of `snnmodels.export.netx`.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F


def _rshift_to_zero(x: torch.Tensor, bits: int) -> torch.Tensor:
    return torch.sign(x) * (torch.abs(x) >> bits)


def _text(ds: h5py.Dataset) -> str:
    value = ds[0] if ds.shape else ds[()]
    return value.decode("ascii")


def simulate(path: Path, x: torch.Tensor) -> torch.Tensor:
    """Run the network in ``path`` on integer inputs x [T, N, *input_shape]; returns the last layer's spikes."""
    with h5py.File(path, "r") as f:
        layers = [f["layer"][str(k)] for k in range(len(f["layer"]))]
        T = x.shape[0]
        s = x.to(torch.int64)  # spikes (or counts) into the next layer, [T, N, ...]
        for g in layers:
            kind = _text(g["type"])
            if kind == "input":
                continue
            if kind == "flatten":
                s = s.flatten(2)
                continue
            w = torch.from_numpy(g["weight"][()].astype(np.int64))
            n = g["neuron"]
            i_decay, v_decay = int(n["iDecay"][()]), int(n["vDecay"][()])
            v_th = int(n["vThMant"][()]) << 6
            bias = torch.from_numpy(g["bias"][()].astype(np.int64)) << 6 if "bias" in g else None
            flat = s.flatten(0, 1)
            if kind == "conv":
                stride = tuple(int(v) for v in g["stride"][()])
                padding = tuple(int(v) for v in g["padding"][()])
                dilation = tuple(int(v) for v in g["dilation"][()])
                # integer conv through float64: every partial sum is an exact integer well below 2^53
                a = F.conv2d(flat.double(), w.double(), None, stride, padding, dilation, int(g["groups"][()]))
            else:
                a = flat.double() @ w.double().T
            a = (a.round().to(torch.int64) << 6).view(T, s.shape[1], *a.shape[1:])  # 64·Σ w_int·s, as u units
            if bias is not None:
                bias = bias.view(-1, *([1] * (a.dim() - 3)))
            u = torch.zeros_like(a[0])
            v = torch.zeros_like(a[0])
            out = torch.zeros_like(a)
            for t in range(T):
                u = _rshift_to_zero(u * (4096 - i_decay), 12) + a[t]
                v = _rshift_to_zero(v * (4096 - v_decay), 12) + u + (0 if bias is None else bias)
                spike = v > v_th
                out[t] = spike.to(torch.int64)
                v = torch.where(spike, torch.zeros_like(v), v)
            s = out
    return s
