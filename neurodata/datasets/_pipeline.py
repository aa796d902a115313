"""The preparation steps `EventDataset` runs, and helpers for its subclasses.

One pool of spawned worker processes per step (`_Workers`, `default_workers`), decoding raw files into event
stores (`decode_into_stores`, `_store_is_current`), integrating a store's samples into frames in the workers
(`_Integrate`), the key of a custom integration function (`_custom_key`), and the subclasses' helpers
`check_partition` and `iter_batches`. `neurodata.datasets.base` re-exports what other modules import from it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from neurodata import integrate
from neurodata.cache import EventStore, write_event_store
from neurodata.errors import CacheError, DatasetNotFoundError
from neurodata.events import SensorSize
from neurodata.keys import function_key
from neurodata.spec import FrameSpec

log = logging.getLogger(__name__)


class _Workers:
    """One pool of spawned worker processes for a whole preparation step (each spawn re-imports torch)."""

    def __init__(self, workers: int, progress: bool) -> None:
        self.workers, self.progress = workers, progress
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], desc: str, *, parallel: bool = True) -> Iterator[Any]:
        """Ordered map with a progress bar; in this process when `parallel` is False or one worker is asked."""
        bar = tqdm(total=len(tasks), desc=desc, disable=not self.progress, leave=False, unit="task")
        try:
            if not parallel or self.workers <= 1 or len(tasks) <= 1:
                for t in tasks:
                    yield fn(t)
                    bar.update()
                return
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            chunk = max(1, min(64, len(tasks) // (self.workers * 8)))
            for result in self._pool.map(fn, tasks, chunksize=chunk):
                yield result
                bar.update()
        finally:
            bar.close()

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

def default_workers() -> int:
    """Worker processes for preparation: the CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1

class _Integrate:
    """Picklable 'events of sample i -> frames' for worker processes."""

    def __init__(self, store: Path, spec: FrameSpec, sensor: SensorSize, custom: Callable[..., Any] | None) -> None:
        self.store_path, self.spec, self.sensor, self.custom = store, spec, sensor, custom
        self._store: EventStore | None = None

    def __call__(self, i: int) -> np.ndarray:
        if self._store is None:
            self._store = EventStore(self.store_path)
        h, w, spec = self.sensor.height, self.sensor.width, self.spec
        if self.custom is not None:
            return np.asarray(self.custom(self._store.fields(i), h, w), dtype=np.float32)
        if spec.representation is not None or spec.windows is not None:
            t, keys = self._store.keys(i, with_t=True)
            return integrate.represent_keys(keys, t, h, w, spec)
        # the store keeps checked pixel keys: the frames need no x/y/p, and 'number' not even t
        t, keys = self._store.keys(i, with_t=spec.split_by != "number")
        return integrate.integrate_keys(
            keys, t, h, w, frames_num=spec.frames_number, split_by=spec.split_by, duration=spec.duration,
            dtype=spec.dtype,
        )

def check_partition(name: str, train: bool, selected: int, labels: np.ndarray, train_ratio: float) -> None:
    """Raise a `DatasetNotFoundError` naming the counts when a partition left the selected split empty."""
    if selected:
        return
    counts = np.bincount(np.asarray(labels, dtype=np.int64)) if len(labels) else np.zeros(0, np.int64)
    per_class = sorted({int(c) for c in counts if c})
    which = "train" if train else "test"
    raise DatasetNotFoundError(
        f"{name}: the {which} split is empty: {len(labels)} samples ({', '.join(map(str, per_class)) or 0} per "
        f"class) and train_ratio={train_ratio} put "
        + ("none in train" if train else "every one in train")
        + "; choose a train_ratio (--train-ratio) "
        + ("nearer 1" if train else "nearer 0")
        + " or add samples"
    )


def decode_into_stores(
    name: str,
    stores: dict[str, Path],
    tasks_of: Callable[[str], list[Any]],
    decode: Callable[[Any], list[tuple[np.ndarray, int, dict[str, Any]]]],
    sensor: SensorSize,
    *,
    parallel: bool,
    workers: int,
    progress: bool,
    origin: str = "raw",
    sources: str = "",
) -> None:
    """Write each missing store of `stores` (split -> path) from ``decode(task)`` over ``tasks_of(split)``.

    `origin` is recorded in the store ("raw": decoded by our readers; SpikingJelly's "events_np"), and
    `sources`, what the stores are decoded from (`EventDataset._sources_record`), which opening requires."""
    with _Workers(workers, progress) as pool:
        for split, path in stores.items():
            if path.exists():
                continue
            results = pool.map(decode, tasks_of(split), f"{name} {split}: decode", parallel=parallel)
            write_event_store(
                path,
                (s for batch in results for s in batch),
                (sensor.height, sensor.width),
                attrs={"dataset": name, "split": split, "source": origin, "sources": sources},
            )
            log.info("%s %s: event store %s", name, split, path)


def _store_is_current(path: Path, sources: str) -> bool:
    """True if the event store `path` exists, is intact and was decoded from what `sources` names."""
    if not path.exists():
        return False
    try:
        EventStore(path, expect={"sources": sources}).close()
    except CacheError as err:
        log.warning("%s will be decoded again: %s", path, err)
        return False
    return True


def _custom_key(fn: Callable[..., Any], name: str | None, cache_key: str | None) -> str:
    """`FrameSpec.custom` for a custom integration function: its name and a digest of its code and values
    (`neurodata.keys.function_key`), or the user's `cache_key`."""
    label = name or getattr(fn, "__qualname__", type(fn).__name__)
    if cache_key is not None:
        if not isinstance(cache_key, str) or not cache_key:
            raise ValueError(f"cache_key must be a non-empty string, got {cache_key!r}")
        return f"{label}@key={cache_key}"
    return f"{label}@{function_key(fn)}"


def _picklable(fn: Callable[..., Any]) -> bool:
    try:
        pickle.dumps(fn)
    except Exception:
        return False
    return True


def iter_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of `size` items (the last may be shorter)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
