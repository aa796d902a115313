"""On-disk stores: decoded events per split, and frame caches keyed by `FrameSpec`.

Layout under a dataset's root::

    events/<split>.h5                    decoded once: events, offsets, labels, per-sample metadata
    frames/<spec.key()>/<split>.h5        frames (fixed T: [N, T, 2, H, W]; else concatenated + offsets)
    frames/<spec.key()>/spec.json         the FrameSpec, readable, written last

Everything is written under a temporary name and renamed into place when complete; a file lock
serialises concurrent builders of the same entry. An interrupted build leaves only temporaries, which the
next build removes, so a half-written store is never read as valid. Readers open their HDF5 file lazily
in each process, so datasets are safe in DataLoader worker processes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neurodata.errors import CacheError
from neurodata.events import EVENT_DTYPE
from neurodata.spec import FrameSpec

log = logging.getLogger(__name__)

# events are written once and read once per frame build: compression cost more time than it saved disk
# (6M events: gzip-1 3.1 B/event, 1.1 s to write; raw 13 B/event, 0.07 s), and preparation speed matters more
_EVENT_STORAGE: dict[str, Any] = {}
# frames are written once and read every epoch: a little more compression pays (measured on 16x2x128x128
# uint16 frames: level 3 stores 13% less than level 1 and decompresses no slower)
_FRAMES_COMPRESSION: dict[str, Any] = {"compression": "gzip", "compression_opts": 3, "shuffle": True}


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


def _tmp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.partial-{os.getpid()}")


def _remove_stale_temporaries(final: Path) -> None:
    for stale in final.parent.glob(f".{final.name}.partial-*"):
        log.info("removing %s left by an interrupted build", stale)
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ events


def write_event_store(
    path: Path,
    samples: Iterable[tuple[np.ndarray, int, dict[str, Any]]],
    *,
    attrs: dict[str, Any] | None = None,
) -> Path:
    """Write ``(events, label, metadata)`` samples, in order, to the HDF5 event store `path`, atomically.

    `events` are `EVENT_DTYPE` arrays; metadata values (str or int) become per-sample columns.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    tmp = _tmp_name(path)
    offsets = [0]
    labels: list[int] = []
    meta: dict[str, list[Any]] = {}
    try:
        with h5py.File(tmp, "w") as f:
            ev = f.create_dataset(
                "events", shape=(0,), maxshape=(None,), dtype=EVENT_DTYPE, chunks=(1 << 16,), **_EVENT_STORAGE
            )
            for i, (events, label, m) in enumerate(samples):
                n = len(events)
                if n:
                    ev.resize((offsets[-1] + n,))
                    ev[offsets[-1] :] = events
                offsets.append(offsets[-1] + n)
                labels.append(int(label))
                for k in set(meta) | set(m):
                    meta.setdefault(k, [None] * i).append(m.get(k))
            f["offsets"] = np.asarray(offsets, dtype=np.int64)
            f["labels"] = np.asarray(labels, dtype=np.int64)
            g = f.create_group("meta")
            for k, values in meta.items():
                g[k] = [str(v) for v in values]
            f.attrs["complete"] = True
            for k, v in (attrs or {}).items():
                f.attrs[k] = v
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class _LazyH5:
    """An HDF5 file opened on first use in each process (a handle must not cross a fork)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: h5py.File | None = None
        self._pid = -1

    @property
    def file(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():
            # no chunk cache: a sample is read once per epoch, caching only adds a copy
            self._file = h5py.File(self.path, "r", rdcc_nbytes=0)
            self._pid = os.getpid()
        return self._file

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_file": None, "_pid": -1}

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None


def _check_complete(path: Path) -> None:
    if not path.exists():
        raise CacheError(f"{path} does not exist; run the dataset's prepare step")
    try:
        with h5py.File(path, "r") as f:
            if not f.attrs.get("complete", False):
                raise CacheError(f"{path} is incomplete (an interrupted build); delete it and prepare again")
    except OSError as err:
        raise CacheError(f"{path} is not a readable HDF5 file ({err}); delete it and prepare again") from err


class EventStore:
    """Read side of `write_event_store`: ``store[i]`` is sample i's `EVENT_DTYPE` events."""

    def __init__(self, path: Path) -> None:
        _check_complete(Path(path))
        self._h5 = _LazyH5(path)
        f = self._h5.file
        self.offsets = f["offsets"][()]
        self.labels = f["labels"][()]
        self.meta = {k: [v.decode() for v in f["meta"][k][()]] for k in f["meta"]}
        self.attrs = dict(f.attrs)

    @property
    def path(self) -> Path:
        return self._h5.path

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> np.ndarray:
        a, b = self.offsets[i], self.offsets[i + 1]
        return self._h5.file["events"][a:b]


# ------------------------------------------------------------------------------------------------ frames


def frames_dir(root: Path, spec: FrameSpec) -> Path:
    """``<root>/frames/<spec.key()>``: the cache entry of `spec`."""
    return Path(root) / "frames" / spec.key()


def write_frame_file(
    path: Path,
    n_samples: int,
    frame_shape: tuple[int, int, int],
    spec: FrameSpec,
    frames: Iterable[np.ndarray],
    labels: np.ndarray,
) -> None:
    """Write `n_samples` frame stacks `[T_i, P, H, W]` (in order) into a new HDF5 file `path`."""
    dtype = np.float32 if spec.custom is not None else np.dtype(spec.dtype)
    with h5py.File(path, "w") as f:
        if spec.frames_number is not None:
            t = spec.frames_number
            ds = f.create_dataset(
                "frames",
                shape=(n_samples, t, *frame_shape),
                dtype=dtype,
                chunks=(1, t, *frame_shape),
                **_FRAMES_COMPRESSION,
            )
            for i, fr in enumerate(frames):
                ds[i] = fr
            f["offsets"] = np.arange(n_samples + 1, dtype=np.int64) * t
        else:
            ds = f.create_dataset(
                "frames",
                shape=(0, *frame_shape),
                maxshape=(None, *frame_shape),
                dtype=dtype,
                chunks=(1, *frame_shape),
                **_FRAMES_COMPRESSION,
            )
            offsets = [0]
            for fr in frames:
                if fr.shape[1:] != frame_shape:
                    raise CacheError(
                        f"a frame stack has shape {fr.shape}; expected [T, {', '.join(map(str, frame_shape))}]"
                    )
                ds.resize((offsets[-1] + len(fr), *frame_shape))
                ds[offsets[-1] :] = fr
                offsets.append(offsets[-1] + len(fr))
            f["offsets"] = np.asarray(offsets, dtype=np.int64)
        f["labels"] = np.asarray(labels, dtype=np.int64)
        f.attrs["spec"] = json.dumps(spec.to_dict(), sort_keys=True)
        f.attrs["complete"] = True


def build_frame_cache(
    root: Path,
    spec: FrameSpec,
    splits: dict[str, tuple[int, Callable[[], Iterable[np.ndarray]], np.ndarray]],
    frame_shape: tuple[int, int, int],
) -> Path:
    """Build the cache entry of `spec` (under a lock, atomically) unless it exists; return its folder.

    Args:
        splits: split name -> (number of samples, a function yielding their frame stacks in order, labels).
    """
    final = frames_dir(root, spec)
    if (final / "spec.json").exists():
        return final
    with file_lock(final.with_name(final.name + ".lock")):
        if (final / "spec.json").exists():  # another process built it while we waited
            return final
        _remove_stale_temporaries(final)
        tmp = _tmp_name(final)
        tmp.mkdir(parents=True)
        try:
            for split, (n, frames, labels) in splits.items():
                write_frame_file(tmp / f"{split}.h5", n, frame_shape, spec, frames(), labels)
            (tmp / "spec.json").write_text(json.dumps(spec.to_dict(), indent=2, sort_keys=True) + "\n")
            if final.exists():  # a folder without spec.json is an unfinished old build
                shutil.rmtree(final)
            tmp.replace(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    log.info("frame cache ready: %s (%s)", final, spec.describe())
    return final


class FrameReader:
    """Read side of a frame cache split: ``reader[i]`` is sample i's frames `[T_i, P, H, W]` (stored dtype)."""

    def __init__(self, path: Path) -> None:
        _check_complete(Path(path))
        self._h5 = _LazyH5(path)
        f = self._h5.file
        self.offsets = f["offsets"][()]
        self.labels = f["labels"][()]
        self.spec = json.loads(f.attrs["spec"])
        self._fixed = f["frames"].ndim == 5

    @property
    def path(self) -> Path:
        return self._h5.path

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> np.ndarray:
        ds = self._h5.file["frames"]
        if self._fixed:
            return ds[i]
        return ds[self.offsets[i] : self.offsets[i + 1]]
