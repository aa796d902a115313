"""DVS128 Gesture (Amir et al., CVPR 2017): 11 hand and arm gestures, 29 users, 5 lightings, 128x128."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.errors import DatasetNotFoundError, DecodeError
from neurodata.events import SensorSize
from neurodata.io.aedat import read_aedat31

_BOX = (
    "https://app.box.com/index.php?rm=box_download_shared_file&shared_name=3hiq58ww1pbbjrinh367ykfdf60xsfm8"
    "&file_id=f_211521748942"
)
_DROPBOX = "https://www.dropbox.com/s/cct5kyilhtsliup/DvsGesture.tar.gz?dl=1"


def _text(path: Path, holds: str) -> list[str]:
    """The lines of the text file `path`; `DecodeError` naming it (and what it should hold) if it is not text."""
    try:
        return path.read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise DecodeError(
            f"{path}: byte {err.start} is not text ({err.reason}); {holds}: the file is damaged, or another file"
        ) from None


def read_labels_csv(path: Path) -> np.ndarray:
    """The rows ``(class, startTime_usec, endTime_usec)`` of a ``*_labels.csv`` as an `[R, 3]` int64 array."""
    rows = []
    for k, line in enumerate(_text(Path(path), "a labels CSV holds lines class,startTime_usec,endTime_usec")):
        line = line.strip()
        if not line or (k == 0 and line.lower().startswith("class")):
            continue
        parts = line.split(",")
        try:
            rows.append([int(v) for v in parts[:3]])
        except ValueError:
            raise DecodeError(f"{path}: line {k + 1} is {line!r}; expected class,startTime_usec,endTime_usec") from None
        if len(parts) < 3 or not 1 <= rows[-1][0] <= 11 or rows[-1][1] > rows[-1][2]:
            raise DecodeError(f"{path}: line {k + 1} ({line!r}) is not a class 1..11 with start <= end")
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


class DVS128Gesture(EventDataset):
    """DVS128 Gesture: one sample per row of each recording's labels CSV (``start <= t < end``).

    Train/test follow ``trials_to_train.txt`` / ``trials_to_test.txt`` (1176 / 288 samples on the real
    data). Labels are ``class - 1`` in class order 0..10, not string-sorted folder order (SpikingJelly's
    DatasetFolder maps folder '10' to label 2). Per-sample metadata: recording, user, lighting, row.
    """

    name = "dvs128-gesture"
    sensor = SensorSize(128, 128)
    classes = (
        "hand clapping",
        "right hand wave",
        "left hand wave",
        "right arm clockwise",
        "right arm counter-clockwise",
        "left arm clockwise",
        "left arm counter-clockwise",
        "arm roll",
        "air drums",
        "air guitar",
        "other gestures",
    )
    # IBM's Box folder needs a browser, so the file is placed by hand; the two unofficial direct links
    # are offered in the message, not fetched behind the user's back
    resources = (
        Resource(
            "DvsGesture.tar.gz",
            (),
            md5="8a5c71fb11e24e5ca5b11866ca6c00a1",
            manual="Download it from IBM's page "
            "https://ibm.ent.box.com/s/3hiq58ww1pbbjrinh367ykfdf60xsfm8/folder/50167556794 (a browser and "
            f"login may be needed; unofficial direct links: {_BOX} , {_DROPBOX} ).",
        ),
    )

    raw_suffixes = (".aedat", ".csv", ".txt")
    tree_layout = "DvsGesture/ with trials_to_train.txt, trials_to_test.txt and the user*.aedat recordings"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return any((f / "trials_to_train.txt").is_file() for f in (folder, folder / "DvsGesture"))

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        listing = sorted(extracted.rglob(f"trials_to_{split}.txt"))
        if not listing:
            raise DatasetNotFoundError(f"{cls.name}: trials_to_{split}.txt not found under {extracted}")
        folder = listing[0].parent
        names = [ln.strip() for ln in _text(listing[0], "it lists one recording per line") if ln.strip()]
        tasks = []
        for name in names:
            rec = folder / name
            labels = rec.with_name(rec.stem + "_labels.csv")
            if not rec.exists() or not labels.exists():
                raise DatasetNotFoundError(
                    f"{cls.name}: {listing[0].name} lists {name}, but {rec} or {labels.name} "
                    "is missing; the archive is incomplete"
                )
            tasks.append((str(rec), str(labels)))
        return tasks

    @staticmethod
    def _decode(task: tuple[str, str]) -> list[tuple[np.ndarray, int, dict[str, Any]]]:
        rec, labels_csv = Path(task[0]), Path(task[1])
        events = read_aedat31(rec)
        rows = read_labels_csv(labels_csv)
        t = np.ascontiguousarray(events["t"])  # searchsorted on a strided field would copy it per row
        m = re.match(r"user(\d+)_(.+)$", rec.stem)
        user, lighting = (m.group(1), m.group(2)) if m else ("", "")
        out = []
        # rows are cut independently: in user22_led one class ends after the next one starts
        for k, (cls_id, start, end) in enumerate(rows):
            a, b = np.searchsorted(t, [start, end], side="left")
            out.append(
                (
                    events[a:b],  # a view: the store copies it once; an extra copy here cost 15% of prepare
                    int(cls_id) - 1,
                    {"recording": rec.stem, "user": user, "lighting": lighting, "row": str(k)},
                )
            )
        return out
