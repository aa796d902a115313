"""ANN -> SNN conversion by rate coding: ReLU networks become soft-reset IF networks (Rueckauer et al., 2017).

``snn = convert(ann, calibration_loader, mode="99.9%")`` traces the ANN (torch.fx), folds BatchNorm into the
Conv/Linear before it, measures each ReLU's activation scale s on the calibration data ('max', a percentile, or
a fraction of the max; optionally balanced per layer, `balance_scale`) and puts s·IF(x/s) in its place. The
result is a multi-step network of ours: ``snn(repeat_input(x, T))`` returns ``[T, N, ...]``, whose mean over T
approaches ``ann(x)`` as T grows.
"""

from snnmodels.ann2snn.convert import (
    BALANCE_QUANTILES,
    Converter,
    balance_scale,
    calibrate,
    calibration_input,
    convert,
    insert_observers,
    rate_coding_error,
    repeat_input,
    replace_relus,
)
from snnmodels.ann2snn.graph import ConversionError, TimeFolded, find_relus, fuse_batchnorm, make_multistep, trace
from snnmodels.ann2snn.modules import ActivationStats, Rescale, ScaledIF, parse_mode, quantile, scale_statistic

__all__ = [
    "BALANCE_QUANTILES",
    "ActivationStats",
    "ConversionError",
    "Converter",
    "Rescale",
    "ScaledIF",
    "TimeFolded",
    "balance_scale",
    "calibrate",
    "calibration_input",
    "convert",
    "find_relus",
    "fuse_batchnorm",
    "insert_observers",
    "make_multistep",
    "parse_mode",
    "quantile",
    "rate_coding_error",
    "repeat_input",
    "replace_relus",
    "scale_statistic",
    "trace",
]
