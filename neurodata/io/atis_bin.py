"""ATIS 40-bit .bin files (N-MNIST, N-Caltech101; Orchard et al., 2015): reader and writer.

Each event is 5 bytes, most significant first::

    byte 0      x (pixels)
    byte 1      y (pixels); y == 240 marks a timestamp overflow, not an event
    byte 2      bit 7: polarity (1 = ON); bits 6-0: timestamp bits 22-16
    bytes 3-4   timestamp bits 15-0 (µs)

Orchard's MATLAB reader (and Tonic's `read_mnist_file`) remove every overflow marker and add 2^13 µs
to the timestamps of all events after it; we do the same. SpikingJelly's `load_ATIS_bin` keeps the
markers as events with y = 240. The file stores no sensor size: N-MNIST is 34x34, N-Caltech101 varies
per sample, so callers that need a size take it from the dataset, not from here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurodata.errors import EventsError
from neurodata.events import EVENT_DTYPE, check_events
from neurodata.io._common import (
    BLOCK,
    PACKED_FAST,
    XY_VIEW,
    Buffer,
    PathLike,
    as_buffer,
    block_backwards,
    empty_events,
    read_buffer,
    sort_if_needed,
    warn_truncated,
)

RECORD_BYTES = 5
OVERFLOW_Y = 240
OVERFLOW_STEP_US = 1 << 13
TS_BITS = 23
TS_MASK = (1 << TS_BITS) - 1


def _records(data: Buffer, name: str) -> np.ndarray:
    """The complete 5-byte records of `data` (`[n * 5]` uint8, no copy); warns about a partial one."""
    buf = as_buffer(data)
    n = buf.size // RECORD_BYTES
    if buf.size % RECORD_BYTES:
        warn_truncated(name, n * RECORD_BYTES, f"{buf.size % RECORD_BYTES} bytes of a 5-byte event", n)
    return buf[: n * RECORD_BYTES]


def _views(records: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Strided views (no copies) of x, y, the polarity byte, and the big-endian word y|b2|b3|b4."""
    n = records.size // RECORD_BYTES
    if n == 0:
        return records, records, records, np.empty(0, dtype=">u4")
    # bytes 1..4 of each record read as one big-endian word: one strided pass instead of three shifts
    word = np.ndarray((n,), dtype=">u4", buffer=records, offset=1, strides=(RECORD_BYTES,))
    step = RECORD_BYTES
    return records[0::step], records[1::step], records[2::step], word


def _fill(
    out: dict[str, np.ndarray] | np.ndarray, x: np.ndarray, y: np.ndarray, b2: np.ndarray, word: np.ndarray
) -> None:
    # ufuncs write straight into the (possibly packed) fields: no N-sized temporaries to page-fault in
    np.bitwise_and(word, TS_MASK, out=out["t"], casting="unsafe")
    np.right_shift(b2, 7, out=out["p"], casting="unsafe")
    out["x"][...] = x
    out["y"][...] = y


def _markers(y: np.ndarray) -> np.ndarray:
    """Record indices of the overflow markers (y == 240)."""
    # max() is a reduction without a temporary: the common file without markers costs one pass
    if y.size == 0 or y.max() < OVERFLOW_Y:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(y == OVERFLOW_Y)


def _drop_markers(records: np.ndarray, overflow: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(records without overflow markers, the markers' record indices, run bounds or None).

    Run bounds are the event indices where each run between markers starts, plus the event count:
    the events of run j get j * 2^13 µs. The markers go by a boolean compress of 5-byte items
    (about 1 ms per 1e6 records), so every field is then decoded once, in its final place.
    """
    _, y, _, _ = _views(records)
    markers = _markers(y) if overflow else np.empty(0, dtype=np.intp)
    if markers.size == 0:
        return records, markers, None
    keep = np.ones(y.size, dtype=np.bool_)
    keep[markers] = False
    kept = records.view("V5")[keep].view(np.uint8)
    # markers[j] - j events come before marker j
    bounds = np.concatenate([[0], markers - np.arange(markers.size), [y.size - markers.size]])
    return kept, markers, bounds


def _add_overflow(t: np.ndarray, bounds: np.ndarray, first: int = 0) -> None:
    """Add j * 2^13 µs to the events of run j, for the events first .. first + t.size - 1."""
    stop = first + t.size
    j0 = int(np.searchsorted(bounds, first, side="right")) - 1
    j1 = int(np.searchsorted(bounds, stop, side="left"))
    if j1 - j0 == 1:  # the whole stretch lies in one run
        if j0:
            t += j0 * OVERFLOW_STEP_US
        return
    edges = np.clip(bounds[j0 : j1 + 1], first, stop)
    t += np.repeat(np.arange(j0, j1, dtype=np.int64) * OVERFLOW_STEP_US, np.diff(edges))


def _fill_packed(ev: np.ndarray, records: np.ndarray, overflow: bool) -> tuple[int, int, np.ndarray]:
    """Decode `records` into `ev` (EVENT_DTYPE, one slot per record) block by block.

    Returns (events written, `first_backwards` of their t, record indices of the markers removed).
    Each block is widened once into contiguous L2-resident temporaries; the markers are dropped
    there, and the overflow shift, the sortedness check and the bit arithmetic run there, so each
    output field is written once. That beats whole-array ufuncs writing into the 13-byte-strided
    fields, and any pass over the whole file to find the markers.
    """
    n = records.size // RECORD_BYTES
    _, y, _, word = _views(records)
    xy16 = np.ndarray((n,), dtype="<u2", buffer=records, offset=0, strides=(RECORD_BYTES,))  # x | y << 8
    view = ev.view(XY_VIEW)
    t_out, xy_out, p_out = view["t"], view["xy"], view["p"]
    size = min(n, BLOCK)  # small files must not pay for page-faulting full-size blocks
    w_tmp, lo_tmp, hi_tmp = (np.empty(size, np.uint32) for _ in range(3))
    t_tmp = np.empty(size, np.int64)
    u8_tmp = np.empty(size, np.uint8)
    back_tmp = np.empty(size, np.bool_)
    first_back = -1
    found: list[np.ndarray] = []
    n_markers = 0  # markers before the current block
    pos = 0  # events written
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        w, lo = w_tmp[: b - a], lo_tmp[: b - a]
        w[...] = word[a:b]  # big-endian y|b2|b3|b4, byte-swapped once
        lo[...] = xy16[a:b]
        shift: np.ndarray | int = n_markers * OVERFLOW_STEP_US
        # max() is a reduction without a temporary: blocks without markers cost one cheap pass
        if overflow and y[a:b].max() >= OVERFLOW_Y:
            is_marker = y[a:b] == OVERFLOW_Y
            here = np.flatnonzero(is_marker)
            keep = ~is_marker
            shift = (n_markers + np.cumsum(is_marker, dtype=np.int64)[keep]) * OVERFLOW_STEP_US
            w, lo = w[keep], lo[keep]
            found.append(here + a)
            n_markers += here.size
        m = w.size
        hi, t, u8 = hi_tmp[:m], t_tmp[:m], u8_tmp[:m]
        np.bitwise_and(w, TS_MASK, out=t, casting="unsafe")
        if not isinstance(shift, int) or shift:
            t += shift
        if first_back < 0:
            first_back = block_backwards(t, pos, int(t_out[pos - 1]) if pos else None, back_tmp)
        t_out[pos : pos + m] = t
        np.right_shift(w, 23, out=u8, casting="unsafe")
        np.bitwise_and(u8, 1, out=u8)
        p_out[pos : pos + m] = u8
        np.bitwise_and(lo, 0xFF00, out=hi)
        np.left_shift(hi, 8, out=hi)  # y to bits 16-23
        np.bitwise_and(lo, 0xFF, out=lo)
        np.bitwise_or(lo, hi, out=lo)
        xy_out[pos : pos + m] = lo
        pos += m
    markers = np.concatenate(found) if found else np.empty(0, dtype=np.intp)
    return pos, first_back, markers


def decode_atis_bin(data: Buffer, *, overflow: bool = True, name: str = "<bytes>") -> np.ndarray:
    """Decode ATIS .bin bytes into `[N]` `EVENT_DTYPE` events (t in µs, sorted).

    Args:
        data: the file's bytes (bytes or a uint8 array).
        overflow: apply Orchard's overflow rule (drop y == 240 markers, +2^13 µs to later events);
            with False, markers come back as events with y = 240, as SpikingJelly returns them.
        name: how warnings name the source.

    A length that is not a multiple of 5 gives the complete events and a `TruncatedFileWarning`.
    """
    records = _records(data, name)
    if records.size == 0:
        return empty_events()
    first_back: int | None
    # below a quarter block the plain whole-array ufuncs are as fast and have less set-up
    if PACKED_FAST and records.size > RECORD_BYTES * BLOCK // 4:
        ev = np.empty(records.size // RECORD_BYTES, dtype=EVENT_DTYPE)
        written, first_back, markers = _fill_packed(ev, records, overflow)
        ev = ev[:written]  # the slots of dropped markers stay unused at the end
    else:
        records, markers, bounds = _drop_markers(records, overflow)
        ev = np.empty(records.size // RECORD_BYTES, dtype=EVENT_DTYPE)
        _fill(ev, *_views(records))
        if bounds is not None:
            _add_overflow(ev["t"], bounds)
        first_back = None

    def offset_of(i: int) -> int:
        # event i sits after every marker j with markers[j] - j <= i (records before it that are events)
        before = np.searchsorted(markers - np.arange(markers.size), i, side="right")
        return (i + int(before)) * RECORD_BYTES

    return sort_if_needed(ev, name, offset_of, first_back)


def read_atis_bin(path: PathLike, *, overflow: bool = True) -> np.ndarray:
    """Read an ATIS .bin file (N-MNIST, N-Caltech101) into `[N]` `EVENT_DTYPE` events, t in µs.

    See `decode_atis_bin` for the options and the handling of truncated files.
    """
    return decode_atis_bin(read_buffer(path), overflow=overflow, name=str(path))


def load_ATIS_bin(file_name: PathLike, *, overflow: bool = True) -> dict[str, np.ndarray]:
    """SpikingJelly-compatible reader: a dict of `[N]` arrays t, x, y, p in file order.

    The values equal SpikingJelly's `load_ATIS_bin` on files without overflow markers. Two
    differences: markers are removed and applied (Tonic's and Orchard's rule; pass `overflow=False`
    to keep them as SpikingJelly does), and the dtypes are ours (t int64, x/y uint16, p int8) where
    SpikingJelly returns uint32 for every field.
    """
    records, _, bounds = _drop_markers(_records(read_buffer(file_name), str(file_name)), overflow)
    n = records.size // RECORD_BYTES
    out = {k: np.empty(n, EVENT_DTYPE[k]) for k in ("t", "x", "y", "p")}
    _fill(out, *_views(records))
    if bounds is not None:
        _add_overflow(out["t"], bounds)
    return out


def encode_atis_bin(events: np.ndarray) -> bytes:
    """Encode `[N]` `EVENT_DTYPE` events as ATIS .bin bytes, inserting overflow markers as needed.

    Timestamps need no markers below 2^23 µs (8.4 s). Later events get the fewest markers that
    bring their stored 23-bit value into range, so `decode_atis_bin` restores every t exactly.
    Coordinates must fit one byte and y = 240 is refused: it is reserved for the markers.
    """
    check_events(events, where="encode_atis_bin")
    n = events.size
    if n == 0:
        return b""
    t = events["t"]
    for field, limit in (("x", 255), ("y", 255)):
        v = events[field]
        if v.max() > limit:
            i = int(np.argmax(v > limit))
            raise EventsError(f"encode_atis_bin: field {field!r} at index {i} is {v[i]}; ATIS .bin stores 0..{limit}")
    if np.any(events["y"] == OVERFLOW_Y):
        i = int(np.argmax(events["y"] == OVERFLOW_Y))
        raise EventsError(
            f"encode_atis_bin: field 'y' at index {i} is 240, which ATIS .bin reserves for overflow markers"
        )
    if t[0] < 0:
        raise EventsError(f"encode_atis_bin: field 't' at index 0 is {t[0]}; ATIS .bin stores t >= 0")
    # markers before event i: the fewest k with t - k*2^13 <= 2^23 - 1; non-decreasing since t is sorted
    k = np.maximum(0, -((TS_MASK - t) // OVERFLOW_STEP_US))
    stored = t - k * OVERFLOW_STEP_US
    rows = np.arange(n, dtype=np.int64) + k
    out = np.zeros((n + int(k[-1]), RECORD_BYTES), dtype=np.uint8)
    out[:, 1] = OVERFLOW_Y  # every row not overwritten below is a marker
    out[rows, 0] = events["x"]
    out[rows, 1] = events["y"]
    out[rows, 2] = (events["p"].astype(np.uint8) << 7) | (stored >> 16).astype(np.uint8)
    out[rows, 3] = (stored >> 8).astype(np.uint8)
    out[rows, 4] = stored.astype(np.uint8)
    return out.tobytes()


def write_atis_bin(path: PathLike, events: np.ndarray) -> None:
    """Write `[N]` `EVENT_DTYPE` events to an ATIS .bin file (see `encode_atis_bin`)."""
    Path(path).write_bytes(encode_atis_bin(events))
