"""Event stores and frame files: atomic writes, completeness checks, per-process handles."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

import neurodata as nd
from neurodata.cache import EventStore, FrameReader, write_event_store
from neurodata.errors import CacheError
from neurodata.store import MAGIC, SampleFile
from neurodata.testing import random_events


def _overwrite(path: Path, kind: str, sample: int, at: int, data: bytes) -> None:
    """Write `data` over sample `sample`'s stored bytes, `at` bytes into them (the damage a reader must catch)."""
    start = int(SampleFile(path, kind).spans[sample, 0])
    with path.open("r+b") as f:
        f.seek(len(MAGIC) + start + at)
        f.write(data)


def test_event_store_round_trip_with_metadata(tmp_path: Path, rng: np.random.Generator) -> None:
    samples = [(random_events(rng, nd.SensorSize(9, 9), int(n)), i % 3, {"file": f"f{i}", "user": str(i)})
               for i, n in enumerate([5, 0, 300, 17])]
    path = write_event_store(tmp_path / "s.nds", samples, (9, 9))
    store = EventStore(path)
    assert len(store) == 4
    assert store.labels.tolist() == [0, 1, 2, 0]
    assert store.meta["file"] == ["f0", "f1", "f2", "f3"]
    for i, (ev, _, _) in enumerate(samples):
        np.testing.assert_array_equal(store[i], ev)
        cols = store.fields(i)
        assert {k: v.dtype for k, v in cols.items()} == {k: ev.dtype[k] for k in ("t", "x", "y", "p")}
        for k in ("t", "x", "y", "p"):
            np.testing.assert_array_equal(cols[k], ev[k])
    clone = pickle.loads(pickle.dumps(store))  # what DataLoader workers receive: no open handle inside
    np.testing.assert_array_equal(clone[2], samples[2][0])


def test_event_store_is_compact_refuses_what_it_cannot_hold_and_names_a_corrupt_sample(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    sensor = nd.SensorSize(128, 128)
    samples = [(random_events(rng, sensor, 200_000, duration_us=6_000_000), 0, {"file": "a"})]
    path = write_event_store(tmp_path / "s.nds", samples, (128, 128))
    assert path.stat().st_size < 0.3 * samples[0][0].nbytes  # the raw records take 13 bytes per event
    bad = random_events(rng, sensor, 50)
    bad["x"][7] = 130
    with pytest.raises(CacheError, match=r"t\.nds: sample 1 \(\{'file': 'b'\}\): field 'x' at index 7 is 130"):
        write_event_store(tmp_path / "t.nds", [samples[0], (bad, 0, {"file": "b"})], (128, 128))
    assert not (tmp_path / "t.nds").exists()
    bad = random_events(rng, sensor, 50)
    bad["p"][3] = -1
    with pytest.raises(CacheError, match=r"field 'p' at index 3 is -1, outside 0\.\.1"):
        write_event_store(tmp_path / "t.nds", [(bad, 0, {})], (128, 128))
    n_dt = int(EventStore(path).index[0, 0])
    _overwrite(path, "events", 0, n_dt + 4, b"\xff" * 8)  # bytes inside the sample's key stream
    with pytest.raises(CacheError, match=r"s\.nds: sample 0: its stored bytes fail their xxh3_64 checksum"):
        EventStore(path).fields(0)
    old = tmp_path / "old.h5"  # an HDF5 store of an earlier version: refused (and rebuilt), never misread
    old.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))
    with pytest.raises(CacheError, match=r"old\.h5 is not a sample file of this version"):
        EventStore(old)


def test_interrupted_event_store_leaves_no_file(tmp_path: Path, rng: np.random.Generator) -> None:
    def samples():
        yield random_events(rng, nd.SensorSize(4, 4), 10), 0, {}
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_event_store(tmp_path / "s.nds", samples(), (4, 4))
    assert list(tmp_path.iterdir()) == []


def test_incomplete_or_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="does not exist"):
        EventStore(tmp_path / "missing.nds")
    from neurodata.cache import write_frame_file
    from neurodata.spec import FrameSpec

    whole = tmp_path / "whole.nds"
    write_frame_file(whole, 1, (2, 2, 2), FrameSpec(duration=5), [np.ones((1, 2, 2, 2), np.uint16)], np.array([0]))
    (tmp_path / "half.nds").write_bytes(whole.read_bytes()[:-30])  # a copy cut short
    with pytest.raises(CacheError, match=r"half\.nds: no valid footer"):
        FrameReader(tmp_path / "half.nds")
    (tmp_path / "junk.nds").write_bytes(b"not a sample file")
    with pytest.raises(CacheError, match=r"junk\.nds is not a sample file of this version"):
        EventStore(tmp_path / "junk.nds")
    with pytest.raises(CacheError, match=r"whole\.nds holds 'frames', not events"):
        EventStore(whole)


def test_frame_file_round_trip_and_a_corrupt_sample_is_named(tmp_path: Path, rng: np.random.Generator) -> None:
    from neurodata.cache import write_frame_file
    from neurodata.spec import FrameSpec

    spec = FrameSpec(duration=1000)
    stacks = [((rng.random((n, 2, 3, 5)) < 0.3) * rng.integers(1, 400, (n, 2, 3, 5))).astype(np.uint16)
              for n in (2, 0, 5)]
    path = tmp_path / "train.nds"
    write_frame_file(path, 3, (2, 3, 5), spec, stacks, np.array([4, 5, 6]))
    reader = FrameReader(path)
    assert [reader.length(i) for i in range(3)] == [2, 0, 5]
    assert reader.labels.tolist() == [4, 5, 6]
    for i, expected in enumerate(stacks):
        np.testing.assert_array_equal(reader[i], expected)
        assert reader[i].dtype == np.uint16
        np.testing.assert_array_equal(reader.read(i, np.float32), expected.astype(np.float32))
    with pytest.raises(ValueError, match=r"sample 2 needs \(5, 2, 3, 5\)"):
        reader.read(2, out=np.zeros((4, 2, 3, 5)))
    reader.close()
    _overwrite(path, "frames", 2, 2, b"\xff" * 4)  # bytes inside sample 2's streams
    with pytest.raises(CacheError, match=r"train\.nds: sample 2: its stored bytes fail their xxh3_64 checksum"):
        FrameReader(path)[2]
    with pytest.raises(CacheError, match="expected 3 frame stacks, got 2"):
        write_frame_file(tmp_path / "short.nds", 3, (2, 3, 5), spec, stacks[:2], np.array([4, 5, 6]))


def test_batch_decoded_on_threads_equals_single_reads_and_names_a_corrupt_sample(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from neurodata import cache, framecodec
    from neurodata.cache import decode_all, write_frame_file
    from neurodata.spec import FrameSpec

    stacks = [((rng.random((n, 2, 9, 7)) < 0.2) * rng.integers(1, 30, (n, 2, 9, 7))).astype(np.uint16)
              for n in (3, 1, 4, 2, 3, 5)]
    path = tmp_path / "test.nds"
    write_frame_file(path, len(stacks), (2, 9, 7), FrameSpec(duration=10), stacks, np.arange(len(stacks)))
    reader = FrameReader(path)
    monkeypatch.setattr(cache, "_decode_threads", lambda: 2)  # the pool, even on a one-core runner
    workers: set[str] = set()
    decode_into = framecodec.decode_into

    def spy(*args: object, **kwargs: object) -> np.ndarray:
        workers.add(threading.current_thread().name)
        return decode_into(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(framecodec, "decode_into", spy)
    outs = [np.full((len(s), 2, 9, 7), -1.0, dtype=np.float32) for s in stacks]  # dirty: zeroed=False must clear
    got = decode_all([reader.fetch(i, outs[i]) for i in range(len(stacks))])
    assert workers
    assert all(name.startswith("neurodata-decode") for name in workers)
    for g, out, expected in zip(got, outs, stacks, strict=True):
        assert g is out
        np.testing.assert_array_equal(g, expected.astype(np.float32))
    reader.close()
    _overwrite(path, "frames", 4, 2, b"\xff" * 4)
    reader = FrameReader(path)
    with pytest.raises(CacheError, match=r"test\.nds: sample 4: its stored bytes fail"):
        decode_all([reader.fetch(i, np.zeros((len(s), 2, 9, 7))) for i, s in enumerate(stacks)])
