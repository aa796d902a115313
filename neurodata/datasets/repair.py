"""`verify_cache`: read every stored sample of a dataset's caches, and rebuild only what is damaged.

Reads check each sample anyway (a damaged one is a `CacheError` naming the file and sample); this walks a
whole root at once, so a damaged disk is found before a training run, and repairs it. An event store split
that fails is decoded again from the archives; a frame cache split that fails (or was built from another
event store) is integrated again from its event store, other splits and entries untouched. An entry of a
custom integration function cannot be rebuilt without the function: it is removed, and built again the next
time the dataset is made with it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from neurodata.cache import EventStore, FrameReader, write_frame_file
from neurodata.errors import CacheError
from neurodata.spec import FrameSpec
from neurodata.store import file_lock

if TYPE_CHECKING:
    from neurodata.datasets.base import EventDataset

log = logging.getLogger(__name__)


@dataclass
class CacheReport:
    """What `verify_cache` found and did; ``ok`` is True when nothing damaged is left."""

    checked: list[Path] = field(default_factory=list)
    damaged: dict[Path, str] = field(default_factory=dict)
    rebuilt: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p in self.rebuilt or p in self.removed for p in self.damaged)

    def lines(self) -> list[str]:
        """One line per file: ``ok``, ``damaged ... -> rebuilt`` / ``removed`` / ``left``."""
        out = []
        for p in self.checked:
            if p not in self.damaged:
                out.append(f"ok {p}")
                continue
            done = "rebuilt" if p in self.rebuilt else "left"
            if p in self.removed:
                done = "removed (rebuilt when next used)"
            out.append(f"damaged {p}: {self.damaged[p]} -> {done}")
        return out


def _problem(open_: type[EventStore] | type[FrameReader], path: Path, **kw: object) -> str | None:
    """Why `path` cannot be served (None: every sample checks out)."""
    try:
        reader = open_(path, **kw)  # type: ignore[arg-type]
    except CacheError as err:
        return str(err)
    try:
        bad = reader.damaged()
    finally:
        reader.close()
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        return f"{len(bad)} sample(s) fail their checksum ({shown})"
    return None


def verify_cache(
    cls: type[EventDataset], root: str | Path, *, repair: bool = True, progress: bool = True,
    cache_dir: str | Path | None = None,
) -> CacheReport:
    """Check every sample of `cls`'s event stores and frame caches under `root` (or `cache_dir`, where the
    caches were put); with `repair`, rebuild the damaged files (only those) from the raw files or the event
    stores.

    Raises what preparing raises when a damaged event store must be decoded again and the archives are
    missing (the error says where to put them).
    """
    root = Path(root)
    base = Path(cache_dir) if cache_dir is not None else root
    report = CacheReport()
    source = cls.locate(root)
    version = cls.dataset_version(root, source, cache_dir)
    sources = cls._sources_record(root, source, version)
    stores = {s: cls._events_dir(base, version) / f"{s}.nds" for s in cls.splits}
    for path in stores.values():
        if not path.exists():
            continue
        report.checked.append(path)
        problem = _problem(EventStore, path, expect={"sources": sources})
        if problem is not None:
            report.damaged[path] = problem
            if repair:
                path.unlink()
    if repair and any(p in report.damaged for p in stores.values()):
        cls.prepare_events(root, progress=progress, cache_dir=cache_dir, source=source)
        report.rebuilt += [p for p in stores.values() if p in report.damaged]
    digests = {s: EventStore(p).digest for s, p in stores.items() if p.exists()}
    for entry in sorted(p for p in (base / "frames").glob("*") if (p / "spec.json").is_file()):
        _verify_entry(cls, entry, version, stores, digests, report, repair)
    for p, problem in report.damaged.items():
        log.warning("%s: %s", p, problem)
    return report


def _spec_of(entry: Path) -> FrameSpec | None:
    try:
        data = json.loads((entry / "spec.json").read_text())
        spec = FrameSpec(**{f.name: data[f.name] for f in dataclasses.fields(FrameSpec) if f.name in data})
    except (OSError, ValueError, TypeError):
        return None
    return spec if spec.key() == entry.name else None


def _verify_entry(
    cls: type[EventDataset], entry: Path, version: str, stores: dict[str, Path], digests: dict[str, str],
    report: CacheReport, repair: bool,
) -> None:
    spec = _spec_of(entry)
    files = sorted(entry.glob("*.nds"))
    if spec is None:  # spec.json itself is damaged (or hand-edited): the entry cannot be trusted
        report.checked.append(entry)
        report.damaged[entry] = "spec.json does not match the entry's key"
        if repair:
            _remove_entry(entry, report)
        return
    if spec.dataset_version != version or spec.orientation != cls.orientation:
        return  # another sample set's or version's entry: never used by this root's datasets
    for path in files:
        report.checked.append(path)
        split = path.stem
        problem = _problem(FrameReader, path, spec=spec, source=digests.get(split))
        if problem is None:
            continue
        report.damaged[path] = problem
        if not repair:
            continue
        if spec.custom is not None or split not in stores:
            _remove_entry(entry, report)
            return
        _rebuild_split(cls, spec, stores[split], path)
        report.rebuilt.append(path)


def _remove_entry(entry: Path, report: CacheReport) -> None:
    (entry / "spec.json").unlink(missing_ok=True)  # first: the entry stops looking finished
    shutil.rmtree(entry, ignore_errors=True)
    report.removed += [p for p in report.damaged if p == entry or p.parent == entry]


def _rebuild_split(cls: type[EventDataset], spec: FrameSpec, store_path: Path, path: Path) -> None:
    from neurodata.datasets._pipeline import _Integrate

    store = EventStore(store_path)
    integrate = _Integrate(store_path, spec, cls.sensor, None)
    with file_lock(path.parent.with_name(path.parent.name + ".lock")):  # the lock of the entry's builders
        # written under a temporary name and renamed over the damaged file (`SampleWriter`)
        frames = (integrate(i) for i in range(len(store)))
        write_frame_file(path, len(store), spec.frame_shape(cls.sensor), spec, frames, store.labels,
                         source=store.digest)
    log.info("rebuilt %s", path)
