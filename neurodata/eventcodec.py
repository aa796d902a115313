"""Compact event columns: how the event store keeps each sample's decoded events.

A sample's events are stored as two Zstandard frames:

* ``dt``: the gaps between consecutive timestamps (the first is 0; ``t[0]`` is kept beside the frames), as
  uint32 when every gap fits (int64 otherwise, which also holds the negative gaps of unsorted input),
  byte-shuffled: all low bytes first, then the next ones, so the mostly-zero high bytes compress to little;
* ``key``: `neurodata.integrate.pixel_keys`, ``(p*H + y)*W + x`` per event, the index the integrators
  count on (uint16 up to 2x128x256 pixels).

On DVS128-Gesture-like recordings this is 2.5 bytes per event against 13 for the raw `EVENT_DTYPE` record
(SpikingJelly's compressed npz: about 4.2), and encodes 12 M events in ~0.3 s. Polarity must be 0 or 1
and coordinates inside the sensor: `encode` refuses anything else rather than store it wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import zstandard

from neurodata.errors import CacheError
from neurodata.integrate import pixel_key_dtype, pixel_keys

_LEVEL = 1


@dataclass(frozen=True)
class EncodedEvents:
    """One sample: the two Zstandard frames, its event count, first timestamp and gap width in bytes."""

    dt: bytes
    key: bytes
    count: int
    t0: int
    dt_bytes: int


def encode(events: np.ndarray, height: int, width: int) -> EncodedEvents:
    """Encode `EVENT_DTYPE` events of a `height` x `width` sensor; `decode` restores them exactly.

    Raises ValueError naming the field if a coordinate is outside the sensor or a polarity is not 0 or 1.
    """
    n = len(events)
    t, x, y, p = events["t"], events["x"], events["y"], events["p"]
    if n and not (int(x.max()) < width and int(y.max()) < height and int(p.view(np.uint8).max()) <= 1):
        # x, y are unsigned and a negative int8 p reads as >= 128: three passes clear the common case
        for name, a, size in (("x", x, width), ("y", y, height), ("p", p, 2)):
            bad = np.flatnonzero((a < 0) | (a >= size))
            if bad.size:
                i = int(bad[0])
                raise ValueError(f"field {name!r} at index {i} is {int(a[i])}, outside 0..{size - 1}")
    key = pixel_keys(x, y, p, height, width)
    dt = np.diff(t, prepend=t[:1]) if n else np.zeros(0, dtype=np.int64)
    wide = bool(n) and (int(dt.min()) < 0 or int(dt.max()) >= 1 << 32)
    dt = dt.astype(np.int64 if wide else np.uint32)
    planes = dt.view(np.uint8).reshape(n, dt.itemsize)
    shuffled = b"".join(np.ascontiguousarray(planes[:, k]).tobytes() for k in range(dt.itemsize))  # 10x .T's copy
    compressor = zstandard.ZstdCompressor(level=_LEVEL)  # one per call: instances are not thread-safe
    return EncodedEvents(
        compressor.compress(shuffled), compressor.compress(key.tobytes()), n, int(t[0]) if n else 0, dt.itemsize
    )


def decode_keys(enc: Any, height: int, width: int, *, with_t: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """``(t, key)`` of an encoded sample: int64 timestamps (None unless `with_t`) and the pixel keys.

    `enc` is an `EncodedEvents` or any object with its fields (the frames may be bytes-like). Raises
    `CacheError` on streams that do not decode to ``enc.count`` events of this sensor.
    """
    n = int(enc.count)
    if enc.dt_bytes not in (4, 8):
        raise CacheError(f"event codec: unknown gap width {enc.dt_bytes}")
    try:
        key = np.frombuffer(zstandard.decompress(enc.key), dtype=pixel_key_dtype(height, width))
        shuffled = np.frombuffer(zstandard.decompress(enc.dt), dtype=np.uint8) if with_t else None
    except zstandard.ZstdError as err:
        raise CacheError(f"event codec: corrupt stream ({err})") from err
    if key.size != n or (shuffled is not None and shuffled.size != n * enc.dt_bytes):
        got = "" if shuffled is None else f"{shuffled.size} gap bytes and "
        raise CacheError(f"event codec: streams hold {got}{key.size} keys for {n} events")
    if int(key.max(initial=0)) >= 2 * height * width:
        raise CacheError(f"event codec: a pixel key is outside the {width}x{height} sensor")
    if shuffled is None:
        return None, key
    wide = np.uint64 if enc.dt_bytes == 8 else np.uint32
    planes = shuffled.reshape(enc.dt_bytes, n)
    dt = planes[0].astype(wide)
    for k in range(1, enc.dt_bytes):
        if planes[k].any():  # the high bytes of DVS gaps are mostly all zero: skip them
            dt |= planes[k].astype(wide) << wide(8 * k)
    import torch  # here, not at the top: the command line starts without torch

    # torch's running sum is 10x numpy's cumsum with a widening dtype here; uint64 gaps wrap into int64
    t = torch.cumsum(torch.from_numpy(dt.view(np.int64) if enc.dt_bytes == 8 else dt.astype(np.int64)), 0).numpy()
    t += enc.t0
    return t, key


def decode(enc: Any, height: int, width: int) -> dict[str, np.ndarray]:
    """The events `encode` was given, as a SpikingJelly-style dict: t int64, x/y uint16, p int8."""
    t, key = decode_keys(enc, height, width)
    # numpy divides by a scalar fast (libdivide) but takes remainders slowly: 0.1 ms against 2.5 ms here
    row = key // width
    x = key - row * width
    p = row // height
    y = row - p * height
    return {"t": t, "x": x.astype(np.uint16), "y": y.astype(np.uint16), "p": p.astype(np.int8)}  # type: ignore[dict-item]
