"""Checksummed sample files: the one container of the event store and of every frame cache.

A sample file is an HDF5 file holding

* ``blob``: every sample's encoded bytes, back to back (uint8);
* ``spans`` `[N, 2]` int64 (start, length in the blob) and ``digests`` `[N]` uint64: the xxh3-64 digest of
  each sample's bytes;
* *tables*: every other dataset (codec indexes, offsets, labels, metadata), read whole when the file opens;
* attributes: what the file holds (``kind``, codec, format version, the parameters it was built with, the
  digests of its sources), and ``tables_digest``, written last, over every table and every other attribute.

What is checked, when (`SampleFile`): on open, that the file is complete and its tables and attributes match
``tables_digest``; on every read of sample i, that its bytes match ``digests[i]``. So a damaged bit anywhere
in what is served is a `CacheError` naming the file and the sample, never a wrong sample: a flip in the blob
fails that sample's digest, a flip in a table or attribute fails the open, and a flip in HDF5's own
structures either fails inside h5py (wrapped in the same error) or moves a read to other bytes, which then
fail the digest. xxh3-64 was measured against the alternatives on 60 KB frame samples: 0.6 µs per sample
(zlib.crc32 18 µs, crc32c 2.2 µs, xxh64 2.8 µs, sha256 96 µs), against ~500 µs to decode one.

Files are written under a temporary name and renamed into place when complete (`atomic_file`), so a
half-written file is never opened as valid, and handles are opened lazily in each process (`LazyH5`), so
readers are safe in DataLoader worker processes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xxhash

from neurodata.errors import CacheError

log = logging.getLogger(__name__)

DIGEST = "xxh3_64"


def digest(data: Any) -> int:
    """The xxh3-64 digest of a bytes-like object, as an int (what ``digests`` stores)."""
    return xxhash.xxh3_64_intdigest(data)


def repair_hint(path: Path) -> str:
    """What a user does about a damaged cache file."""
    return f"repair it with `neurodata verify <dataset> --cache --root <root>`, or delete {path} and prepare again"


# ------------------------------------------------------------------------------------------------ writing


def tmp_name(final: Path) -> Path:
    """``.<name>.partial-<pid>`` beside `final`: where a build writes before renaming into place."""
    return final.with_name(f".{final.name}.partial-{os.getpid()}")


def remove_stale_temporaries(final: Path) -> None:
    """Delete the temporaries interrupted builds of `final` left (any process's)."""
    for stale in final.parent.glob(f".{final.name}.partial-*"):
        log.info("removing %s left by an interrupted build", stale)
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 3600.0) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as f:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            deadline = time.monotonic() + timeout
            while True:
                try:
                    msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise CacheError(f"timed out waiting for the lock {path}") from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write `path` to; it is renamed into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    tmp = tmp_name(path)
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class SampleWriter:
    """Appends samples' encoded bytes to the ``blob`` of a new file, recording each one's span and digest.

    Samples are gathered into large appends. `close` writes ``spans`` and ``digests``; `seal` (after every
    other table and attribute is written) writes ``tables_digest``.
    """

    _FLUSH = 32 << 20  # encoded bytes gathered before an append

    def __init__(self, f: h5py.File) -> None:
        # the file grows by whole chunks: 64 KiB ones waste little (1 MiB ones added up to 20% to a cache)
        self._ds = f.create_dataset("blob", shape=(0,), maxshape=(None,), dtype=np.uint8, chunks=(1 << 16,))
        self._f = f
        self._pending: list[bytes] = []
        self._written = self._queued = 0
        self.spans: list[tuple[int, int]] = []
        self.digests: list[int] = []

    def __len__(self) -> int:
        return len(self.spans)

    def add(self, *parts: bytes) -> None:
        """Append one sample: `parts` back to back (its codec's index says where each ends)."""
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.spans.append((self._written + self._queued, len(data)))
        self.digests.append(digest(data))
        self._pending.append(data)
        self._queued += len(data)
        if self._queued >= self._FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self._queued:
            self._ds.resize((self._written + self._queued,))
            self._ds[self._written :] = np.frombuffer(b"".join(self._pending), dtype=np.uint8)
            self._written, self._queued = self._written + self._queued, 0
            self._pending.clear()

    def close(self) -> None:
        """Write what is queued, then the ``spans`` and ``digests`` tables."""
        self._flush()
        self._f["spans"] = np.asarray(self.spans, dtype=np.int64).reshape(-1, 2)
        self._f["digests"] = np.asarray(self.digests, dtype=np.uint64)


def _tables(f: h5py.File) -> dict[str, np.ndarray]:
    """Every dataset except ``blob``, by its full name, read whole."""
    out: dict[str, np.ndarray] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and name != "blob":
            out[name] = obj[()]

    f.visititems(visit)
    return out


def _tables_digest(tables: dict[str, np.ndarray], attrs: dict[str, Any]) -> str:
    h = xxhash.xxh3_128()
    for name in sorted(tables):
        a = np.asarray(tables[name])
        h.update(f"\0table {name} {a.dtype.str if a.dtype.kind != 'O' else 'O'} {a.shape}\0".encode())
        if a.dtype.kind == "O":  # variable-length strings
            for v in a.reshape(-1):
                b = v if isinstance(v, bytes) else str(v).encode()
                h.update(len(b).to_bytes(8, "little") + b)
        else:
            h.update(np.ascontiguousarray(a).tobytes())
    for name in sorted(set(attrs) - {"tables_digest"}):
        h.update(f"\0attr {name} ".encode() + json.dumps(np.asarray(attrs[name]).tolist()).encode())
    return h.hexdigest()


def seal(f: h5py.File) -> None:
    """Write ``tables_digest`` over every table and attribute of `f` (call it last)."""
    f.attrs["tables_digest"] = _tables_digest(_tables(f), dict(f.attrs))


# ------------------------------------------------------------------------------------------------ reading


class LazyH5:
    """An HDF5 file opened on first use in each process (a handle must not cross a fork)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: h5py.File | None = None
        self._pid = -1
        self._datasets: dict[str, tuple[h5py.File, h5py.Dataset]] = {}

    @property
    def file(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():
            # no chunk cache: a sample is read once per epoch, caching only adds a copy
            self._file = h5py.File(self.path, "r", rdcc_nbytes=0)
            self._pid = os.getpid()
        return self._file

    def dataset(self, name: str) -> h5py.Dataset:
        """``file[name]``, looked up once per process (the lookup costs more than a small read)."""
        f = self.file
        if name not in self._datasets or self._datasets[name][0] is not f:
            self._datasets[name] = (f, f[name])
        return self._datasets[name][1]

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_file": None, "_pid": -1, "_datasets": {}}

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None
        self._datasets.clear()


def check_complete(path: Path) -> None:
    """Raise `CacheError` unless `path` is a readable HDF5 file whose build finished."""
    if not path.exists():
        raise CacheError(f"{path} does not exist; run the dataset's prepare step")
    try:
        with h5py.File(path, "r") as f:
            if not f.attrs.get("complete", False):
                raise CacheError(f"{path} is incomplete (an interrupted build); delete it and prepare again")
    except OSError as err:
        raise CacheError(f"{path} is not a readable HDF5 file ({err}); delete it and prepare again") from err


class SampleFile:
    """Read side of a sample file: checked tables and attributes, and `raw(i)`, sample i's checked bytes.

    Args:
        path: the file.
        kind: what it must hold (its ``kind`` attribute, e.g. ``"events"`` or ``"frames"``).
        expect: attributes that must have these values (JSON-comparable): the parameters and source digests
            the caller's key stands for. A file built from anything else is refused, so a copied-in or
            stale file is never served.
    """

    def __init__(self, path: Path, kind: str, expect: dict[str, Any] | None = None) -> None:
        path = Path(path)
        check_complete(path)
        self._h5 = LazyH5(path)
        try:
            f = self._h5.file
            self.attrs: dict[str, Any] = dict(f.attrs)
            self.tables = _tables(f)
            has_blob = "blob" in f
        except (OSError, KeyError, ValueError, RuntimeError) as err:
            raise CacheError(f"{path}: unreadable ({err}); {repair_hint(path)}") from err
        if self.attrs.get("kind") != kind or "tables_digest" not in self.attrs or not has_blob:
            raise CacheError(
                f"{path} is not a checksummed {kind} file of this version (an older layout, or another file); "
                "delete it and prepare again"
            )
        if _tables_digest(self.tables, self.attrs) != self.attrs["tables_digest"]:
            raise CacheError(f"{path}: its tables or attributes fail their checksum (the file is damaged); "
                             + repair_hint(path))
        for name, want in (expect or {}).items():
            got = self.attrs.get(name)
            if _plain(got) != _plain(want):
                raise CacheError(
                    f"{path} was built with {name}={_plain(got)!r}, not the {_plain(want)!r} asked for "
                    "(a file copied from another cache, or stale); delete it and prepare again"
                )
        self.spans = self.tables["spans"]
        self.digests = self.tables["digests"]
        if len(self.spans) != len(self.digests):
            raise CacheError(f"{path}: {len(self.spans)} spans but {len(self.digests)} digests; {repair_hint(path)}")

    @property
    def path(self) -> Path:
        return self._h5.path

    def __len__(self) -> int:
        return len(self.spans)

    def close(self) -> None:
        """Close this process's handle (the next read reopens it)."""
        self._h5.close()

    def raw(self, i: int) -> np.ndarray:
        """Sample i's stored bytes (uint8), after checking them against their digest."""
        start, length = (int(v) for v in self.spans[i])
        try:
            data = self._h5.dataset("blob")[start : start + length]
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise CacheError(f"{self.path}: sample {i}: unreadable ({err}); {repair_hint(self.path)}") from err
        if len(data) != length or digest(data) != int(self.digests[i]):
            raise CacheError(
                f"{self.path}: sample {i}: its stored bytes fail their {DIGEST} checksum (the file is damaged); "
                + repair_hint(self.path)
            )
        return data

    def damaged(self) -> list[int]:
        """The samples whose bytes fail their digest (reads the whole blob once)."""
        bad = []
        for i in range(len(self)):
            try:
                self.raw(i)
            except CacheError:
                bad.append(i)
        return bad


def _plain(value: Any) -> Any:
    """An attribute or expected value as plain JSON-comparable data (JSON strings parsed)."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return value
