"""CIFAR10-DVS (Li et al., 2017): 10,000 DVS128 recordings of moving CIFAR-10 images, 1000 per class."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.datasets.base import EventDataset, check_partition, iter_batches
from neurodata.download import Resource
from neurodata.events import SensorSize
from neurodata.io.aedat import read_aedat2

_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_FIGSHARE = {
    "airplane": ("7712788", "0afd5c4bf9ae06af762a77b180354fdd"),
    "automobile": ("7712791", "8438dfeba3bc970c94962d995b1b9bdd"),
    "bird": ("7712794", "a9c207c91c55b9dc2002dc21c684d785"),
    "cat": ("7712812", "52c63c677c2b15fa5146a8daf4d56687"),
    "deer": ("7712815", "b6bf21f6c04d21ba4e23fc3e36c8a4a3"),
    "dog": ("7712818", "f379ebdf6703d16e0a690782e62639c3"),
    "frog": ("7712842", "cad6ed91214b1c7388a5f6ee56d08803"),
    "horse": ("7712851", "e7cbbf77bec584ffbf913f00e682782a"),
    "ship": ("7712836", "41c7bd7d6b251be82557c6cce9a7d5c9"),
    "truck": ("7712839", "89f3922fd147d9aeff89e76a2b0b70a7"),
}
SPLIT_SCHEMES = ("random", "first100")


def _file_index(name: str) -> int:
    m = re.search(r"_(\d+)\.aedat$", name)
    return int(m.group(1)) if m else -1


def partition(
    labels: np.ndarray, file_index: np.ndarray, scheme: str, *, train_ratio: float = 0.9, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test positions for a dataset without an official split.

    * ``'random'``: per class, a seeded permutation; the first ``ceil(n * train_ratio)`` go to train.
    * ``'first100'``: per class, files ``*_0`` .. ``*_99`` are test, the rest train (the split of the
      TEBN paper, common in the literature; its accuracies run higher than a random split's).

    Returns ``(train, test)`` sorted position arrays; together they hold every sample once.
    """
    if scheme not in SPLIT_SCHEMES:
        raise ValueError(f"split scheme must be one of {SPLIT_SCHEMES}, got {scheme!r}")
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train_ratio must be in (0, 1), got {train_ratio!r}")
    train, test = [], []
    rng = np.random.default_rng(seed)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if scheme == "first100":
            is_test = file_index[members] < 100
            test.append(members[is_test])
            train.append(members[~is_test])
        else:
            perm = members[rng.permutation(len(members))]
            k = math.ceil(len(members) * train_ratio)
            train.append(perm[:k])
            test.append(perm[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


class CIFAR10DVS(EventDataset):
    """CIFAR10-DVS, SpikingJelly-compatible: ``CIFAR10DVS(root, data_type='frame', frames_number=10, ...)``.

    Without `train` it holds all 10,000 samples, as SpikingJelly's. ``train=True/False`` selects a
    deterministic stratified partition (`partition`): ``split_scheme='random'`` (seeded 9:1 per class,
    the default) or ``'first100'``. Events are decoded with SpikingJelly's orientation
    (x = 127 - y_raw, y = 127 - x_raw, p = 1 - polarity bit), so its caches and models agree with ours.
    """

    name = "cifar10-dvs"
    sensor = SensorSize(128, 128)
    classes = _CLASSES
    splits = ("all",)
    orientation = "cifar10dvs"
    resources = tuple(
        Resource(
            f"{c}.zip",
            (f"https://ndownloader.figshare.com/files/{fid}", f"https://api.figshare.com/v2/file/download/{fid}"),
            md5=md5,
        )
        for c, (fid, md5) in _FIGSHARE.items()
    )

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
        split_scheme: str = "random",
        train_ratio: float = 0.9,
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
        self.train = train
        if train is not None:
            files = np.array([_file_index(f) for f in self._events[0].meta["file"]])
            tr, te = partition(self._events[0].labels, files, split_scheme, train_ratio=train_ratio, seed=seed)
            self._select(tr if train else te)
            check_partition(self.name, train, len(self), self._events[0].labels, train_ratio)

    raw_suffixes = (".aedat",)
    tree_layout = "one folder of .aedat files per class: airplane/ ... truck/"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all((folder / c).is_dir() for c in _CLASSES)

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        files = []
        for label, c in enumerate(_CLASSES):
            found = sorted((extracted / c).rglob("*.aedat"), key=lambda p: (_file_index(p.name), p.name))
            if not found:
                raise FileNotFoundError(f"{cls.name}: no .aedat files for class {c!r} under {extracted / c}")
            files += [(str(p), label) for p in found]
        return list(iter_batches(files, 64))

    @staticmethod
    def _decode(task: list[tuple[str, int]]) -> list[tuple[np.ndarray, int, dict[str, Any]]]:
        return [(read_aedat2(path, orientation="cifar10dvs"), label, {"file": Path(path).name}) for path, label in task]
