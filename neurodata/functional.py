"""Pure operations on events: crop, flip, downsample, drop, denoise, time jitter. Vectorized, no state.

Each takes `EVENT_DTYPE` events or a SpikingJelly dict of arrays and returns the same kind, never
modifying its input. Random operations take an explicit `numpy.random.Generator`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from neurodata.events import EVENT_DTYPE, SensorSize, make_events, to_dict

E = TypeVar("E", np.ndarray, Mapping[str, Any])


def _struct(events: Any) -> np.ndarray:
    if isinstance(events, np.ndarray) and events.dtype == EVENT_DTYPE:
        return events
    if isinstance(events, Mapping):
        return make_events(events["t"], events["x"], events["y"], events["p"], check=False)
    raise TypeError(f"expected EVENT_DTYPE events or a dict of t, x, y, p arrays, got {type(events).__name__}")


def _like(result: np.ndarray, original: Any) -> Any:
    return to_dict(result) if isinstance(original, Mapping) else result


def crop(events: E, origin: tuple[int, int], size: tuple[int, int]) -> E:
    """Keep events with ``x0 <= x < x0 + w`` and ``y0 <= y < y0 + h``, shifted so the crop starts at 0.

    Args:
        origin: ``(x0, y0)`` in pixels; size: ``(w, h)`` in pixels.
    """
    ev = _struct(events)
    (x0, y0), (w, h) = origin, size
    x, y = ev["x"].astype(np.int64), ev["y"].astype(np.int64)
    keep = (x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)
    out = ev[keep].copy()
    out["x"] -= x0
    out["y"] -= y0
    return _like(out, events)


def center_crop(events: E, sensor: SensorSize, size: tuple[int, int]) -> E:
    """`crop` of ``size = (w, h)`` centred on the sensor."""
    w, h = size
    return crop(events, ((sensor.width - w) // 2, (sensor.height - h) // 2), size)


def flip_lr(events: E, sensor: SensorSize) -> E:
    """Mirror left-right: ``x -> W - 1 - x``."""
    out = _struct(events).copy()
    out["x"] = sensor.width - 1 - out["x"]
    return _like(out, events)


def flip_ud(events: E, sensor: SensorSize) -> E:
    """Mirror up-down: ``y -> H - 1 - y``."""
    out = _struct(events).copy()
    out["y"] = sensor.height - 1 - out["y"]
    return _like(out, events)


def flip_polarity(events: E) -> E:
    """Swap ON and OFF: ``p -> 1 - p``."""
    out = _struct(events).copy()
    out["p"] = 1 - out["p"]
    return _like(out, events)


def downsample(events: E, spatial_factor: float = 1.0, time_factor: float = 1.0) -> E:
    """Scale coordinates by `spatial_factor` (floored) and timestamps by `time_factor` (floored)."""
    if spatial_factor <= 0 or time_factor <= 0:
        raise ValueError(f"factors must be positive, got spatial={spatial_factor}, time={time_factor}")
    out = _struct(events).copy()
    out["x"] = np.floor(out["x"] * spatial_factor)
    out["y"] = np.floor(out["y"] * spatial_factor)
    out["t"] = np.floor(out["t"] * time_factor)
    return _like(out, events)


def drop_events(events: E, p: float, rng: np.random.Generator) -> E:
    """Drop each event independently with probability `p`."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"drop probability must be in [0, 1], got {p!r}")
    ev = _struct(events)
    return _like(ev[rng.random(len(ev)) >= p], events)


def time_jitter(events: E, std_us: float, rng: np.random.Generator) -> E:
    """Add Gaussian noise of `std_us` µs to every timestamp, then re-sort (stable) so t stays ordered."""
    out = _struct(events).copy()
    out["t"] = out["t"] + np.rint(rng.normal(0.0, std_us, len(out))).astype(np.int64)
    return _like(out[np.argsort(out["t"], kind="stable")], events)


def denoise(events: E, sensor: SensorSize, filter_time: int) -> E:
    """Keep an event if one of its 4 neighbour pixels had an event less than `filter_time` µs before.

    Tonic's rule (an earlier event j at (x±1, y) or (x, y±1) with ``t_j + filter_time > t_i``), computed
    without a Python loop: for each neighbour, a binary search finds the latest earlier event at that
    pixel.
    """
    ev = _struct(events)
    n = len(ev)
    if n == 0:
        return _like(ev, events)
    x, y, t = ev["x"].astype(np.int64), ev["y"].astype(np.int64), ev["t"]
    idx = np.arange(n, dtype=np.int64)
    pixel = y * sensor.width + x
    order = np.lexsort((idx, pixel))  # by pixel, then by stream position
    keys = pixel[order] * n + idx[order]
    keep = np.zeros(n, dtype=bool)
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        nx, ny = x + dx, y + dy
        inside = (nx >= 0) & (nx < sensor.width) & (ny >= 0) & (ny < sensor.height)
        q = ny * sensor.width + nx
        pos = np.searchsorted(keys, q * n + idx, side="left") - 1
        found = inside & (pos >= 0)
        j = order[np.clip(pos, 0, None)]
        found &= pixel[j] == q
        keep |= found & (t[j] + filter_time > t)
    return _like(ev[keep], events)
