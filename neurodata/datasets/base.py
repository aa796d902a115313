"""`EventDataset`: the shared life cycle of the neuromorphic datasets.

download (or place) -> verify -> extract -> decode once into an event store -> integrate into a frame cache
-> index. A subclass is class-level metadata plus three small methods: `_tasks` (what to decode for a
split), `_decode` (one task -> samples, run in worker processes) and, if it has no official split,
`_assign_split`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurodata import integrate
from neurodata.archive import extract_archive
from neurodata.buffers import batch_pool
from neurodata.cache import (
    EventStore,
    FrameReader,
    build_frame_cache,
    decode_all,
    file_lock,
)
from neurodata.datasets._pipeline import (
    _custom_key,
    _Integrate,
    _picklable,
    _store_is_current,
    _Workers,
    decode_into_stores,
    default_workers,
)
from neurodata.datasets._pipeline import check_partition as check_partition  # re-exported for the datasets
from neurodata.datasets._pipeline import iter_batches as iter_batches
from neurodata.datasets.prepared import EVENTS_NP, VERSION_SUFFIX, PreparedSource, prepared_source
from neurodata.datasets.source import Source, ensure_writable, tree_digest
from neurodata.download import Resource, download_file, verify_file
from neurodata.errors import DatasetNotFoundError, NeurodataError
from neurodata.events import SensorSize, one_d_frames
from neurodata.spec import (
    EVENTS_FORMAT_VERSION,
    Counts,
    FrameSpec,
    Representation,
    SparseCounts,
    Windows,
    parse_representation,
)

log = logging.getLogger(__name__)

SAMPLE_MANIFEST = "sample.json"  # written by `neurodata.synth`: the root holds a miniature copy


# below these sizes the work takes less than starting worker processes (each imports torch, ~2 s)
_PARALLEL_MIN_BYTES = 64 << 20
_PARALLEL_MIN_EVENTS = 20_000_000
_PARALLEL_MIN_FILES = 20_000  # SpikingJelly npz files (N-MNIST's 70,000 are worth the workers)


class EventDataset:
    """Base of DVS128Gesture, CIFAR10DVS, NMNIST and EventFolder; SpikingJelly-compatible constructor.

    Items are ``(events, label)`` with events a dict of t, x, y, p arrays (``data_type='event'``), or
    ``(frames, label)`` with frames float32 `[T, 2, H, W]` (``data_type='frame'``; `[T, 1, W]` for a 1-D sensor,
    SHD's say), after `transform` / `target_transform`.

    The raw files are the archives in ``root/download`` or, without them, a tree already extracted under
    ``root`` (see `locate`). Event stores and frame caches go under ``cache_dir`` (default: `root`).

    A map-style dataset (``len``, ``[i]``, ``__getitems__``) that `torch.utils.data.DataLoader`, ``Subset``
    and ``ConcatDataset`` take as they are. It does not derive from ``torch.utils.data.Dataset``, so that
    listing and describing datasets needs no torch (the command line starts in a fraction of a second).
    """

    name: ClassVar[str]
    sensor: ClassVar[SensorSize]
    classes: ClassVar[tuple[str, ...]]
    resources: ClassVar[tuple[Resource, ...]]
    version: ClassVar[str] = "1"
    splits: ClassVar[tuple[str, ...]] = ("train", "test")
    orientation: ClassVar[str] = "default"
    # an extracted tree: what its files end with, and its layout in words (for messages)
    raw_suffixes: ClassVar[tuple[str, ...] | None] = None
    tree_layout: ClassVar[str] = ""

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
        download: bool = False,
        workers: int | None = None,
        progress: bool = True,
        dtype: str | None = None,
        representation: Representation | str | None = None,
        windows: Windows | None = None,
        cache_dir: str | Path | None = None,
        cache_key: str | None = None,
    ) -> None:
        if data_type not in ("event", "frame"):
            raise ValueError(f"data_type must be 'event' or 'frame', got {data_type!r}")
        if train not in (True, False, None):
            raise ValueError(f"train must be True, False or None (both splits), got {train!r}")
        self.root = Path(root)
        self.cache_root = Path(cache_dir) if cache_dir is not None else self.root
        self.source = self.locate(self.root)
        self.train, self.data_type = train, data_type
        self.transform, self.target_transform = transform, target_transform
        # None: this process for the built-in vectorized decoders and integrators (measured: two spawned workers
        # made a 50 M-event DVS128 Gesture preparation 2x slower, shipping events between processes costs more
        # than decoding them), all CPUs for a custom integration function (Python code per sample)
        self.workers = (
            (default_workers() if custom_integrate_function is not None else 1)
            if workers is None
            else (max(0, int(workers)))
        )
        self.progress = progress
        self.spec: FrameSpec | None = None
        if isinstance(representation, str):
            representation, parsed = parse_representation(representation)
            if parsed is not None and windows is not None:
                raise ValueError("give the window rule once: in the representation string or as windows=")
            windows = windows or parsed
        if data_type == "frame":
            custom_name = None
            if custom_integrate_function is not None:
                custom_name = _custom_key(custom_integrate_function, custom_integrated_frames_dir_name, cache_key)
            self.spec = FrameSpec(
                frames_number=frames_number,
                split_by=split_by,
                duration=duration,
                custom=custom_name,
                dtype=dtype,
                orientation=self.orientation,
                dataset_version=self.dataset_version(self.root, self.source, self.cache_root),
                windows=windows,
                representation=representation,
            )
        elif any(
            v is not None
            for v in (frames_number, split_by, duration, custom_integrate_function, representation, windows)
        ):
            raise ValueError(
                "frames_number, split_by, duration, custom_integrate_function, representation and windows need "
                "data_type='frame'"
            )
        wanted = self.splits if train is None else ("train" if train else "test",)
        stores = self.prepare_events(
            self.root,
            download=download,
            workers=self.workers,
            progress=progress,
            cache_dir=self.cache_root,
            source=self.source,
        )
        version = self.dataset_version(self.root, self.source, self.cache_root)
        sources = {"sources": self._sources_record(self.root, self.source, version)}
        events = {s: EventStore(p, expect=sources) for s, p in stores.items()}
        self._events = [events[s] for s in wanted]
        self._frames: list[FrameReader] | None = None
        if self.spec is not None:
            entry = self._build_frames(events, custom_integrate_function)
            self._frames = [FrameReader(entry / f"{s}.nds", spec=self.spec, source=events[s].digest) for s in wanted]
        self._bounds = np.cumsum([0] + [len(s) for s in self._events])
        self._index: np.ndarray | None = None  # a subset of the stores' samples (partitions)
        self.targets = np.concatenate([s.labels for s in self._events]).astype(np.int64)

    def _select(self, index: np.ndarray) -> None:
        """Restrict the dataset to `index` (positions into the stores), keeping that order."""
        all_targets = np.concatenate([s.labels for s in self._events]).astype(np.int64)
        self._index = np.asarray(index, dtype=np.int64)
        self.targets = all_targets[self._index]

    # ------------------------------------------------------------------ class-level life cycle

    @classmethod
    def dataset_version(
        cls, root: Path, source: Source | None = None, cache_dir: str | Path | None = None
    ) -> str:
        """The class version, suffixed with the sample manifest's id for a miniature copy, with
        `prepared.VERSION_SUFFIX` when the events come from SpikingJelly's ``events_np`` (`_prepared`), or with
        the listing digest of an extracted tree (`locate`)."""
        manifest = Path(root) / "download" / SAMPLE_MANIFEST
        version = cls.version
        if manifest.exists():
            version = f"{cls.version}-sample-{json.loads(manifest.read_text())['id']}"
        if cls._prepared(root, version, cache_dir) is not None:
            return version + VERSION_SUFFIX
        source = source or cls.locate(root)
        return f"{version}-tree-{source.key}" if source.kind == "tree" else version

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        """Whether `folder` holds this dataset's extracted files (subclass hook; False: no tree accepted)."""
        return False

    @classmethod
    def tree_candidates(cls, root: Path) -> list[Path]:
        """Where an extracted tree may be: SpikingJelly's ``root/extract``, then the official layout at `root`."""
        return [Path(root) / "extract", Path(root)]

    @classmethod
    def locate(cls, root: str | Path) -> Source:
        """The raw files to read: the archives when all are in ``root/download`` (or none is and no extracted
        tree exists), else the first extracted tree of `tree_candidates`. (SpikingJelly's decoded
        ``events_np``, when complete, is read before either: see `_prepared`.)"""
        root = Path(root)
        download = root / "download"
        if (download / SAMPLE_MANIFEST).exists():
            return Source("archives", download)
        if all((download / r.filename).exists() for r in cls.resources):
            return Source("archives", download)
        for folder in cls.tree_candidates(root):
            if folder.is_dir() and cls._is_tree(folder):
                return Source("tree", folder, tree_digest(folder, cls.raw_suffixes))
        return Source("archives", download)

    @classmethod
    def resources_for(cls, root: Path) -> tuple[Resource, ...]:
        """The files to fetch or verify: the official ones, or a miniature copy's (see `neurodata.synth`)."""
        manifest = Path(root) / "download" / SAMPLE_MANIFEST
        if not manifest.exists():
            return cls.resources
        data = json.loads(manifest.read_text())
        if data.get("dataset") != cls.name:
            raise NeurodataError(f"{manifest} describes {data.get('dataset')!r}, not {cls.name!r}")
        return tuple(
            Resource(r["filename"], tuple(r.get("urls", ())), md5=r.get("md5"), sha256=r.get("sha256"))
            for r in data["resources"]
        )

    @classmethod
    def download(cls, root: str | Path, *, progress: bool = True) -> list[Path]:
        """Fetch every resource that is missing (or verify what is there); return their paths."""
        root = Path(root)
        paths = []
        for r in cls.resources_for(root):
            dest = root / "download" / r.filename
            if not r.urls:
                if not dest.exists():
                    raise DatasetNotFoundError(cls._manual_message(root, r))
                verify_file(dest, md5=r.md5, sha256=r.sha256, what_to_do=cls._manual_message(root, r))
                paths.append(dest)
                continue
            paths.append(download_file(r.urls, dest, md5=r.md5, sha256=r.sha256, size=r.size, progress=progress))
        return paths

    @classmethod
    def verify(cls, root: str | Path) -> list[Path]:
        """Check every resource under ``root/download`` against its checksums; raise naming what is wrong."""
        root = Path(root)
        paths = []
        for r in cls.resources_for(root):
            dest = root / "download" / r.filename
            if not dest.exists():
                raise DatasetNotFoundError(
                    f"{cls.name}: {dest} is missing; run `neurodata download {cls.name} --root {root}`"
                    + cls._tree_hint(root)
                    if r.urls
                    else cls._manual_message(root, r)
                )
            fix = "Replace it with the published file, or delete it and run `neurodata download`"
            if cls.tree_layout:
                fix += f"; recordings of your own go into an extracted tree instead ({cls.tree_layout})"
            verify_file(dest, md5=r.md5, sha256=r.sha256, what_to_do=fix + ".")
            paths.append(dest)
        return paths

    @classmethod
    def _manual_message(cls, root: Path, r: Resource) -> str:
        digest = f" (md5 {r.md5})" if r.md5 else f" (sha256 {r.sha256})" if r.sha256 else ""
        return (
            f"{cls.name}: {r.filename} cannot be downloaded by script. {r.manual or ''} "
            f"Put it at {root / 'download' / r.filename}{digest}, then run again"
            + cls._tree_hint(root)
            + "."
        ).replace("  ", " ")

    @classmethod
    def _tree_hint(cls, root: Path) -> str:
        if not cls.tree_layout:
            return ""
        where = " or ".join(str(p) for p in cls.tree_candidates(root))
        return f", or put the extracted files ({cls.tree_layout}) under {where}"

    @classmethod
    def _sources(cls, root: Path) -> dict[str, str]:
        """Each resource's file name -> its digests: what its extraction and the event stores are keyed by."""
        return {
            r.filename: ",".join(f"{a}:{d.lower()}" for a, d in (("md5", r.md5), ("sha256", r.sha256)) if d)
            for r in cls.resources_for(root)
        }

    @classmethod
    def _sources_record(cls, root: Path, source: Source, version: str) -> str:
        """What the event stores were decoded from, as stored in (and required of) them: the digests of the
        archives, the listing digest of an extracted tree, or SpikingJelly's ``events_np`` (whose files carry no
        digests; its folder's presence is what `dataset_version` keys)."""
        if version.endswith(VERSION_SUFFIX):
            return json.dumps([[EVENTS_NP, "decoded by SpikingJelly"]])
        if source.kind == "tree":
            return json.dumps([["tree", str(source.key)]])
        return json.dumps(sorted(cls._sources(root).items()))

    @classmethod
    def extract(cls, root: Path, archives: list[Path]) -> Path:
        """Extract the archives into ``root/extract`` (each into place atomically); return that folder.

        Each extraction records its archive's digests: one made from other archives is extracted again.
        """
        out = root / "extract"
        sources = cls._sources(root)
        for a in archives:
            extract_archive(a, out / a.name.split(".")[0], source=sources.get(a.name))
        return out

    @classmethod
    def verify_cache(
        cls, root: str | Path, *, repair: bool = True, progress: bool = True, cache_dir: str | Path | None = None
    ) -> Any:
        """Check every stored sample of the caches under `root` (or `cache_dir`); with `repair`, rebuild the
        damaged files only.

        Returns a `neurodata.datasets.repair.CacheReport`; see `neurodata.datasets.repair.verify_cache`.
        """
        from neurodata.datasets.repair import verify_cache

        return verify_cache(cls, root, repair=repair, progress=progress, cache_dir=cache_dir)

    @classmethod
    def events_dir(
        cls, root: Path, *, cache_dir: str | Path | None = None, source: Source | None = None
    ) -> Path:
        """``<cache_dir or root>/events/<decoder key>``: the event stores, keyed by what decoding and their
        format depend on."""
        return cls._events_dir(cache_dir or root, cls.dataset_version(root, source, cache_dir))

    @classmethod
    def _events_dir(cls, base: str | Path, version: str) -> Path:
        return Path(base) / "events" / f"v{version}-{cls.orientation}-e{EVENTS_FORMAT_VERSION}"

    @classmethod
    def _prepared(cls, root: Path, version: str, cache_dir: str | Path | None = None) -> PreparedSource | None:
        """SpikingJelly's decoded copy of the raw files (``events_np``), used when our own store is absent."""
        if all((cls._events_dir(cache_dir or root, version) / f"{s}.nds").exists() for s in cls.splits):
            return None
        return prepared_source(cls.name, cls.sensor, root)

    @classmethod
    def prepare_events(
        cls,
        root: str | Path,
        *,
        download: bool = False,
        workers: int = 1,
        progress: bool = True,
        cache_dir: str | Path | None = None,
        source: Source | None = None,
    ) -> dict[str, Path]:
        """Make sure every split's event store exists (download/verify/extract/decode as needed).

        The stores go under ``cache_dir`` (default `root`); an extracted tree (see `locate`) is decoded in
        place when the archives are absent.
        """
        root = Path(root)
        source = source or cls.locate(root)
        version = cls.dataset_version(root, source, cache_dir)
        out = cls._events_dir(cache_dir or root, version)
        stores = {s: out / f"{s}.nds" for s in cls.splits}
        sources = cls._sources_record(root, source, version)
        if all(_store_is_current(p, sources) for p in stores.values()):
            return stores
        ensure_writable(out.parent, f"the event stores of {cls.name}")
        with file_lock(out.with_name(out.name + ".lock")):
            stale = [p for p in stores.values() if not _store_is_current(p, sources)]
            if not stale:
                return stores
            for p in stale:  # ours, stale or damaged: decoded again below (a kill now only leaves them missing)
                p.unlink(missing_ok=True)
            prepared = prepared_source(cls.name, cls.sensor, root) if version.endswith(VERSION_SUFFIX) else None
            if prepared is not None:
                log.info("%s: reading SpikingJelly's decoded events in %s", cls.name, prepared.folder)
                tasks_of, decode = prepared.tasks, prepared.decode
                parallel = sum(1 for _ in prepared.folder.rglob("*.npz")) >= _PARALLEL_MIN_FILES
            else:
                if source.kind == "tree":
                    log.info("%s: reading the extracted tree %s (no archives in %s)", cls.name, source.path,
                             root / "download")
                    extracted, archives = source.path, []
                else:
                    archives = cls.download(root, progress=progress) if download else cls.verify(root)
                    extracted = cls.extract(root, archives)
                parallel = sum(p.stat().st_size for p in archives) >= _PARALLEL_MIN_BYTES
                tasks_of, decode = (lambda split: cls._tasks(extracted, split)), cls._decode
            decode_into_stores(
                cls.name,
                stores,
                tasks_of,
                decode,
                cls.sensor,
                parallel=parallel,
                workers=workers,
                progress=progress,
                origin="raw" if prepared is None else EVENTS_NP,
                sources=sources,
            )
        return stores

    def _build_frames(self, events: dict[str, EventStore], custom: Callable[..., Any] | None) -> Path:
        assert self.spec is not None
        sensor = self.sensor
        total = sum(int(s.offsets[-1]) for s in events.values())
        parallel = total >= _PARALLEL_MIN_EVENTS and (custom is None or _picklable(custom))
        with _Workers(self.workers, self.progress) as pool:
            plan = {
                split: (
                    len(store),
                    lambda split=split, store=store: pool.map(
                        _Integrate(store.path, self.spec, sensor, custom),
                        range(len(store)),
                        f"{self.name} {split}: {self.spec.describe()}",
                        parallel=parallel,
                    ),
                    store.labels,
                )
                for split, store in events.items()
            }
            sources = {split: store.digest for split, store in events.items()}
            return build_frame_cache(self.cache_root, self.spec, plan, self.spec.frame_shape(sensor), sources=sources)

    # ------------------------------------------------------------------ subclass hooks

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        raise NotImplementedError

    @staticmethod
    def _decode(task: Any) -> list[tuple[np.ndarray, int, dict[str, Any]]]:
        raise NotImplementedError

    # ------------------------------------------------------------------ Dataset

    def __len__(self) -> int:
        return int(self._bounds[-1]) if self._index is None else len(self._index)

    def _locate(self, index: int) -> tuple[int, int]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {self.name} with {n} samples")
        index %= n
        if self._index is not None:
            index = int(self._index[index])
        part = int(np.searchsorted(self._bounds, index, side="right")) - 1
        return part, index - int(self._bounds[part])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        part, i = self._locate(int(index))
        if self._frames is not None:
            data: Any = self._frames[part].read(i, np.float32)
            if self.sensor.is_1d and self.spec.custom is None:
                data = one_d_frames(data, polarity_channels=isinstance(self.spec.representation, Counts | None))
            if isinstance(self.spec.representation, SparseCounts):
                data = integrate.to_sparse_coo(data)
        else:
            data = self._events[part].fields(i)
        label: Any = int(self._events[part].labels[i])
        if self.transform is not None:
            data = self.transform(data)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return data, label

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, Any]]:
        """A batch of items, as ``[self[i] for i in indices]``; what a DataLoader calls per batch.

        Frames without a transform are decoded straight into one zero-padded `[B, T_max, 2, H, W]` float32
        array and returned as views of it, which `pad_sequence_collate` hands on without copying: one
        write per sample instead of an allocation, a write and a copy. The array's memory is recycled
        (`neurodata.buffers`) once the batch and everything made from it are gone.
        """
        if (
            self._frames is None
            or self.transform is not None
            or isinstance(self.spec.representation, SparseCounts)
            or self.sensor.is_1d  # frames [T, 1, W] are views of [T, 2, 1, W]: no padded batch to hand on
        ):
            return [self[i] for i in indices]
        where = [self._locate(int(i)) for i in indices]
        lengths = [self._frames[part].length(i) for part, i in where]
        shape = self._frames[0].frame_shape
        batch = batch_pool().empty((len(where), max(lengths, default=0), *shape), np.float32)
        jobs = []
        for k, ((part, i), n) in enumerate(zip(where, lengths, strict=True)):
            batch[k, n:] = 0  # recycled memory: the padding is written too
            jobs.append(self._frames[part].fetch(i, batch[k, :n]))
        items = []
        for frames, (part, i) in zip(decode_all(jobs), where, strict=True):
            label: Any = int(self._events[part].labels[i])
            if self.target_transform is not None:
                label = self.target_transform(label)
            items.append((frames, label))
        return items

    def frame_count(self, index: int) -> int:
        """Number of frames T of sample `index` (``data_type='frame'`` only), read without decoding the frames."""
        if self._frames is None:
            raise ValueError(f"{self.name}: frame_count needs data_type='frame'")
        part, i = self._locate(int(index))
        return self._frames[part].length(i)

    def metadata(self, index: int) -> dict[str, str]:
        """Per-sample metadata (for example the recording, user and lighting of DVS128 Gesture)."""
        part, i = self._locate(int(index))
        return {k: v[i] for k, v in self._events[part].meta.items()}

    def __add__(self, other: Any) -> Any:
        """``a + b``: a ``torch.utils.data.ConcatDataset`` of both, as for torch datasets."""
        from torch.utils.data import ConcatDataset

        return ConcatDataset([self, other])

    @classmethod
    def get_H_W(cls) -> tuple[int, int]:
        """(height, width), SpikingJelly's name."""
        return cls.sensor.height, cls.sensor.width

    def __repr__(self) -> str:
        what = self.spec.describe() if self.spec else "events"
        split = {None: "train+test", True: "train", False: "test"}[self.train]
        return f"{type(self).__name__}(root={str(self.root)!r}, split={split}, {what}, samples={len(self)})"
