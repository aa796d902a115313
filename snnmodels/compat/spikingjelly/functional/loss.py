"""SpikingJelly's functional losses: `kernel_dot_product`, `spike_similar_loss`,
`temporal_efficient_training_cross_entropy`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["kernel_dot_product", "spike_similar_loss", "temporal_efficient_training_cross_entropy"]

KERNELS = ("linear", "polynomial", "sigmoid", "gaussian")


def kernel_dot_product(x: Tensor, y: Tensor, kernel: str = "linear", *args: Any) -> Tensor:
    """Kernel matrix K[i, j] = k(x[i], y[j]) of rows x [N, D], y [M, D]: 'linear' x·y, 'polynomial' (x·y)^d,
    'sigmoid' sigmoid(alpha·x·y), 'gaussian' exp(-|x - y|²/(2·sigma²)); d, alpha or sigma in ``args``."""
    dot = x.mm(y.t())
    if kernel == "linear":
        return dot
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if not args:
        raise ValueError(f"kernel {kernel!r} needs its parameter (d, alpha or sigma) after the kernel name")
    if kernel == "polynomial":
        return dot.pow(args[0])
    if kernel == "sigmoid":
        return torch.sigmoid(args[0] * dot)
    sigma = args[0]
    if sigma <= 0:
        raise ValueError(f"sigma must be positive for the Gaussian kernel, got {sigma}")
    d2 = x.square().sum(1).unsqueeze(1) + y.square().sum(1).unsqueeze(0) - 2 * dot
    return torch.exp(-d2 / (2 * sigma * sigma))


def spike_similar_loss(
    spikes: Tensor, labels: Tensor, kernel_type: str = "linear", loss_type: str = "mse", *args: Any
) -> Tensor:
    """Make the similarity of two samples' spikes (``spikes`` [N, ...]) follow whether their one-hot ``labels``
    [N, C] share a class: cosine similarity for 'linear', the kernel otherwise; 'mse', 'l1' or 'bce' loss."""
    flat = spikes.flatten(start_dim=1)
    sim_p = kernel_dot_product(flat, flat, kernel_type, *args)
    if kernel_type == "linear":
        norm = flat.norm(p=2, dim=1, keepdim=True)
        sim_p = sim_p / (norm.mm(norm.t()) + 1e-8)
    lab = labels.float()
    sim = lab.mm(lab.t()).clamp_max(1)
    losses = {"mse": F.mse_loss, "l1": F.l1_loss, "bce": F.binary_cross_entropy}
    if loss_type not in losses:
        raise ValueError(f"loss_type must be one of {sorted(losses)}, got {loss_type!r}")
    return losses[loss_type](sim_p, sim)


def temporal_efficient_training_cross_entropy(x_seq: Tensor, target: Tensor) -> Tensor:
    """TET loss (Deng et al., ICLR 2022): the mean over T of the cross-entropy of each step's logits x_seq[t]
    ([T, N, C, ...]) against ``target`` [N, ...]."""
    x = x_seq.transpose(0, 1).transpose(1, 2)  # [N, C, T, ...]
    T = x.shape[2]
    rep = [1, T] + [1] * (x.dim() - 3)
    return F.cross_entropy(x, target.unsqueeze(1).repeat(rep))
