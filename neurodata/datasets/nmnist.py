"""N-MNIST (Orchard et al., 2015): saccading ATIS recordings of MNIST digits, 34x34, 60,000 / 10,000."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neurodata.datasets.base import EventDataset, iter_batches
from neurodata.download import Resource
from neurodata.events import SensorSize
from neurodata.io.atis_bin import read_atis_bin

_MENDELEY = "https://data.mendeley.com/public-files/datasets/468j46mzdv/files"


class NMNIST(EventDataset):
    """N-MNIST. ``NMNIST(root, train=True, data_type='frame', frames_number=20, split_by='number')``.

    Raw files: ``Train.zip`` / ``Test.zip`` (ATIS 40-bit .bin, decoded with timestamp-overflow markers
    applied). Labels are the digit folders 0..9.
    """

    name = "n-mnist"
    sensor = SensorSize(34, 34)
    classes = tuple(str(d) for d in range(10))
    resources = (
        Resource(
            "Train.zip",
            (f"{_MENDELEY}/39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded",),
            md5="20959b8e626244a1b502305a9e6e2031",
        ),
        Resource(
            "Test.zip",
            (f"{_MENDELEY}/05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded",),
            md5="69ca8762b2fe404d9b9bad1103e97832",
        ),
    )

    raw_suffixes = (".bin",)
    tree_layout = "Train/<digit>/*.bin and Test/<digit>/*.bin"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all(any((folder / top).glob("*/*.bin")) for top in ("Train", "Test"))

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        top = extracted / ("Train" if split == "train" else "Test")
        files = sorted(top.rglob("*.bin"), key=lambda p: (int(p.parent.name), p.name))
        if not files:
            raise FileNotFoundError(f"{cls.name}: no .bin files under {top}")
        return [[(str(p), int(p.parent.name)) for p in batch] for batch in iter_batches(files, 256)]

    @staticmethod
    def _decode(task: list[tuple[str, int]]) -> list[tuple[np.ndarray, int, dict[str, Any]]]:
        return [(read_atis_bin(path), label, {"file": Path(path).name}) for path, label in task]
