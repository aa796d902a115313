"""``snntorch.functional`` (snnTorch 1.0): losses, accuracy, state quantization and probes, over
`snnmodels.functional` and `snnmodels.monitor`.

``criterion = SF.ce_count_loss(); loss = criterion(spk_rec, targets)`` with spikes [T, B, C] and labels [B].
"""

from snnmodels.compat.snntorch.functional import acc, loss, probe, quant
from snnmodels.compat.snntorch.functional.acc import accuracy_rate, accuracy_temporal
from snnmodels.compat.snntorch.functional.loss import (
    ce_count_loss,
    ce_max_membrane_loss,
    ce_rate_loss,
    ce_temporal_loss,
    mse_count_loss,
    mse_membrane_loss,
    mse_temporal_loss,
)
from snnmodels.compat.snntorch.functional.probe import (
    AttributeMonitor,
    GradInputMonitor,
    GradOutputMonitor,
    InputMonitor,
    OutputMonitor,
)

__all__ = [
    "AttributeMonitor",
    "GradInputMonitor",
    "GradOutputMonitor",
    "InputMonitor",
    "OutputMonitor",
    "acc",
    "accuracy_rate",
    "accuracy_temporal",
    "ce_count_loss",
    "ce_max_membrane_loss",
    "ce_rate_loss",
    "ce_temporal_loss",
    "loss",
    "mse_count_loss",
    "mse_membrane_loss",
    "mse_temporal_loss",
    "probe",
    "quant",
]
