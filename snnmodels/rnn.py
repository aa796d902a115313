"""Spiking recurrent cells and layers: LSTM, GRU and a vanilla RNN whose gates are spikes (Lotfi Rezaabad &
Vishwanath, 2020), as SpikingJelly's ``activation_based.rnn``.

The gates are Heaviside steps of the usual pre-activations, with a surrogate gradient (default `Erf`)::

    LSTM  i, f, g, o = sg1(W_ih x + b_ih + W_hh h + b_hh) (g through sg2 if given)
          c = min(c·f + i·g, 1)   (the clip has a straight-through gradient)     h = c·o
    GRU   r, z = sg1(.);  n = sg2(W_in x + b_in + r·(W_hn h + b_hn));           h = (1 - z)·n + z·h
    RNN   h = sg(W_ih x + b_ih + W_hh h + b_hh)

Cells take one step ``x [N, input_size]``; layers take ``x [T, N, input_size]`` and return
``(y [T, N, D·hidden_size], states)`` with D = 2 when bidirectional and states ``[num_layers·D, N, hidden_size]``
(a tuple (h, c) for the LSTM), as `torch.nn.LSTM` without ``batch_first``. Parameter names (``linear_ih``,
``linear_hh``, ``cells``, ``cells_reverse``) are SpikingJelly's, so state dicts load both ways.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnmodels.functional.surrogate import Erf

__all__ = [
    "SpikingGRU",
    "SpikingGRUCell",
    "SpikingLSTM",
    "SpikingLSTMCell",
    "SpikingRNN",
    "SpikingRNNCell",
    "gru_step",
    "lstm_step",
    "rnn_step",
]

SpikeFn = Callable[[Tensor], Tensor]


def lstm_step(
    pre_ih: Tensor, h: Tensor, c: Tensor, linear_hh: nn.Linear, sg1: SpikeFn, sg2: SpikeFn | None
) -> tuple[Tensor, Tensor]:
    """One LSTM step from the input projection ``pre_ih`` = W_ih x + b_ih [N, 4H]; returns (h, c)."""
    pre = pre_ih + linear_hh(h)
    if sg2 is None:
        i, f, g, o = torch.split(sg1(pre), h.shape[-1], dim=-1)
    else:
        i, f, g, o = torch.split(pre, h.shape[-1], dim=-1)
        i, f, g, o = sg1(i), sg1(f), sg2(g), sg1(o)
    c = c * f + i * g
    # c can reach 2 (i = g = f = c = 1); clip it in place without a gradient, so backward sees the identity
    with torch.no_grad():
        torch.clamp_max_(c, 1.0)
    return c * o, c


def gru_step(pre_ih: Tensor, h: Tensor, linear_hh: nn.Linear, sg1: SpikeFn, sg2: SpikeFn | None) -> Tensor:
    """One GRU step from ``pre_ih`` = W_ih x + b_ih [N, 3H]; returns h."""
    hidden = h.shape[-1]
    y_ih = torch.split(pre_ih, hidden, dim=-1)
    y_hh = torch.split(linear_hh(h), hidden, dim=-1)
    r = sg1(y_ih[0] + y_hh[0])
    z = sg1(y_ih[1] + y_hh[1])
    n = (sg1 if sg2 is None else sg2)(y_ih[2] + r * y_hh[2])
    return (1.0 - z) * n + z * h


def rnn_step(pre_ih: Tensor, h: Tensor, linear_hh: nn.Linear, sg: SpikeFn) -> Tensor:
    """One vanilla spiking RNN step; returns h."""
    return sg(pre_ih + linear_hh(h))


class _Cell(nn.Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.linear_ih = nn.Linear(input_size, self.gates * hidden_size, bias=bias)
        self.linear_hh = nn.Linear(hidden_size, self.gates * hidden_size, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), as `torch.nn.LSTM`."""
        k = math.sqrt(1 / self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -k, k)

    def _zeros(self, x: Tensor) -> Tensor:
        return x.new_zeros(x.shape[0], self.hidden_size)

    def _check(self, x: Tensor) -> None:
        if x.dim() != 2 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__} takes one step [N, input_size={self.input_size}], got {tuple(x.shape)}"
            )

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, bias={self.bias}"


class SpikingLSTMCell(_Cell):
    """Spiking LSTM cell: ``forward(x [N, in], (h, c) | None) -> (h, c)``; see the module docstring."""

    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        surrogate_function1: SpikeFn | None = None,
        surrogate_function2: SpikeFn | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.surrogate_function1 = Erf() if surrogate_function1 is None else surrogate_function1
        self.surrogate_function2 = surrogate_function2

    def step(self, pre_ih: Tensor, hc: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """A step from the precomputed input projection (the layers project all T steps at once)."""
        return lstm_step(pre_ih, hc[0], hc[1], self.linear_hh, self.surrogate_function1, self.surrogate_function2)

    def init_state(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(h, c) at rest for a batch like ``x``."""
        return self._zeros(x), self._zeros(x)

    def forward(self, x: Tensor, hc: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        self._check(x)
        return self.step(self.linear_ih(x), self.init_state(x) if hc is None else hc)


class SpikingGRUCell(_Cell):
    """Spiking GRU cell: ``forward(x [N, in], h | None) -> h``; see the module docstring."""

    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        surrogate_function1: SpikeFn | None = None,
        surrogate_function2: SpikeFn | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.surrogate_function1 = Erf() if surrogate_function1 is None else surrogate_function1
        self.surrogate_function2 = surrogate_function2

    def step(self, pre_ih: Tensor, h: Tensor) -> Tensor:
        """A step from the precomputed input projection."""
        return gru_step(pre_ih, h, self.linear_hh, self.surrogate_function1, self.surrogate_function2)

    def init_state(self, x: Tensor) -> Tensor:
        """h at rest."""
        return self._zeros(x)

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        self._check(x)
        return self.step(self.linear_ih(x), self.init_state(x) if h is None else h)


class SpikingRNNCell(_Cell):
    """Vanilla spiking RNN cell: ``forward(x [N, in], h | None) -> h``."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, surrogate_function: SpikeFn | None = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.surrogate_function = Erf() if surrogate_function is None else surrogate_function

    def step(self, pre_ih: Tensor, h: Tensor) -> Tensor:
        """A step from the precomputed input projection."""
        return rnn_step(pre_ih, h, self.linear_hh, self.surrogate_function)

    def init_state(self, x: Tensor) -> Tensor:
        """h at rest."""
        return self._zeros(x)

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        self._check(x)
        return self.step(self.linear_ih(x), self.init_state(x) if h is None else h)


def _run(cell: nn.Module, x: Tensor, state: Any, reverse: bool, n_states: int) -> tuple[Tensor, Any]:
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    out = []
    if isinstance(cell, _Cell):
        pre = cell.linear_ih(x)  # [T, N, G·H]: the input projection of every step in one matrix product
        for t in steps:
            state = cell.step(pre[t], state)  # type: ignore[attr-defined]
            out.append(state[0] if n_states == 2 else state)
    else:  # any cell(x [N, in], state) -> state, as SpikingJelly's layers take them
        for t in steps:
            state = cell(x[t], state)
            out.append(state[0] if n_states == 2 else state)
    if reverse:
        out.reverse()
    return torch.stack(out), state


def _stacked(state: Any) -> Tensor:
    """(h, c) as one [2, N, H] tensor (a custom cell may already return it stacked)."""
    return state if isinstance(state, Tensor) else torch.stack(tuple(state))


class _Layers(nn.Module):
    cell_type: type[nn.Module] = _Cell
    n_states = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        dropout_p: float,
        invariant_dropout_mask: bool,
        bidirectional: bool,
        *cell_args: Any,
        **cell_kw: Any,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}.num_layers must be >= 1, got {num_layers}")
        if not 0.0 <= dropout_p <= 1.0:
            raise ValueError(f"{type(self).__name__}.dropout_p must be in [0, 1], got {dropout_p}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.dropout_p = bias, dropout_p
        self.invariant_dropout_mask, self.bidirectional = invariant_dropout_mask, bidirectional
        d = 2 if bidirectional else 1
        sizes = [input_size] + [hidden_size * d] * (num_layers - 1)
        cell = self.cell_type
        self.cells = nn.Sequential(*(cell(s, hidden_size, bias, *cell_args, **cell_kw) for s in sizes))
        if bidirectional:
            self.cells_reverse = nn.Sequential(*(cell(s, hidden_size, bias, *cell_args, **cell_kw) for s in sizes))

    def _states(self, x: Tensor, states: Any) -> Tensor:
        d = 2 if self.bidirectional else 1
        want = (self.n_states, self.num_layers * d, x.shape[1], self.hidden_size)
        if states is None:
            return x.new_zeros(want)
        s = torch.stack(tuple(states)) if isinstance(states, tuple | list) else states.unsqueeze(0)
        if tuple(s.shape) != want:
            raise ValueError(
                f"{type(self).__name__} states must be {'a tuple (h, c) of ' if self.n_states == 2 else ''}"
                f"[num_layers·D={want[1]}, N={want[2]}, hidden_size={want[3]}], got shape {tuple(s.shape[1:])}"
            )
        return s

    def forward(self, x: Tensor, states: Any = None) -> tuple[Tensor, Any]:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} takes [T, N, input_size={self.input_size}], got {tuple(x.shape)}")
        s = self._states(x, states)
        final = torch.empty_like(s)
        masks = None
        if self.training and self.dropout_p > 0 and self.invariant_dropout_mask and self.num_layers > 1:
            d = 2 if self.bidirectional else 1
            ones = x.new_ones(self.num_layers - 1, x.shape[1], self.hidden_size * d)
            masks = F.dropout(ones, p=self.dropout_p, training=True)
        y = x
        for k in range(self.num_layers):
            fwd_state = tuple(s[:, k]) if self.n_states == 2 else s[0, k]
            y_f, last = _run(self.cells[k], y, fwd_state, reverse=False, n_states=self.n_states)
            final[:, k] = _stacked(last) if self.n_states == 2 else last
            if self.bidirectional:
                r = k + self.num_layers
                rev_state = tuple(s[:, r]) if self.n_states == 2 else s[0, r]
                y_r, last_r = _run(self.cells_reverse[k], y, rev_state, reverse=True, n_states=self.n_states)
                final[:, r] = _stacked(last_r) if self.n_states == 2 else last_r
                y_f = torch.cat((y_f, y_r), dim=-1)
            y = y_f
            if self.training and self.dropout_p > 0 and k < self.num_layers - 1:
                y = F.dropout(y, p=self.dropout_p, training=True) if masks is None else y * masks[k]
        return (y, tuple(final)) if self.n_states == 2 else (y, final[0])

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional}, dropout_p={self.dropout_p}"
        )


class SpikingLSTM(_Layers):
    """Stacked (and optionally bidirectional) spiking LSTM: ``forward(x [T, N, in], (h0, c0) | None)``."""

    cell_type = SpikingLSTMCell
    n_states = 2

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        surrogate_function1: SpikeFn | None = None,
        surrogate_function2: SpikeFn | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            dropout_p,
            invariant_dropout_mask,
            bidirectional,
            surrogate_function1=surrogate_function1,
            surrogate_function2=surrogate_function2,
        )


class SpikingGRU(_Layers):
    """Stacked (and optionally bidirectional) spiking GRU: ``forward(x [T, N, in], h0 | None)``."""

    cell_type = SpikingGRUCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        surrogate_function1: SpikeFn | None = None,
        surrogate_function2: SpikeFn | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            dropout_p,
            invariant_dropout_mask,
            bidirectional,
            surrogate_function1=surrogate_function1,
            surrogate_function2=surrogate_function2,
        )


class SpikingRNN(_Layers):
    """Stacked (and optionally bidirectional) vanilla spiking RNN: ``forward(x [T, N, in], h0 | None)``."""

    cell_type = SpikingRNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        surrogate_function: SpikeFn | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            dropout_p,
            invariant_dropout_mask,
            bidirectional,
            surrogate_function=surrogate_function,
        )
