"""ASL-DVS (Bi et al., ICCV 2019): 24 American Sign Language letters (no j, z), DAVIS240, 100,800 samples."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, UnsplitDataset, batched, has_zips, member_parts, raw_files, read_raw
from neurodata.download import Resource
from neurodata.errors import DatasetNotFoundError
from neurodata.events import SensorSize
from neurodata.io.matlab import read_mat_events

CLASSES = tuple("abcdefghiklmnopqrstuvwxy")  # j and z need motion and are not in the dataset
ORIENTATIONS = ("default", "spikingjelly")


def orient(ev: Any, orientation: str, sensor: SensorSize) -> Any:
    """ASL-DVS events in a convention: ``'default'`` flips y (``y = 179 - y``, upright, as Tonic),
    ``'spikingjelly'`` flips x and y (``x = 239 - x``, ``y = 179 - y``), as SpikingJelly's reader does."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    ev["y"] = sensor.height - 1 - ev["y"]
    if orientation == "spikingjelly":
        ev["x"] = sensor.width - 1 - ev["x"]
    return ev


def _read_mat(item: str, sensor: SensorSize) -> Any:
    if "::" not in item:
        return read_mat_events(item, sensor=sensor)
    return read_mat_events(io.BytesIO(read_raw(item)), sensor=sensor, name=item)


class ASLDVS(UnsplitDataset):
    """ASL-DVS: one MATLAB file (``ts, x, y, pol``) per sample in letter folders; 4,200 samples per letter.

    ``ASLDVS(root, data_type='frame', frames_number=10, split_by='number')`` holds every sample, as
    SpikingJelly's; ``train=True/False`` selects a seeded stratified 9:1 partition (there is no official
    split). Labels 0..23 follow the 24 letters a..y without j; Tonic indexes the 26-letter alphabet
    instead (its 'k' is 10, here 9). y is flipped upright (``y = 179 - y``), as Tonic does; SpikingJelly
    flips x as well (`neurodata.compat.spikingjelly.asl_dvs` does the same).
    """

    name = "asl-dvs"
    sensor = SensorSize(240, 180)
    classes = CLASSES
    resources = (
        Resource(
            "ICCV2019_DVS_dataset.zip",
            (),
            manual="The Dropbox folder of https://github.com/PIX2NVS/NVS2Graph has expired; download the OpenI "
            "mirror: `pip install openi`, `openi dataset download OpenI/ASLDVS --local_dir ./ASLDVS`, unzip "
            "ASLDVS.zip, which holds ICCV2019_DVS_dataset.zip. No checksum is published (the Dropbox archive's "
            "MD5 changed between downloads, tonic#197), so the file is not verified.",
        ),
    )

    raw_suffixes = (".mat", ".zip")
    tree_layout = "<letter>/*.mat for the 24 letters (or the archive's zips of them)"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all((folder / c).is_dir() for c in cls.classes) or has_zips(folder)

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        by_letter: dict[str, list[str]] = {c: [] for c in cls.classes}
        for item in raw_files(extracted, ".mat"):
            parts = member_parts(item)
            if len(parts) >= 2 and parts[-2] in by_letter:
                by_letter[parts[-2]].append(item)
        missing = [c for c, items in by_letter.items() if not items]
        if missing:
            raise DatasetNotFoundError(f"{cls.name}: no .mat files for letters {missing} under {extracted}")
        items = [
            (item, label, {"file": member_parts(item)[-1]}, cls.orientation)
            for label, c in enumerate(cls.classes)
            for item in sorted(by_letter[c], key=lambda it: member_parts(it)[-1])
        ]
        return batched(items, 256)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any], str]]) -> list[Sample]:
        sensor = ASLDVS.sensor
        return [(orient(_read_mat(item, sensor), o, sensor), label, meta) for item, label, meta, o in task]
