"""`EventFolder`: splits of one's own, JSON labels, label order, sensors, and a changed folder decoded again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurodata.datasets import EventFolder
from neurodata.errors import DatasetNotFoundError, DecodeError
from neurodata.events import SensorSize
from neurodata.io import read_atis_bin, write_aedat2, write_atis_bin
from neurodata.testing import random_events

SENSOR = SensorSize(20, 10)


def _write(path: Path, rng: np.random.Generator, n: int = 50) -> np.ndarray:
    ev = random_events(rng, SENSOR, n)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atis_bin(path, ev)
    return ev


def test_train_and_test_sub_folders_are_its_own_split(tmp_path: Path, rng: np.random.Generator) -> None:
    for split, label, k in [("train", "3", 0), ("train", "10", 1), ("test", "3", 2), ("test", "9", 3)]:
        _write(tmp_path / "data" / split / label / f"{k}.bin", rng)
    _write(tmp_path / "data" / "train" / "loose.bin", rng)  # beside the class folders: no label, skipped
    kw = {"cache_dir": tmp_path / "c", "sensor": (20, 10), "progress": False}
    train = EventFolder(tmp_path / "data", train=True, **kw)
    test = EventFolder(tmp_path / "data", train=False, **kw)
    assert train.classes == ("3", "9", "10")  # numerically, not '10' < '3' < '9'
    assert train.scan.ignored == ("train/loose.bin",)
    assert [train.metadata(i)["file"] for i in range(len(train))] == ["train/10/1.bin", "train/3/0.bin"]
    assert list(train.targets) == [2, 0]
    assert list(test.targets) == [0, 1]
    assert len(EventFolder(tmp_path / "data", **kw)) == 4


def test_json_labels_with_a_split_and_a_given_class_order(tmp_path: Path, rng: np.random.Generator) -> None:
    events = {name: _write(tmp_path / name, rng, 200) for name in ("a.bin", "b.bin")}
    t = events["a.bin"]["t"]
    cut = int(t[100])
    samples = [{"file": "a.bin", "label": "go", "stop": cut, "split": "train"},
               {"file": "a.bin", "label": "stop", "start": cut, "split": "test"},
               {"file": "b.bin", "label": "go", "split": "train"}]
    (tmp_path / "labels.json").write_text(json.dumps({"samples": samples}))
    kw = {"labels": "labels.json", "classes": ["stop", "go"], "cache_dir": tmp_path / "c", "progress": False}
    train = EventFolder(tmp_path, train=True, **kw)
    test = EventFolder(tmp_path, train=False, **kw)
    assert list(train.targets) == [1, 1]
    assert list(test.targets) == [0]
    np.testing.assert_array_equal(train[0][0]["t"], t[t < cut])
    np.testing.assert_array_equal(test[0][0]["t"], t[t >= cut])
    np.testing.assert_array_equal(train[1][0]["x"], events["b.bin"]["x"])


def test_mistakes_name_the_file(tmp_path: Path, rng: np.random.Generator) -> None:
    _write(tmp_path / "one" / "x.bin", rng)
    with pytest.raises(DatasetNotFoundError, match=r"x\.bin has label 'one', which is not among classes \['two'\]"):
        EventFolder(tmp_path, classes=["two"], cache_dir=tmp_path / "c")
    write_aedat2(tmp_path / "one" / "y.aedat", random_events(rng, SensorSize(240, 180), 20), layout="davis")
    write_aedat2(tmp_path / "one" / "z.aedat", random_events(rng, SensorSize(128, 128), 20))
    with pytest.raises(DecodeError, match=r"the file headers state different sensors \['128x128', '240x180'\]"):
        EventFolder(tmp_path, cache_dir=tmp_path / "c")
    (tmp_path / "bad.csv").write_text("file,label\nnot_there.bin,one\n")
    with pytest.raises(DatasetNotFoundError, match=r"lists 'not_there\.bin'"):
        EventFolder(tmp_path, labels="bad.csv", cache_dir=tmp_path / "c")


def test_a_changed_recording_is_decoded_again(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "data" / "a" / "r.bin"
    _write(path, rng, 30)
    kw = {"cache_dir": tmp_path / "c", "sensor": (20, 10), "progress": False}
    assert len(EventFolder(tmp_path / "data", **kw)[0][0]["t"]) == 30
    _write(path, rng, 45)  # the user re-recorded it
    ds = EventFolder(tmp_path / "data", **kw)
    np.testing.assert_array_equal(ds[0][0]["t"], read_atis_bin(path)["t"])
    assert len(ds[0][0]["t"]) == 45
