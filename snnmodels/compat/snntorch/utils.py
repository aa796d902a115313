"""``snntorch.utils.reset`` (snnTorch 1.0): zero the hidden state of the neurons of one network."""

from __future__ import annotations

from torch import nn

from snnmodels.base import MemoryModule
from snnmodels.compat.snntorch._neurons import Leaky

__all__ = ["reset"]


def reset(net: nn.Module) -> None:
    """Zero and detach the stored state of every neuron inside ``net`` (and of no other network).

    snnTorch looks only at ``net``'s direct children, and when it finds a Leaky it resets every Leaky ever built,
    in any network; this resets each stateful module anywhere inside ``net``, nothing outside it.
    """
    for m in net.modules():
        if isinstance(m, Leaky):
            m.reset_hidden()
        elif isinstance(m, MemoryModule):
            m.reset()
