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


def moving_bar_events(
    rng: np.random.Generator,
    sensor: SensorSize,
    n: int,
    *,
    duration_us: int = 1_000_000,
    direction: int = 0,
) -> np.ndarray:
    """A bar sweeping across the sensor (direction 0..3: right, left, down, up) with ON leading edges.

    The class-dependent motion makes small learnable datasets; noise events make 10% of the stream.
    """
    t = np.sort(rng.integers(0, max(duration_us, 1), n))
    phase = t / max(duration_us, 1)
    horizontal = direction in (0, 1)
    extent = sensor.width if horizontal else sensor.height
    front = phase if direction in (0, 2) else 1.0 - phase
    along = np.clip((front * extent + rng.normal(0, 1.0, n)).astype(np.int64), 0, extent - 1)
    other = rng.integers(0, sensor.height if horizontal else sensor.width, n)
    x, y = (along, other) if horizontal else (other, along)
    noise = rng.random(n) < 0.1
    x = np.where(noise, rng.integers(0, sensor.width, n), x)
    y = np.where(noise, rng.integers(0, sensor.height, n), y)
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"] = t, x, y
    ev["p"] = np.where(noise, rng.integers(0, 2, n), 1)
    return ev
