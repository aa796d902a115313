"""Sliced datasets: windows per recording, metadata computed once, cached beside the event store, keyed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import neurodata as nd
from neurodata import split, synth
from neurodata.datasets import NMNIST
from neurodata.datasets.sliced import (
    CountWindows,
    EventFolder,
    LabelIntervals,
    SlicedDataset,
    TimeWindows,
    windows_per_sample,
)
from neurodata.io import write_events
from neurodata.testing import random_events
from tests.conftest import SHARED_DATA


@pytest.fixture
def nmnist(tmp_path: Path) -> NMNIST:
    synth.make_sample("n-mnist", tmp_path, synth.SampleSize(samples_per_class=1, events_per_sample=600))
    return NMNIST(tmp_path, train=True, progress=False)


def test_windows_of_our_dataset_match_split_and_the_source(nmnist: NMNIST) -> None:
    ds = SlicedDataset(nmnist, TimeWindows(20_000, overlap=5000), progress=False)
    per = windows_per_sample(ds)
    k = 0
    for i in range(len(nmnist)):
        events, label = nmnist[i]
        starts, stops = split.slice_windows(events["t"], time_window=20_000, overlap=5000)
        assert per[i] == len(starts)
        for a, b in zip(starts, stops, strict=True):
            got, got_label = ds[k]
            assert got_label == label
            for f in ("t", "x", "y", "p"):
                np.testing.assert_array_equal(got[f], events[f][a:b])
            k += 1
    assert k == len(ds)


def test_metadata_is_cached_beside_the_store_and_keyed(nmnist: NMNIST, monkeypatch: pytest.MonkeyPatch) -> None:
    first = SlicedDataset(nmnist, CountWindows(100), progress=False)
    folder = Path(nmnist._events[0].path).parent / "slices"
    files = sorted(folder.glob("*.npz"))
    assert len(files) == 1
    calls = []
    real = CountWindows.windows
    monkeypatch.setattr(CountWindows, "windows", lambda self, t, i: calls.append(i) or real(self, t, i))
    again = SlicedDataset(nmnist, CountWindows(100), progress=False)
    assert calls == []  # read back: not recomputed
    np.testing.assert_array_equal(again.stops, first.stops)
    SlicedDataset(nmnist, CountWindows(100, overlap=20), progress=False)
    assert len(calls) == len(nmnist)  # another parameter: another key, computed once
    assert len(sorted(folder.glob("*.npz"))) == 2
    files[0].write_bytes(b"not an npz")  # damaged: rebuilt, never read as valid
    calls.clear()
    rebuilt = SlicedDataset(nmnist, CountWindows(100), progress=False)
    assert len(calls) == len(nmnist)
    np.testing.assert_array_equal(rebuilt.starts, first.starts)


def test_a_changed_store_gets_a_new_key(nmnist: NMNIST, tmp_path: Path) -> None:
    a = SlicedDataset(nmnist, CountWindows(100), cache_dir=tmp_path / "c", progress=False)
    store = Path(nmnist._events[0].path)
    stat = store.stat()
    import os

    os.utime(store, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    SlicedDataset(nmnist, CountWindows(100), cache_dir=tmp_path / "c", progress=False)
    assert len(list((tmp_path / "c").glob("*.npz"))) == 2
    assert len(a) > 0


def test_a_user_folder_with_class_folders(tmp_path: Path) -> None:
    sensor = nd.SensorSize(16, 16)
    for k, cls in enumerate(("left", "right")):
        (tmp_path / cls).mkdir()
        for j in range(2):
            ev = random_events(np.random.default_rng(10 * k + j), sensor, 300, duration_us=50_000)
            write_events(tmp_path / cls / f"{j}.aedat", ev, format="aedat31")
    folder = EventFolder(tmp_path, "*.aedat")
    assert folder.classes == ["left", "right"]
    ds = SlicedDataset(folder, TimeWindows(10_000), progress=False)
    assert (tmp_path / ".neurodata-slices").is_dir()
    assert sorted(set(ds.labels.tolist())) == [0, 1]
    events, _ = ds[0]
    assert events.dtype == nd.EVENT_DTYPE
    assert (events["t"] < events["t"][0] + 10_000).all()
    assert sorted(p.name for p in (tmp_path / "left").iterdir()) == ["0.aedat", "1.aedat"]  # user files untouched


def test_label_intervals_from_a_real_gesture_csv(tmp_path: Path) -> None:
    labels = SHARED_DATA / "real" / "dvs_gesture" / "user01_natural_labels.csv"
    if not labels.exists():
        pytest.skip("the shared real recordings are not on this machine")
    intervals = LabelIntervals.from_csv(labels)
    assert len(intervals.rows) == 12
    t = np.arange(0, 120_000_000, 5000, dtype=np.int64)
    starts, stops, got = intervals.windows(t, 0)
    assert got.tolist()[:3] == [1, 2, 3]
    first = intervals.rows[0]
    assert t[starts[0]] >= first[1] > t[starts[0] - 1]
    assert t[stops[0] - 1] < first[2] <= t[stops[0]]
    with pytest.raises(ValueError, match="t_stop >= t_start"):
        LabelIntervals(((0, 10, 5, 1),))


def test_bad_sources() -> None:
    with pytest.raises(TypeError, match="source must be"):
        SlicedDataset([1, 2, 3], TimeWindows(10))
    with pytest.raises(nd.NeurodataError, match="is not a folder"):
        EventFolder("/nonexistent/folder")
