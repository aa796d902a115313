"""NAV Gesture (Maro et al., 2020): six smartphone-navigation gestures recorded by an ATIS on a phone.

Two sets: NavGesture-sit (the phone held while sitting) and NavGesture-walk (while walking). Each is a zip of
per-user zips holding one kAER TD ``.dat`` file per gesture, named ``user<NN>_<code>_<k>_td.dat``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from neurodata.datasets._common import Sample, UnsplitDataset, batched, has_zips, member_parts, raw_files, read_raw
from neurodata.download import Resource
from neurodata.errors import DatasetNotFoundError
from neurodata.events import SensorSize
from neurodata.io.prophesee_dat import decode_dat

# file-name codes in SpikingJelly's label order (its sorted class folders); `CLASSES` names them
CODES = ("do", "ho", "le", "ri", "se", "up")
CLASSES = ("swipe down", "home", "swipe left", "swipe right", "select", "swipe up")
_NAME = re.compile(r"(user\d+)_([a-z]{2})_.*\.dat$")
_HOST = "https://www.neuromorphic-vision.com/public/downloads/navgesture"
_MANUAL = (
    "The host has been offline since 2023 (spikingjelly#423); the archive may also be had from the authors of "
    "Maro et al., 'Event-based gesture recognition with dynamic background suppression using smartphone "
    "computational capabilities', Front. Neurosci. 2020."
)


class NAVGestureWalk(UnsplitDataset):
    """NavGesture-walk: 6 gestures, ATIS 304x240, one TD ``.dat`` (version 1 records) per sample.

    Labels follow SpikingJelly (its sorted folder codes do, ho, le, ri, se, up). Events as SpikingJelly
    reads them: y flipped (``y = 239 - y``, as loris does too) and t counted from the file's first event.
    No official split: every sample, or ``train=True/False`` for a seeded stratified 9:1 partition.
    Metadata: user, file. Read without loris, which does not install on Python 3.11 with numpy 2.
    """

    name = "nav-gesture-walk"
    sensor = SensorSize(304, 240)
    classes = CLASSES
    archive = "navgesture-walk.zip"
    resources = (Resource(archive, (f"{_HOST}/{archive}",), md5="5d305266f13005401959e819abe206f0", manual=_MANUAL),)

    raw_suffixes = (".dat", ".zip")
    tree_layout = "user<NN>/user<NN>_<gesture code>_<k>_td.dat (or the archive's user<NN>.zip files)"

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return any(folder.glob("user*/user*_td.dat")) or has_zips(folder, "user")

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        items = []
        for item in raw_files(extracted, ".dat"):
            file = member_parts(item)[-1]
            m = _NAME.match(file)
            if m is None or m.group(2) not in CODES:
                raise DatasetNotFoundError(
                    f"{cls.name}: {item} is not named user<NN>_<gesture code>_..._td.dat with a code in {CODES}"
                )
            items.append((item, CODES.index(m.group(2)), {"user": m.group(1), "file": file}))
        if not items:
            raise DatasetNotFoundError(f"{cls.name}: no .dat files under {extracted}; the archive is incomplete")
        items.sort(key=lambda it: (it[1], it[2]["file"]))
        return batched(items, 64)

    @staticmethod
    def _decode(task: list[tuple[str, int, dict[str, Any]]]) -> list[Sample]:
        sensor = NAVGestureWalk.sensor
        out = []
        for path, label, meta in task:
            # SpikingJelly's reader always takes the 9-bit x / 8-bit y layout of kAER's files
            ev = decode_dat(read_raw(path), name=path, sensor=sensor, version=1)
            ev["y"] = sensor.height - 1 - ev["y"]
            if ev.size:
                ev["t"] -= ev["t"][0]
            out.append((ev, label, meta))
        return out


class NAVGestureSit(NAVGestureWalk):
    """NavGesture-sit: the same gestures and format as `NAVGestureWalk`, recorded sitting."""

    name = "nav-gesture-sit"
    archive = "navgesture-sit.zip"
    resources = (Resource(archive, (f"{_HOST}/{archive}",), md5="1571753ace4d9e0946e6503313712c22", manual=_MANUAL),)


