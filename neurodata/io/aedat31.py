"""cAER AEDAT 3.1 files (DVS128 Gesture): vectorized reader and writer.

A text header opened by ``#!AER-DAT3.1`` and closed by ``#!END-HEADER``, then packets. Each packet
is a 28-byte little-endian header::

    int16 eventType   int16 eventSource   int32 eventSize   int32 eventTSOffset
    int32 eventTSOverflow   int32 eventCapacity   int32 eventNumber   int32 eventValid

followed by ``eventCapacity * eventSize`` bytes, of which the first ``eventNumber`` events are real.
Polarity packets (type 1) hold 8-byte events: ``uint32 data, int32 timestamp`` with
``data = x << 17 | y << 2 | polarity << 1 | valid`` (x and y 15 bits each); the full timestamp is
``eventTSOverflow << 31 | timestamp``. Other packet types are skipped. Events whose valid bit is 0
are dropped unless ``keep_invalid=True`` (SpikingJelly keeps them; it also reads all
``eventCapacity`` slots of a packet, not just ``eventNumber``).

Timestamps are returned as stored (no re-zeroing), in µs.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from neurodata.errors import CorruptDataError, DecodeError, EventsError, HeaderError
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
    first_backwards,
    preview,
    read_buffer,
    sort_if_needed,
    split_header,
    warn_truncated,
)

AEDAT31_MAGIC = b"#!AER-DAT3.1"
END_HEADER = b"#!END-HEADER"
DEFAULT_AEDAT31_HEADER = ("#Format: RAW", "#Source 1: DVS128")

PACKET_HEADER = struct.Struct("<hhiiIiii")  # eventTSOverflow unsigned, as cAER's readers use it
POLARITY_EVENT = 1
SPECIAL_EVENT = 0
POLARITY_EVENT_BYTES = 8
TS_OVERFLOW_SHIFT = 31
TS_MASK = (1 << TS_OVERFLOW_SHIFT) - 1
# special event type 2 (EXTERNAL_INPUT_RISING_EDGE): harmless to readers that act on resets/wraps
_SPECIAL_RISING_EDGE = (2 << 1) | 1
# what the unused capacity slots of a written packet hold: valid-looking events at x = y = 32767,
# so a reader that decodes eventCapacity slots instead of eventNumber shows it
_SLACK_WORD = 0xFFFFFFFF


def _where(name: str, offset: int) -> str:
    return f"{name}: byte {offset}"


def _aedat31_body_offset(buf: np.ndarray, name: str, strict: bool = True) -> int | None:
    """Byte offset after ``#!END-HEADER``; None (with a warning) when the file ends inside the header."""
    if strict and bytes(buf[: len(AEDAT31_MAGIC)]) != AEDAT31_MAGIC:
        raise HeaderError(
            f"{_where(name, 0)}: expected the AEDAT 3.1 magic line {AEDAT31_MAGIC.decode()!r}, found {preview(buf, 0)}"
        )
    _, pos, ended = split_header(buf, END_HEADER)
    if ended == "body":
        raise HeaderError(
            f"{_where(name, pos)}: expected a '#' header line or {END_HEADER.decode()!r}, found {preview(buf, pos)}"
        )
    if ended == "eof":
        warn_truncated(name, buf.size, f"the header has no {END_HEADER.decode()!r} line", 0)
        return None
    return pos


class _Packets:
    """Where the polarity events of an AEDAT 3.1 body are: one entry per non-empty polarity packet."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # byte offset of the first event
        self.counts: list[int] = []  # events fully present (at most eventNumber)
        self.overflows: list[int] = []
        self.sources: set[int] = set()


def _scan_aedat31(buf: np.ndarray, pos: int, name: str, source: int | None, strict: bool = True) -> _Packets:
    """Walk the packet headers (one Python step per packet, never per event) and validate them."""
    found = _Packets()
    end = buf.size
    unpack_from = PACKET_HEADER.unpack_from
    while pos < end:
        if end - pos < PACKET_HEADER.size:
            warn_truncated(name, pos, f"{end - pos} bytes of a 28-byte packet header", sum(found.counts))
            break
        etype, esource, size, ts_offset, overflow, capacity, number, valid = unpack_from(buf, pos)
        if size < 4 or not 0 <= ts_offset <= size - 4 or not 0 <= valid <= number <= capacity:
            raise CorruptDataError(
                f"{_where(name, pos)}: packet header with impossible sizes (eventType={etype}, "
                f"eventSize={size}, eventTSOffset={ts_offset}, eventCapacity={capacity}, "
                f"eventNumber={number}, eventValid={valid}); expected eventSize >= 4, a 4-byte "
                "timestamp inside the event and 0 <= eventValid <= eventNumber <= eventCapacity"
            )
        payload = pos + PACKET_HEADER.size
        stop = payload + capacity * size
        if etype == POLARITY_EVENT and (source is None or esource == source):
            if size != POLARITY_EVENT_BYTES or (strict and ts_offset != 4):
                raise CorruptDataError(
                    f"{_where(name, pos)}: polarity packet with eventSize={size}, "
                    f"eventTSOffset={ts_offset}; expected eventSize=8 and eventTSOffset=4"
                )
            have = min(number, (end - payload) // POLARITY_EVENT_BYTES)
            if have > 0:
                found.starts.append(payload)
                found.counts.append(have)
                found.overflows.append(overflow)
                found.sources.add(esource)
        if stop > end:
            warn_truncated(
                name,
                end,
                f"packet at byte {pos} (eventType {etype}) declares {capacity * size} bytes of "
                f"events and {end - payload} are present",
                sum(found.counts),
            )
            break
        pos = stop
    if len(found.sources) > 1:
        raise DecodeError(
            f"{name}: polarity packets come from several sources {sorted(found.sources)}; "
            "pass source=<eventSource> to choose one"
        )
    return found


def _gather_words(buf: np.ndarray, found: _Packets) -> np.ndarray:
    """`[N, 2]` uint32 (address, timestamp) of the polarity events, in file order."""
    if len(found.starts) == 1:
        s, c = found.starts[0], found.counts[0]
        return np.frombuffer(buf, dtype="<u4", count=2 * c, offset=s).reshape(-1, 2)
    # one memcpy per packet into an aligned buffer beats any per-event index gather
    pieces = [buf[s : s + POLARITY_EVENT_BYTES * c] for s, c in zip(found.starts, found.counts, strict=True)]
    return np.concatenate(pieces).view("<u4").reshape(-1, 2)


def _apply_overflow(t: np.ndarray, found: _Packets) -> None:
    """OR each packet's eventTSOverflow << 31 into its events' t (one slice per packet that has one)."""
    first = 0
    for count, overflow in zip(found.counts, found.overflows, strict=True):
        if overflow:
            t[first : first + count] |= overflow << TS_OVERFLOW_SHIFT
        first += count


def _fill_packed(ev: np.ndarray, words: np.ndarray, found: _Packets) -> tuple[int, bool]:
    """Decode `words` into `ev` (EVENT_DTYPE) block by block.

    Returns (`first_backwards(ev["t"])`, whether every valid bit is set). Each block's addresses
    and timestamps are copied once into contiguous L2-resident temporaries; the bit arithmetic,
    the validity and the sortedness checks run there, and each output field is written once. This
    is about twice as fast as whole-array ufuncs writing into the 13-byte-strided fields.
    """
    n = words.shape[0]
    view = ev.view(XY_VIEW)
    t_out, xy_out, p_out = view["t"], view["xy"], view["p"]
    size = min(n, BLOCK)  # small files must not pay for page-faulting full-size blocks
    addr_tmp, x_tmp, y_tmp = (np.empty(size, np.uint32) for _ in range(3))
    t_tmp = np.empty(size, np.int64)
    u8_tmp = np.empty(size, np.uint8)
    back_tmp = np.empty(size, np.bool_)
    has_overflow = any(found.overflows)
    all_valid = True
    first_back = -1
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        m = b - a
        addr, x, y, t, u8 = addr_tmp[:m], x_tmp[:m], y_tmp[:m], t_tmp[:m], u8_tmp[:m]
        addr[...] = words[a:b, 0]
        t[...] = words[a:b, 1]
        if not has_overflow and first_back < 0:
            first_back = block_backwards(t, a, int(t_out[a - 1]) if a else None, back_tmp)
        t_out[a:b] = t
        np.right_shift(addr, 17, out=x)
        np.left_shift(addr, 14, out=y)  # y (bits 2-16) lands in bits 16-30
        np.bitwise_and(y, 0x7FFF0000, out=y)
        np.bitwise_or(x, y, out=x)
        xy_out[a:b] = x
        np.right_shift(addr, 1, out=u8, casting="unsafe")
        np.bitwise_and(u8, 1, out=u8)
        p_out[a:b] = u8
        if all_valid:
            np.bitwise_and(addr, 1, out=u8, casting="unsafe")
            all_valid = bool(u8.all())
    if has_overflow:
        _apply_overflow(ev["t"], found)
        first_back = first_backwards(ev["t"])
    return first_back, all_valid


def _fill_fields(out: np.ndarray | dict[str, np.ndarray], words: np.ndarray, found: _Packets) -> None:
    """Decode `words` into separate contiguous arrays t, x, y, p."""
    addr = words[:, 0]
    out["t"][...] = words[:, 1]
    _apply_overflow(out["t"], found)
    # the uint16/int8 outputs keep the low bits of each shifted word; the masks remove the rest
    np.right_shift(addr, 17, out=out["x"], casting="unsafe")
    np.right_shift(addr, 2, out=out["y"], casting="unsafe")
    out["y"] &= 0x7FFF
    np.right_shift(addr, 1, out=out["p"], casting="unsafe")
    out["p"] &= 1


def _valid_rows(words: np.ndarray) -> np.ndarray | None:
    """Indices of events whose valid bit is set, or None when all are valid."""
    bit = np.empty(words.shape[0], dtype=np.uint8)
    np.bitwise_and(words[:, 0], 1, out=bit, casting="unsafe")
    if bit.all():
        return None
    return np.flatnonzero(bit)


def _offset_finder(found: _Packets, rows: np.ndarray | None) -> Callable[[int], int]:
    def offset_of(i: int) -> int:
        j = int(rows[i]) if rows is not None else i
        ends = np.cumsum(found.counts)
        k = int(np.searchsorted(ends, j, side="right"))
        first = int(ends[k - 1]) if k else 0
        return found.starts[k] + POLARITY_EVENT_BYTES * (j - first)

    return offset_of


def _locate_aedat31(
    buf: np.ndarray, name: str, source: int | None, strict: bool = True
) -> tuple[np.ndarray, _Packets] | None:
    pos = _aedat31_body_offset(buf, name, strict)
    if pos is None:
        return None
    found = _scan_aedat31(buf, pos, name, source, strict)
    if not found.starts:
        return None
    return _gather_words(buf, found), found


def decode_aedat31(
    data: Buffer, *, keep_invalid: bool = False, source: int | None = None, name: str = "<bytes>"
) -> np.ndarray:
    """Decode AEDAT 3.1 bytes into `[N]` `EVENT_DTYPE` events (t in µs, sorted).

    Args:
        data: the file's bytes (bytes or a uint8 array).
        keep_invalid: keep events whose valid bit is 0 (SpikingJelly's behaviour).
        source: only packets of this eventSource; None accepts one source, whichever it is.
        name: how errors and warnings name the source.

    Raises `HeaderError` for a missing magic line or a header that does not end in
    ``#!END-HEADER``, `CorruptDataError` for a packet header no writer produces; a file that ends
    inside a packet gives the complete events and a `TruncatedFileWarning`.
    """
    located = _locate_aedat31(as_buffer(data), name, source)
    if located is None:
        return empty_events()
    words, found = located
    ev = np.empty(words.shape[0], dtype=EVENT_DTYPE)
    if PACKED_FAST:
        first_back, all_valid = _fill_packed(ev, words, found)
    else:
        _fill_fields(ev, words, found)
        first_back, all_valid = first_backwards(ev["t"]), _valid_rows(words) is None
    rows = None if keep_invalid or all_valid else _valid_rows(words)
    if rows is None:
        return sort_if_needed(ev, name, _offset_finder(found, None), first_back)
    return sort_if_needed(ev[rows], name, _offset_finder(found, rows))


def read_aedat31(path: PathLike, *, keep_invalid: bool = False, source: int | None = None) -> np.ndarray:
    """Read an AEDAT 3.1 file (DVS128 Gesture) into `[N]` `EVENT_DTYPE` events, t in µs.

    See `decode_aedat31` for the options and errors.
    """
    return decode_aedat31(read_buffer(path), keep_invalid=keep_invalid, source=source, name=str(path))


def load_aedat_v3(
    file_name: PathLike, *, keep_invalid: bool = False, strict: bool = True
) -> dict[str, np.ndarray]:
    """SpikingJelly-compatible reader: a dict of `[N]` arrays t, x, y, p in file order.

    The values equal SpikingJelly's `load_aedat_v3` when every event is valid and every packet is
    full (eventNumber == eventCapacity, as cAER writes them). Differences: invalid events are
    dropped unless `keep_invalid=True`; unused capacity slots are never read; the dtypes are ours
    (t int64, x/y uint16, p int8) where SpikingJelly returns int64 for every field.
    ``strict=False`` reads as leniently as SpikingJelly: a ``#`` header without the ``#!AER-DAT3.1``
    line, and polarity packets whose eventTSOffset is not 4 (the timestamp is taken from bytes 4-7
    of each event, where SpikingJelly takes it).
    """
    located = _locate_aedat31(read_buffer(file_name), str(file_name), None, strict)
    n = 0 if located is None else located[0].shape[0]
    out = {k: np.empty(n, EVENT_DTYPE[k]) for k in ("t", "x", "y", "p")}
    if located is None:
        return out
    words, found = located
    _fill_fields(out, words, found)
    rows = None if keep_invalid else _valid_rows(words)
    if rows is not None:
        out = {k: v[rows] for k, v in out.items()}
    return out


def aedat31_packet(
    event_type: int,
    event_size: int,
    payload: bytes,
    *,
    number: int | None = None,
    capacity: int | None = None,
    valid: int | None = None,
    ts_offset: int = 4,
    ts_overflow: int = 0,
    source: int = 1,
) -> bytes:
    """One AEDAT 3.1 packet: the 28-byte header followed by `payload` (capacity * event_size bytes).

    `number` and `valid` default to the capacity implied by the payload. For tests and archives
    that need packets of any type, including ones the readers must skip.
    """
    if event_size <= 0 or len(payload) % event_size:
        raise ValueError(f"payload of {len(payload)} bytes is not a whole number of {event_size}-byte events")
    cap = len(payload) // event_size if capacity is None else capacity
    num = cap if number is None else number
    header = PACKET_HEADER.pack(
        event_type, source, event_size, ts_offset, ts_overflow, cap, num, num if valid is None else valid
    )
    return header + payload


def aedat31_header(lines: Sequence[str] = DEFAULT_AEDAT31_HEADER) -> bytes:
    """The text header: magic line, `lines`, ``#!END-HEADER``, each ended by CR LF as cAER writes."""
    body = "".join(f"{line}\r\n" for line in lines)
    return AEDAT31_MAGIC + b"\r\n" + body.encode("ascii") + END_HEADER + b"\r\n"


def _packet_bounds(n: int, packet_events: int | Sequence[int], overflow: np.ndarray) -> np.ndarray:
    """Event index where each polarity packet starts, plus `n` at the end; equal neighbours = empty packet."""
    if isinstance(packet_events, int):
        if packet_events < 1:
            raise ValueError(f"packet_events must be >= 1, got {packet_events}")
        bounds = np.append(np.arange(0, n, packet_events), n) if n else np.zeros(1, np.int64)
    else:
        sizes = np.asarray(packet_events, dtype=np.int64)
        if sizes.ndim != 1 or (sizes < 0).any() or sizes.sum() != n:
            raise ValueError(
                f"packet_events must be non-negative packet sizes summing to {n} events, "
                f"got {len(sizes)} sizes summing to {int(sizes.sum())}"
            )
        bounds = np.concatenate([[0], np.cumsum(sizes)])
    # one eventTSOverflow per packet: cut wherever the overflow counter changes
    changes = np.flatnonzero(overflow[1:] != overflow[:-1]) + 1
    extra = np.setdiff1d(changes, bounds)
    return np.sort(np.concatenate([bounds, extra])) if extra.size else bounds


def _aedat31_chunks(
    events: np.ndarray,
    *,
    packet_events: int | Sequence[int],
    special_every: int,
    invalid: np.ndarray | None,
    capacity_slack: int,
    source: int,
    extra_packets: Mapping[int, Sequence[bytes]] | None,
) -> Iterator[bytes | np.ndarray]:
    check_events(events, where="encode_aedat31")
    n = events.size
    t = events["t"]
    if n and t[0] < 0:
        raise EventsError(f"encode_aedat31: field 't' at index 0 is {t[0]}; AEDAT 3.1 stores t >= 0")
    if n and t[-1] >> TS_OVERFLOW_SHIFT > np.iinfo(np.int32).max:
        raise EventsError(f"encode_aedat31: field 't' at index {n - 1} is {t[-1]}, beyond AEDAT 3.1's range")
    for field in ("x", "y"):
        if n and events[field].max() > 0x7FFF:
            i = int(np.argmax(events[field] > 0x7FFF))
            raise EventsError(f"encode_aedat31: field {field!r} at index {i} is {events[field][i]}; max 32767")
    if invalid is not None and np.shape(invalid) != (n,):
        raise ValueError(f"invalid must be a boolean mask of shape ({n},), got shape {np.shape(invalid)}")
    if capacity_slack < 0 or special_every < 0:
        raise ValueError(f"capacity_slack and special_every must be >= 0, got {capacity_slack}, {special_every}")
    words = np.empty((n, 2), dtype="<u4")
    addr = words[:, 0]
    addr[...] = events["x"]
    addr <<= 17
    addr |= events["y"].astype(np.uint32) << 2
    addr |= events["p"].astype(np.uint32) << 1
    if invalid is None:
        addr |= 1
    else:
        addr |= ~np.asarray(invalid, dtype=bool)
    np.bitwise_and(t, TS_MASK, out=words[:, 1], casting="unsafe")
    overflow = t >> TS_OVERFLOW_SHIFT
    bounds = _packet_bounds(n, packet_events, overflow)
    slack = np.full((capacity_slack, 2), _SLACK_WORD, dtype="<u4").tobytes()
    extra = extra_packets or {}
    for k in range(len(bounds) - 1):
        a, b = int(bounds[k]), int(bounds[k + 1])
        ov = int(overflow[min(a, n - 1)]) if n else 0
        yield from extra.get(k, ())
        if special_every and k % special_every == 0:
            ts = int(words[a, 1]) if a < n else 0
            yield aedat31_packet(
                SPECIAL_EVENT, 8, struct.pack("<Ii", _SPECIAL_RISING_EDGE, ts), ts_overflow=ov, source=source
            )
        count = b - a
        n_valid = count if invalid is None else count - int(np.count_nonzero(invalid[a:b]))
        yield PACKET_HEADER.pack(POLARITY_EVENT, source, 8, 4, ov, count + capacity_slack, count, n_valid)
        yield words[a:b].reshape(-1).view(np.uint8)
        if capacity_slack:
            yield slack
    for k in sorted(k for k in extra if k >= len(bounds) - 1):
        yield from extra[k]


def encode_aedat31(
    events: np.ndarray,
    *,
    packet_events: int | Sequence[int] = 4096,
    special_every: int = 0,
    invalid: np.ndarray | None = None,
    capacity_slack: int = 0,
    source: int = 1,
    extra_packets: Mapping[int, Sequence[bytes]] | None = None,
    header_lines: Sequence[str] = DEFAULT_AEDAT31_HEADER,
) -> bytes:
    """Encode `[N]` `EVENT_DTYPE` events as an AEDAT 3.1 file (bytes).

    Args:
        events: sorted events; x, y < 32768; 0 <= t < 2^62 µs.
        packet_events: events per polarity packet, or the size of each packet in order (zeros
            give empty packets). Packets are also cut wherever the timestamp overflow changes.
        special_every: insert a special-event packet (one external-input event) before every
            `special_every`-th polarity packet; 0 for none.
        invalid: `[N]` bool; those events are written with their valid bit cleared.
        capacity_slack: unused event slots per polarity packet (eventCapacity > eventNumber).
        source: the eventSource written in every packet header.
        extra_packets: raw packets (see `aedat31_packet`) to insert before polarity packet k;
            a k at or beyond the number of polarity packets appends them at the end.
        header_lines: text header lines between the magic line and ``#!END-HEADER``.
    """
    chunks = _aedat31_chunks(
        events,
        packet_events=packet_events,
        special_every=special_every,
        invalid=invalid,
        capacity_slack=capacity_slack,
        source=source,
        extra_packets=extra_packets,
    )
    return b"".join([aedat31_header(header_lines), *chunks])


def write_aedat31(
    path: PathLike,
    events: np.ndarray,
    *,
    packet_events: int | Sequence[int] = 4096,
    special_every: int = 0,
    invalid: np.ndarray | None = None,
    capacity_slack: int = 0,
    source: int = 1,
    extra_packets: Mapping[int, Sequence[bytes]] | None = None,
    header_lines: Sequence[str] = DEFAULT_AEDAT31_HEADER,
) -> None:
    """Write `[N]` `EVENT_DTYPE` events to an AEDAT 3.1 file; the options are `encode_aedat31`'s.

    The event data goes to the file packet by packet, without assembling the whole file in memory.
    """
    chunks = _aedat31_chunks(
        events,
        packet_events=packet_events,
        special_every=special_every,
        invalid=invalid,
        capacity_slack=capacity_slack,
        source=source,
        extra_packets=extra_packets,
    )
    with Path(path).open("wb") as f:
        f.write(aedat31_header(header_lines))
        for chunk in chunks:
            f.write(chunk)
