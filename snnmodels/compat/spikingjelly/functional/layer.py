"""SpikingJelly's functional layer steps for the layers we offer: ``synapse_filter_step`` (`snnmodels.recurrent`).

``delay_step`` and ``neunorm_step`` belong to layers this layer does not offer (``Delay``, ``NeuNorm``).
"""

from __future__ import annotations

from torch import Tensor

from snnmodels import recurrent as _recurrent

__all__ = ["synapse_filter_step"]


def synapse_filter_step(x: Tensor, out_i: Tensor, reciprocal_tau: float | Tensor) -> Tensor:
    """One SynapseFilter step: out_i - (1 - x)·out_i·reciprocal_tau + x, the next output current.

    ``reciprocal_tau`` is 1/tau (``w.sigmoid()`` for a learnable filter); nothing is changed in place.
    `snnmodels.recurrent.synapse_filter_step` under SpikingJelly's argument names.
    """
    return _recurrent.synapse_filter_step(x, out_i, reciprocal_tau)
