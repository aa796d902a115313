"""Fault injection: nothing wrong is ever served.

Bit flips at every byte of every store type, cache files copied between entries, new archives in a prepared
root, edited custom functions and lambdas, and kills at each stage of a preparation: each either gives exactly
the data a fresh build gives or a `CacheError` naming the file, never a wrong sample.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import neurodata as nd
from neurodata import synth
from neurodata.cache import EventStore, FrameReader, write_event_store, write_frame_file
from neurodata.datasets import NMNIST, SHD, ESImageNet, es_imagenet
from neurodata.errors import CacheError
from neurodata.keys import function_key
from neurodata.spec import FrameSpec, VoxelGrid
from neurodata.store import MAGIC, SampleFile
from neurodata.testing import random_events
from tests.conftest import REPO

SIZE = synth.SampleSize(samples_per_class=2, events_per_sample=600)  # N-MNIST: 20 samples per split


def _read_events(path: Path) -> tuple[Any, ...]:
    s = EventStore(path)
    return s.labels.tolist(), s.meta, s.offsets.tolist(), [s[i] for i in range(len(s))]


def _read_frames(path: Path) -> tuple[Any, ...]:
    r = FrameReader(path)
    return r.labels.tolist(), r.offsets.tolist(), [r[i] for i in range(len(r))]


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    *a_tables, a_samples = a
    *b_tables, b_samples = b
    return a_tables == b_tables and len(a_samples) == len(b_samples) and all(
        x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a_samples, b_samples, strict=True)
    )


def _store_files(tmp: Path, rng: np.random.Generator) -> dict[str, tuple[Path, Callable[[Path], tuple[Any, ...]]]]:
    sensor = nd.SensorSize(7, 5)
    samples = [(random_events(rng, sensor, n), i % 3, {"file": f"f{i}.bin"}) for i, n in enumerate([20, 0, 90, 7])]
    events = write_event_store(tmp / "events.nds", samples, (5, 7), attrs={"sources": "[]"})
    stacks = [((rng.random((n, 2, 3, 4)) < 0.3) * rng.integers(1, 300, (n, 2, 3, 4))).astype(np.uint16)
              for n in (2, 0, 3)]
    counts = tmp / "counts.nds"
    write_frame_file(counts, 3, (2, 3, 4), FrameSpec(frames_number=2, split_by="number"), stacks, np.arange(3))
    dense = tmp / "dense.nds"
    write_frame_file(dense, 3, (2, 3, 4), FrameSpec(custom="f@0123"), [s * 0.25 for s in stacks], np.arange(3))
    voxels = tmp / "voxels.nds"
    floats = [(s * rng.standard_normal(s.shape)).astype(np.float32) for s in stacks]
    write_frame_file(voxels, 3, (2, 3, 4), FrameSpec(representation=VoxelGrid(2)), floats, np.arange(3))
    # SHD/SSC: a 1-D sensor's frames, [T, 2, 1, 700] with every spike in the ON channel
    cochlea = FrameSpec(frames_number=2, split_by="number").frame_shape(SHD.sensor)
    spikes = [np.zeros((n, *cochlea), np.uint16) for n in (2, 1)]
    for s in spikes:
        s[:, 1, 0, rng.integers(0, cochlea[2], 9)] = rng.integers(1, 40, (len(s), 9))
    one_d = tmp / "shd.nds"
    write_frame_file(one_d, 2, cochlea, FrameSpec(frames_number=2, split_by="number"), spikes, np.arange(2))
    # ES-ImageNet: a resumable shard of decoded samples, read back before the event store is written
    shard = tmp / "train-00000000-0123456789abcdef.nds"
    decoded = [(random_events(rng, ESImageNet.sensor, n, duration_us=8), i, {"file": f"s{i}.npz"})
               for i, n in enumerate([30, 0, 12])]
    es_imagenet._write_shard(shard, decoded)
    return {"event store": (events, _read_events), "frame cache": (counts, _read_frames),
            "custom-function frame cache": (dense, _read_frames), "representation cache": (voxels, _read_frames),
            "1-D frame cache": (one_d, _read_frames), "ES-ImageNet shard": (shard, _read_shard)}


def _read_shard(path: Path) -> tuple[Any, ...]:
    samples = es_imagenet.load_shard(path, ["s0.npz", "s1.npz", "s2.npz"])
    return [s[1] for s in samples], [s[2] for s in samples], [s[0] for s in samples]


@pytest.mark.parametrize(
    "kind", ["event store", "frame cache", "custom-function frame cache", "representation cache", "1-D frame cache",
             "ES-ImageNet shard"]
)
def test_a_bit_flip_at_every_byte_of_every_store_is_refused(
    tmp_path: Path, rng: np.random.Generator, kind: str
) -> None:
    path, read = _store_files(tmp_path, rng)[kind]
    original, expected = path.read_bytes(), read(path)
    mutant = tmp_path / "mutant" / path.name  # the same name: a shard's name is part of what it is checked for
    mutant.parent.mkdir()
    refused, wrong = 0, []
    for offset in range(len(original)):
        data = bytearray(original)
        data[offset] ^= 1 << (offset * 5 % 8)
        mutant.write_bytes(bytes(data))
        try:
            got = read(mutant)
        except CacheError as err:
            refused += str(mutant) in str(err)  # the message names the file
            continue
        if not _same(got, expected):
            wrong.append(offset)
    assert wrong == []  # no wrong sample, label, length or metadata is ever served
    assert refused == len(original)  # every byte is covered: magic, samples, tables, header, footer
    assert _same(read(path), expected)


def test_a_damaged_sample_is_named_and_the_others_still_read(tmp_path: Path, rng: np.random.Generator) -> None:
    path, read = _store_files(tmp_path, rng)["frame cache"]
    expected = read(path)
    start, length = SampleFile(path, "frames").spans[2]
    with path.open("r+b") as f:
        f.seek(len(MAGIC) + int(start) + int(length) - 1)
        last = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([last[0] ^ 0x10]))
    reader = FrameReader(path)
    np.testing.assert_array_equal(reader[0], expected[2][0])
    with pytest.raises(CacheError, match=r"counts\.nds: sample 2: its stored bytes fail their xxh3_64 checksum.*"
                                         r"neurodata verify <dataset> --cache"):
        reader[2]
    assert reader.damaged() == [2]


# ------------------------------------------------------------------------------------------------ stale data


def _fresh(name: str, tmp: Path, seed: int = 0) -> Path:
    root = tmp / name
    synth.make_sample("n-mnist", root, SIZE, seed=seed)
    return root


def _frames(root: Path, **kw: Any) -> NMNIST:
    return NMNIST(root, train=True, data_type="frame", progress=False, **kw)


def test_new_archives_in_a_prepared_root_give_the_new_samples(tmp_path: Path) -> None:
    root = _fresh("root", tmp_path, seed=0)
    old = NMNIST(root, train=True, progress=False)
    old_first = old[0][0]["t"].copy()
    old_frames = _frames(root, frames_number=3, split_by="number")[0][0]
    synth.make_sample("n-mnist", root, SIZE, seed=1)  # a new sample set over the prepared one
    new = NMNIST(root, train=True, progress=False)
    reference = NMNIST(_fresh("reference", tmp_path, seed=1), train=True, progress=False)
    assert not np.array_equal(new[0][0]["t"], old_first)
    for i in range(len(reference)):
        for k in "txyp":
            np.testing.assert_array_equal(new[i][0][k], reference[i][0][k])
    np.testing.assert_array_equal(_frames(root, frames_number=3, split_by="number")[0][0],
                                  _frames(tmp_path / "reference", frames_number=3, split_by="number")[0][0])
    assert not np.array_equal(_frames(root, frames_number=3, split_by="number")[0][0], old_frames)


def test_cache_files_copied_from_other_parameters_are_never_served(tmp_path: Path) -> None:
    root = _fresh("root", tmp_path)
    four = _frames(root, frames_number=4, split_by="number")
    two = _frames(root, frames_number=2, split_by="number")
    assert four.spec is not None
    assert two.spec is not None
    expected = [four[i][0] for i in range(len(four))]
    target = root / "frames" / four.spec.key() / "train.nds"
    shutil.copy(root / "frames" / two.spec.key() / "train.nds", target)
    with pytest.raises(CacheError, match=r"train\.nds was built with spec=.*'frames_number': 2.*not the .*"
                                         r"'frames_number': 4"):
        FrameReader(target, spec=four.spec)
    again = _frames(root, frames_number=4, split_by="number")  # the copy is found stale and rebuilt
    assert [again[i][0].shape[0] for i in range(len(again))] == [4] * len(again)
    for i, frames in enumerate(expected):
        np.testing.assert_array_equal(again[i][0], frames)
    # an event store copied in from another sample set: decoded again from this root's archives
    other = _fresh("other", tmp_path, seed=5)
    NMNIST(other, train=True, progress=False)
    store = NMNIST.events_dir(root) / "train.nds"
    shutil.copy(NMNIST.events_dir(other) / "train.nds", store)
    wanted = NMNIST._sources_record(root, NMNIST.locate(root), NMNIST.dataset_version(root))
    with pytest.raises(CacheError, match=r"train\.nds was built with sources="):
        EventStore(store, expect={"sources": wanted})
    for i, frames in enumerate(expected):
        np.testing.assert_array_equal(_frames(root, frames_number=4, split_by="number")[i][0], frames)


def _module_function(source: str, name: str = "integrate") -> Callable[..., Any]:
    """`name` from `source` run as a module: a stand-in for a user's file before and after an edit."""
    module = types.ModuleType("user_frames")
    module.__dict__["np"] = np
    exec(textwrap.dedent(source), module.__dict__)
    return module.__dict__[name]


_COUNTS = """
    def integrate(events, H, W, scale=1.0):
        out = np.zeros((1, 2, H, W), dtype=np.float32)
        np.add.at(out[0], (events["p"].astype(np.intp), events["y"].astype(np.intp), events["x"].astype(np.intp)), 1)
        return out * scale
"""


def test_custom_functions_are_keyed_by_code_closure_defaults_and_globals() -> None:
    f = _module_function(_COUNTS)
    assert function_key(f) == function_key(_module_function(_COUNTS))  # the same code and values: one key
    edited = _module_function(_COUNTS.replace("return out * scale", "return out * scale * 2"))
    other_default = _module_function(_COUNTS.replace("scale=1.0", "scale=0.5"))
    keys = {function_key(f), function_key(edited), function_key(other_default)}
    lambdas = [lambda e, H, W: f(e, H, W), lambda e, H, W: f(e, H, W) * 2]
    keys |= {function_key(g) for g in lambdas}

    def scaled(k: float) -> Callable[..., Any]:
        return lambda e, H, W: f(e, H, W, scale=k)

    keys |= {function_key(scaled(1.0)), function_key(scaled(3.0))}
    uses_global = _module_function("LIMIT = 3\ndef integrate(e, H, W):\n    return np.minimum(e, LIMIT)\n")
    changed_global = _module_function("LIMIT = 4\ndef integrate(e, H, W):\n    return np.minimum(e, LIMIT)\n")
    keys |= {function_key(uses_global), function_key(changed_global)}
    assert len(keys) == 9
    lock = threading.Lock()
    with pytest.raises(CacheError, match=r"custom_integrate_function: cannot key .*closure value 'lock'.*"
                                         r"pass cache_key="):
        function_key(lambda e, H, W: (lock, f(e, H, W))[1])


def test_edited_functions_and_lambdas_never_share_frames(tmp_path: Path) -> None:
    root = _fresh("root", tmp_path)
    f = _module_function(_COUNTS)
    a = _frames(root, custom_integrate_function=f)
    b = _frames(root, custom_integrate_function=_module_function(_COUNTS.replace("* scale", "* scale * 2")))
    c = _frames(root, custom_integrate_function=lambda e, H, W: f(e, H, W, scale=3.0))
    np.testing.assert_array_equal(b[1][0], 2 * a[1][0])
    np.testing.assert_array_equal(c[1][0], 3 * a[1][0])
    assert a[1][0].sum() > 0
    lock = threading.Lock()
    with pytest.raises(CacheError, match="pass cache_key="):
        _frames(root, custom_integrate_function=lambda e, H, W: (lock, f(e, H, W))[1])
    d = _frames(root, custom_integrate_function=lambda e, H, W: (lock, f(e, H, W))[1], cache_key="counts-v1")
    np.testing.assert_array_equal(d[1][0], a[1][0])
    assert d.spec is not None
    assert d.spec.custom is not None
    assert d.spec.custom.endswith("@key=counts-v1")


# ------------------------------------------------------------------------------------------------ kills

_KILL = """
import os, signal, sys
stage, root = sys.argv[1], sys.argv[2]
calls = [0]

def kill_after(n, fn):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] > n:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)
    return wrapped

from neurodata import archive, cache, download, eventcodec, framecodec
if stage == "download":
    def half(url, part, *args):
        from urllib.parse import urlparse
        data = open(urlparse(url).path, "rb").read()
        part.write_bytes(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    download._fetch_once = half
elif stage == "extract":
    import zipfile
    zipfile.ZipFile.extract = kill_after(5, zipfile.ZipFile.extract)
elif stage == "decode":
    eventcodec.encode = kill_after(5, eventcodec.encode)
elif stage == "frames":
    framecodec.encode = kill_after(7, framecodec.encode)
from neurodata.datasets import NMNIST, SHD, ESImageNet, es_imagenet
NMNIST(root, train=True, data_type="frame", frames_number=3, split_by="number", download=True, progress=False)
print("not killed")
"""

STAGES = ("download", "extract", "decode", "frames")


@pytest.mark.slow
def test_a_kill_at_each_stage_then_a_rerun_equals_a_fresh_build(tmp_path: Path) -> None:
    served = _fresh("served", tmp_path)
    manifest = json.loads((served / "download" / "sample.json").read_text())
    for r in manifest["resources"]:
        r["urls"] = [(served / "download" / r["filename"]).as_uri()]
    roots = {}
    for stage in STAGES:
        roots[stage] = tmp_path / stage
        (roots[stage] / "download").mkdir(parents=True)
        (roots[stage] / "download" / "sample.json").write_text(json.dumps(manifest))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = {s: subprocess.Popen([sys.executable, "-c", _KILL, s, str(r)], env=env, cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s, r in roots.items()}
    for stage, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, (stage, out, err.decode()[-2000:])
    assert (roots["download"] / "download" / "Train.zip.part").exists()
    assert list((roots["extract"] / "extract").glob(".Train.partial-*"))
    assert list(NMNIST.events_dir(roots["decode"]).glob(".train.nds.partial-*"))
    assert list((roots["frames"] / "frames").glob("*.partial-*"))
    fresh = NMNIST(served, train=None, data_type="frame", frames_number=3, split_by="number", progress=False)
    fresh_events = NMNIST(served, train=None, progress=False)
    for stage, root in roots.items():
        ds = NMNIST(root, train=None, data_type="frame", frames_number=3, split_by="number", download=True,
                    progress=False)
        events = NMNIST(root, train=None, progress=False)
        assert len(ds) == len(fresh)
        assert ds.targets.tolist() == fresh.targets.tolist()
        for i in range(len(ds)):
            np.testing.assert_array_equal(ds[i][0], fresh[i][0], err_msg=stage)
            for k in "txyp":
                np.testing.assert_array_equal(events[i][0][k], fresh_events[i][0][k], err_msg=stage)
        assert [p for p in root.rglob("*") if ".partial-" in p.name or p.name.endswith(".part")] == [], stage


# ------------------------------------------------------------------------------------------------ repair


def _damage(path: Path, kind: str, sample: int) -> None:
    start = int(SampleFile(path, kind).spans[sample, 0])
    with path.open("r+b") as f:
        f.seek(len(MAGIC) + start)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))


def test_verify_cache_rebuilds_only_the_damaged_files(tmp_path: Path) -> None:
    from neurodata.cli import app

    root = _fresh("root", tmp_path)
    spec = NMNIST(root, train=None, data_type="frame", frames_number=3, split_by="number", progress=False).spec
    assert spec is not None
    custom = _frames(root, custom_integrate_function=_module_function(_COUNTS))
    assert custom.spec is not None
    ref = NMNIST(_fresh("reference", tmp_path), train=None, data_type="frame", frames_number=3, split_by="number",
                 progress=False)
    runner = CliRunner()
    result = runner.invoke(app, ["verify", "n-mnist", "--root", str(root), "--cache"])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 6  # two event stores, two splits of each frame cache entry
    frames = root / "frames" / spec.key()
    _damage(frames / "train.nds", "frames", 3)
    _damage(NMNIST.events_dir(root) / "test.nds", "events", 0)
    _damage(root / "frames" / custom.spec.key() / "train.nds", "frames", 1)
    untouched = {p: p.stat().st_mtime_ns for p in (NMNIST.events_dir(root) / "train.nds", frames / "test.nds")}
    with pytest.raises(CacheError, match=r"test\.nds: sample 0: its stored bytes fail"):
        NMNIST(root, train=False, progress=False)[0]
    result = runner.invoke(app, ["verify", "n-mnist", "--root", str(root), "--cache"])
    assert result.exit_code == 0, result.output
    assert "damaged" in result.output
    assert "1 sample(s) fail their checksum (3) -> rebuilt" in result.output
    assert "(0) -> rebuilt" in result.output
    assert "(1) -> removed (rebuilt when next used)" in result.output
    assert all(p.stat().st_mtime_ns == m for p, m in untouched.items())
    assert not (root / "frames" / custom.spec.key()).exists()
    repaired = NMNIST(root, train=None, data_type="frame", frames_number=3, split_by="number", progress=False)
    for i in range(len(ref)):
        np.testing.assert_array_equal(repaired[i][0], ref[i][0])
    result = runner.invoke(app, ["verify", "n-mnist", "--root", str(root), "--cache"])
    assert result.exit_code == 0
    assert "damaged" not in result.output


def test_verify_cache_rebuilds_a_damaged_representation_cache(tmp_path: Path) -> None:
    root = _fresh("root", tmp_path)
    ds = _frames(root, representation=VoxelGrid(3))
    assert ds.spec is not None
    expected = [ds[i][0].copy() for i in range(len(ds))]
    path = root / "frames" / ds.spec.key() / "train.nds"
    _damage(path, "frames", 2)
    report = NMNIST.verify_cache(root, progress=False)
    assert report.ok
    assert report.rebuilt == [path]
    assert list(report.damaged) == [path]
    again = _frames(root, representation=VoxelGrid(3))
    for i, frames in enumerate(expected):
        np.testing.assert_array_equal(again[i][0], frames)
    assert NMNIST.verify_cache(root, repair=False).damaged == {}
