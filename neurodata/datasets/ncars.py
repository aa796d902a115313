"""N-CARS (Sironi et al., CVPR 2018): 100 ms ATIS clips of cars and background, cropped to 120x100."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, batched, extent, has_zips, member_parts, raw_files, read_raw
from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.errors import DatasetNotFoundError
from neurodata.events import SensorSize
from neurodata.io.prophesee_dat import decode_dat

# class folders of the archive in label order (Tonic's: background 0, cars 1)
FOLDERS = ("background", "cars")


class NCARS(EventDataset):
    """N-CARS: 2 classes (background, car), one Prophesee TD ``.dat`` (version 2) per sample.

    Official split: the archive's ``n-cars_train.zip`` and ``n-cars_test.zip``. Coordinates as stored
    (read the same by expelliarmus), within 120x100; each sample's own extent is in its metadata (``width``,
    ``height``). Tonic 1.x read the files with loris, which flips y for a 240-row sensor; its NCARS then
    undid that and shifted y to start at 0 (per sample).
    """

    name = "n-cars"
    sensor = SensorSize(120, 100)
    classes = ("background", "car")
    resources = (
        Resource(
            "Prophesee_Dataset_n_cars.zip",
            (),
            md5="553ce464d6e5e617b3c21ce27c19368e",
            manual="Prophesee hands the archive out after a form at "
            "https://www.prophesee.ai/2018/03/13/dataset-n-cars/ (a browser is needed).",
        ),
    )

    raw_suffixes = (".dat", ".zip")
    tree_layout = "train/{background,cars}/*.dat and test/{background,cars}/*.dat (or the n-cars_*.zip files)"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all((folder / s / "cars").is_dir() for s in ("train", "test")) or has_zips(folder, "n-cars_")

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        items = []
        for item in raw_files(extracted, ".dat"):
            parts = member_parts(item)
            if len(parts) >= 3 and parts[-3] == split and parts[-2] in FOLDERS:
                items.append((item, FOLDERS.index(parts[-2]), {"file": parts[-1]}))
        for label in range(len(FOLDERS)):
            if not any(it[1] == label for it in items):
                raise DatasetNotFoundError(
                    f"{cls.name}: no {split}/{FOLDERS[label]}/*.dat under {extracted}; the archive is incomplete"
                )
        items.sort(key=lambda it: (it[1], it[2]["file"]))
        return batched(items, 256)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any]]]) -> list[Sample]:
        out = []
        for path, label, meta in task:
            ev = decode_dat(read_raw(path), name=path, sensor=NCARS.sensor)
            out.append((ev, label, {**meta, **extent(ev)}))
        return out
