"""A custom integration function for the killed-prepare test: slow, and it says when it started."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np


def two_halves(events: dict[str, Any], H: int, W: int) -> np.ndarray:
    """Events split at the middle index into 2 frames (counts), slowly when NEURODATA_TEST_SLOW is set."""
    marker = os.environ.get("NEURODATA_TEST_SLOW")
    if marker:
        Path(marker).touch()
        time.sleep(0.2)
    n = len(events["t"])
    frames = np.zeros((2, 2, H, W), dtype=np.float32)
    for k, sl in enumerate((slice(0, n // 2), slice(n // 2, n))):
        channel = (np.asarray(events["p"][sl]) != 0).astype(np.intp)
        np.add.at(frames[k], (channel, events["y"][sl].astype(np.intp), events["x"][sl].astype(np.intp)), 1)
    return frames
