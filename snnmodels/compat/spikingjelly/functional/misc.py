"""SpikingJelly's small functional helpers: `first_spike_index`, `redundant_one_hot`, `delay`,
`kaiming_normal_conv_linear_weight`, `set_threshold_margin`."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "delay",
    "first_spike_index",
    "kaiming_normal_conv_linear_weight",
    "redundant_one_hot",
    "set_threshold_margin",
]


def set_threshold_margin(
    output_layer: nn.Module,
    label_one_hot: Tensor,
    eval_threshold: float = 1.0,
    threshold0: float = 0.9,
    threshold1: float = 1.1,
) -> None:
    """In training, threshold ``threshold1`` for the target class and ``threshold0`` for the others; in eval,
    ``eval_threshold`` for all (sets ``output_layer.v_threshold``)."""
    if output_layer.training:
        th = torch.full_like(label_one_hot, threshold0, dtype=torch.get_default_dtype())
        th[label_one_hot == 1] = threshold1
        output_layer.v_threshold = th
    else:
        output_layer.v_threshold = eval_threshold


def redundant_one_hot(labels: Tensor, num_classes: int, n: int) -> Tensor:
    """One-hot labels [N] -> [N, num_classes·n], each class repeated on ``n`` neurons."""
    return F.one_hot(labels, num_classes).repeat_interleave(n, dim=-1).to(torch.get_default_dtype())


def first_spike_index(spikes: Tensor) -> Tensor:
    """True at each neuron's first spike along the last (time) dimension, False elsewhere."""
    return (spikes != 0) & (spikes.cumsum(dim=-1) == 1)


def kaiming_normal_conv_linear_weight(net: nn.Module) -> None:
    """Kaiming-normal (a = sqrt(5)) weights for every Conv1d/2d/3d and Linear inside ``net``."""
    for m in net.modules():
        if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear):
            nn.init.kaiming_normal_(m.weight, a=math.sqrt(5))


def delay(x_seq: Tensor, delay_steps: int) -> Tensor:
    """x_seq [T, ...] shifted ``delay_steps`` later in time, zeros first."""
    if delay_steps < 0:
        raise ValueError(f"delay_steps must be >= 0, got {delay_steps}")
    if delay_steps == 0:
        return x_seq
    if delay_steps >= x_seq.shape[0]:
        return torch.zeros_like(x_seq)
    return torch.cat((torch.zeros_like(x_seq[:delay_steps]), x_seq[:-delay_steps]))
