"""jAER AEDAT 2.0 files (CIFAR10-DVS, DVS128 and DAVIS recordings): vectorized reader and writer.

``#`` text lines opened by ``#!AER-DAT2.0``, then big-endian ``uint32 address, uint32 timestamp``
pairs. Address layouts (``layout=``):

- ``"dvs128"``: bit 0 polarity, bits 1-7 x, bits 8-14 y; bit 15 marks a special (sync) event, which
  is skipped. An address with any higher bit set belongs to another chip and is refused.
- ``"davis"`` (DAVIS240/346/640): bit 31 set = APS or IMU sample, bit 10 set = external input, both
  skipped; bit 11 polarity, bits 12-21 x, bits 22-30 y. A polarity event beyond 640x480 (the
  largest DAVIS) is refused as corrupt.

Without ``layout=``, the header's ``# AEChip:`` line decides: a DAVIS chip class gives ``"davis"``,
anything else (a DVS128, or no such line) ``"dvs128"``.

Orientation for ``"dvs128"`` (``orientation=``): ``"raw"`` (default) keeps the address bits
(``x = x_raw, y = y_raw, p = pol_raw``), as jAER shows a recording; ``"cifar10dvs"`` is SpikingJelly's
CIFAR10-DVS convention ``x = 127 - y_raw, y = 127 - x_raw, p = 1 - pol_raw``, which only that dataset
uses (`neurodata.datasets.CIFAR10DVS` asks for it), so published caches and models agree with ours. The
``"davis"`` layout is always raw. Timestamps are 32-bit; a step back of more than 2^31 µs is taken
as a counter wrap and unwrapped.

Timestamps are returned as stored (no re-zeroing), in µs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from neurodata.errors import CorruptDataError, EventsError, HeaderError
from neurodata.events import EVENT_DTYPE, check_events
from neurodata.io._common import (
    Buffer,
    PathLike,
    as_buffer,
    empty_events,
    preview,
    read_buffer,
    sort_if_needed,
    split_header,
    warn_truncated,
)

Layout = Literal["dvs128", "davis"]
Orientation = Literal["cifar10dvs", "raw"]
LAYOUTS: tuple[str, ...] = ("dvs128", "davis")
DAVIS_MAX = (640, 480)  # the largest DAVIS (DAVIS640): a coordinate beyond it means a corrupt record
ORIENTATIONS: tuple[str, ...] = ("cifar10dvs", "raw")

AEDAT2_MAGIC = b"#!AER-DAT2.0"


def _where(name: str, offset: int) -> str:
    return f"{name}: byte {offset}"


def _jaer_header(buf: np.ndarray, name: str) -> tuple[int, str]:
    """(byte offset of the first record, the AEChip named in the header or '')."""
    if bytes(buf[: len(AEDAT2_MAGIC)]) != AEDAT2_MAGIC:
        raise HeaderError(
            f"{_where(name, 0)}: expected the AEDAT 2.0 magic line {AEDAT2_MAGIC.decode()!r}, found {preview(buf, 0)}"
        )
    # jAER's rule: the header is every line that starts with '#'
    lines, pos, _ = split_header(buf)
    chip = next((ln[len(b"# AEChip:") :].strip() for ln in lines if ln.startswith(b"# AEChip:")), b"")
    return pos, chip.decode("ascii", "replace")


def layout_of_chip(chip: str) -> str:
    """The address layout of a jAER ``AEChip`` class name: ``'davis'`` for DAVIS chips, else ``'dvs128'``."""
    return "davis" if "davis" in chip.lower() else "dvs128"


def sensor_of_chip(chip: str) -> tuple[int, int] | None:
    """(width, height) of the sensor a jAER ``AEChip`` class (or cAER source) name says, if it says one."""
    name = chip.rsplit(".", 1)[-1].upper()
    for tag, size in (("DVS128", (128, 128)), ("DAVIS640", (640, 480)), ("DAVIS346", (346, 260)),
                      ("DAVIS240", (240, 180)), ("DAVIS208", (208, 192)), ("DAVIS128", (128, 128))):
        if tag in name:
            return size
    return None


def _check_layout(layout: str, orientation: str | None) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {list(LAYOUTS)}, got {layout!r}")
    if orientation is None:
        return "raw"
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {list(ORIENTATIONS)}, got {orientation!r}")
    if layout == "davis" and orientation != "raw":
        raise ValueError(f"layout='davis' supports only orientation='raw', got {orientation!r}")
    return orientation


def decode_aedat2(
    data: Buffer,
    *,
    layout: Layout | None = None,
    orientation: Orientation | None = None,
    name: str = "<bytes>",
) -> np.ndarray:
    """Decode AEDAT 2.0 bytes into `[N]` `EVENT_DTYPE` events (t in µs, sorted).

    Args:
        data: the file's bytes (bytes or a uint8 array).
        layout: the address layout, "dvs128" (CIFAR10-DVS, DVS128) or "davis" (DAVIS240/346); None: from
            the header's AEChip line (see the module docstring).
        orientation: "raw" (default) or "cifar10dvs" (SpikingJelly's CIFAR10-DVS convention).
        name: how errors and warnings name the source.

    Raises `HeaderError` without the ``#!AER-DAT2.0`` line and `CorruptDataError` for an address
    outside the layout (a DAVIS recording read as DVS128, APS/IMU records); a trailing partial
    record gives the complete events and a `TruncatedFileWarning`.
    """
    buf = as_buffer(data)
    pos, chip = _jaer_header(buf, name)
    layout = layout or layout_of_chip(chip)  # type: ignore[assignment]
    orientation = _check_layout(layout, orientation)
    body = buf.size - pos
    n = body // 8
    if body % 8:
        warn_truncated(name, pos + 8 * n, f"{body % 8} bytes of an 8-byte address/timestamp record", n)
    if n == 0:
        return empty_events()
    words = np.frombuffer(buf, dtype=">u4", count=2 * n, offset=pos).reshape(n, 2)
    addr, ts = words[:, 0].astype(np.uint32), words[:, 1]
    keep: np.ndarray | None = None
    if layout == "dvs128":
        top = int(addr.max())
        if top > 0xFFFF:
            i = int(np.argmax(addr > 0xFFFF))
            raise CorruptDataError(
                f"{_where(name, pos + 8 * i)}: address 0x{int(addr[i]):08x} has bits above bit 15 set, "
                f"so it is not a DVS128 address (header AEChip: {chip or 'not given'}); pass "
                "layout='davis' for DAVIS240/346 recordings"
            )
        if top >= 0x8000:
            keep = np.flatnonzero(addr < 0x8000)  # bit 15: special (sync) events
        x_raw = (addr >> 1) & 0x7F
        y_raw = (addr >> 8) & 0x7F
        pol = addr & 1
        if orientation == "cifar10dvs":
            x, y, p = 127 - y_raw, 127 - x_raw, 1 - pol
        else:
            x, y, p = x_raw, y_raw, pol
    else:
        dvs = (addr & 0x80000400) == 0  # bit 31: APS/IMU, bit 10: external input
        x, y, p = (addr >> 12) & 0x3FF, (addr >> 22) & 0x1FF, (addr >> 11) & 1
        outside = dvs & ((x >= DAVIS_MAX[0]) | (y >= DAVIS_MAX[1]))
        if outside.any():
            i = int(np.argmax(outside))
            raise CorruptDataError(
                f"{_where(name, pos + 8 * i)}: address 0x{int(addr[i]):08x} decodes to x={int(x[i])}, "
                f"y={int(y[i])}, outside every DAVIS sensor (the largest is {DAVIS_MAX[0]}x{DAVIS_MAX[1]})"
            )
        keep = None if dvs.all() else np.flatnonzero(dvs)
    t = ts.astype(np.int64)
    wrapped = t[1:] < t[:-1] - (1 << 31)  # a step back of more than 2^31 µs: the counter wrapped
    if wrapped.any():
        t[1:] += np.cumsum(wrapped, dtype=np.int64) << 32
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"], ev["p"] = t, x, y, p
    if keep is not None:
        ev = ev[keep]
        return sort_if_needed(ev, name, lambda i: pos + 8 * int(keep[i]))
    return sort_if_needed(ev, name, lambda i: pos + 8 * i)


def read_aedat2(
    path: PathLike, *, layout: Layout | None = None, orientation: Orientation | None = None
) -> np.ndarray:
    """Read an AEDAT 2.0 file (CIFAR10-DVS, jAER DVS128/DAVIS) into `[N]` `EVENT_DTYPE` events, t in µs.

    See `decode_aedat2` for the layouts, orientations and errors.
    """
    return decode_aedat2(read_buffer(path), layout=layout, orientation=orientation, name=str(path))


_CHIPS = {"dvs128": "ch.unizh.ini.jaer.chip.retina.DVS128", "davis": "eu.seebetter.ini.chips.davis.DAVIS240C"}


def encode_aedat2(
    events: np.ndarray,
    *,
    layout: Layout = "dvs128",
    orientation: Orientation | None = None,
    header_lines: Sequence[str] = (),
) -> bytes:
    """Encode `[N]` `EVENT_DTYPE` events as an AEDAT 2.0 file (bytes); the inverse of `decode_aedat2`.

    Timestamps are written modulo 2^32 like jAER's counter, so the first must be below 2^32 and
    consecutive events less than 2^31 µs apart. `header_lines` are extra ``#`` lines.
    """
    orientation = _check_layout(layout, orientation)
    check_events(events, where="encode_aedat2")
    n = events.size
    t = events["t"]
    if n and not 0 <= t[0] < 1 << 32:
        raise EventsError(f"encode_aedat2: field 't' at index 0 is {t[0]}; AEDAT 2.0 starts in 0..2^32-1")
    if n > 1:
        gap = np.diff(t)
        if gap.max() >= 1 << 31:
            i = int(np.argmax(gap >= 1 << 31)) + 1
            raise EventsError(
                f"encode_aedat2: field 't' jumps by {int(gap[i - 1])} µs at index {i}; AEDAT 2.0's "
                "32-bit counter can only be unwrapped for steps below 2^31 µs"
            )
    limits = {"dvs128": (127, 127), "davis": (DAVIS_MAX[0] - 1, DAVIS_MAX[1] - 1)}[layout]
    for field, limit in zip(("x", "y"), limits, strict=True):
        if n and events[field].max() > limit:
            i = int(np.argmax(events[field] > limit))
            raise EventsError(
                f"encode_aedat2: field {field!r} at index {i} is {events[field][i]}; "
                f"layout {layout!r} stores 0..{limit}"
            )
    x = events["x"].astype(np.uint32)
    y = events["y"].astype(np.uint32)
    p = events["p"].astype(np.uint32)
    words = np.empty((n, 2), dtype=">u4")
    if layout == "dvs128":
        if orientation == "cifar10dvs":
            x, y, p = 127 - y, 127 - x, 1 - p
        words[:, 0] = (y << 8) | (x << 1) | p
    else:
        words[:, 0] = (y << 22) | (x << 12) | (p << 11)
    words[:, 1] = t & 0xFFFFFFFF
    lines = [
        "#!AER-DAT2.0",
        "# This is a raw AE data file - do not edit",
        "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
        "# Timestamps tick is 1 us",
        f"# AEChip: {_CHIPS[layout]}",
        *(line if line.startswith("#") else f"# {line}" for line in header_lines),
    ]
    return "".join(f"{line}\r\n" for line in lines).encode("ascii") + words.tobytes()


def write_aedat2(
    path: PathLike,
    events: np.ndarray,
    *,
    layout: Layout = "dvs128",
    orientation: Orientation | None = None,
    header_lines: Sequence[str] = (),
) -> None:
    """Write `[N]` `EVENT_DTYPE` events to an AEDAT 2.0 file (see `encode_aedat2`)."""
    data = encode_aedat2(events, layout=layout, orientation=orientation, header_lines=header_lines)
    Path(path).write_bytes(data)
