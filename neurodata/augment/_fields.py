"""What every event operation shares: field access on any event layout, checks, and the casting rule.

Event operations accept

* structured arrays with named fields, in any field order and dtypes: our `EVENT_DTYPE`, Tonic's
  ``events_struct`` (x, y int16, t int64, p bool), Tonic's test layouts (all int64), audio events
  without ``y``, float timestamps;
* SpikingJelly-style dicts of equal-length arrays,

and return the same kind: a structured array of the input's dtype, or a dict with the same keys.

Values computed in floating point (a skewed timestamp, a jittered x) are stored into an integer field
as numpy converts them, toward zero (Tonic's rule, so results equal Tonic's); a value that the field's
type cannot hold (a negative x in an unsigned field) raises `ValueError` instead of wrapping around.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def struct_of(events: Any, need: Sequence[str] = (), where: str = "events") -> np.ndarray:
    """`events` as a structured array (dicts are packed into one, keeping each array's dtype)."""
    if isinstance(events, np.ndarray) and events.dtype.names is not None:
        ev = events
    elif isinstance(events, Mapping):
        arrays = {k: np.asarray(v) for k, v in events.items() if v is not None}
        if any(type(v).__module__.startswith("torch") for v in events.values()):
            raise TypeError(f"{where}: event operations take numpy arrays; got torch tensors (use .numpy())")
        n = {len(a) for a in arrays.values()}
        if len(n) > 1:
            raise ValueError(f"{where}: the fields have different lengths {sorted(n)}")
        ev = np.empty(n.pop() if n else 0, dtype=[(k, a.dtype) for k, a in arrays.items()])
        for k, a in arrays.items():
            ev[k] = a
    else:
        raise TypeError(
            f"{where}: expected a structured array of events or a dict of t, x, y, p arrays, "
            f"got {type(events).__name__}"
            + (
                " (an unstructured array: build one with make_events or make_structured_array)"
                if isinstance(events, np.ndarray)
                else ""
            )
        )
    if ev.ndim != 1:
        raise ValueError(f"{where}: events must be one-dimensional, got shape {ev.shape}")
    missing = [f for f in need if f not in ev.dtype.names]
    if missing:
        raise ValueError(f"{where}: events lack field(s) {missing}; they have {list(ev.dtype.names)}")
    return ev


def like(result: np.ndarray, original: Any) -> Any:
    """`result` in the form of `original`: a dict of contiguous arrays for a dict, else the array."""
    if isinstance(original, Mapping):
        return {k: np.ascontiguousarray(result[k]) for k in original if k in result.dtype.names}
    return result


def store(out: np.ndarray, name: str, values: np.ndarray, where: str) -> None:
    """Write `values` into field `name`, converting toward zero, refusing values the field cannot hold."""
    dt = out.dtype[name]
    if dt.kind in "iu" and len(values):
        info = np.iinfo(dt)
        lo, hi = values.min(), values.max()
        if values.dtype.kind == "f":
            lo, hi = np.trunc(lo), np.trunc(hi)  # what the cast does; NaN fails the test below
        if not (lo >= info.min and hi <= info.max):
            v = np.trunc(values) if values.dtype.kind == "f" else values
            i = int(np.argmax(~((v >= info.min) & (v <= info.max))))
            raise ValueError(
                f"{where}: field {name!r} would become {values[i].item()!r} at index {i}, which its type {dt} "
                "cannot hold"
            )
    out[name] = values


def check_sorted(t: np.ndarray, where: str) -> None:
    """Raise naming the first index where `t` steps back (operations whose result depends on time order)."""
    if len(t) < 2:
        return
    back = t[1:] < t[:-1]
    i = int(back.argmax())
    if back[i]:
        raise ValueError(
            f"{where}: needs events sorted by t, but index {i + 1} has t={t[i + 1]} after t={t[i]}; "
            "sort them first (events[np.argsort(events['t'], kind='stable')])"
        )


def sensor_wh(sensor_size: Any, where: str) -> tuple[int, int]:
    """(width, height) from a `SensorSize` or Tonic's ``(W, H[, P])``."""
    try:
        w, h = int(sensor_size[0]), int(sensor_size[1])
    except (TypeError, IndexError, ValueError):
        raise ValueError(f"{where}: sensor_size must be (W, H) or (W, H, P), got {sensor_size!r}") from None
    if w < 1 or h < 1:
        raise ValueError(f"{where}: sensor_size must be positive, got {sensor_size!r}")
    return w, h


def check_inside(ev: np.ndarray, width: int, height: int | None, where: str) -> None:
    """Raise if an event's x (or y) lies outside a sensor of `width` x `height` (the sensor is too small)."""
    for name, size in (("x", width), ("y", height)):
        if size is None or name not in ev.dtype.names or not len(ev):
            continue
        v = ev[name]
        lo, hi = v.min(), v.max()
        if lo < 0 or hi >= size:
            i = int(np.flatnonzero((v < 0) | (v >= size))[0])
            raise ValueError(
                f"{where}: event {i} has {name}={v[i].item()!r}, outside 0..{size - 1}: the sensor_size is too small "
                "for these events"
            )


def check_probability(name: str, p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def check_number(name: str, v: Any, *, positive: bool = False, nonnegative: bool = False) -> float:
    """`v` as a finite float; `positive` / `nonnegative` say what else it must be."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not math.isfinite(float(v)):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    if positive and not float(v) > 0:
        raise ValueError(f"{name} must be positive, got {v!r}")
    if nonnegative and not float(v) >= 0:
        raise ValueError(f"{name} must be non-negative, got {v!r}")
    return float(v)


def check_range(name: str, v: Any, *, nonnegative: bool = False, below_one: bool = False) -> tuple[float, float]:
    """A (low, high) sampling range of finite numbers with low <= high."""
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise ValueError(f"{name} range must be (low, high), got {v!r}")
    lo = check_number(f"{name}[0]", v[0], nonnegative=nonnegative)
    hi = check_number(f"{name}[1]", v[1], nonnegative=nonnegative)
    if lo > hi:
        raise ValueError(f"{name} range must have low <= high, got {v!r}")
    if below_one and hi >= 1.0:
        raise ValueError(f"{name} must be below 1, got {v!r}")
    return lo, hi


def pixel_index(ev: np.ndarray, where: str) -> tuple[np.ndarray, int]:
    """A dense int64 pixel number per event (x-major, as Tonic's (x, y) memories) and the number of pixels.

    Audio events (no ``y``) number their channels by x alone.
    """
    x = ev["x"].astype(np.int64)
    if len(x) and x.min() < 0:
        i = int(np.argmax(x < 0))
        raise ValueError(f"{where}: event {i} has x={x[i]}; per-pixel operations need non-negative coordinates")
    width = int(x.max()) + 1 if len(x) else 1
    if "y" not in ev.dtype.names:
        return x, width
    y = ev["y"].astype(np.int64)
    if len(y) and y.min() < 0:
        i = int(np.argmax(y < 0))
        raise ValueError(f"{where}: event {i} has y={y[i]}; per-pixel operations need non-negative coordinates")
    height = int(y.max()) + 1 if len(y) else 1
    x *= height
    x += y
    return x, width * height


def group_rank(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, first)``: the stable sort of `keys` and, along it, True where a new key starts."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    first = np.empty(len(k), dtype=bool)
    if len(k):
        first[0] = True
        np.not_equal(k[1:], k[:-1], out=first[1:])
    return order, first


def flipped_polarity(p: np.ndarray, where: str) -> np.ndarray:
    """ON <-> OFF for bool, {0, 1} or {-1, +1} polarities (the value set decides the rule)."""
    if p.dtype == np.bool_:
        return ~p
    if not len(p):
        return p.copy()
    lo, hi = p.min(), p.max()
    if lo >= 0 and hi <= 1:
        return (1 - p).astype(p.dtype)
    if lo >= -1 and hi <= 1 and not (p == 0).any():
        return (-p).astype(p.dtype)
    raise ValueError(
        f"{where}: polarity values {np.unique(p)[:6].tolist()} are neither bool, {{0, 1}} nor {{-1, +1}}; "
        "there is no ON/OFF to swap"
    )
