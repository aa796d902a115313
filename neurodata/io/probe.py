"""What a raw file's header says about its sensor, without decoding its events.

`header_sensor(path)` reads the first 64 kB and returns the `SensorSize` the header states, or None when the
format does not store it (ATIS .bin) or the header does not say:

=========  ==================================================================
aedat2     the ``# AEChip:`` class name (DVS128, DAVIS240/346/640)
aedat31    a ``#Source N: <chip>`` line
aedat4     the ``sizeX`` / ``sizeY`` attributes of the first event stream
es         the width and height fields of a DVS or ATIS stream header
dat        ``% Width`` and ``% Height`` lines
evt        ``% geometry WxH`` or ``width=``/``height=`` in ``% format``
=========  ==================================================================
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from neurodata.events import SensorSize
from neurodata.io._common import PathLike
from neurodata.io.aedat2 import sensor_of_chip

_HEAD = 1 << 16


def _text_lines(head: bytes, prefix: bytes) -> list[str]:
    return [ln.decode("ascii", "replace").strip() for ln in head.split(b"\n") if ln.startswith(prefix)]


def header_sensor(path: PathLike, format: str) -> SensorSize | None:
    """The sensor size the header of `path` (a file of `format`, a key of `neurodata.io.FORMATS`) states."""
    with Path(path).open("rb") as f:
        head = f.read(_HEAD)
    size: tuple[int, int] | None = None
    if format in ("aedat2", "aedat31"):
        for line in _text_lines(head, b"#"):
            m = re.match(r"#\s*(AEChip:|Source \d+:)\s*(\S+)", line)
            if m and (size := sensor_of_chip(m.group(2))) is not None:
                break
    elif format == "aedat4":
        xs, ys = re.search(rb'"sizeX"[^>]*>(\d+)<', head), re.search(rb'"sizeY"[^>]*>(\d+)<', head)
        if xs and ys:
            size = (int(xs.group(1)), int(ys.group(1)))
    elif format == "es":
        # "Event Stream", 3 version bytes, a type byte (1 DVS, 2 ATIS), then little-endian uint16 width, height
        if head.startswith(b"Event Stream") and len(head) >= 20 and head[15] in (1, 2):
            size = struct.unpack_from("<HH", head, 16)
    elif format == "dat":
        fields = {}
        for line in _text_lines(head, b"%"):
            m = re.match(r"%\s*(Width|Height)\s+(\d+)", line, re.I)
            if m:
                fields[m.group(1).lower()] = int(m.group(2))
        if {"width", "height"} <= set(fields):
            size = (fields["width"], fields["height"])
    elif format == "evt":
        text = "\n".join(_text_lines(head, b"%"))
        m = re.search(r"geometry\s+(\d+)x(\d+)", text)
        w, h = re.search(r"width=(\d+)", text), re.search(r"height=(\d+)", text)
        if m:
            size = (int(m.group(1)), int(m.group(2)))
        elif w and h:
            size = (int(w.group(1)), int(h.group(1)))
    if size is None or min(size) < 1:
        return None
    return SensorSize(int(size[0]), int(size[1]))
