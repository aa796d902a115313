"""DVS-Lip (Tan et al., CVPR 2022): lip movements of 100 words, DAVIS346 cropped to 128x128 around the mouth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, batched, class_files, find_top, unknown_folders
from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.events import SensorSize
from neurodata.io.numpy_events import read_npy_events

# the 100 words, sorted: Tonic's list and SpikingJelly's folder order, so both label alike
WORDS = (
        "accused", "action", "allow", "allowed", "america", "american", "another", "around", "attacks", "banks",
        "become", "being", "benefit", "benefits", "between", "billion", "called", "capital", "challenge", "change",
        "chief", "couple", "court", "death", "described", "difference", "different", "during", "economic",
        "education", "election", "england", "evening", "everything", "exactly", "general", "germany", "giving",
        "ground", "happen", "happened", "having", "heavy", "house", "hundreds", "immigration", "judge", "labour",
        "leaders", "legal", "little", "london", "majority", "meeting", "military", "million", "minutes", "missing",
        "needs", "number", "numbers", "paying", "perhaps", "point", "potential", "press", "price", "question",
        "really", "right", "russia", "russian", "saying", "security", "several", "should", "significant", "spend",
        "spent", "started", "still", "support", "syria", "syrian", "taken", "taking", "terms", "these", "thing",
        "think", "times", "tomorrow", "under", "warning", "water", "welcome", "words", "worst", "years", "young",
    )


class DVSLip(EventDataset):
    """DVS-Lip: 100 words, one ``.npy`` of structured events (t µs, x, y, p) per utterance.

    Official split: ``DVS-Lip/train`` and ``DVS-Lip/test`` of ``DVS-Lip.zip``. Labels are the words' indices in
    sorted order (Tonic's list, SpikingJelly's folders).
    """

    name = "dvs-lip"
    sensor = SensorSize(128, 128)
    classes = WORDS
    resources = (
        Resource(
            "DVS-Lip.zip",
            (),
            md5="2dcb959255122d4cdeb6094ca282494b",
            manual="It is shared on Google Drive from https://sites.google.com/view/event-based-lipreading "
            "(https://drive.google.com/file/d/1dBEgtmctTTWJlWnuWxFtk8gfOdVVpkQ0/view; a browser is needed).",
        ),
    )

    raw_suffixes = (".npy",)
    tree_layout = "DVS-Lip/train/<word>/*.npy and DVS-Lip/test/<word>/*.npy"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all((folder / "DVS-Lip" / s).is_dir() for s in ("train", "test"))

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        top = find_top(extracted, split, cls.name, cls.classes)
        unknown_folders(top, cls.classes, cls.name)
        return batched(class_files(top, cls.classes, ".npy", cls.name), 256)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any]]]) -> list[Sample]:
        return [(read_npy_events(p, sensor=DVSLip.sensor), label, meta) for p, label, meta in task]
