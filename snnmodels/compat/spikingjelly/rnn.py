"""SpikingJelly's ``activation_based.rnn`` over `snnmodels.rnn` (the same arguments, parameter names and
``(y, states)`` returns; SpikingJelly's vanilla RNN is ``SpikingVanillaRNN`` here too)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.rnn import (
    SpikingGRU,
    SpikingGRUCell,
    SpikingLSTM,
    SpikingLSTMCell,
    SpikingRNN,
    SpikingRNNCell,
    _Layers,
)

__all__ = [
    "SpikingGRU",
    "SpikingGRUCell",
    "SpikingLSTM",
    "SpikingLSTMCell",
    "SpikingRNNBase",
    "SpikingRNNCellBase",
    "SpikingVanillaRNN",
    "SpikingVanillaRNNCell",
    "bidirectional_rnn_cell_forward",
    "directional_rnn_cell_forward",
]

class SpikingVanillaRNNCell(SpikingRNNCell):
    """SpikingJelly's name for the vanilla spiking RNN cell."""


class SpikingVanillaRNN(SpikingRNN):
    """SpikingJelly's name for the stacked vanilla spiking RNN."""

    cell_type = SpikingVanillaRNNCell


class SpikingRNNCellBase(nn.Module):
    """Base of a custom cell: ``(input_size, hidden_size, bias)``, U(-1/sqrt(H), 1/sqrt(H)) initialisation, and the
    ``weight_ih()`` ... accessors of ``linear_ih`` / ``linear_hh``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
        k = (1 / self.hidden_size) ** 0.5
        for p in self.parameters():
            nn.init.uniform_(p, -k, k)

    def weight_ih(self) -> Tensor:
        """The input weight."""
        return self.linear_ih.weight

    def weight_hh(self) -> Tensor:
        """The recurrent weight."""
        return self.linear_hh.weight

    def bias_ih(self) -> Tensor:
        """The input bias."""
        return self.linear_ih.bias

    def bias_hh(self) -> Tensor:
        """The recurrent bias."""
        return self.linear_hh.bias


class SpikingRNNBase(_Layers):
    """Base of stacked (bidirectional) layers of a custom cell: subclasses define the static methods
    ``base_cell()`` (the cell class, built as ``cell(input_size, hidden_size, bias, *args, **kwargs)``) and
    ``states_num()`` (1, or 2 for (h, c)); cells are called as ``cell(x [N, in], state)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, dropout_p, invariant_dropout_mask, bidirectional, *args, **kwargs
        )

    @property  # type: ignore[override]
    def cell_type(self) -> type[nn.Module]:
        return self.base_cell()

    @property  # type: ignore[override]
    def n_states(self) -> int:
        return self.states_num()

    @staticmethod
    def base_cell() -> type[nn.Module]:
        """The cell class (subclasses define it)."""
        raise NotImplementedError

    @staticmethod
    def states_num() -> int:
        """1 (h) or 2 (h, c) (subclasses define it)."""
        raise NotImplementedError


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
