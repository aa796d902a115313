"""SpikingJelly's ``activation_based.rnn`` over `snnmodels.rnn` (the same arguments, parameter names and
``(y, states)`` returns; SpikingJelly's vanilla RNN is ``SpikingVanillaRNN`` here too)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.rnn import SpikingGRU, SpikingGRUCell, SpikingLSTM, SpikingLSTMCell, SpikingRNN, SpikingRNNCell

__all__ = [
    "SpikingGRU",
    "SpikingGRUCell",
    "SpikingLSTM",
    "SpikingLSTMCell",
    "SpikingVanillaRNN",
    "SpikingVanillaRNNCell",
    "bidirectional_rnn_cell_forward",
    "directional_rnn_cell_forward",
]

SpikingVanillaRNNCell = SpikingRNNCell
SpikingVanillaRNN = SpikingRNN


def directional_rnn_cell_forward(cell: nn.Module, x: Tensor, states: Any) -> tuple[Tensor, Any]:
    """Run ``cell`` over x [T, N, in] from ``states``; returns (outputs [T, N, H], last states)."""
    out = []
    for t in range(x.shape[0]):
        states = cell(x[t], states)
        out.append(states[0] if isinstance(states, tuple) else states)
    return torch.stack(out), states


def bidirectional_rnn_cell_forward(
    cell: nn.Module, cell_reverse: nn.Module, x: Tensor, states: Any, states_reverse: Any
) -> tuple[Tensor, Any, Any]:
    """Forward and backward passes; returns (outputs [T, N, 2H], last states, last reverse states)."""
    y, s = directional_rnn_cell_forward(cell, x, states)
    y_r, s_r = directional_rnn_cell_forward(cell_reverse, x.flip(0), states_reverse)
    return torch.cat((y, y_r.flip(0)), dim=-1), s, s_r
