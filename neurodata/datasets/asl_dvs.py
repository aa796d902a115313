"""ASL-DVS (Bi et al., ICCV 2019): 24 American Sign Language letters (no j, z), DAVIS240, 100,800 samples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, UnsplitDataset, batched, extract_nested
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

    @classmethod
    def extract(cls, root: Path, archives: list[Path]) -> Path:
        return extract_nested(root, archives)

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        folders: dict[str, Path] = {}
        for p in sorted(extracted.rglob("*"), key=lambda p: (len(p.parts), str(p))):
            if p.is_dir() and p.name in cls.classes and p.name not in folders and any(p.glob("*.mat")):
                folders[p.name] = p
        missing = [c for c in cls.classes if c not in folders]
        if missing:
            raise DatasetNotFoundError(f"{cls.name}: no .mat files for letters {missing} under {extracted}")
        items = [
            (str(f), label, {"file": f.name}, cls.orientation)
            for label, c in enumerate(cls.classes)
            for f in sorted(folders[c].glob("*.mat"))
        ]
        return batched(items, 256)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any], str]]) -> list[Sample]:
        sensor = ASLDVS.sensor
        return [(orient(read_mat_events(p, sensor=sensor), o, sensor), label, meta) for p, label, meta, o in task]
