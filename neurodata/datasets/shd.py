"""The Heidelberg spiking data sets (Cramer et al., 2020): SHD (spoken digits) and SSC (speech commands).

Spikes of a 700-channel cochlea model, one HDF5 file per split. Their events are those of a 1-D sensor
(``SensorSize(700, 1, 1)``: x the channel, y 0, p 1; see `neurodata.events`), so frames are `[T, 1, 700]`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.datasets._common import Sample
from neurodata.datasets.base import EventDataset
from neurodata.download import Resource
from neurodata.errors import DatasetNotFoundError
from neurodata.io.spikes_h5 import COCHLEA, SpikeFile

log = logging.getLogger(__name__)

_ZENKE = "https://zenkelab.org/datasets"
_CHUNK = 512  # samples per decode task


def _words(lang: str, words: str) -> list[str]:
    return [f"{lang} {w}" for w in words.split()]


class SHD(EventDataset):
    """Spiking Heidelberg Digits: 20 classes (digits 0..9 spoken in English, then in German), official split.

    ``SHD(root, train=True, data_type='frame', frames_number=20, split_by='number')`` gives frames
    `[20, 1, 700]` float32 (`neurodata.compat.spikingjelly.shd` gives SpikingJelly's `[T, 700]`). Events:
    t in µs (the file's seconds, rounded), x the channel 0..699. Metadata: speaker (when the file has it).
    """

    name = "shd"
    sensor = COCHLEA
    classes = tuple(_words("english", "zero one two three four five six seven eight nine"))
    classes += tuple(_words("german", "null eins zwei drei vier fuenf sechs sieben acht neun"))
    prefix = "shd"
    tree_layout = "shd_train.h5, shd_test.h5"
    resources = tuple(
        Resource(f"shd_{s}.h5.zip", (f"{_ZENKE}/shd_{s}.h5.zip",), md5=md5)
        for s, md5 in (("train", "f3252aeb598ac776c1b526422d90eecb"), ("test", "1503a5064faa34311c398fb0a1ed0a6f"))
    )

    raw_suffixes = (".h5",)

    @classmethod
    def _is_tree(cls, folder: Path) -> bool:
        return all((folder / f"{cls.prefix}_{s}.h5").is_file() for s in cls.splits)

    @classmethod
    def _tasks(cls, extracted: Path, split: str) -> list[Any]:
        name = f"{cls.prefix}_{split}.h5"
        found = sorted(extracted.rglob(name))
        if not found:
            raise DatasetNotFoundError(f"{cls.name}: {name} not found under {extracted}; the archive is incomplete")
        with SpikeFile(found[0]) as f:
            n = len(f)
            if f.keys and len(f.keys) != len(cls.classes):
                log.warning(
                    "%s: %s names %d classes (%s); expected %d", cls.name, name, len(f.keys), f.keys, len(cls.classes)
                )
            bad = np.flatnonzero((f.labels < 0) | (f.labels >= len(cls.classes)))
            if bad.size:
                raise DatasetNotFoundError(
                    f"{cls.name}: {found[0]} sample {int(bad[0])} has label {int(f.labels[bad[0]])}, "
                    f"outside 0..{len(cls.classes) - 1}"
                )
        return [(str(found[0]), a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK)]

    @staticmethod
    def _decode(task: tuple[str, int, int]) -> list[Sample]:
        path, start, stop = task
        with SpikeFile(path) as f:
            speaker = f.extra("speaker")
            out = []
            for i in range(start, stop):
                meta: dict[str, Any] = {"index": i}
                if speaker is not None and speaker.size == len(f):
                    meta["speaker"] = int(speaker[i])
                out.append((f.events(i), int(f.labels[i]), meta))
        return out

    def get_W(self) -> int:
        """Channels (700), SpikingJelly's name."""
        return self.sensor.width


class SSC(SHD):
    """Spiking Speech Commands: 35 words of Google Speech Commands v0.02; official train / valid / test split.

    ``SSC(root, split='train'|'valid'|'test', ...)`` (Tonic's and SpikingJelly's argument); other arguments
    as `SHD`. Class names are the 35 words in sorted order (the files' ``extra/keys`` order is not
    confirmed here; a file that names other classes is reported when prepared).
    """

    name = "ssc"
    classes = (
            "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four", "go",
            "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right", "seven",
            "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow", "yes", "zero",
        )
    prefix = "ssc"
    tree_layout = "ssc_train.h5, ssc_valid.h5, ssc_test.h5"
    splits = ("train", "valid", "test")
    resources = tuple(
        Resource(f"ssc_{s}.h5.zip", (f"{_ZENKE}/ssc_{s}.h5.zip",), md5=md5)
        for s, md5 in (
            ("train", "d102be95e7144fcc0553d1f45ba94170"),
            ("valid", "b4eee3516a4a90dd0c71a6ac23a8ae43"),
            ("test", "a35ff1e9cffdd02a20eb850c17c37748"),
        )
    )

    def __init__(
        self,
        root: str | Path,
        split: str | None = "train",
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        **kw: Any,
    ) -> None:
        if split not in (*self.splits, None):
            raise ValueError(f"split must be one of {self.splits} or None (all), got {split!r}")
        train = kw.pop("train", None)
        if train is not None:
            split = "train" if train else "test"
        super().__init__(
            root,
            None,
            data_type,
            frames_number,
            split_by,
            duration,
            custom_integrate_function,
            custom_integrated_frames_dir_name,
            transform,
            target_transform,
            **kw,
        )
        self.split = split
        if split is not None:
            k = self.splits.index(split)
            self._select(np.arange(self._bounds[k], self._bounds[k + 1]))
