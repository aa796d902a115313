"""Write multi-volume RAR 4 archives of stored (uncompressed) members, for ES-ImageNet's miniature.

ES-ImageNet is published as RAR volumes ``ES-imagenet-0.18.partNN.rar``. RAR archives can only be created
by RARLAB's proprietary tool; the stored method (0x30) needs no compression, so its block layout (from
the RAR 4 technical note: marker block, archive header, one file header per member or member part, end
of archive block) is written here. `rarfile` reads such archives without any external tool, which lets
the miniature go through the same reader as the real archives (whose compressed members rarfile passes
to ``unrar``, ``unar``, ``7z`` or ``bsdtar``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

MARKER = b"Rar!\x1a\x07\x00"
_MAIN, _FILE, _END = 0x73, 0x74, 0x7B
_MHD_VOLUME, _MHD_NEWNUMBERING, _MHD_FIRSTVOLUME = 0x0001, 0x0010, 0x0100
_LHD_SPLIT_BEFORE, _LHD_SPLIT_AFTER, _LONG_BLOCK = 0x0001, 0x0002, 0x8000
_EARC_NEXT_VOLUME = 0x0001
_DOS_TIME = (2021 - 1980) << 25 | 1 << 21 | 1 << 16  # 2021-01-01 00:00:00
_HOST_UNIX, _UNP_VER, _METHOD_STORE = 3, 29, 0x30
_MODE = 0o100644


def _block(head_type: int, flags: int, body: bytes) -> bytes:
    """One block: CRC16 (low half of the CRC-32 of type..end), type, flags, size, body."""
    rest = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest


def _file_block(name: bytes, part: bytes, size: int, crc: int, flags: int) -> bytes:
    fields = (len(part), size, _HOST_UNIX, crc, _DOS_TIME, _UNP_VER, _METHOD_STORE, len(name), _MODE)
    body = struct.pack("<IIBIIBBHI", *fields)
    return _block(_FILE, flags | _LONG_BLOCK, body + name) + part


def volume_names(stem: str, count: int) -> list[str]:
    """``<stem>.part01.rar`` .. (two digits up to 99 volumes, as RAR names them)."""
    width = max(2, len(str(count)))
    return [f"{stem}.part{k + 1:0{width}d}.rar" for k in range(count)]


def write_rar_volumes(
    folder: Path, stem: str, members: Sequence[tuple[str, bytes]], *, volume_bytes: int = 1 << 20
) -> list[str]:
    """Write `members` (archive path, data) as stored RAR 4 volumes of about `volume_bytes` each.

    A member that does not fit the current volume is split across volumes (its parts flagged as RAR
    does; the last part carries the CRC-32 of the whole member). Returns the volume file names in order.
    """
    if volume_bytes < 1024:
        raise ValueError(f"volume_bytes must be at least 1024, got {volume_bytes}")
    volumes: list[list[bytes]] = [[]]
    used = 0
    for name, data in members:
        raw_name = name.encode("utf-8")
        if len(raw_name) != len(name):
            raise ValueError(f"member name {name!r} must be ASCII (stored RAR 4 headers here carry no Unicode name)")
        whole_crc = zlib.crc32(data)
        offset = 0
        while True:
            room = max(1, volume_bytes - used - 64 - len(raw_name))
            part = data[offset : offset + room]
            last = offset + len(part) >= len(data)
            flags = (_LHD_SPLIT_BEFORE if offset else 0) | (0 if last else _LHD_SPLIT_AFTER)
            crc = whole_crc if last else zlib.crc32(part)
            block = _file_block(raw_name, part, len(data), crc, flags)
            volumes[-1].append(block)
            used += len(block)
            offset += len(part)
            if last:
                break
            volumes.append([])
            used = 0
        if used >= volume_bytes - 128 and (name, data) is not members[-1]:
            volumes.append([])
            used = 0
    if not volumes[-1] and len(volumes) > 1:
        volumes.pop()
    names = volume_names(stem, len(volumes))
    multi = len(volumes) > 1
    for k, (fname, blocks) in enumerate(zip(names, volumes, strict=True)):
        flags = (_MHD_VOLUME | _MHD_NEWNUMBERING | (_MHD_FIRSTVOLUME if k == 0 else 0)) if multi else 0
        main = _block(_MAIN, flags, bytes(6))
        end = _block(_END, _EARC_NEXT_VOLUME if k < len(volumes) - 1 else 0, b"")
        (Path(folder) / fname).write_bytes(MARKER + main + b"".join(blocks) + end)
    return names
