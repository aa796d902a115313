"""``snntorch`` (snnTorch 1.0) under its own names: ``import snnmodels.compat.snntorch as snn``.

``snn.Leaky``, ``snn.LeakyParallel``, and the modules ``surrogate``, ``functional`` (losses, accuracy, ``quant``,
``probe``), ``spikegen`` (rate, latency and delta codes, targets) and ``utils`` (``reset``), each a thin layer over
`snnmodels` (see ``docs/compat.md``).
"""

from snnmodels.compat.snntorch import functional, spikegen, surrogate, utils
from snnmodels.compat.snntorch._neurons import Leaky, LeakyParallel

__all__ = ["Leaky", "LeakyParallel", "functional", "spikegen", "surrogate", "utils"]
