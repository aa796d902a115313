"""Pure functions: neuron steps and sequences, surrogate gradients, losses, accuracy and state quantization.

Import direction: ``snnmodels.functional`` imports nothing else from snnmodels but the registry.
"""

from snnmodels.functional.acc import accuracy_rate, accuracy_temporal
from snnmodels.functional.if_ import IFParams, if_seq, if_step
from snnmodels.functional.leaky import LeakyParams, leaky_seq, leaky_step
from snnmodels.functional.lif import LIFParams, LIFState, lif_seq, lif_step
from snnmodels.functional.loss import (
    LOSSES,
    ce_count_loss,
    ce_max_membrane_loss,
    ce_rate_loss,
    ce_temporal_loss,
    first_spike_time,
    lengths_from_mask,
    mse_count_loss,
    mse_membrane_loss,
    mse_rate_loss,
    mse_temporal_loss,
    nth_spike_times,
)
from snnmodels.functional.multistep import Dynamics, neuron_seq, neuron_seq_reference, neuron_step
from snnmodels.functional.plif import PLIFParams, plif_seq, plif_step, w_from_tau
from snnmodels.functional.quant import StateQuant, quant_levels, state_quant
from snnmodels.functional.reset import reset, reset_hard, reset_soft
from snnmodels.functional.surrogate import SURROGATES, Surrogate, get_surrogate, heaviside

__all__ = [
    "LOSSES",
    "SURROGATES",
    "Dynamics",
    "IFParams",
    "LIFParams",
    "LIFState",
    "LeakyParams",
    "PLIFParams",
    "StateQuant",
    "Surrogate",
    "accuracy_rate",
    "accuracy_temporal",
    "ce_count_loss",
    "ce_max_membrane_loss",
    "ce_rate_loss",
    "ce_temporal_loss",
    "first_spike_time",
    "get_surrogate",
    "heaviside",
    "if_seq",
    "if_step",
    "leaky_seq",
    "leaky_step",
    "lengths_from_mask",
    "lif_seq",
    "lif_step",
    "mse_count_loss",
    "mse_membrane_loss",
    "mse_rate_loss",
    "mse_temporal_loss",
    "neuron_seq",
    "neuron_seq_reference",
    "neuron_step",
    "nth_spike_times",
    "plif_seq",
    "plif_step",
    "quant_levels",
    "reset",
    "reset_hard",
    "reset_soft",
    "state_quant",
    "w_from_tau",
]
