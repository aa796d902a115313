"""The datasets: registry, SpikingJelly-compatible classes, and splitting helpers."""

from __future__ import annotations

import math
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.datasets.asl_dvs import ASLDVS
from neurodata.datasets.base import EventDataset
from neurodata.datasets.cifar10_dvs import CIFAR10DVS, partition
from neurodata.datasets.dvs_gesture import DVS128Gesture
from neurodata.datasets.dvs_lip import DVSLip
from neurodata.datasets.es_imagenet import ESImageNet
from neurodata.datasets.folder import EventFolder, read_labels_file
from neurodata.datasets.nav_gesture import NAVGestureSit, NAVGestureWalk
from neurodata.datasets.ncaltech101 import NCaltech101
from neurodata.datasets.ncars import NCARS
from neurodata.datasets.nmnist import NMNIST
from neurodata.datasets.poker_dvs import POKERDVS
from neurodata.datasets.shd import SHD, SSC
from neurodata.registry import Registry

DATASETS: Registry[type[EventDataset]] = Registry("dataset")
for _cls in (
    DVS128Gesture,
    CIFAR10DVS,
    NMNIST,
    NCaltech101,
    ASLDVS,
    NAVGestureWalk,
    NAVGestureSit,
    ESImageNet,
    SHD,
    SSC,
    NCARS,
    POKERDVS,
    DVSLip,
):
    DATASETS.add(_cls.name, _cls)

__all__ = [
    "ASLDVS",
    "CIFAR10DVS",
    "DATASETS",
    "NCARS",
    "NMNIST",
    "POKERDVS",
    "SHD",
    "SSC",
    "DVS128Gesture",
    "DVSLip",
    "ESImageNet",
    "EventDataset",
    "EventFolder",
    "NAVGestureSit",
    "NAVGestureWalk",
    "NCaltech101",
    "create_sub_dataset",
    "get_dataset",
    "list_datasets",
    "partition",
    "read_labels_file",
    "split_to_train_test_set",
]


def list_datasets() -> list[str]:
    """Registered dataset names (``neurodata list``)."""
    return DATASETS.names()


def get_dataset(name: str) -> type[EventDataset]:
    """The dataset class registered as `name`; a typo gets close matches suggested."""
    return DATASETS.get(name)


def _labels_of(dataset: Any) -> np.ndarray:
    """Labels without loading samples: `targets` of our datasets (through Subsets), else one pass."""
    import torch

    if isinstance(dataset, torch.utils.data.Subset):
        return _labels_of(dataset.dataset)[np.asarray(dataset.indices)]
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return np.asarray(targets)
    return np.asarray([int(dataset[i][1]) for i in range(len(dataset))])


def split_to_train_test_set(
    train_ratio: float,
    origin_dataset: Any,
    num_classes: int,
    random_split: bool = False,
    *,
    shuffle: Callable[[list[int]], None] = random.shuffle,
) -> tuple[Any, Any]:
    """SpikingJelly-compatible per-class split: the first ``ceil(n_c * train_ratio)`` of each class train.

    Labels come from the dataset's label index (no sample is loaded, unlike SpikingJelly's, which reads
    every file). With `random_split`, each class's indices are shuffled in place by `shuffle` first,
    class by class (Python's `random.shuffle` by default, so seed it for reproducibility;
    `neurodata.compat.spikingjelly` passes ``numpy.random.shuffle``, as SpikingJelly 2.0 uses).
    """
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train_ratio must be in (0, 1), got {train_ratio!r}")
    labels = _labels_of(origin_dataset)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels run from {labels.min()} to {labels.max()}; num_classes={num_classes} is too small")
    train, test = [], []
    for c in range(num_classes):
        idx = np.flatnonzero(labels == c).tolist()
        if random_split:
            shuffle(idx)
        k = math.ceil(len(idx) * train_ratio)
        train += idx[:k]
        test += idx[k:]
    from torch.utils.data import Subset

    return Subset(origin_dataset, train), Subset(origin_dataset, test)


def create_sub_dataset(
    source_dir: str | Path,
    target_dir: str | Path,
    ratio: float,
    use_soft_link: bool = False,
    randomly: bool = False,
    seed: int = 0,
) -> list[Path]:
    """Copy the first ``int(ratio * n)`` files of every leaf folder of `source_dir` into `target_dir`.

    Files are taken in sorted order (SpikingJelly uses `os.walk` order, which depends on the filesystem),
    or a seeded random choice with `randomly`. Copies by default: symbolic links need admin rights on
    Windows; `use_soft_link=True` links instead. Returns the created paths.
    """
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    rng = np.random.default_rng(seed)
    created = []
    for folder in sorted(p for p in [source_dir, *source_dir.rglob("*")] if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if not files:
            continue
        if randomly:
            files = [files[i] for i in sorted(rng.permutation(len(files))[: int(ratio * len(files))])]
        else:
            files = files[: int(ratio * len(files))]
        out = target_dir / folder.relative_to(source_dir)
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            dest = out / f.name
            if use_soft_link:
                dest.symlink_to(f.resolve())
            else:
                shutil.copy2(f, dest)
            created.append(dest)
    return created
