"""POKER-DVS (Serrano-Gotarredona and Linares-Barranco, 2015): card pips flipped in front of a DVS, 35x35 crops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, batched, class_files, find_top
from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.events import SensorSize
from neurodata.io.numpy_events import read_npy_events

# Tonic's class codes (clubs, hearts, diamonds, spades) and label order
CODES = ("cl", "he", "di", "sp")
_HOST = "https://www.neuromorphic-vision.com/public/downloads"


class POKERDVS(EventDataset):
    """POKER-DVS as Tonic distributes it: ``pips_train.tar.gz`` / ``pips_test.tar.gz`` (the official split),
    one ``.npy`` of `[N, 4]` columns t, x, y, p per pip, in folders named by suit code.

    Labels 0..3 are clubs, hearts, diamonds, spades (Tonic's order). The original recordings (AEDAT, IMSE-CNM)
    are a different distribution; Tonic's ``POKERDVS131`` segments those.
    """

    name = "poker-dvs"
    sensor = SensorSize(35, 35)
    classes = ("clubs", "hearts", "diamonds", "spades")
    resources = tuple(
        Resource(
            f"pips_{s}.tar.gz",
            (f"{_HOST}/pips_{s}.tar.gz",),
            md5=md5,
            manual="Tonic's former host; Tonic 1.7 expects the archives inside its package folder, see tonic#309.",
        )
        for s, md5 in (("train", "412bcfb96826e4fcb290558e8c150aae"), ("test", "eef2bf7d0d3defae89a6fa98b07c17af"))
    )

    raw_suffixes = (".npy",)
    tree_layout = "pips_train/<suit code>/*.npy and pips_test/<suit code>/*.npy"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all((folder / f"pips_{s}" / "cl").is_dir() for s in ("train", "test"))

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        top = find_top(extracted, f"pips_{split}", cls.name, CODES)
        return batched(class_files(top, CODES, ".npy", cls.name), 64)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any]]]) -> list[Sample]:
        return [(read_npy_events(p, sensor=POKERDVS.sensor), label, meta) for p, label, meta in task]
