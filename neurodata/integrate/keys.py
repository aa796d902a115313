"""Window counts of arbitrary bin keys: frames with any number of channels, on the same counting kernel.

The frame integrators count ``(channel, y, x)`` with two polarity channels; a key is any flat bin number
``k`` in ``[0, n_bins)`` (for example ``(p*H + y)*W + x`` with P channels, or ``p*W + x`` for audio
events without rows), counted by `neurodata.integrate._numpy`'s kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurodata.integrate import _numpy


def count_key_windows(
    keys: np.ndarray,
    n_bins: int,
    starts: Any,
    stops: Any,
    *,
    dtype: Any = np.int64,
) -> np.ndarray:
    """`[M, n_bins]` counts: row j counts the keys ``keys[starts[j]:stops[j]]`` (windows may overlap or be empty).

    Keys must be integers in ``[0, n_bins)`` (checked). A count `dtype` cannot hold exactly raises
    `ValueError`.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be positive, got {n_bins}")
    keys = np.asarray(keys)
    if keys.dtype.kind not in "iu":
        raise ValueError(f"keys must be integers, got dtype {keys.dtype}")
    if len(keys) and (keys.min() < 0 or keys.max() >= n_bins):
        bad = int(np.argmax((keys < 0) | (keys >= n_bins)))
        raise ValueError(f"key {int(keys[bad])} at index {bad} is outside 0..{n_bins - 1}")
    starts, stops = np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64)
    half = -(-n_bins // 2)  # the kernel counts 2*H*W bins: H = ceil(n_bins / 2), W = 1
    counts = _numpy.count_keys(keys, starts, stops, half, 1, dtype).reshape(len(starts), 2 * half)
    return counts if 2 * half == n_bins else np.ascontiguousarray(counts[:, :n_bins])
