"""Roots that SpikingJelly prepared: its decoded copy ``events_np/`` as the source of our event store.

SpikingJelly decodes each dataset once into ``<root>/events_np/`` (one ``.npz`` of t, x, y, p arrays per
sample, in class folders). When our own event store is absent and that folder is complete, the dataset
classes read it instead of downloading, verifying, extracting and decoding the raw files again. The store
built from it is kept apart from one decoded from the raw files (its dataset version carries
`VERSION_SUFFIX`): SpikingJelly's readers keep events that ours drop (AEDAT 3.1 events flagged invalid),
so the two sources may differ and caches must not mix them.

Layouts read (SpikingJelly 0.0.0.0.14 and 2.0 write the same ones):

* DVS128 Gesture: ``events_np/{train,test}/<class - 1>/<recording>_<k>.npz``, the k-th row of that class in
  the recording's labels CSV;
* N-MNIST: ``events_np/{train,test}/<digit>/<file>.npz``;
* CIFAR10-DVS: ``events_np/<class name>/<file>.npz``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.errors import DatasetNotFoundError, NeurodataError
from neurodata.events import SensorSize, check_events, make_events
from neurodata.io._common import sort_if_needed

log = logging.getLogger(__name__)

EVENTS_NP = "events_np"
VERSION_SUFFIX = "+spikingjelly-events_np"
_BATCH = 128

Sample = tuple[np.ndarray, int, dict[str, Any]]
Task = list[tuple[str, int, dict[str, Any], tuple[int, int]]]


def events_np_dir(root: str | Path) -> Path | None:
    """``root/events_np`` if SpikingJelly finished writing it, else None.

    SpikingJelly 2.0 marks a preparation in progress with ``events_np.building`` next to the folder (and
    leaves it there when interrupted); earlier versions leave no marker, so a folder without one counts as
    finished, as SpikingJelly itself takes it.
    """
    folder = Path(root) / EVENTS_NP
    if not folder.is_dir() or folder.with_name(EVENTS_NP + ".building").exists():
        return None
    return folder


def load_events_npz(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of one SpikingJelly events file (t, x, y, p), as stored (SpikingJelly's dtypes)."""
    try:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as err:
        raise NeurodataError(f"{path}: not a readable SpikingJelly events file ({err})") from err


def decode_npz_task(task: Task) -> list[Sample]:
    """Read a batch of SpikingJelly events files into `EVENT_DTYPE` samples (sorted by t, checked)."""
    out = []
    for path, label, meta, (height, width) in task:
        arrays = load_events_npz(path)
        ev = make_events(*(_field(arrays, k, path) for k in ("t", "x", "y", "p")), check=False, where=path)
        ev = sort_if_needed(ev, path)
        check_events(ev, SensorSize(width, height), where=path)
        out.append((ev, label, meta))
    return out


def _field(arrays: dict[str, np.ndarray], key: str, path: str) -> np.ndarray:
    if key not in arrays:
        raise NeurodataError(f"{path}: SpikingJelly events file without {key!r} (has {sorted(arrays)})")
    return arrays[key]


@dataclass(frozen=True)
class PreparedSource:
    """SpikingJelly's events of one dataset: per split, the tasks for `decode` (run in worker processes)."""

    folder: Path
    tasks: Callable[[str], list[Task]]
    decode: Callable[[Task], list[Sample]] = decode_npz_task


def _batches(items: list[tuple[str, int, dict[str, Any]]], sensor: SensorSize) -> list[Task]:
    hw = (sensor.height, sensor.width)
    rows = [(p, label, meta, hw) for p, label, meta in items]
    return [rows[i : i + _BATCH] for i in range(0, len(rows), _BATCH)]


def _missing(folder: Path, what: str) -> DatasetNotFoundError:
    return DatasetNotFoundError(
        f"SpikingJelly's {folder} has no {what}; the folder is incomplete. Let SpikingJelly finish it, or "
        f"move it away so that the raw files are decoded instead"
    )


def _nmnist(folder: Path, split: str, sensor: SensorSize, root: Path) -> list[Task]:
    top = folder / split
    files = sorted(top.glob("*/*.npz"), key=lambda p: (int(p.parent.name), p.name))
    if not files:
        raise _missing(folder, f"{split}/<digit>/*.npz files")
    return _batches([(str(p), int(p.parent.name), {"file": p.stem + ".bin"}) for p in files], sensor)


def _cifar10_dvs(folder: Path, split: str, sensor: SensorSize, root: Path) -> list[Task]:
    from neurodata.datasets.cifar10_dvs import _CLASSES, _file_index

    items = []
    for label, c in enumerate(_CLASSES):
        files = sorted((folder / c).glob("*.npz"), key=lambda p: (_file_index(p.stem + ".aedat"), p.name))
        if not files:
            raise _missing(folder, f"{c}/*.npz files")
        items += [(str(p), label, {"file": p.stem + ".aedat"}) for p in files]
    return _batches(items, sensor)


_GESTURE_FILE = re.compile(r"(.+)_(\d+)\.npz")


def _gesture_order(root: Path, split: str, recordings: set[str]) -> tuple[list[str], Path | None]:
    """Recordings in ``trials_to_<split>.txt`` order (sorted names without it) and the folder of that file."""
    listing = sorted((root / "extract").rglob(f"trials_to_{split}.txt")) if (root / "extract").is_dir() else []
    if not listing:
        return sorted(recordings), None
    names = [Path(ln.strip()).stem for ln in listing[0].read_text().splitlines() if ln.strip()]
    extra = sorted(recordings - set(names))
    if extra:
        raise NeurodataError(f"{listing[0]} does not list {extra}, which SpikingJelly's events_np/{split} holds")
    return [n for n in names if n in recordings] + [n for n in names if n not in recordings], listing[0].parent


def _dvs_gesture(folder: Path, split: str, sensor: SensorSize, root: Path) -> list[Task]:
    from neurodata.datasets.dvs_gesture import read_labels_csv

    by_rec: dict[str, dict[tuple[int, int], Path]] = {}
    for p in (folder / split).glob("*/*.npz"):
        m = _GESTURE_FILE.fullmatch(p.name)
        if m is None or not p.parent.name.isdigit():
            raise NeurodataError(f"{p}: not a SpikingJelly DVS128 Gesture sample name (<label>/<recording>_<k>.npz)")
        by_rec.setdefault(m.group(1), {})[(int(p.parent.name), int(m.group(2)))] = p
    if not by_rec:
        raise _missing(folder, f"{split}/<label>/*.npz files")
    order, csv_dir = _gesture_order(root, split, set(by_rec))
    items = []
    for rec in order:
        files = by_rec.get(rec)
        if files is None:
            raise _missing(folder, f"sample of {rec} in {split}")
        csv = csv_dir / f"{rec}_labels.csv" if csv_dir is not None else None
        if csv is not None and csv.exists():
            seen: dict[int, int] = {}
            keys = []
            for cls_id, _, _ in read_labels_csv(csv):
                label = int(cls_id) - 1
                keys.append((label, seen.get(label, 0)))
                seen[label] = seen.get(label, 0) + 1
            absent = [k for k in keys if k not in files]
            if absent or len(keys) != len(files):
                raise _missing(folder, f"file for every row of {csv.name} (missing {absent}, {len(files)} files)")
        else:  # the CSV rows follow the recording's clock: order the samples by their first event
            keys = sorted(files, key=lambda k: (_first_t(files[k]), k))
        m = re.match(r"user(\d+)_(.+)$", rec)
        user, lighting = (m.group(1), m.group(2)) if m else ("", "")
        for row, key in enumerate(keys):
            meta = {"recording": rec, "user": user, "lighting": lighting, "row": str(row)}
            items.append((str(files[key]), key[0], meta))
    return _batches(items, sensor)


def _first_t(path: Path) -> float:
    t = load_events_npz(path).get("t")
    return float(t[0]) if t is not None and len(t) else float("inf")


_LISTERS: dict[str, Callable[[Path, str, SensorSize, Path], list[Task]]] = {
    "n-mnist": _nmnist,
    "cifar10-dvs": _cifar10_dvs,
    "dvs128-gesture": _dvs_gesture,
}


def prepared_source(name: str, sensor: SensorSize, root: str | Path) -> PreparedSource | None:
    """SpikingJelly's finished ``events_np`` of dataset `name` under `root`, or None (absent, unfinished,
    or a dataset whose SpikingJelly layout is not known here)."""
    lister = _LISTERS.get(name)
    folder = events_np_dir(root)
    if lister is None or folder is None:
        return None
    root = Path(root)
    return PreparedSource(folder, lambda split: lister(folder, split, sensor, root))
