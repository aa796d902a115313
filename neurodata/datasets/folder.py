"""`EventFolder`: a dataset made of your own recordings, in the spirit of torchvision's ``ImageFolder``.

Two ways to give the labels:

* **sub-folders**: ``root/<class>/**/<recording>`` (one sample per file), or ``root/train/<class>/...`` and
  ``root/test/<class>/...`` for a split of your own. Class folders are sorted numerically when every name is
  an integer (so ``10`` follows ``9``), else alphabetically; ``classes=`` fixes another order.
* **a labels file** (``labels=``), CSV or JSON, one sample per row: ``file, label`` and optionally
  ``start, stop`` (µs, the sample holds ``start <= t < stop``, so one long recording can give many samples)
  and ``split`` (``train`` / ``test``). A CSV may start with a header row naming these columns; JSON is a list
  of objects with these keys, or ``{"classes": [...], "samples": [...]}``. ``file`` is relative to `root`.

Any format `neurodata.io.read_events` reads is accepted, mixed freely (the format of each file is told from
its header or extension; ``format=`` forces one). The sensor size comes from ``sensor=``, else from the file
headers that state it, else from the largest coordinates decoded. Without a split of your own, ``train=True``
/ ``False`` select a seeded stratified partition (``train_ratio``, ``seed``).

The recordings are only read. The event store and frame caches go to ``cache_dir``, by default
``$NEURODATA_HOME/folders/<folder name>-<hash of its path>`` (``NEURODATA_HOME`` defaults to ``cache``).
Everything else works as for the built-in datasets: frames, transforms, `pad_sequence_collate`, the CLI verbs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.cache import EventStore
from neurodata.datasets.base import EventDataset, check_partition, decode_into_stores, iter_batches
from neurodata.datasets.cifar10_dvs import partition
from neurodata.datasets.source import Source, ensure_writable
from neurodata.errors import DatasetNotFoundError, DecodeError
from neurodata.events import SensorSize
from neurodata.io import FORMATS, read_events, sniff_format
from neurodata.io.probe import header_sensor
from neurodata.spec import EVENTS_FORMAT_VERSION

log = logging.getLogger(__name__)

RECORDING_SUFFIXES = tuple(sorted({s for f in FORMATS.values() for s in f.extensions} | {".dat"}))
_SPLIT_NAMES = ("train", "test")
_COLUMNS = ("file", "label", "start", "stop", "split")


@dataclass(frozen=True)
class Row:
    """One sample: a file (relative to the folder), its label and optional time window and split."""

    file: str
    label: str
    start: int | None = None
    stop: int | None = None
    split: str = "all"


@dataclass(frozen=True)
class FolderScan:
    """What a folder holds: the samples (label indices resolved), the classes, the splits and a content key."""

    root: Path
    rows: tuple[Row, ...]
    labels: tuple[int, ...]
    classes: tuple[str, ...]
    splits: tuple[str, ...]
    formats: dict[str, str]  # file -> format name
    key: str
    ignored: tuple[str, ...] = ()


def _natural(names: Sequence[str]) -> list[str]:
    names = sorted(set(names))
    return sorted(names, key=int) if all(n.lstrip("-").isdigit() for n in names) else names


def _int_or_none(value: Any, where: str, column: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DecodeError(f"{where}: {column} {value!r} is not an integer number of µs") from None


def read_labels_file(path: str | Path) -> list[Row]:
    """The rows of a labels file (CSV or JSON, see the module docstring); errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DecodeError(f"{path}: byte {err.start}: not UTF-8 text; save the labels file as UTF-8") from None
    except OSError as err:
        raise DatasetNotFoundError(f"labels file {path}: {err.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise DecodeError(f"{path}: line {err.lineno}: not valid JSON ({err.msg})") from None
        items = data.get("samples") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise DecodeError(f'{path}: expected a list of {{"file": ..., "label": ...}} objects (or "samples": [...])')
        records = [(f"{path}: sample {k}", item) for k, item in enumerate(items)]
    else:
        lines = list(csv.reader(io.StringIO(text)))
        header = [c.strip().lower() for c in lines[0]] if lines else []
        if header and header[0] == "file":
            unknown = sorted(set(header) - set(_COLUMNS))
            if unknown or "label" not in header:
                raise DecodeError(f"{path}: line 1: columns {header}; known: {list(_COLUMNS)} (file and label needed)")
            body, names = lines[1:], header
            first = 2
        else:
            body, names, first = lines, list(_COLUMNS), 1
        records = []
        for k, cells in enumerate(body):
            if not cells or all(not c.strip() for c in cells):
                continue
            where = f"{path}: line {k + first}"
            if len(cells) < 2 or len(cells) > len(names):
                raise DecodeError(f"{where}: {cells} is not {', '.join(names)}")
            records.append((where, {n: c.strip() for n, c in zip(names, cells, strict=False)}))
    rows = []
    for where, rec in records:
        if not rec.get("file") or rec.get("label") in (None, ""):
            raise DecodeError(f"{where}: needs a file and a label, got {rec}")
        start, stop = _int_or_none(rec.get("start"), where, "start"), _int_or_none(rec.get("stop"), where, "stop")
        if start is not None and stop is not None and stop <= start:
            raise DecodeError(f"{where}: stop {stop} is not after start {start}")
        split = str(rec.get("split") or "all").strip().lower()
        if split not in ("all", *_SPLIT_NAMES):
            raise DecodeError(f"{where}: split {rec.get('split')!r} is not 'train' or 'test'")
        rows.append(Row(str(rec["file"]), str(rec["label"]), start, stop, split))
    if not rows:
        raise DecodeError(f"{path}: no samples (expected rows of file, label[, start, stop[, split]])")
    return rows


def _recordings(folder: Path, suffixes: tuple[str, ...] | None) -> list[Path]:
    out = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and (suffixes is None or Path(name).suffix.lower() in suffixes):
                out.append(Path(top) / name)
    return out


def _rows_from_folders(root: Path, suffixes: tuple[str, ...] | None) -> tuple[list[Row], list[str]]:
    subdirs = {d.name.lower(): d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")}
    split_dirs = [(s, subdirs[s]) for s in _SPLIT_NAMES if s in subdirs]
    tops = split_dirs if len(split_dirs) == 2 else [("all", root)]
    rows, ignored = [], []
    for split, top in tops:
        for path in _recordings(top, suffixes):
            rel = path.relative_to(top)
            if len(rel.parts) < 2:  # a file beside the class folders has no label
                ignored.append(path.relative_to(root).as_posix())
                continue
            rows.append(Row(path.relative_to(root).as_posix(), rel.parts[0], split=split))
    return rows, ignored


def scan_folder(
    root: str | Path,
    *,
    labels: str | Path | None = None,
    classes: Sequence[str] | None = None,
    format: str | None = None,
    sensor: SensorSize | None = None,
) -> FolderScan:
    """Find the samples of a folder dataset (see the module docstring) without decoding any events."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetNotFoundError(
            f"{root} is not a folder; give the folder that holds your recordings (sub-folders named by class, "
            "or a labels file with labels=)"
        )
    if format is not None and format not in FORMATS:
        raise ValueError(f"format={format!r} is not known; known: {sorted(FORMATS)}")
    suffixes = None if format is not None else RECORDING_SUFFIXES
    if labels is not None:
        labels_path = Path(labels) if Path(labels).is_absolute() or Path(labels).exists() else root / labels
        rows, ignored = read_labels_file(labels_path), []
        for r in rows:
            if not (root / r.file).is_file():
                raise DatasetNotFoundError(f"{labels_path} lists {r.file!r}, but {root / r.file} is not a file")
    else:
        rows, ignored = _rows_from_folders(root, suffixes)
    if ignored:
        log.warning("%s: %d file(s) outside any class folder have no label and are skipped: %s", root, len(ignored),
                    ", ".join(ignored[:5]) + (" ..." if len(ignored) > 5 else ""))
    if not rows:
        raise DatasetNotFoundError(
            f"{root}: no recordings found (files ending in {', '.join(RECORDING_SUFFIXES)} inside class "
            "folders root/<class>/..., or listed in a labels file given with labels=)"
        )
    names = _natural([r.label for r in rows]) if classes is None else [str(c) for c in classes]
    index = {c: i for i, c in enumerate(names)}
    resolved = []
    for r in rows:
        if r.label in index:
            resolved.append(index[r.label])
        elif r.label.isdigit() and classes is not None and int(r.label) < len(names):
            resolved.append(int(r.label))
        else:
            raise DatasetNotFoundError(f"{root}: {r.file} has label {r.label!r}, which is not among classes {names}")
    splits = sorted({r.split for r in rows})
    if splits not in (["all"], ["test", "train"]):
        raise DecodeError(f"{root}: every sample needs a split (train or test), or none does; found {splits}")
    formats = {}
    for file in dict.fromkeys(r.file for r in rows):
        formats[file] = format or sniff_format(root / file)
    h = hashlib.sha256()
    for r, label in zip(rows, resolved, strict=True):
        st = (root / r.file).stat()
        h.update(f"{r.file}\0{st.st_size}\0{st.st_mtime_ns}\0{label}\0{r.start}\0{r.stop}\0{r.split}\n".encode())
    h.update(json.dumps([names, format, sensor, EVENTS_FORMAT_VERSION]).encode())
    return FolderScan(
        root,
        tuple(rows),
        tuple(resolved),
        tuple(names),
        ("train", "test") if splits == ["test", "train"] else ("all",),
        formats,
        h.hexdigest()[:16],
        tuple(ignored),
    )


def default_cache_dir(root: Path) -> Path:
    """``$NEURODATA_HOME/folders/<name>-<hash of the resolved path>`` (NEURODATA_HOME defaults to ``cache``)."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:8]
    return Path(os.environ.get("NEURODATA_HOME", "cache")) / "folders" / f"{Path(root).resolve().name}-{digest}"


_Task = tuple[str, str, str, list[tuple[int, int | None, int | None, dict[str, str]]], tuple[int, int]]


class EventFolder(EventDataset):
    """Your own recordings as a dataset (see the module docstring).

    ``EventFolder(root, train=None, data_type='event', frames_number=None, split_by=None, duration=None, ...,
    labels=None, classes=None, sensor=None, format=None, train_ratio=0.8, seed=0, cache_dir=None)``.

    Args:
        root: the folder of recordings (never written to).
        train: True / False for one split (yours, or a seeded stratified partition), None for all samples.
        labels: a CSV or JSON labels file (absolute, or relative to `root`); default: class sub-folders.
        classes: class names in label order (default: sorted folder or label names).
        sensor: `SensorSize` (or (width, height)); default: from the headers, else from the events.
        format: force one event format for every file (a key of `neurodata.io.FORMATS`).
        split_scheme, train_ratio, seed: the partition when the folder has no split of its own.
        cache_dir: where event stores and frames go (default: `default_cache_dir`).
    """

    name = "folder"
    sensor = SensorSize(1, 1)  # replaced per instance
    classes = ()
    resources = ()
    splits = ("all",)
    orientation = "raw"

    def __init__(
        self,
        root: str | Path,
        train: bool | None = None,
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        *,
        labels: str | Path | None = None,
        classes: Sequence[str] | None = None,
        sensor: SensorSize | tuple[int, int] | None = None,
        format: str | None = None,
        split_scheme: str = "random",
        train_ratio: float = 0.8,
        seed: int = 0,
        cache_dir: str | Path | None = None,
        **kw: Any,
    ) -> None:
        if split_scheme != "random":
            raise ValueError(f"split_scheme must be 'random' for a folder (no file numbering to split by), "
                             f"got {split_scheme!r}")
        given = None if sensor is None else SensorSize(*sensor)
        self.scan = scan_folder(root, labels=labels, classes=classes, format=format, sensor=given)
        self.classes = self.scan.classes  # type: ignore[misc]
        self.splits = self.scan.splits  # type: ignore[misc]
        self.sensor = given or self._sensor_from_headers()  # type: ignore[misc,assignment]
        own_split = self.splits != ("all",)
        super().__init__(
            root,
            train if own_split else None,
            data_type,
            frames_number,
            split_by,
            duration,
            custom_integrate_function,
            custom_integrated_frames_dir_name,
            transform,
            target_transform,
            cache_dir=cache_dir if cache_dir is not None else default_cache_dir(Path(root)),
            **kw,
        )
        self.train = train
        if train is not None and not own_split:
            tr, te = partition(self._events[0].labels, np.zeros(len(self._events[0]), dtype=np.int64), split_scheme,
                               train_ratio=train_ratio, seed=seed)
            self._select(tr if train else te)
        if train is not None and not own_split:
            check_partition(f"folder {root}", train, len(self), self._events[0].labels, train_ratio)
        elif train is not None and len(self) == 0:
            which = "train" if train else "test"
            raise DatasetNotFoundError(f"{root}: the {which} split is empty: {root}/{which} holds no recordings")

    # ------------------------------------------------------------------ life cycle, per folder

    def _sensor_from_headers(self) -> SensorSize | None:
        # files whose header states no sensor (ATIS .bin) must fit the one the others state; that is checked
        # when they are decoded
        stated = {s for f, fmt in self.scan.formats.items() if (s := header_sensor(self.scan.root / f, fmt))}
        if len(stated) > 1:
            raise DecodeError(
                f"{self.scan.root}: the file headers state different sensors "
                f"{sorted(f'{s.width}x{s.height}' for s in stated)}; pass sensor=(W, H) (--sensor WxH)"
            )
        return stated.pop() if stated else None

    def locate(self, root: str | Path) -> Source:  # type: ignore[override]
        return Source("tree", Path(root), self.scan.key)

    def dataset_version(  # type: ignore[override]
        self, root: Path, source: Source | None = None, cache_dir: str | Path | None = None
    ) -> str:
        return f"folder-{self.scan.key}"

    def events_dir(  # type: ignore[override]
        self, root: Path, *, cache_dir: str | Path | None = None, source: Source | None = None
    ) -> Path:
        return Path(cache_dir or self.cache_root) / "events" / f"{self.dataset_version(root)}-e{EVENTS_FORMAT_VERSION}"

    def prepare_events(  # type: ignore[override]
        self,
        root: str | Path,
        *,
        download: bool = False,
        workers: int = 1,
        progress: bool = True,
        cache_dir: str | Path | None = None,
        source: Source | None = None,
    ) -> dict[str, Path]:
        """Decode every recording once into the event store(s) under the cache folder (if not there yet)."""
        from neurodata.cache import file_lock

        out = self.events_dir(Path(root), cache_dir=cache_dir)
        stores = {s: out / f"{s}.nds" for s in self.splits}
        if not all(p.exists() for p in stores.values()):
            ensure_writable(out.parent, f"the event store of {self.scan.root}")
            with file_lock(out.with_name(out.name + ".lock")):
                if self.sensor is None:
                    self.sensor = self._sensor_from_events()  # type: ignore[misc]
                decode_into_stores(
                    f"folder {self.scan.root.name}",
                    stores,
                    self._tasks_of,
                    EventFolder._decode,
                    self.sensor,
                    parallel=False,
                    workers=workers,
                    progress=progress,
                    sources=self._sources_record(Path(root), self.locate(root), self.dataset_version(Path(root))),
                )
        if self.sensor is None:
            store = EventStore(next(iter(stores.values())))
            self.sensor = SensorSize(store.width, store.height)  # type: ignore[misc]
        return stores

    def _sensor_from_events(self) -> SensorSize:
        width = height = 0
        for file, fmt in self.scan.formats.items():
            ev = read_events(self.scan.root / file, format=fmt)
            if ev.size:
                width, height = max(width, int(ev["x"].max()) + 1), max(height, int(ev["y"].max()) + 1)
        if not width:
            raise DecodeError(f"{self.scan.root}: no events in any recording, so no sensor size; pass sensor=(W, H)")
        log.info("%s: sensor %dx%d from the largest coordinates decoded (the headers do not say); pass sensor= "
                 "to set it", self.scan.root, width, height)
        return SensorSize(width, height)

    def _tasks_of(self, split: str) -> list[list[_Task]]:
        by_file: dict[str, list[tuple[int, int | None, int | None, dict[str, str]]]] = {}
        for k, (r, label) in enumerate(zip(self.scan.rows, self.scan.labels, strict=True)):
            if r.split == split:
                by_file.setdefault(r.file, []).append((label, r.start, r.stop, {"file": r.file, "row": str(k)}))
        sensor = (self.sensor.height, self.sensor.width)
        tasks = [(str(self.scan.root / f), f, self.scan.formats[f], rows, sensor) for f, rows in by_file.items()]
        return list(iter_batches(tasks, 64))

    @staticmethod
    def _decode(batch: list[_Task]) -> list[tuple[np.ndarray, int, dict[str, Any]]]:  # type: ignore[override]
        out = []
        for path, _name, fmt, rows, (height, width) in batch:
            ev = read_events(path, format=fmt)
            if ev.size and (int(ev["x"].max()) >= width or int(ev["y"].max()) >= height):
                raise DecodeError(
                    f"{path}: events reach x={int(ev['x'].max())}, y={int(ev['y'].max())}, outside the "
                    f"{width}x{height} sensor; pass sensor=(W, H) large enough (--sensor WxH)"
                )
            t = np.ascontiguousarray(ev["t"])
            for label, start, stop, meta in rows:
                a = 0 if start is None else int(np.searchsorted(t, start, side="left"))
                b = len(t) if stop is None else int(np.searchsorted(t, stop, side="left"))
                out.append((ev[a:b], label, meta))
        return out

    def __repr__(self) -> str:
        what = self.spec.describe() if self.spec else "events"
        split = {None: "all", True: "train", False: "test"}[self.train]
        return (f"EventFolder(root={str(self.root)!r}, split={split}, {what}, samples={len(self)}, "
                f"classes={len(self.classes)}, sensor={self.sensor.width}x{self.sensor.height})")
