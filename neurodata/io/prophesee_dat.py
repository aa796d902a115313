"""Prophesee / ATIS ``.dat`` TD files (N-CARS, NAV Gesture): a vectorized reader and writer of our own.

A file is a text header of lines starting with ``%`` (``% Version 2``, ``% Width 304``, ``% Height 240``,
``% Date ...``), then two bytes, the event type and the event size (8), then 8-byte little-endian
records ``uint32 t (µs), uint32 data``. The layout of ``data`` depends on the header's version:

=========================  =============  ==============  =====================
version                    x              y               polarity
=========================  =============  ==============  =====================
1 (kAER, NAV Gesture)      bits 0-8       bits 9-16       bit 17
2 and later (N-CARS)       bits 0-13      bits 14-27      bits 28-31 (0 or 1)
=========================  =============  ==============  =====================

A file without a ``% Version`` line is version 1, as loris and sepia read it. A file without any header
holds records from byte 0 (no type and size bytes). Coordinates come back as stored: loris flips y
(``height - 1 - y``), as SpikingJelly's NAV Gesture conversion does; expelliarmus and Metavision do not; the
dataset classes apply their own convention. faery 0.7 refuses N-CARS files (event type "2d"), and loris
does not install on Python 3.11 with numpy 2, hence this reader.

Timestamps are 32-bit, counted from the header's ``% T0`` (µs; faery writes it, default 0): a step back
of more than 2^31 µs is taken as a counter wrap and unwrapped; any other step back gives stably sorted
events and an `UnsortedTimestampsWarning` naming the byte offset (loris and SpikingJelly drop such events
instead).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurodata.errors import CorruptDataError, EventsError, HeaderError
from neurodata.events import EVENT_DTYPE, SensorSize, check_events
from neurodata.io._common import (
    PACKED_FAST,
    XY_VIEW,
    Buffer,
    PathLike,
    as_buffer,
    empty_events,
    first_backwards,
    preview,
    read_buffer,
    sort_if_needed,
    warn_truncated,
)

RECORD_BYTES = 8
# event types of TD/CD records: 0 (ATIS TD, "Event2d"), 12 (0x0C, Metavision CD)
TD_TYPES = (0x00, 0x0C)
_WRAP = 1 << 32


def parse_dat_header(buf: np.ndarray, name: str) -> tuple[dict[str, str], int]:
    """The ``%`` header of a .dat file as ``{key: value}`` and the byte offset of the first record.

    Keys are the first word of each line (``Version``, ``Width``, ``Height``, ``Date``, ...). The type and
    size bytes after a header are checked here: a size other than 8 or an unknown event type is refused.
    """
    fields: dict[str, str] = {}
    pos = 0
    head = bytes(buf[: 1 << 16])
    while pos < len(head) and head[pos : pos + 1] == b"%":
        nl = head.find(b"\n", pos)
        line = head[pos + 1 : nl if nl >= 0 else len(head)].rstrip(b"\r")
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            break  # a record whose first byte is '%' (x = 37 in version 2): the header ended before it
        if not text.isprintable():
            break
        words = text.split()
        if len(words) >= 2:
            fields.setdefault(words[0], " ".join(words[1:]))
        pos = nl + 1 if nl >= 0 else len(head)
        if nl < 0:
            break
    if pos == 0:
        return fields, 0
    if buf.size < pos + 2:
        raise HeaderError(
            f"{name}: byte {pos}: the header ends without its event type and size bytes "
            f"(file is {buf.size} bytes); the file is cut short"
        )
    ev_type, ev_size = int(buf[pos]), int(buf[pos + 1])
    if ev_size != RECORD_BYTES:
        raise HeaderError(
            f"{name}: byte {pos + 1}: event size {ev_size}; TD .dat files have 8-byte events "
            f"(type byte {ev_type}, next bytes {preview(buf, pos)})"
        )
    if ev_type not in TD_TYPES:
        raise HeaderError(
            f"{name}: byte {pos}: event type {ev_type} is not a TD/CD event type {TD_TYPES}; "
            "only change-detection .dat files are read"
        )
    return fields, pos + 2


def dat_version(fields: dict[str, str], name: str = "<bytes>") -> int:
    """The header's ``Version`` (1 when absent, as loris and sepia read such files)."""
    raw = fields.get("Version")
    if raw is None:
        return 1
    try:
        return int(raw.split()[0])
    except ValueError:
        raise HeaderError(f"{name}: header line '% Version {raw}' is not a version number") from None


def dat_sensor(fields: dict[str, str]) -> SensorSize | None:
    """``SensorSize(Width, Height)`` when the header states both (Metavision's .dat files do), else None."""
    try:
        return SensorSize(int(fields["Width"]), int(fields["Height"]))
    except (KeyError, ValueError):
        return None


def decode_dat(
    data: Buffer,
    *,
    name: str = "<bytes>",
    sensor: SensorSize | None = None,
    version: int | None = None,
    sort: bool = True,
) -> np.ndarray:
    """Decode a TD ``.dat`` file's bytes into `[N]` `EVENT_DTYPE` events (t in µs, sorted, y as stored).

    Args:
        data: the file's bytes.
        name: how errors and warnings name the source.
        sensor: checks every coordinate against it (default: the header's Width/Height when stated).
        version: the record layout (1 or 2); default: the header's ``% Version`` (1 when absent).
        sort: False keeps file order (timestamps may then go back), for readers that drop such events.

    Raises `CorruptDataError` for a coordinate outside the sensor or a polarity other than 0/1 (naming
    the byte offset of the record), `HeaderError` for a damaged header. A trailing partial record gives
    the complete events and a `TruncatedFileWarning`.
    """
    buf = as_buffer(data)
    fields, start = parse_dat_header(buf, name)
    version = dat_version(fields, name) if version is None else version
    sensor = sensor or dat_sensor(fields)
    body = buf[start:]
    n = body.size // RECORD_BYTES
    if body.size % RECORD_BYTES:
        warn_truncated(name, start + n * RECORD_BYTES, f"{body.size % RECORD_BYTES} bytes of an 8-byte event", n)
    if n == 0:
        return empty_events()
    words = np.ndarray((n, 2), dtype="<u4", buffer=body[: n * RECORD_BYTES])
    t32, d = words[:, 0], words[:, 1]
    # reductions (no temporaries) first; the index of a bad record is looked for only when there is one
    x_bits, y_shift, y_bits = (0x1FF, 9, 0xFF) if version < 2 else (0x3FFF, 14, 0x3FFF)
    p_shift = 17 if version < 2 else 28
    if int(d.max(initial=0)) >> p_shift > 1:
        i = int(np.flatnonzero(d >> p_shift > 1)[0])
        raise CorruptDataError(
            f"{name}: byte {start + i * RECORD_BYTES}: record {i} has data word {int(d[i]):#010x}, whose "
            f"{'bits above 17' if version < 2 else 'polarity field'} no version-{version} TD writer sets; "
            "the file is damaged or not a TD .dat file"
        )
    ev = np.empty(n, dtype=EVENT_DTYPE)
    if PACKED_FAST:
        # x and y into one uint32 (x low, y high) as EVENT_DTYPE lays them side by side: one strided write
        xy = d & x_bits
        xy |= (d << (16 - y_shift)) & (y_bits << 16)
        view = ev.view(XY_VIEW)
        view["xy"] = xy
        np.right_shift(d, p_shift, out=view["p"], casting="unsafe")
    else:  # pragma: no cover - big-endian machines
        ev["x"], ev["y"], ev["p"] = d & x_bits, (d >> y_shift) & y_bits, d >> p_shift
    if sensor is not None:
        for field, size in (("x", sensor.width), ("y", sensor.height)):
            v = ev[field]
            if int(v.max()) >= size:
                i = int(np.flatnonzero(v >= size)[0])
                raise CorruptDataError(
                    f"{name}: byte {start + i * RECORD_BYTES}: record {i} has {field} = {int(v[i])}, outside the "
                    f"{sensor.width}x{sensor.height} sensor; wrong sensor size, or a damaged file"
                )
    t = ev["t"]
    t[...] = t32
    if "T0" in fields:
        try:
            t += int(fields["T0"].split()[0])
        except ValueError:
            raise HeaderError(f"{name}: header line '% T0 {fields['T0']}' is not a time in µs") from None
    steps = np.diff(t)
    first_back = -1
    if steps.size and int(steps.min()) < 0:
        wraps = np.flatnonzero(steps < -(1 << 31))
        if wraps.size:
            bump = np.zeros(n, dtype=np.int64)
            bump[wraps + 1] = _WRAP
            t += np.cumsum(bump)
        first_back = first_backwards(t)
    if not sort or first_back < 0:
        return ev
    return sort_if_needed(ev, name, lambda i: start + i * RECORD_BYTES, first_back)


def read_prophesee_dat(
    path: PathLike, *, sensor: SensorSize | None = None, version: int | None = None, sort: bool = True
) -> np.ndarray:
    """Read a Prophesee/ATIS TD ``.dat`` file (N-CARS, NAV Gesture) into `[N]` `EVENT_DTYPE` events.

    See `decode_dat`; coordinates come back as stored (no y flip).
    """
    return decode_dat(read_buffer(path), name=str(path), sensor=sensor, version=version, sort=sort)


def read_dat_header(path: PathLike) -> dict[str, str]:
    """The ``%`` header fields of a .dat file (``Version``, ``Width``, ...), without decoding the events."""
    with Path(path).open("rb") as f:
        head = np.frombuffer(f.read(1 << 16), dtype=np.uint8)
    return parse_dat_header(head, str(path))[0]


def encode_dat(
    events: np.ndarray, *, version: int = 2, sensor: SensorSize | None = None, header: tuple[str, ...] = ()
) -> bytes:
    """Encode `[N]` `EVENT_DTYPE` events as a TD ``.dat`` file (event type 0, 8-byte records).

    Args:
        version: 1 (9-bit x, 8-bit y, as kAER wrote NAV Gesture) or 2 (14-bit x and y, as N-CARS).
        sensor: written as ``% Width`` / ``% Height`` lines (version 2) and checked against the events.
        header: extra ``%`` lines (without the ``% `` prefix), written after the version line.

    Timestamps must lie within 2^32 µs of each other (the records store 32 bits); when the last is 2^32 µs
    or later, a ``% T0`` header line (as faery writes) holds the first and the records count from it.
    """
    check_events(events, sensor, where="encode_dat")
    if version not in (1, 2):
        raise ValueError(f"version must be 1 or 2, got {version!r}")
    limits = (511, 255) if version == 1 else (16383, 16383)
    for field, limit in zip(("x", "y"), limits, strict=True):
        if events.size and int(events[field].max()) > limit:
            i = int(np.argmax(events[field] > limit))
            raise EventsError(
                f"encode_dat: field {field!r} at index {i} is {int(events[field][i])}; version {version} stores "
                f"0..{limit}"
            )
    t = events["t"]
    t0 = int(t[0]) if events.size and t[-1] >= _WRAP else 0
    if events.size and (t[0] < 0 or t[-1] - t0 >= _WRAP):
        i = 0 if t[0] < 0 else int(np.argmax(t - t0 >= _WRAP))
        raise EventsError(
            f"encode_dat: field 't' at index {i} is {int(t[i])}; .dat stores t >= 0 within 2^32 µs of the first"
        )
    lines = [f"% Version {version}", *(f"% {h}" for h in header)] + ([f"% T0 {t0}"] if t0 else [])
    if sensor is not None and version >= 2:
        lines += [f"% Width {sensor.width}", f"% Height {sensor.height}"]
    x, y, p = (events[k].astype(np.uint32) for k in ("x", "y", "p"))
    data = x | (y << 9) | (p << 17) if version == 1 else x | (y << 14) | (p << 28)
    words = np.empty((events.size, 2), dtype="<u4")
    words[:, 0], words[:, 1] = t - t0, data
    return ("\n".join(lines) + "\n").encode("ascii") + bytes([0, RECORD_BYTES]) + words.tobytes()


def write_prophesee_dat(
    path: PathLike, events: np.ndarray, sensor: SensorSize | None = None, *, version: int = 2
) -> None:
    """Write `[N]` `EVENT_DTYPE` events to a TD ``.dat`` file (see `encode_dat`)."""
    Path(path).write_bytes(encode_dat(events, version=version, sensor=sensor))
