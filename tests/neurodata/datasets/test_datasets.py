"""End to end: miniature archives served on 127.0.0.1 -> download -> verify -> extract -> prepare -> DataLoader."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import neurodata as nd
from neurodata import synth
from neurodata.datasets import CIFAR10DVS, DATASETS, NMNIST, DVS128Gesture, get_dataset, partition
from neurodata.datasets.dvs_gesture import read_labels_csv
from neurodata.errors import ChecksumError, DatasetNotFoundError, UnsafeArchiveError
from tests.conftest import REPO, SHARED_DATA
from tests.http_server import FileServer

SIZES = {
    "dvs128-gesture": synth.SampleSize(samples_per_class=2, events_per_sample=1500),
    "n-mnist": synth.SampleSize(samples_per_class=3, events_per_sample=800),
    "cifar10-dvs": synth.SampleSize(samples_per_class=10, events_per_sample=800),
}
EXPECTED_COUNTS = {"dvs128-gesture": (24, 24), "n-mnist": (30, 30), "cifar10-dvs": (90, 10)}


def serve_sample(server: FileServer, name: str, served: Path, root: Path, seed: int = 0) -> dict:
    """Generate `name`'s miniature archives in `served`, serve them, and give `root` only the manifest."""
    manifest = synth.make_sample(name, served, SIZES[name], seed=seed, base_url=server.url + f"/{name}")
    for f in (served / "download").iterdir():
        if f.name != "sample.json":
            server.files[f"/{name}/{f.name}"] = f.read_bytes()
    (root / "download").mkdir(parents=True, exist_ok=True)
    shutil.copy(manifest, root / "download" / "sample.json")
    return json.loads(manifest.read_text())


def _make(name: str, root: Path, **kw: object) -> nd.datasets.EventDataset:
    cls = get_dataset(name)
    if name == "cifar10-dvs":
        train = kw.pop("train", None)
        return cls(root, train=train, progress=False, **kw)  # type: ignore[call-arg]
    return cls(root, progress=False, **kw)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", ["dvs128-gesture", "n-mnist", "cifar10-dvs"])
def test_download_prepare_and_load(http_server: FileServer, tmp_path: Path, name: str) -> None:
    root = tmp_path / "root"
    serve_sample(http_server, name, tmp_path / "served", root)
    frames_ds = _make(name, root, train=True, data_type="frame", frames_number=4, split_by="number", download=True)
    events_ds = _make(name, root, train=True)
    n_train, n_test = EXPECTED_COUNTS[name]
    assert len(frames_ds) == len(events_ds) == n_train
    assert len(_make(name, root, train=False)) == n_test
    h, w = frames_ds.get_H_W()
    for i in range(len(frames_ds)):  # every cached sample equals the integrator on its events
        frames, label = frames_ds[i]
        events, label_e = events_ds[i]
        assert label == label_e == frames_ds.targets[i]
        np.testing.assert_array_equal(frames, nd.integrate_events_by_fixed_frames_number(events, "number", 4, h, w))
        assert frames.dtype == np.float32
    assert sorted(set(frames_ds.targets.tolist())) == list(range(len(frames_ds.classes)))
    loader = torch.utils.data.DataLoader(
        frames_ds, batch_size=7, shuffle=True, collate_fn=nd.pad_sequence_collate, num_workers=2
    )
    seen = 0
    for x, y, lengths in loader:
        assert x.shape[1:] == (4, 2, h, w)
        assert lengths.tolist() == [4] * len(y)
        seen += len(y)
    assert seen == n_train


def test_fixed_duration_cache_has_variable_lengths_and_collates(http_server: FileServer, tmp_path: Path) -> None:
    root = tmp_path / "root"
    serve_sample(http_server, "dvs128-gesture", tmp_path / "served", root)
    ds = DVS128Gesture(root, train=False, data_type="frame", duration=40_000, download=True, progress=False)
    events = DVS128Gesture(root, train=False, progress=False)
    lengths = []
    for i in range(len(ds)):
        frames, _ = ds[i]
        np.testing.assert_array_equal(frames, nd.integrate_events_by_fixed_duration(events[i][0], 40_000, 128, 128))
        lengths.append(len(frames))
    assert len(set(lengths)) > 1
    x, _, lens = nd.pad_sequence_collate([ds[i] for i in range(len(ds))])
    assert lens.tolist() == lengths
    assert x.shape[1] == max(lengths)
    # a DataLoader fetches whole batches (__getitems__), decoded into one padded array: same frames
    order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(0)).tolist()
    loader = torch.utils.data.DataLoader(ds, batch_size=5, sampler=order, collate_fn=nd.pad_sequence_collate)
    batches = list(loader)
    assert [int(n) for _, _, lens in batches for n in lens] == [lengths[i] for i in order]
    for (xb, yb, lens), idx in zip(batches, [order[k : k + 5] for k in range(0, len(order), 5)], strict=True):
        assert xb.dtype == torch.float32
        assert xb.shape[1] == max(lens)
        for j, i in enumerate(idx):
            frames, label = ds[i]
            assert int(yb[j]) == label
            np.testing.assert_array_equal(xb[j, : len(frames)].numpy(), frames)
            assert not xb[j, len(frames) :].any()
    # batches dropped after use give their memory to the next ones, stale: nothing of it may show through
    del batches, xb
    expected = [ds[i][0] for i in range(len(ds))]
    addresses = set()
    for seed in (1, 2):
        order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed)).tolist()
        loader = torch.utils.data.DataLoader(ds, batch_size=4, sampler=order, collate_fn=nd.pad_sequence_collate)
        for k, (xb, _, lens) in enumerate(loader):
            addresses.add(xb.data_ptr())
            for j, i in enumerate(order[4 * k : 4 * k + 4]):
                assert int(lens[j]) == len(expected[i])
                np.testing.assert_array_equal(xb[j, : len(expected[i])].numpy(), expected[i])
                assert not xb[j, len(expected[i]) :].any()
    assert len(addresses) < 2 * -(-len(ds) // 4)  # memory was in fact recycled


def test_dvs_gesture_labels_metadata_and_rows(http_server: FileServer, tmp_path: Path) -> None:
    root = tmp_path / "root"
    serve_sample(http_server, "dvs128-gesture", tmp_path / "served", root)
    ds = DVS128Gesture(root, train=True, download=True, progress=False)
    # 12 rows per recording, arm roll (class 8 -> label 7) twice, labels in class order 0..10
    counts = np.bincount(ds.targets, minlength=11)
    assert counts.tolist() == [2, 2, 2, 2, 2, 2, 2, 4, 2, 2, 2]
    meta = ds.metadata(0)
    assert meta["user"] == "01"
    assert meta["recording"] == "user01_fluorescent"
    assert meta["lighting"] == "fluorescent"
    extracted = root / "extract" / "DvsGesture" / "DvsGesture"
    rows = read_labels_csv(extracted / "user01_fluorescent_labels.csv")
    events, label = ds[0]
    start, end = rows[0, 1], rows[0, 2]
    assert label == rows[0, 0] - 1
    assert events["t"].min() >= start
    assert events["t"].max() < end
    full = nd.io.read_aedat31(extracted / "user01_fluorescent.aedat")
    assert len(events["t"]) == int(((full["t"] >= start) & (full["t"] < end)).sum())


@pytest.mark.skipif(not (SHARED_DATA / "real" / "dvs_gesture").exists(), reason="shared/data not beside the repo")
def test_real_labels_csv_has_twelve_rows_with_arm_roll_twice() -> None:
    rows = read_labels_csv(SHARED_DATA / "real" / "dvs_gesture" / "user01_natural_labels.csv")
    assert rows.shape == (12, 3)
    assert np.bincount(rows[:, 0], minlength=12)[1:].tolist() == [1] * 7 + [2] + [1] * 3
    assert (rows[:, 1] < rows[:, 2]).all()


def test_dropped_connection_mid_archive_resumes(http_server: FileServer, tmp_path: Path) -> None:
    root = tmp_path / "root"
    manifest = serve_sample(http_server, "n-mnist", tmp_path / "served", root)
    http_server.faults.drop_after["/n-mnist/Train.zip"] = (70_000, 1)  # after one 64 KiB read
    ds = NMNIST(root, train=True, download=True, progress=False)
    assert len(ds) == 30
    ranges = [r for p, r in http_server.requests if p == "/n-mnist/Train.zip"]
    assert ranges[0] is None
    assert ranges[1].startswith("bytes=")
    digests = nd.download.file_digests(root / "download" / "Train.zip")
    assert digests["sha256"] == next(r["sha256"] for r in manifest["resources"] if r["filename"] == "Train.zip")


def test_wrong_checksum_is_refused_and_nothing_is_prepared(http_server: FileServer, tmp_path: Path) -> None:
    root = tmp_path / "root"
    serve_sample(http_server, "n-mnist", tmp_path / "served", root)
    manifest = json.loads((root / "download" / "sample.json").read_text())
    manifest["resources"][0]["sha256"] = "f" * 64
    (root / "download" / "sample.json").write_text(json.dumps(manifest))
    with pytest.raises(ChecksumError, match=r"Train\.zip: checksum mismatch \(sha256 expected f{64}"):
        NMNIST(root, train=True, download=True, progress=False)
    assert not (root / "download" / "Train.zip").exists()
    assert (root / "download" / "Train.zip.corrupt").exists()
    assert not (root / "events").exists() or not list((root / "events").rglob("*.nds"))


def test_missing_manual_file_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"DvsGesture\.tar\.gz cannot be downloaded by script.*Put it at"):
        DVS128Gesture(tmp_path, train=True, download=True, progress=False)
    missing = r"n-mnist: .*Train\.zip is missing; run `neurodata download n-mnist"
    with pytest.raises(DatasetNotFoundError, match=missing):
        NMNIST(tmp_path, train=True, progress=False)


def test_changed_parameter_builds_a_new_cache_and_keeps_the_old(tmp_path: Path) -> None:
    synth.make_sample("n-mnist", tmp_path, SIZES["n-mnist"])
    a = NMNIST(tmp_path, train=True, data_type="frame", frames_number=4, split_by="number", progress=False)
    entries = sorted((tmp_path / "frames").iterdir())
    snapshot = {p: p.stat().st_mtime_ns for p in (tmp_path / "frames").rglob("*")}
    b = NMNIST(tmp_path, train=True, data_type="frame", frames_number=4, split_by="time", progress=False)
    assert a.spec is not None
    assert b.spec is not None
    assert a.spec.key() != b.spec.key()
    assert (
        len(sorted(p for p in (tmp_path / "frames").iterdir() if p.is_dir()))
        == len([e for e in entries if e.is_dir()]) + 1
    )
    assert all(p.stat().st_mtime_ns == m for p, m in snapshot.items())
    spec = json.loads((tmp_path / "frames" / b.spec.key() / "spec.json").read_text())
    assert spec["split_by"] == "time"
    assert spec["frames_number"] == 4
    assert not np.array_equal(a[0][0], b[0][0]) or a[0][0].sum() == 0


def _prepare_in_subprocess(root: Path, marker: Path) -> subprocess.Popen:
    code = (
        "from neurodata.datasets import NMNIST\n"
        "from tests.neurodata.datasets.slow_integrate import two_halves\n"
        f"NMNIST({str(root)!r}, train=True, data_type='frame', custom_integrate_function=two_halves, progress=False)\n"
    )
    env = {**os.environ, "NEURODATA_TEST_SLOW": str(marker), "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)


def test_killed_prepare_is_redone_and_never_served_half_written(tmp_path: Path) -> None:
    from tests.neurodata.datasets.slow_integrate import two_halves

    synth.make_sample("n-mnist", tmp_path, SIZES["n-mnist"])
    NMNIST(tmp_path, train=True, progress=False)  # event stores first, so the kill lands in the frame build
    marker = tmp_path / "started"
    proc = _prepare_in_subprocess(tmp_path, marker)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert marker.exists()
    entries = list((tmp_path / "frames").iterdir())
    assert not [p for p in entries if (p / "spec.json").exists()]  # nothing looks finished
    assert [p for p in entries if ".partial-" in p.name]  # the killed build's leftovers
    ds = NMNIST(tmp_path, train=True, data_type="frame", custom_integrate_function=two_halves, progress=False)
    ev = NMNIST(tmp_path, train=True, progress=False)
    for i in range(len(ds)):
        np.testing.assert_array_equal(ds[i][0], two_halves(ev[i][0], 34, 34))
    assert not [p for p in (tmp_path / "frames").iterdir() if ".partial-" in p.name]


def test_concurrent_prepares_of_one_cache_are_safe(tmp_path: Path) -> None:
    synth.make_sample("n-mnist", tmp_path, SIZES["n-mnist"])
    results: list[object] = []

    def build() -> None:
        try:
            results.append(
                NMNIST(tmp_path, train=False, data_type="frame", frames_number=3, split_by="time", progress=False)
            )
        except Exception as err:
            results.append(err)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, NMNIST) for r in results), results
    assert len([p for p in (tmp_path / "frames").iterdir() if p.is_dir()]) == 1
    a, b = results[0], results[1]
    assert isinstance(a, NMNIST)
    assert isinstance(b, NMNIST)
    np.testing.assert_array_equal(a[3][0], b[3][0])


def test_unsafe_member_in_a_served_archive_is_refused(http_server: FileServer, tmp_path: Path) -> None:
    import io
    import tarfile

    served = tmp_path / "served"
    served.mkdir()
    evil = served / "DvsGesture.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("DvsGesture/../../escaped.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    http_server.files["/g/DvsGesture.tar.gz"] = evil.read_bytes()
    root = tmp_path / "deep" / "root"
    (root / "download").mkdir(parents=True)
    digests = nd.download.file_digests(evil)
    (root / "download" / "sample.json").write_text(
        json.dumps(
            {
                "dataset": "dvs128-gesture",
                "id": "evil",
                "resources": [
                    {"filename": "DvsGesture.tar.gz", "urls": [http_server.url + "/g/DvsGesture.tar.gz"], **digests}
                ],
            }
        )
    )
    with pytest.raises(UnsafeArchiveError, match="outside the target folder"):
        DVS128Gesture(root, train=True, download=True, progress=False)
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not (root / "extract" / "DvsGesture").exists()


def test_cifar10_dvs_partitions_are_stratified_disjoint_and_deterministic() -> None:
    labels = np.repeat(np.arange(10), 1000)
    files = np.tile(np.arange(1000), 10)
    tr, te = partition(labels, files, "random", seed=3)
    tr2, _ = partition(labels, files, "random", seed=3)
    np.testing.assert_array_equal(tr, tr2)
    assert len(tr) == 9000
    assert len(te) == 1000
    assert not set(tr) & set(te)
    assert np.bincount(labels[te]).tolist() == [100] * 10
    tr, te = partition(labels, files, "first100")
    assert set(files[te]) == set(range(100))
    assert len(te) == 1000
    with pytest.raises(ValueError, match="split scheme must be one of"):
        partition(labels, files, "tebn")


def test_cifar10_dvs_train_test_views(tmp_path: Path) -> None:
    synth.make_sample("cifar10-dvs", tmp_path, SIZES["cifar10-dvs"])
    whole = CIFAR10DVS(tmp_path, progress=False)
    train = CIFAR10DVS(tmp_path, train=True, progress=False)
    test = CIFAR10DVS(tmp_path, train=False, progress=False)
    assert (len(whole), len(train), len(test)) == (100, 90, 10)
    assert np.bincount(test.targets).tolist() == [1] * 10
    first = CIFAR10DVS(tmp_path, train=False, split_scheme="first100", progress=False)
    assert len(first) == 100  # every miniature file index is below 100


def test_split_to_train_test_set_uses_the_label_index(tmp_path: Path) -> None:
    synth.make_sample("n-mnist", tmp_path, SIZES["n-mnist"])
    ds = NMNIST(tmp_path, train=True, progress=False)
    ds.__class__ = type("NoLoad", (NMNIST,), {"__getitem__": lambda self, i: pytest.fail("a sample was loaded")})
    train, test = nd.datasets.split_to_train_test_set(0.5, ds, 10)
    assert len(train) == 20  # ceil(3 * 0.5) = 2 of each class's 3
    assert len(test) == 10
    for subset in (train, test):
        assert set(np.asarray(ds.targets)[subset.indices]) == set(range(10))


def test_registry_suggests_close_names() -> None:
    assert {"cifar10-dvs", "dvs128-gesture", "n-mnist"} <= set(DATASETS.names())
    assert DATASETS.names() == sorted(DATASETS.names())
    with pytest.raises(KeyError, match="did you mean 'dvs128-gesture'"):
        get_dataset("dvs-gesture")


def test_worker_processes_give_the_same_stores_and_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from neurodata.datasets import base

    for root in (tmp_path / "one", tmp_path / "two"):
        synth.make_sample("dvs128-gesture", root, SIZES["dvs128-gesture"])
    one = DVS128Gesture(tmp_path / "one", train=True, data_type="frame", duration=60_000, workers=1, progress=False)
    monkeypatch.setattr(base, "_PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(base, "_PARALLEL_MIN_EVENTS", 0)
    two = DVS128Gesture(tmp_path / "two", train=True, data_type="frame", duration=60_000, workers=2, progress=False)
    assert len(one) == len(two) == 24
    np.testing.assert_array_equal(one.targets, two.targets)
    for i in range(len(one)):
        np.testing.assert_array_equal(one[i][0], two[i][0])
        assert one.metadata(i) == two.metadata(i)
