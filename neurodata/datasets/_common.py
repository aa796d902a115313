"""What the datasets of one file per sample share: class-folder listings, nested archives, seeded splits.

`UnsplitDataset` is the base of the datasets without an official train/test split (N-Caltech101, ASL-DVS,
NAV Gesture): it holds every sample, and ``train=True/False`` selects a seeded stratified partition
(`neurodata.datasets.cifar10_dvs.partition`, ``'random'``), as CIFAR10-DVS does.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurodata.datasets.base import EventDataset, check_partition, iter_batches
from neurodata.datasets.cifar10_dvs import partition
from neurodata.errors import DatasetNotFoundError

Item = tuple[str, int, dict[str, Any]]
Sample = tuple[np.ndarray, int, dict[str, Any]]


def find_top(extracted: Path, name: str, what: str, inner: Iterable[str] = ()) -> Path:
    """The shallowest folder called `name` under `extracted` holding one of the folders `inner` (any
    folder when `inner` is empty): extraction folders are named like the archives' own top folders."""
    inner = tuple(inner)
    found = sorted(
        (p for p in Path(extracted).rglob(name) if p.is_dir() and (not inner or any((p / c).is_dir() for c in inner))),
        key=lambda p: (len(p.parts), str(p)),
    )
    if not found:
        raise DatasetNotFoundError(f"{what}: no folder {name!r} under {extracted}; the archive is incomplete")
    return found[0]


def class_files(top: Path, classes: Iterable[str], suffix: str, what: str, *, allow_empty: bool = False) -> list[Item]:
    """``(path, label, {'file': name})`` of every ``*<suffix>`` file in each class folder of `top`, sorted by
    class (in `classes` order) then file name; a class folder that is missing or empty is an error."""
    items: list[Item] = []
    for label, c in enumerate(classes):
        folder = top / c
        files = sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []
        if not files and not allow_empty:
            raise DatasetNotFoundError(
                f"{what}: no {suffix} files for class {c!r} in {folder}; the archive is incomplete"
            )
        items += [(str(p), label, {"file": p.name}) for p in files]
    return items


def unknown_folders(top: Path, classes: Iterable[str], what: str) -> None:
    """Refuse class folders that the dataset does not know (a different release, or a wrong folder)."""
    extra = sorted(p.name for p in top.iterdir() if p.is_dir() and p.name not in set(classes))
    if extra:
        raise DatasetNotFoundError(f"{what}: {top} holds folders {extra} that are not classes of this dataset")


def batched(items: list[Any], size: int = 128) -> list[list[Any]]:
    """`items` in lists of `size` (decode tasks: one task per batch, so worker processes get enough work)."""
    return list(iter_batches(items, size))


def extent(events: np.ndarray) -> dict[str, int]:
    """Per-sample extent ``{'width': x.max() + 1, 'height': y.max() + 1}`` (0 for an empty sample)."""
    if events.size == 0:
        return {"width": 0, "height": 0}
    return {"width": int(events["x"].max()) + 1, "height": int(events["y"].max()) + 1}


MEMBER = "::"  # "<zip>::<member>": a file inside one of the zips of an archive (read without extracting)


def raw_files(top: Path, suffix: str) -> list[str]:
    """Every ``*<suffix>`` under `top`, as a path, or as ``<zip>::<member>`` for one inside a zip under `top`
    (ASL-DVS, NAV Gesture and N-CARS ship zips of zips: the inner ones are read where they are, not extracted)."""
    found = [str(p) for p in sorted(top.rglob(f"*{suffix}")) if p.is_file()]
    for inner in sorted(top.rglob("*.zip")):
        try:
            with zipfile.ZipFile(inner) as zf:
                names = sorted(n for n in zf.namelist() if n.endswith(suffix) and not n.endswith("/"))
        except zipfile.BadZipFile as err:
            raise DatasetNotFoundError(f"{inner}: not a readable zip ({err}); the archive is damaged") from err
        found += [f"{inner}{MEMBER}{n}" for n in names]
    return found


def member_parts(item: str) -> tuple[str, ...]:
    """The path components of a raw file or zip member (folder names give labels and splits)."""
    inner = item.split(MEMBER, 1)[-1]
    return Path(inner).parts


def read_raw(item: str) -> bytes:
    """The bytes of a file or of a ``<zip>::<member>``."""
    if MEMBER not in item:
        return Path(item).read_bytes()
    archive, member = item.split(MEMBER, 1)
    with zipfile.ZipFile(archive) as zf:
        return zf.read(member)


def has_zips(folder: Path, name_part: str = "") -> bool:
    """Whether `folder` holds zips (with `name_part` in their names), as an unpacked outer archive does."""
    return any(name_part in p.name for p in folder.glob("*.zip"))


class UnsplitDataset(EventDataset):
    """A dataset without an official split: all samples, or ``train=True/False`` for a seeded stratified one.

    Constructor: SpikingJelly's positional arguments (no `train`), then ``train=None`` (all samples),
    ``train_ratio`` (default `default_train_ratio`, per class, rounded up for train) and ``seed``.
    """

    splits = ("all",)
    default_train_ratio: ClassVar[float] = 0.9

    def __init__(
        self,
        root: str | Path,
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        *,
        train: bool | None = None,
        train_ratio: float | None = None,
        seed: int = 0,
        **kw: Any,
    ) -> None:
        super().__init__(
            root,
            None,
            data_type,
            frames_number,
            split_by,
            duration,
            custom_integrate_function,
            custom_integrated_frames_dir_name,
            transform,
            target_transform,
            **kw,
        )
        if train not in (True, False, None):
            raise ValueError(f"train must be True, False or None (every sample), got {train!r}")
        self.train = train
        if train is not None:
            labels = self._events[0].labels
            ratio = self.default_train_ratio if train_ratio is None else train_ratio
            tr, te = partition(labels, np.zeros(len(labels), np.int64), "random", train_ratio=ratio, seed=seed)
            self._select(tr if train else te)
            check_partition(self.name, train, len(self), labels, ratio)
