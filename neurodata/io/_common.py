"""Helpers shared by the raw-format decoders: file reading, text headers, warnings, sorting."""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from neurodata.errors import TruncatedFileWarning, UnsortedTimestampsWarning
from neurodata.events import EVENT_DTYPE

PathLike = str | os.PathLike[str]
Buffer = bytes | bytearray | memoryview | np.ndarray

# EVENT_DTYPE seen with x and y as one little-endian uint32 (x in the low half, y in the high half)
# and p as uint8: one strided write sets both coordinates, and p needs no signed cast. It needs x
# and y adjacent in a little-endian machine; `PACKED_FAST` says whether the decoders may use it.
_OFFSETS = {name: EVENT_DTYPE.fields[name][1] for name in EVENT_DTYPE.names}
XY_VIEW = np.dtype(
    {
        "names": ["t", "xy", "p"],
        "formats": ["<i8", "<u4", "u1"],
        "offsets": [_OFFSETS["t"], _OFFSETS["x"], _OFFSETS["p"]],
        "itemsize": EVENT_DTYPE.itemsize,
    }
)
PACKED_FAST = sys.byteorder == "little" and _OFFSETS["y"] == _OFFSETS["x"] + 2
# events per block in the blocked decoders: a block's temporaries and output stay in L2
BLOCK = 1 << 16

# warnings.warn's stacklevel for helpers called from a decoder (helper -> decode_* -> read_* -> caller)
_STACKLEVEL = 4


def read_buffer(path: PathLike) -> np.ndarray:
    """The whole file as a `[size]` uint8 array.

    numpy backs large arrays with huge pages, so reading into one is about twice as fast as
    `Path.read_bytes` (whose bytes object is first-touched page by page).
    """
    with Path(path).open("rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        buf = np.empty(size, dtype=np.uint8)
        got = f.readinto(buf) if size else 0
    return buf[:got]


def as_buffer(data: Buffer) -> np.ndarray:
    """A zero-copy `[size]` uint8 view of `data`."""
    if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
        return data
    return np.frombuffer(data, dtype=np.uint8)


HeaderEnd = Literal["marker", "body", "eof"]


_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _is_text(line: bytes) -> bool:
    if _CONTROL.search(line):
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def split_header(buf: np.ndarray, stop_line: bytes | None = None) -> tuple[list[bytes], int, HeaderEnd]:
    """Split the ``#`` text header off the front of `buf`.

    The header is the run of text lines that start with ``#``. Returns (lines without their line
    ends, byte offset where the header stops, why it stopped): "marker" after a line equal to
    `stop_line`, "body" at the first line that does not start with ``#`` or is not text, "eof" at
    the end of the data (the last line may then lack its newline).

    jAER ends an AEDAT 2.0 header at the first line not starting with ``#``, so a first record whose
    first byte is 0x23 would be swallowed; requiring text (UTF-8, no control characters) tells such
    a binary record from a header line, as SpikingJelly's reader does with its decode check.
    """
    limit = 1 << 16
    while True:
        # headers are a few kB: decode a prefix as bytes and grow it only if the header runs past it
        head = bytes(buf[:limit])
        complete = limit >= buf.size
        lines: list[bytes] = []
        pos = 0
        while True:
            if pos >= len(head):
                if complete:
                    return lines, pos, "eof"
                break
            if head[pos] != ord("#"):
                return lines, pos, "body"
            nl = head.find(b"\n", pos)
            if nl < 0:
                if not complete:
                    break
                line = head[pos:].rstrip(b"\r")
                if not _is_text(line):
                    return lines, pos, "body"
                lines.append(line)
                return lines, len(head), "eof"
            line = head[pos:nl].rstrip(b"\r")
            if not _is_text(line):
                return lines, pos, "body"
            lines.append(line)
            pos = nl + 1
            if stop_line is not None and line == stop_line:
                return lines, pos, "marker"
        limit *= 4


def preview(buf: np.ndarray, offset: int, size: int = 24) -> str:
    """`repr` of the bytes at `offset`, for error messages."""
    return repr(bytes(buf[offset : offset + size]))


def warn_truncated(name: str, offset: int, what: str, n_events: int) -> None:
    """Warn that `name` ends inside a record at byte `offset`; `n_events` complete events are returned."""
    warnings.warn(
        TruncatedFileWarning(
            f"{name}: truncated at byte {offset}: {what}; returning the {n_events} events fully present"
        ),
        stacklevel=_STACKLEVEL,
    )


def empty_events() -> np.ndarray:
    """A `[0]` array of `EVENT_DTYPE`."""
    return np.empty(0, dtype=EVENT_DTYPE)


def first_backwards(t: np.ndarray) -> int:
    """Index of the first timestamp smaller than its predecessor, or -1 when `t` is non-decreasing."""
    if t.size < 2:
        return -1
    back = t[1:] < t[:-1]
    if not back.any():
        return -1
    return int(np.argmax(back)) + 1


def block_backwards(t: np.ndarray, first: int, previous: int | None, scratch: np.ndarray) -> int:
    """Global index of the first step back inside the contiguous block `t` (which starts at event
    `first`, after an event with timestamp `previous`), or -1; `scratch` is a bool buffer."""
    if previous is not None and t.size and t[0] < previous:
        return first
    if t.size < 2:
        return -1
    back = scratch[: t.size - 1]
    np.less(t[1:], t[:-1], out=back)
    if back.any():
        return first + 1 + int(np.argmax(back))
    return -1


def sort_if_needed(
    events: np.ndarray,
    name: str,
    offset_of: Callable[[int], int] | None = None,
    first_back: int | None = None,
) -> np.ndarray:
    """Return `events` sorted by t, stably; warn naming the first step back when a sort was needed.

    Args:
        events: `[N]` decoded events in file order.
        name: file name for the warning.
        offset_of: maps an event index to its byte offset in the file, to say where time goes back.
        first_back: `first_backwards(events["t"])` when the caller already knows it.
    """
    i = first_backwards(events["t"]) if first_back is None else first_back
    if i < 0:
        return events
    where = f"byte {offset_of(i)}" if offset_of is not None else f"event {i}"
    warnings.warn(
        UnsortedTimestampsWarning(
            f"{name}: timestamps go backwards at {where} (event {i}: t={int(events['t'][i])} after "
            f"t={int(events['t'][i - 1])}); the events were sorted by t, keeping file order among ties"
        ),
        stacklevel=_STACKLEVEL,
    )
    return events[np.argsort(events["t"], kind="stable")]
