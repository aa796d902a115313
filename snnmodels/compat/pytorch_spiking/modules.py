"""``pytorch_spiking.modules`` (pytorch-spiking 0.1): the layers of `snnmodels.spiking`, which keep
pytorch-spiking's arguments, defaults, attributes (``Lowpass.smoothing_init``, ``level_var``, ``smoothing_var``)
and state-dict keys.

Two differences, both where pytorch-spiking loses data: a ``SpikingActivation`` given an ``initial_state`` leaves
that tensor as it was (pytorch-spiking adds the voltages into it in place, so the user's tensor changes with
every call), and its output keeps the input's dtype (pytorch-spiking returns the initial state's dtype).
"""

from snnmodels.spiking import Lowpass, SpikingActivation, TemporalAvgPool

__all__ = ["Lowpass", "SpikingActivation", "TemporalAvgPool"]
