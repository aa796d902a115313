"""The datasets added after the first three, end to end on their miniatures (real archive and file formats):
served on 127.0.0.1 -> download (a dropped connection resumed) -> verify -> prepare (killed once, rerun) ->
Dataset -> DataLoader. Labels and split counts come from the miniature's manifest, which the writer filled
from the files it laid out; every cached frame must equal integrating that sample's decoded events."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import torch

import neurodata as nd
from neurodata import synth
from neurodata.cache import EventStore
from neurodata.datasets import DATASETS, get_dataset
from neurodata.events import one_d_frames
from neurodata.store import MAGIC, SampleFile
from tests.http_server import FileServer

NEW = [
    "n-caltech101",
    "asl-dvs",
    "nav-gesture-walk",
    "nav-gesture-sit",
    "es-imagenet",
    "shd",
    "ssc",
    "n-cars",
    "poker-dvs",
    "dvs-lip",
]
SIZE = synth.SampleSize(samples_per_class=2, events_per_sample=300, duration_us=150_000)


_CHUNK = 1 << 16  # the downloader's network reads: a connection dropped after one keeps those bytes


def _serve(server: FileServer, name: str, tmp: Path) -> tuple[Path, dict]:
    """Serve `name`'s miniature, its largest archive made bigger than two network reads (so that a dropped
    connection leaves bytes to resume from); the root gets only the manifest."""
    size = SIZE
    while True:
        manifest = synth.make_sample(name, tmp / "served", size, seed=3, base_url=server.url + f"/{name}")
        files = [tmp / "served" / "download" / r["filename"] for r in json.loads(manifest.read_text())["resources"]]
        sizes = [f.stat().st_size for f in files]
        if max(sizes) > 2 * _CHUNK:
            break
        size = synth.SampleSize(size.samples_per_class, size.events_per_sample * 2, size.duration_us)
    for f in (tmp / "served" / "download").iterdir():
        if f.name != "sample.json":
            server.files[f"/{name}/{f.name}"] = f.read_bytes()
    root = tmp / "root"
    (root / "download").mkdir(parents=True)
    (root / "download" / "sample.json").write_bytes(manifest.read_bytes())
    return root, json.loads(manifest.read_text())


def _frames_of(cls: type, events: dict, T: int) -> np.ndarray:
    h, w = cls.sensor.height, cls.sensor.width
    frames = nd.integrate_events_by_fixed_frames_number(events, "number", T, h, w)
    return one_d_frames(frames) if cls.sensor.is_1d else frames


def _split_datasets(cls: type, root: Path, **kw: object) -> dict[str, nd.datasets.EventDataset]:
    if cls.splits == ("all",):
        return {"all": cls(root, progress=False, **kw)}
    if cls.name == "ssc":
        return {s: cls(root, split=s, progress=False, **kw) for s in cls.splits}
    return {s: cls(root, train=s == "train", progress=False, **kw) for s in cls.splits}


def test_every_new_dataset_is_registered_with_a_miniature() -> None:
    assert set(NEW) <= set(DATASETS.names())
    assert len(DATASETS.names()) == 13


@pytest.mark.parametrize("name", NEW)
def test_download_verify_prepare_and_load(
    http_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr("neurodata.download.time.sleep", lambda s: None)  # no back-off wait before resuming
    cls = get_dataset(name)
    root, manifest = _serve(http_server, name, tmp_path)
    served = tmp_path / "served" / "download"
    biggest = max(manifest["resources"], key=lambda r: (served / r["filename"]).stat().st_size)
    size = (served / biggest["filename"]).stat().st_size
    http_server.faults.drop_after[f"/{name}/{biggest['filename']}"] = (_CHUNK + 100, 1)
    paths = cls.download(root, progress=False)
    ranges = [r for p, r in http_server.requests if p == f"/{name}/{biggest['filename']}"]
    assert ranges[0] is None
    assert ranges[1] == f"bytes={_CHUNK}-"  # resumed after the bytes that arrived whole
    assert size > 2 * _CHUNK
    assert [p.name for p in paths] == [r["filename"] for r in manifest["resources"]]
    assert [p.name for p in cls.verify(root)] == [p.name for p in paths]
    T = 4
    frames = _split_datasets(cls, root, data_type="frame", frames_number=T, split_by="number")
    events = _split_datasets(cls, root)
    for split, expected in manifest["expected"].items():
        fr, ev = frames[split], events[split]
        assert len(fr) == len(ev) == expected["count"], split
        assert fr.targets.tolist() == ev.targets.tolist() == expected["labels"], split
        for i in range(len(fr)):
            x, label = fr[i]
            e, label_e = ev[i]
            assert label == label_e == expected["labels"][i]
            assert x.dtype == np.float32
            np.testing.assert_array_equal(x, _frames_of(cls, e, T))
            assert x.sum() == len(e["t"]) > 0  # every event counted once
            assert e["x"].max() < cls.sensor.width
            assert e["y"].max() < cls.sensor.height
    first = next(iter(frames.values()))
    loader = torch.utils.data.DataLoader(first, batch_size=5, collate_fn=nd.pad_sequence_collate)
    xb, yb, lengths = next(iter(loader))
    shape = (1, cls.sensor.width) if cls.sensor.is_1d else (2, cls.sensor.height, cls.sensor.width)
    assert tuple(xb.shape) == (min(5, len(first)), T, *shape)
    assert lengths.tolist() == [T] * len(yb)


def _killed_prepare(name: str, root: str) -> None:
    """Prepare `name` and die by SIGKILL in the middle of writing its first event store (forked child): right
    after the store's first sample reaches its temporary file."""
    from neurodata import store

    stores = get_dataset(name).events_dir(Path(root))
    real = store.SampleWriter._flush

    def flush_then_die(self: store.SampleWriter) -> None:
        real(self)
        if self.path.parent == stores:  # an event store (not ES-ImageNet's resumable shards beside it)
            assert self._f is not None
            self._f.flush()  # the bytes reach the file (a kill loses only what Python still buffers)
            os.kill(os.getpid(), signal.SIGKILL)

    store.SampleWriter._flush = flush_then_die  # type: ignore[method-assign]
    store.SampleWriter._FLUSH = 1  # flush (and die) after the first sample
    get_dataset(name).prepare_events(root, progress=False)


@pytest.mark.parametrize("name", NEW)
def test_prepare_killed_midway_is_redone(tmp_path: Path, name: str) -> None:
    cls = get_dataset(name)
    root = tmp_path / "killed"
    manifest = json.loads(synth.make_sample(name, root, SIZE, seed=4).read_text())
    child = multiprocessing.get_context("fork").Process(target=_killed_prepare, args=(name, str(root)))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    store_dir = cls.events_dir(root)
    assert not list(store_dir.glob("*.nds"))  # nothing looks finished
    leftovers = list(store_dir.glob(".*.nds.partial-*"))  # the killed writer's temporary, cut mid-write
    assert len(leftovers) == 1
    assert leftovers[0].read_bytes()[: len(MAGIC)] == MAGIC
    assert leftovers[0].stat().st_size > len(MAGIC)  # it had begun writing samples
    ds = _split_datasets(cls, root)
    assert {s: len(d) for s, d in ds.items()} == {s: v["count"] for s, v in manifest["expected"].items()}
    assert {s: d.targets.tolist() for s, d in ds.items()} == {s: v["labels"] for s, v in manifest["expected"].items()}
    assert not list(store_dir.glob(".*.partial-*"))
    synth.make_sample(name, tmp_path / "fresh", SIZE, seed=4)
    fresh = _split_datasets(cls, tmp_path / "fresh")  # the same miniature, prepared without a kill
    for split, d in ds.items():
        assert len(d) == len(fresh[split])
        for i in range(len(d)):
            a, b = d[i][0], fresh[split][i][0]
            assert d.metadata(i) == fresh[split].metadata(i)
            for k in ("t", "x", "y", "p"):
                np.testing.assert_array_equal(a[k], b[k])


def _flip_first_byte(path: Path, kind: str, sample: int) -> None:
    start = int(SampleFile(path, kind).spans[sample, 0])
    with path.open("r+b") as f:
        f.seek(len(MAGIC) + start)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("name", NEW)
def test_verify_cache_repairs_each_new_dataset(tmp_path: Path, name: str) -> None:
    """Stores under a cache_dir: a damaged event store sample and a damaged frame sample are refused when read,
    found by `verify_cache` and rebuilt (those files only), equal to a fresh build's."""
    cls = get_dataset(name)
    root, cache = tmp_path / "root", tmp_path / "cache"
    synth.make_sample(name, root, SIZE, seed=6)
    kw = {"data_type": "frame", "frames_number": 3, "split_by": "number", "cache_dir": cache}
    built = _split_datasets(cls, root, **kw)
    spec = next(iter(built.values())).spec
    assert spec is not None
    synth.make_sample(name, tmp_path / "fresh", SIZE, seed=6)
    fresh = _split_datasets(cls, tmp_path / "fresh", **kw)
    first, last = cls.splits[0], cls.splits[-1]
    store = cls.events_dir(root, cache_dir=cache) / f"{first}.nds"
    frames = cache / "frames" / spec.key() / f"{last}.nds"
    assert not (root / "events").exists()  # everything went under cache_dir
    _flip_first_byte(store, "events", 0)
    _flip_first_byte(frames, "frames", 0)
    with pytest.raises(nd.errors.CacheError, match=rf"{first}\.nds: sample 0: its stored bytes fail"):
        EventStore(store)[0]
    report = cls.verify_cache(root, repair=False, cache_dir=cache, progress=False)
    assert sorted(report.damaged) == sorted({store, frames})
    untouched = {p: p.stat().st_mtime_ns for p in report.checked if p not in report.damaged}
    assert len(untouched) == 2 * (len(cls.splits) - 1)  # the other splits' store and frames: checked, then left
    report = cls.verify_cache(root, cache_dir=cache, progress=False)
    assert report.ok
    assert sorted(report.rebuilt) == sorted({store, frames})
    assert all(p.stat().st_mtime_ns == m for p, m in untouched.items())
    assert cls.verify_cache(root, repair=False, cache_dir=cache, progress=False).damaged == {}
    repaired = _split_datasets(cls, root, **kw)
    for split, d in repaired.items():
        assert d.targets.tolist() == fresh[split].targets.tolist()
        for i in range(len(d)):
            np.testing.assert_array_equal(d[i][0], fresh[split][i][0])


def test_preparing_each_miniature_takes_seconds(tmp_path: Path) -> None:
    import time

    for name in NEW:
        synth.make_sample(name, tmp_path / name, SIZE)
        start = time.perf_counter()
        get_dataset(name).prepare_events(tmp_path / name, progress=False)
        assert time.perf_counter() - start < 10, name  # a loose bound: the work is milliseconds


def _killed_es_imagenet(root: str, after: int) -> None:
    """Decode ES-ImageNet shard by shard and die by SIGKILL once `after` shards are written (forked child)."""
    from neurodata.datasets import es_imagenet

    real = es_imagenet._write_shard
    done = []

    def write_then_maybe_die(path: Path, samples: list) -> None:
        real(path, samples)
        done.append(path)
        if len(done) == after:
            os.kill(os.getpid(), signal.SIGKILL)

    es_imagenet._write_shard = write_then_maybe_die  # type: ignore[assignment]
    es_imagenet.ESImageNet.prepare_events(root, progress=False)


def test_es_imagenet_preparation_resumes_from_its_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members stream from the RAR volumes (never extracted); a killed preparation keeps finished shards."""
    pytest.importorskip("rarfile", reason="ES-ImageNet's volumes are read with rarfile (the datasets extra)")
    from neurodata.datasets import es_imagenet
    from neurodata.io import numpy_events

    monkeypatch.setattr(es_imagenet, "_SHARD", 3)  # 8 train shards on the miniature (24 samples)
    manifest = json.loads(synth.make_sample("es-imagenet", tmp_path, SIZE).read_text())
    assert len(manifest["resources"]) >= 2  # several volumes, members split across them
    child = multiprocessing.get_context("fork").Process(target=_killed_es_imagenet, args=(str(tmp_path), 3))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    shards = es_imagenet.ESImageNet._shard_dir(tmp_path)
    assert len(list(shards.glob("train-*.nds"))) == 3
    assert not (tmp_path / "extract").exists()  # nothing was extracted
    decoded = []
    real = numpy_events.decode_es_imagenet
    monkeypatch.setattr(es_imagenet, "decode_es_imagenet", lambda *a, **k: decoded.append(1) or real(*a, **k))
    train = es_imagenet.ESImageNet(tmp_path, train=True, progress=False)
    test = es_imagenet.ESImageNet(tmp_path, train=False, progress=False)
    total = manifest["expected"]["train"]["count"] + manifest["expected"]["test"]["count"]
    assert len(decoded) == total - 9  # the three finished shards were not decoded again
    assert train.targets.tolist() == manifest["expected"]["train"]["labels"]
    assert test.targets.tolist() == manifest["expected"]["test"]["labels"]
    assert not shards.exists()  # removed once the stores were complete
    fresh = tmp_path / "fresh"
    synth.make_sample("es-imagenet", fresh, SIZE)
    again = es_imagenet.ESImageNet(fresh, train=True, progress=False)
    for i in range(len(train)):  # resumed = decoded in one go
        for k in ("t", "x", "y", "p"):
            np.testing.assert_array_equal(train[i][0][k], again[i][0][k])


def test_es_imagenet_shards_that_are_damaged_or_from_other_volumes_are_decoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard is used only when its checksums hold and it was decoded from these volumes (their digests)."""
    pytest.importorskip("rarfile", reason="ES-ImageNet's volumes are read with rarfile (the datasets extra)")
    from neurodata.datasets import es_imagenet
    from neurodata.io import numpy_events
    from neurodata.store import SampleFile

    monkeypatch.setattr(es_imagenet, "_SHARD", 3)
    root = tmp_path / "root"
    manifest = json.loads(synth.make_sample("es-imagenet", root, SIZE, seed=1).read_text())
    child = multiprocessing.get_context("fork").Process(target=_killed_es_imagenet, args=(str(root), 3))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    shards = sorted(es_imagenet.ESImageNet._shard_dir(root).glob("train-*.nds"))
    assert len(shards) == 3
    start, _ = SampleFile(shards[1], "events").spans[2]  # one bit of the second shard's last sample
    with shards[1].open("r+b") as f:
        f.seek(len(MAGIC) + int(start))
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x04]))
    decoded = []
    real = numpy_events.decode_es_imagenet
    monkeypatch.setattr(es_imagenet, "decode_es_imagenet", lambda *a, **k: decoded.append(1) or real(*a, **k))
    train = es_imagenet.ESImageNet(root, train=True, progress=False)
    total = manifest["expected"]["train"]["count"] + manifest["expected"]["test"]["count"]
    assert len(decoded) == total - 6  # the damaged shard's batch was decoded again, the two others read
    synth.make_sample("es-imagenet", tmp_path / "fresh", SIZE, seed=1)
    fresh = es_imagenet.ESImageNet(tmp_path / "fresh", train=True, progress=False)
    assert train.targets.tolist() == fresh.targets.tolist()
    for i in range(len(train)):
        for k in ("t", "x", "y", "p"):
            np.testing.assert_array_equal(train[i][0][k], fresh[i][0][k])
    # other volumes (another sample set, the same members) over a killed preparation: no shard is theirs
    other = tmp_path / "other"
    synth.make_sample("es-imagenet", other, SIZE, seed=1)
    child = multiprocessing.get_context("fork").Process(target=_killed_es_imagenet, args=(str(other), 3))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    shard_dir = es_imagenet.ESImageNet._shard_dir(other)
    left = sorted(p.name for p in shard_dir.glob("train-*.nds"))
    shutil.rmtree(other / "download")
    listing = synth.make_sample("es-imagenet", other, SIZE, seed=2)
    new = json.loads(listing.read_text())
    # as for the published volumes, whose dataset version is "1" whatever their content: the same store
    # folder, so only the volumes' digests can tell the shards apart
    new["id"] = manifest["id"]
    listing.write_text(json.dumps(new))
    assert es_imagenet.ESImageNet._shard_dir(other) == shard_dir
    decoded.clear()
    replaced = es_imagenet.ESImageNet(other, train=True, progress=False)
    assert len(decoded) == new["expected"]["train"]["count"] + new["expected"]["test"]["count"]
    assert len(left) == 3
    synth.make_sample("es-imagenet", tmp_path / "fresh2", SIZE, seed=2)
    fresh2 = es_imagenet.ESImageNet(tmp_path / "fresh2", train=True, progress=False)
    assert replaced.targets.tolist() == fresh2.targets.tolist()
    for i in range(len(replaced)):
        for k in ("t", "x", "y", "p"):
            np.testing.assert_array_equal(replaced[i][0][k], fresh2[i][0][k])


def test_es_imagenet_reads_a_tree_extracted_beforehand(tmp_path: Path) -> None:
    """`unrar x` once into root/extract (or SpikingJelly's extraction): the same samples, the volumes unneeded."""
    rarfile = pytest.importorskip("rarfile", reason="the miniature's volumes are extracted with rarfile")
    from neurodata.datasets import ESImageNet

    streamed = tmp_path / "streamed"
    synth.make_sample("es-imagenet", streamed, SIZE, seed=8)
    extracted = tmp_path / "extracted"
    synth.make_sample("es-imagenet", extracted, SIZE, seed=8)
    first = sorted((extracted / "download").glob("*.part01.rar"))[0]
    with rarfile.RarFile(first) as rf:
        rf.extractall(extracted / "extract")
    shutil.rmtree(extracted / "download")  # only the tree is left
    assert ESImageNet.locate(extracted).kind == "tree"
    for train in (True, False):
        a = ESImageNet(streamed, train=train, progress=False)
        b = ESImageNet(extracted, train=train, progress=False)
        assert a.targets.tolist() == b.targets.tolist()
        for i in range(len(a)):
            assert a.metadata(i) == b.metadata(i)
            for k in ("t", "x", "y", "p"):
                np.testing.assert_array_equal(a[i][0][k], b[i][0][k])
