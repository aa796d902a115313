"""Where a dataset's raw files are: its archives, or a tree that is already extracted, and what keys it.

A built-in dataset reads its archives from ``root/download`` when all of them are there. Without them it
accepts a tree extracted by hand or by another tool: SpikingJelly's layout (``root/extract/...``) or the
official one (the archive's contents straight under ``root``). A tree is read in place, never moved or
written to; its listing (relative paths, sizes, modification times) keys the event store, so a changed tree
is decoded again instead of serving old events.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from neurodata.errors import CacheError


@dataclass(frozen=True)
class Source:
    """The raw files a preparation reads.

    Attributes:
        kind: ``'archives'`` (verified archives in ``root/download``) or ``'tree'`` (an extracted tree).
        path: the download folder, or the top of the tree.
        key: what the event store is keyed by besides the dataset version ('' for verified archives, whose
            checksums are fixed by the dataset; the listing digest of a tree).
    """

    kind: str
    path: Path
    key: str = ""


def tree_digest(top: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """16 hex digits over the sorted (relative path, size, mtime) of the files under `top`.

    Only files whose suffix is in `suffixes` count (all when None); hidden files and folders never count.
    """
    h = hashlib.sha256()
    rows = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or (suffixes is not None and Path(name).suffix.lower() not in suffixes):
                continue
            p = Path(folder) / name
            st = p.stat()
            rows.append(f"{p.relative_to(top).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}")
    for row in sorted(rows):
        h.update(row.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()[:16]


def ensure_writable(folder: Path, what: str) -> Path:
    """Create `folder` (and parents) or raise a `CacheError` saying how to put the derived files elsewhere."""
    fix = "pass cache_dir= (on the command line `--cache DIR`) to keep event stores and frames where you can write"
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    # a folder without any write bit is read-only by intent, even for a user (root) whom the OS would let write
    if existing.is_dir() and not existing.stat().st_mode & 0o222:
        raise CacheError(f"cannot write {what} under {folder}: {existing} is read-only; {fix}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        Path(probe).unlink()
    except OSError as err:
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        raise CacheError(f"cannot write {what} under {folder} ({err.strerror}); {fix}") from None
    return folder
