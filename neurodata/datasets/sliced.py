"""Recordings cut into windows as a Dataset, with the slice metadata computed once and cached.

`SlicedDataset(source, slicing)` turns each recording of `source` (one of our datasets, or `EventFolder`,
a user folder of event files) into one sample per window. The windows come from `slicing`:

* `TimeWindows(window, overlap, include_incomplete)`: fixed durations (µs), `neurodata.split.slice_windows`;
* `CountWindows(event_count, overlap, include_incomplete)`: fixed event counts;
* `LabelIntervals(rows)`: labelled intervals ``(sample, t_start, t_stop, label)`` (a gesture annotation
  table, say); each window takes its row's label.

The metadata (sample index, start and stop event index, label per window) is computed once and stored as
``<cache_dir>/<key>.npz``, written atomically. The key hashes everything that changes it: the slicing's
class and parameters, the format version, and the source's identity (each event store's or file's path,
size and modification time, and the dataset's sample selection). A changed recording or slicing gets a
new file; a damaged file is rebuilt. By default the cache sits beside the event store
(``<events dir>/slices/``) or, for a folder, in ``<folder>/.neurodata-slices/``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from tqdm.auto import tqdm

from neurodata import split
from neurodata.errors import NeurodataError

log = logging.getLogger(__name__)

SLICES_FORMAT_VERSION = 1
Windows = tuple[np.ndarray, np.ndarray, np.ndarray | None]


class Slicing(Protocol):
    """How one recording is cut: ``windows(t, sample) -> (starts, stops, labels or None)``."""

    def windows(self, t: np.ndarray, sample: int) -> Windows: ...


@dataclass(frozen=True)
class TimeWindows:
    """Windows of `window` µs every ``window - overlap`` µs from the first event; see `split.slice_windows`."""

    window: float
    overlap: float = 0.0
    include_incomplete: bool = False

    def windows(self, t: np.ndarray, sample: int) -> Windows:
        a, b = split.slice_windows(
            t, time_window=self.window, overlap=self.overlap, include_incomplete=self.include_incomplete
        )
        return a, b, None


@dataclass(frozen=True)
class CountWindows:
    """Windows of `event_count` events every ``event_count - overlap`` events."""

    event_count: int
    overlap: int = 0
    include_incomplete: bool = False

    def windows(self, t: np.ndarray, sample: int) -> Windows:
        a, b = split.slice_windows(
            t, event_count=self.event_count, overlap=self.overlap, include_incomplete=self.include_incomplete
        )
        return a, b, None


@dataclass(frozen=True)
class LabelIntervals:
    """Labelled intervals: rows ``(sample, t_start, t_stop, label)``; a window holds ``t_start <= t < t_stop``."""

    rows: tuple[tuple[int, int, int, int], ...]

    def __post_init__(self) -> None:
        for i, r in enumerate(self.rows):
            if len(r) != 4 or r[2] < r[1]:
                raise ValueError(
                    f"LabelIntervals row {i} must be (sample, t_start, t_stop >= t_start, label), got {r!r}"
                )

    @classmethod
    def from_csv(cls, path: str | os.PathLike, sample: int = 0) -> LabelIntervals:
        """DVS128-Gesture-style ``label, t_start, t_stop`` CSV rows (a header line is skipped) for one recording."""
        with Path(path).open(newline="") as f:
            rows = [r for r in csv.reader(f) if r and r[0].strip().lstrip("-").isdigit()]
        return cls(tuple((sample, int(r[1]), int(r[2]), int(r[0])) for r in rows))

    def windows(self, t: np.ndarray, sample: int) -> Windows:
        mine = np.asarray([r for r in self.rows if r[0] == sample], dtype=np.int64).reshape(-1, 4)
        return (
            np.searchsorted(t, mine[:, 1]).astype(np.int64),
            np.searchsorted(t, mine[:, 2]).astype(np.int64),
            mine[:, 3],
        )


def slicing_key(slicing: Any) -> dict[str, Any]:
    """What identifies a slicing in a cache key: its class and its dataclass fields (or its repr)."""
    kind = f"{type(slicing).__module__}.{type(slicing).__qualname__}"
    if dataclasses.is_dataclass(slicing):
        return {"kind": kind, "params": json.loads(json.dumps(dataclasses.asdict(slicing), default=str))}
    return {"kind": kind, "repr": repr(slicing)}


def _stat(path: Path) -> list[Any]:
    s = path.stat()
    return [str(path.resolve()), s.st_size, s.st_mtime_ns]


class EventFolder:
    """A user's folder of event files as a source: ``<folder>/<class>/<file>`` (labels from the class folders,
    sorted by name) or flat (label 0). Files are read with `neurodata.io.read_events`; nothing is written
    next to them except the slice cache (``.neurodata-slices/``)."""

    def __init__(
        self, folder: str | os.PathLike, pattern: str = "*", reader: Callable[[Path], np.ndarray] | None = None
    ):
        from neurodata.io import read_events

        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise NeurodataError(f"EventFolder: {self.folder} is not a folder")
        self.files = sorted(p for p in self.folder.rglob(pattern) if p.is_file() and ".neurodata-slices" not in p.parts)
        if not self.files:
            raise NeurodataError(f"EventFolder: no files matching {pattern!r} under {self.folder}")
        parents = sorted({p.parent for p in self.files})
        self.classes = [p.name for p in parents] if parents != [self.folder] else []
        self._label = {p: (parents.index(p) if self.classes else 0) for p in parents}
        self.reader = reader or read_events

    def __len__(self) -> int:
        return len(self.files)

    def events(self, i: int) -> np.ndarray:
        return self.reader(self.files[i])

    def times(self, i: int) -> np.ndarray:
        return self.events(i)["t"]

    def label(self, i: int) -> int:
        return self._label[self.files[i].parent]

    def fingerprint(self) -> list[Any]:
        return [_stat(p) for p in self.files]

    def default_cache_dir(self) -> Path:
        return self.folder / ".neurodata-slices"


class _StoreSource:
    """One of our `EventDataset`s as a source: its event stores, in its sample order."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def _where(self, i: int) -> tuple[Any, int]:
        part, j = self.dataset._locate(i)
        return self.dataset._events[part], j

    def events(self, i: int) -> dict[str, np.ndarray]:
        store, j = self._where(i)
        return store.fields(j)

    def times(self, i: int) -> np.ndarray:
        store, j = self._where(i)
        return store.keys(j, with_t=True)[0]

    def label(self, i: int) -> int:
        store, j = self._where(i)
        return int(store.labels[j])

    def fingerprint(self) -> list[Any]:
        index = self.dataset._index
        chosen = hashlib.sha256(np.asarray(index).tobytes()).hexdigest() if index is not None else "all"
        return [[_stat(Path(s.path)) for s in self.dataset._events], chosen]

    def default_cache_dir(self) -> Path:
        return Path(self.dataset._events[0].path).parent / "slices"


def _source(source: Any) -> Any:
    if isinstance(source, EventFolder):
        return source
    if hasattr(source, "_events") and hasattr(source, "_locate"):
        return _StoreSource(source)
    if isinstance(source, (str, os.PathLike)):
        return EventFolder(source)
    raise TypeError(
        f"SlicedDataset: source must be one of our datasets, an EventFolder or a folder path, got "
        f"{type(source).__name__}"
    )


def save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """Write `arrays` to `path` (.npz) through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_metadata(
    cache_dir: Path, key: dict[str, Any], build: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The arrays cached under `key` in `cache_dir`, or `build()`'s, stored there first."""
    text = json.dumps({"format": SLICES_FORMAT_VERSION, **key}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    path = Path(cache_dir) / f"{digest}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                if str(f["key"]) == text:
                    return {k: f[k] for k in f.files if k != "key"}
            log.warning("%s: written for another key; rebuilding", path)
        except (OSError, ValueError, KeyError) as err:
            log.warning("%s: unreadable (%s); rebuilding", path, err)
    arrays = build()
    save_npz_atomic(path, key=np.array(text), **arrays)
    log.info("slice metadata written to %s", path)
    return arrays


class SlicedDataset(torch.utils.data.Dataset):
    """One sample per window of each recording of `source`; items are ``(events, label)`` after the transforms.

    Events are what the source gives (a dict of arrays for our datasets, `EVENT_DTYPE` for folders) cut to
    the window. The label is the interval's (`LabelIntervals`) or the recording's. ``sample_of(k)`` says
    which recording window k comes from.
    """

    def __init__(
        self,
        source: Any,
        slicing: Slicing,
        *,
        cache_dir: str | os.PathLike | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        progress: bool = True,
    ) -> None:
        self.source = _source(source)
        self.slicing = slicing
        self.transform, self.target_transform = transform, target_transform
        key = {"slicing": slicing_key(slicing), "source": self.source.fingerprint()}
        folder = Path(cache_dir) if cache_dir is not None else self.source.default_cache_dir()
        meta = cached_metadata(folder, key, lambda: self._build(progress))
        self.samples, self.starts, self.stops, self.labels = (meta[k] for k in ("sample", "start", "stop", "label"))

    def _build(self, progress: bool) -> dict[str, np.ndarray]:
        parts: list[tuple[np.ndarray, ...]] = []
        for i in tqdm(range(len(self.source)), desc="slicing", disable=not progress, leave=False):
            t = np.asarray(self.source.times(i))
            a, b, labels = self.slicing.windows(t, i)
            if labels is None:
                labels = np.full(len(a), self.source.label(i), dtype=np.int64)
            parts.append((np.full(len(a), i, dtype=np.int64), a, b, np.asarray(labels, dtype=np.int64)))
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)] if parts else [np.zeros(0, np.int64)] * 4
        return dict(zip(("sample", "start", "stop", "label"), cols, strict=True))

    def __len__(self) -> int:
        return len(self.samples)

    def sample_of(self, k: int) -> int:
        return int(self.samples[k])

    def __getitem__(self, k: int) -> tuple[Any, Any]:
        n = len(self)
        if not -n <= k < n:
            raise IndexError(f"window {k} out of range for {n} windows")
        k %= n
        ev = self.source.events(int(self.samples[k]))
        a, b = int(self.starts[k]), int(self.stops[k])
        data: Any = {f: v[a:b] for f, v in ev.items()} if isinstance(ev, dict) else ev[a:b]
        label: Any = int(self.labels[k])
        if self.transform is not None:
            data = self.transform(data)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return data, label


def windows_per_sample(ds: SlicedDataset) -> np.ndarray:
    """How many windows each recording of the source gave."""
    return np.bincount(ds.samples, minlength=len(ds.source))


__all__: Sequence[str] = [
    "CountWindows",
    "EventFolder",
    "LabelIntervals",
    "SlicedDataset",
    "Slicing",
    "TimeWindows",
    "cached_metadata",
    "slicing_key",
    "windows_per_sample",
]
