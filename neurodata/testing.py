"""Synthetic event streams for tests, demos and benchmarks (not used by the pipeline itself)."""

from __future__ import annotations

import numpy as np

from neurodata.events import EVENT_DTYPE, SensorSize


def random_events(
    rng: np.random.Generator,
    sensor: SensorSize,
    n: int,
    *,
    duration_us: int = 1_000_000,
    t0: int = 0,
) -> np.ndarray:
    """`n` uniformly scattered events with sorted integer timestamps in ``[t0, t0 + duration_us)``."""
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"] = np.sort(rng.integers(t0, t0 + max(duration_us, 1), n))
    ev["x"] = rng.integers(0, sensor.width, n)
    ev["y"] = rng.integers(0, sensor.height, n)
    ev["p"] = rng.integers(0, 2, n)
    return ev
