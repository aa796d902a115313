"""``pytorch_spiking`` (pytorch-spiking 0.1) under its own names:
``import snnmodels.compat.pytorch_spiking as pytorch_spiking``.

``SpikingActivation``, ``Lowpass`` and ``TemporalAvgPool`` (also in ``modules``), and ``functional``
(``spiking_activation``), over `snnmodels.spiking`. Layout and units are pytorch-spiking's: [batch, steps, ...]
tensors, ``dt`` and ``tau`` in seconds, spikes of height 1/dt.
"""

from snnmodels.compat.pytorch_spiking import functional, modules
from snnmodels.compat.pytorch_spiking.modules import Lowpass, SpikingActivation, TemporalAvgPool

__all__ = ["Lowpass", "SpikingActivation", "TemporalAvgPool", "functional", "modules"]
