"""ES-ImageNet (Lin et al., 2021): ImageNet-1k images turned into 8-step event streams, 1000 classes.

Published as 25 RAR volumes (``ES-imagenet-0.18.partNN.rar``, about 100 GB) holding
``ES-imagenet-0.18/train/class<k>/<name>.npz``, ``ES-imagenet-0.18/val/<name>.npz`` and ``vallabel.txt``
(``<name> <k>`` per line). Preparation does not extract them: members are streamed from the volumes one at a
time (`rarfile`; compressed members go through its ``unrar`` / ``unar`` / ``7z`` / ``bsdtar`` backend, one
call per member), so no archive is held in memory or copied to disk. Without the volumes, a tree extracted
beforehand into ``root/extract/ES-imagenet-0.18`` (``unrar x``, one pass, faster for compressed volumes; or
SpikingJelly's extraction) is read instead.
Decoded batches are kept as shards beside the event store until it is complete, so an interrupted
preparation resumes where it stopped: each shard is a checksummed event store of its own (`neurodata.store`),
named by the digest of the volumes' checksums and its batch, so a damaged, cut or foreign shard is decoded
again, never read.
"""

from __future__ import annotations

import contextvars
import hashlib
import importlib
import io
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from neurodata.cache import EventStore, write_event_store
from neurodata.datasets._common import Sample
from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.errors import CacheError, DatasetNotFoundError, OptionalDependencyError
from neurodata.events import SensorSize
from neurodata.io.numpy_events import decode_es_imagenet

TOP = "ES-imagenet-0.18"
_CLOUD = "https://cloud.tsinghua.edu.cn/d/94873ab4ec2a4eb497b3/files/?p=%2F{}&dl=1"
# MD5 of each volume, as SpikingJelly 2.0 lists them
_MD5 = (
    "900bdd57b5641f7d81cd4620283fef76", "5982532009e863a8f4e18e793314c54b", "8f408c1f5a1d4604e48d0d062a8289a0",
    "5c5b5cf0a55954eb639964e3da510097", "51feb661b4c9fa87860b63e76b914673", "fcd007a2b17b7c13f338734c53f6db31",
    "d3e74b96d9c5df15714bbc3abcd329fc", "65b9cf7fa63e18d2e7d92ff45a42a5e5", "241c9a37a83ff9efd305fe46d012211e",
    "ceee96971008e30d0cdc34086c49fd75", "4fbfefbe6e48758fbb72427c81f119cf", "c8cc163be4e5f6451201dccbded4ec24",
    "08c9dff32f6b42c49ef7cd78e37c728e", "43aa157dc5bd5fcea81315a46e0322cf", "480a69b050f465ef01efcc44ae29f7df",
    "11abd24d92b93e7f85acd63abd4a18ab", "3891486a6862c63a325c5f16cd01fdd1", "cf8bb0525b514f411bca9d7c2d681f7c",
    "3766bc35572ccacc03f0f293c571d0ae", "bf73a5e338644122220e41da7b5630e6", "564de4a2609cbb0bb67ffa1bc51f2487",
    "60a9e52db1acadfccc9a9809073f0b04", "373b5484826d40d7ec35f0e1605cb6ea", "a50612e889b20f99cc7b2725dfd72e9e",
    "0802ccdeb0cff29237faf55164524101",
)
_TRAIN = re.compile(rf"{re.escape(TOP)}/train/class(\d+)/([^/]+\.npz)$")
_VAL = re.compile(rf"{re.escape(TOP)}/val/([^/]+\.npz)$")
_SHARD = 2048  # samples per decode task and per resumable shard
# the running preparation's shard folder and the record of its sources (archive digests or tree listing)
_SHARDS: contextvars.ContextVar[tuple[Path, str] | None] = contextvars.ContextVar("es_imagenet_shards", default=None)

log = logging.getLogger(__name__)


def _rarfile() -> Any:
    try:
        return importlib.import_module("rarfile")
    except ImportError as err:
        raise OptionalDependencyError(
            "ES-ImageNet's RAR volumes need the optional package 'rarfile': pip install 'neurodata-snnmodels[datasets]'"
        ) from err


_OPEN: dict[tuple[str, int], Any] = {}  # (first volume, pid) -> RarFile: headers parsed once per process


def _open_volumes(first: str) -> Any:
    key = (first, os.getpid())
    if key not in _OPEN:
        _OPEN.clear()  # one archive at a time; a forked child never reuses its parent's handles
        _OPEN[key] = _rarfile().RarFile(first)
    return _OPEN[key]


def _first_volume(folder: Path) -> Path:
    found = sorted(folder.glob(f"{TOP}.part*1.rar")) or sorted(folder.glob("*.part*1.rar"))
    if not found:
        raise DatasetNotFoundError(f"es-imagenet: no first RAR volume ({TOP}.part01.rar) in {folder}")
    return found[0]


def _write_shard(path: Path, samples: list[Sample]) -> None:
    """Write a decoded batch as a checksummed event store (`neurodata.cache.write_event_store`), atomically:
    a shard is either complete or absent. Its name, which holds the digest of its task, is stored in it."""
    sensor = ESImageNet.sensor
    write_event_store(path, samples, (sensor.height, sensor.width), attrs={"dataset": ESImageNet.name,
                                                                         "shard": path.name})


def load_shard(path: Path, files: list[str]) -> list[Sample]:
    """The samples of the shard `path`, whose files must be `files` (its task's); a `CacheError` naming the
    file when it is damaged, cut short, renamed or holds another batch."""
    store = EventStore(path, expect={"shard": path.name})
    try:
        stored = store.meta.get("file", [])
        if stored != files:
            raise CacheError(f"{path} holds other samples ({len(stored)}) than its task's {len(files)}")
        return [(store[i], int(store.labels[i]), {"file": stored[i]}) for i in range(len(store))]
    finally:
        store.close()


def _read_shard(path: Path, files: list[str]) -> list[Sample] | None:
    """`load_shard`, or None (the shard deleted, to be decoded again) where it cannot be used."""
    try:
        return load_shard(path, files)
    except CacheError as err:
        log.warning("es-imagenet: the shard will be decoded again: %s", err)
        path.unlink(missing_ok=True)
        return None


class ESImageNet(EventDataset):
    """ES-ImageNet: 1000 classes, official train / val (here ``test``) split, 256x256, t in time steps 0..7.

    Labels are the numbers k of the ``class<k>`` folders and of ``vallabel.txt`` (SpikingJelly labels by the
    folders' string order, where ``class10`` comes before ``class2``; `neurodata.compat.spikingjelly` does
    the same). Events: ON (``pos``) then OFF (``neg``) rows of each sample's ``.npz``, stably sorted by t.
    Frames: ``frames_number=8, split_by='time'`` or ``duration=1`` give one frame per time step.
    Needs the ``datasets`` extra (rarfile) and, for the published compressed volumes, one of the tools
    rarfile drives (``unrar``, ``unar``, ``7z`` or ``bsdtar``).
    """

    name = "es-imagenet"
    sensor = SensorSize(256, 256)
    classes = tuple(f"class{k}" for k in range(1000))
    resources = tuple(
        Resource(f"{TOP}.part{k + 1:02d}.rar", (_CLOUD.format(f"{TOP}.part{k + 1:02d}.rar"),), md5=md5)
        for k, md5 in enumerate(_MD5)
    )

    @classmethod
    def extract(cls, root: Path, archives: list[Path]) -> Path:
        """Nothing is extracted: the members are streamed from the volumes in ``root/download``."""
        return Path(root) / "download"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return (folder / TOP / "train").is_dir()

    @classmethod
    def prepare_events(cls, root: str | Path, **kw: Any) -> dict[str, Path]:
        root = Path(root)
        source = kw.get("source") or cls.locate(root)
        cache_dir = kw.get("cache_dir")
        version = cls.dataset_version(root, source, cache_dir)
        shards = cls._shard_dir(root, cache_dir=cache_dir, source=source)
        token = _SHARDS.set((shards, cls._sources_record(root, source, version)))
        try:
            stores = super().prepare_events(root, **kw)
        finally:
            _SHARDS.reset(token)
        shutil.rmtree(shards, ignore_errors=True)  # the stores are complete
        return stores

    @classmethod
    def _shard_dir(cls, root: Path, *, cache_dir: str | Path | None = None, source: Any = None) -> Path:
        """Where the decoded shards of `root`'s preparation wait (beside its event store)."""
        out = cls.events_dir(root, cache_dir=cache_dir, source=source)
        return out.with_name(out.name + ".shards")

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        tree = extracted / TOP
        if tree.is_dir():  # extracted beforehand (unrar x, SpikingJelly): members are files
            first = extracted
            names = sorted(p.relative_to(first).as_posix() for p in tree.rglob("*") if p.is_file())

            def read(member: str) -> bytes:
                return (first / member).read_bytes()

        else:
            first = _first_volume(extracted)
            rf = _open_volumes(str(first))
            names, read = rf.namelist(), rf.read
        if split == "train":
            # by class number, then file name: the same order from the volumes and from an extracted tree
            items = sorted(
                ((n, int(m.group(1)), m.group(2)) for n in names if (m := _TRAIN.match(n))), key=lambda it: it[1:]
            )
        else:
            listing = f"{TOP}/vallabel.txt"
            if listing not in names:
                raise DatasetNotFoundError(f"{cls.name}: {first} holds no {listing}; the volumes are incomplete")
            labels = dict(_parse_vallabel(read(listing).decode()))
            present = {m.group(1): n for n in names if (m := _VAL.match(n))}
            missing = [f for f in labels if f not in present]
            if missing:
                raise DatasetNotFoundError(
                    f"{cls.name}: vallabel.txt lists {missing[:5]}..., absent from the volumes"
                )
            items = [(present[f], k, f) for f, k in labels.items()]
        if not items:
            raise DatasetNotFoundError(f"{cls.name}: no {split} samples in the volumes starting with {first}")
        running = _SHARDS.get()
        if running is None:  # called outside `prepare_events`: the shards of the root above `extracted`
            root = extracted.parent
            source = cls.locate(root)
            running = (cls._shard_dir(root, source=source),
                       cls._sources_record(root, source, cls.dataset_version(root, source)))
        shards, sources = running
        shards.mkdir(parents=True, exist_ok=True)
        tasks = []
        for a in range(0, len(items), _SHARD):
            chunk = items[a : a + _SHARD]
            # keyed by the volumes' digests (or the tree's listing) and the batch: a shard of other volumes
            # or another batch never matches
            key = hashlib.sha256(repr((sources, chunk)).encode()).hexdigest()[:16]
            tasks.append((str(first), chunk, str(shards / f"{split}-{a:08d}-{key}.nds")))
        return tasks

    @staticmethod
    def _decode(task: tuple[str, list[tuple[str, int, str]], str]) -> list[Sample]:
        first, chunk, shard = task
        shard_path = Path(shard)
        if shard_path.exists() and (done := _read_shard(shard_path, [f for _, _, f in chunk])) is not None:
            return done
        sensor = ESImageNet.sensor
        out: list[Sample] = []
        if Path(first).is_dir():  # an extracted tree
            for member, label, fname in chunk:
                data = (Path(first) / member).read_bytes()
                out.append((decode_es_imagenet(data, str(Path(first) / member), sensor), label, {"file": fname}))
        else:
            rf = _open_volumes(first)
            for member, label, fname in chunk:
                with rf.open(member) as f:  # one member at a time, a few kB each
                    data = f.read()
                out.append((decode_es_imagenet(io.BytesIO(data), f"{first}:{member}", sensor), label, {"file": fname}))
        _write_shard(shard_path, out)
        return out


def _parse_vallabel(text: str) -> list[tuple[str, int]]:
    rows = []
    for k, line in enumerate(text.splitlines()):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit():
            raise DatasetNotFoundError(f"es-imagenet: vallabel.txt line {k + 1} is {line!r}; expected '<file> <class>'")
        rows.append((parts[0], int(parts[1])))
    return rows
