"""``snntorch.functional.loss`` (snnTorch 1.0): the losses of `snnmodels.functional.loss` under the same names.

They take snnTorch's arguments and give its results, except where snnTorch 1.0 is wrong (listed in
`snnmodels.functional.loss` and ``docs/compat.md``): with ``weight``, the MSE losses weight each sample by
the weight of its label, where snnTorch weights column c by the weight of sample c's label.
"""

from snnmodels.functional.loss import (
    ce_count_loss,
    ce_max_membrane_loss,
    ce_rate_loss,
    ce_temporal_loss,
    mse_count_loss,
    mse_membrane_loss,
    mse_temporal_loss,
)

__all__ = [
    "ce_count_loss",
    "ce_max_membrane_loss",
    "ce_rate_loss",
    "ce_temporal_loss",
    "mse_count_loss",
    "mse_membrane_loss",
    "mse_temporal_loss",
]
