"""N-CARS (Sironi et al., CVPR 2018): 100 ms ATIS clips of cars and background, cropped to 120x100."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, batched, class_files, extent, extract_nested, find_top
from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.events import SensorSize
from neurodata.io.prophesee_dat import read_prophesee_dat

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

    @classmethod
    def extract(cls, root: Path, archives: list[Path]) -> Path:
        return extract_nested(root, archives)

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        top = find_top(extracted, split, cls.name, FOLDERS)
        return batched(class_files(top, FOLDERS, ".dat", cls.name), 256)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any]]]) -> list[Sample]:
        out = []
        for path, label, meta in task:
            ev = read_prophesee_dat(path, sensor=NCARS.sensor)
            out.append((ev, label, {**meta, **extent(ev)}))
        return out
