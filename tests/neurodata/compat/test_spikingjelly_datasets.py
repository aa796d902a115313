"""`neurodata.compat.spikingjelly` datasets against SpikingJelly's own, on roots SpikingJelly prepared.

Each root is a miniature (`neurodata.synth`, the real archive formats) that SpikingJelly's code extracted,
decoded into ``events_np/`` and integrated into frames folders. Our classes must give the same samples,
in the same order, with the same labels and dtypes, whether they read SpikingJelly's files or build
their own caches.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from neurodata import datasets as core
from neurodata import synth
from neurodata.compat import spikingjelly as sjc
from neurodata.datasets.prepared import VERSION_SUFFIX, load_events_npz
from tests.neurodata.compat.sj_roots import prepare_with_spikingjelly, spikingjelly_dataset, split_kw
from tests.peers import spikingjelly_datasets

NAMES = ["dvs128-gesture", "n-mnist", "cifar10-dvs"]
OURS = {"dvs128-gesture": sjc.DVS128Gesture, "n-mnist": sjc.NMNIST, "cifar10-dvs": sjc.CIFAR10DVS}
CORE = {"dvs128-gesture": core.DVS128Gesture, "n-mnist": core.NMNIST, "cifar10-dvs": core.CIFAR10DVS}
PREPARED_FRAMES = [
    {"data_type": "frame", "frames_number": 4, "split_by": "number"},
    {"data_type": "frame", "duration": 100_000},
]


@pytest.fixture(scope="module")
def sj_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One SpikingJelly-prepared root per dataset, with the `PREPARED_FRAMES` folders (read-only by convention)."""
    spikingjelly_datasets()
    base = tmp_path_factory.mktemp("sj-roots")
    return {name: prepare_with_spikingjelly(name, base / name, PREPARED_FRAMES) for name in NAMES}


def copy_root(src: Path, dest: Path) -> Path:
    """A private copy of a prepared root (tests that add caches or break files work on one)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


def assert_same_items(ours: Any, theirs: Any) -> None:
    """Equal lengths, targets, and items: event dicts (keys in order, dtypes, values) or frames (dtype, values)."""
    assert len(ours) == len(theirs) > 0
    assert ours.targets == theirs.targets
    assert ours.classes == theirs.classes
    assert ours.class_to_idx == theirs.class_to_idx
    for i in range(len(ours)):
        a, la = ours[i]
        b, lb = theirs[i]
        assert la == lb
        if isinstance(b, dict):
            assert list(a) == list(b)
            for k in b:
                assert a[k].dtype == b[k].dtype, (i, k)
                np.testing.assert_array_equal(a[k], b[k])
        else:
            assert a.dtype == b.dtype == np.float32
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_events_equal_spikingjelly(sj_roots: dict[str, Path], tmp_path: Path, name: str) -> None:
    root = copy_root(sj_roots[name], tmp_path / "root")
    for train in (True, False) if name != "cifar10-dvs" else (True,):
        theirs = spikingjelly_dataset(name, root, **split_kw(name, train))
        ours = OURS[name](root, **split_kw(name, train))
        assert ours._core_data is not None  # built from SpikingJelly's events_np, not read file by file
        assert ours.samples == [(p, y) for p, y in theirs.samples]
        assert_same_items(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("params", PREPARED_FRAMES, ids=["frames_number", "duration"])
def test_prepared_frames_folders_read_as_spikingjelly(sj_roots: dict[str, Path], name: str, params: dict) -> None:
    root = sj_roots[name]
    theirs = spikingjelly_dataset(name, root, **split_kw(name), **params)
    ours = OURS[name](root, **split_kw(name), **params)
    assert ours._core_data is None  # SpikingJelly's own files, no conversion
    assert ours.samples == [(p, y) for p, y in theirs.samples]
    assert_same_items(ours, theirs)
    assert not (root / "frames").exists()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "params",
    [
        {"data_type": "frame", "frames_number": 3, "split_by": "time"},
        {"data_type": "frame", "frames_number": 5, "split_by": "number"},
        {"data_type": "frame", "duration": 45_000},
    ],
    ids=["time", "number", "duration"],
)
def test_own_frames_equal_spikingjelly(sj_roots: dict[str, Path], tmp_path: Path, name: str, params: dict) -> None:
    """Parameters SpikingJelly has not integrated yet: our caches, put in SpikingJelly's order, equal its files."""
    root = copy_root(sj_roots[name], tmp_path / "root")
    ours = OURS[name](root, **split_kw(name), **params)
    assert ours._core_data is not None
    assert (root / "frames").is_dir()
    theirs = spikingjelly_dataset(name, root, **split_kw(name), **params)
    assert ours.samples == [(p, y) for p, y in theirs.samples]  # duration: names carry each sample's T
    assert_same_items(ours, theirs)
    batch = ours.__getitems__([3, 0, len(ours) - 1])
    for (x, y), i in zip(batch, [3, 0, len(ours) - 1], strict=True):
        np.testing.assert_array_equal(x, theirs[i][0])
        assert y == theirs.targets[i]


def two_halves(events: dict, H: int, W: int) -> np.ndarray:
    """A deterministic custom integration: the first and the second half of the events, as two frames."""
    sjds = spikingjelly_datasets()
    n = len(events["t"])
    frames = np.zeros([2, 2, H, W])
    frames[0] = sjds.integrate_events_segment_to_frame(events["x"], events["y"], events["p"], H, W, 0, n // 2)
    frames[1] = sjds.integrate_events_segment_to_frame(events["x"], events["y"], events["p"], H, W, n // 2, n)
    return frames


@pytest.mark.parametrize("name", ["dvs128-gesture", "n-mnist"])
def test_custom_integrate_function(sj_roots: dict[str, Path], tmp_path: Path, name: str) -> None:
    root = copy_root(sj_roots[name], tmp_path / "root")
    seen: list[dict] = []

    def recording(events: dict, H: int, W: int) -> np.ndarray:
        seen.append({k: v.dtype for k, v in events.items()})
        return two_halves(events, H, W)

    kw = {"data_type": "frame", "custom_integrate_function": recording, "custom_integrated_frames_dir_name": "halves"}
    ours = OURS[name](root, **split_kw(name), **kw)
    assert ours._core_data is not None
    assert not (root / "halves").exists()
    theirs = spikingjelly_dataset(name, root, **split_kw(name), **kw)  # writes root/halves
    their_dtypes = {k: v.dtype for k, v in load_events_npz(next((root / "events_np").rglob("*.npz"))).items()}
    assert seen[0] == their_dtypes  # the function sees SpikingJelly's event dtypes
    assert_same_items(ours, theirs)
    again = OURS[name](root, **split_kw(name), **kw)
    assert again._core_data is None  # now SpikingJelly's folder is read
    assert_same_items(again, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_core_datasets_read_events_np(sj_roots: dict[str, Path], tmp_path: Path, name: str) -> None:
    """Our own classes use SpikingJelly's events_np when they have no store, even with download/ and extract/ gone."""
    root = tmp_path / "root"
    shutil.copytree(sj_roots[name] / "events_np", root / "events_np")
    ours = CORE[name](root, progress=False)
    assert CORE[name].dataset_version(root).endswith(VERSION_SUFFIX)
    theirs = {}
    for path in (root / "events_np").rglob("*.npz"):
        theirs[path] = load_events_npz(path)
    assert len(ours) == len(theirs)
    folders = sjc.cifar10_dvs.CIFAR10DVS_CLASS_NAMES if name == "cifar10-dvs" else None
    for i in range(len(ours)):
        events, label = ours[i]
        meta = ours.metadata(i)
        split = "" if name == "cifar10-dvs" else ("train/" if i < len(ours._events[0]) else "test/")
        folder = folders[label] if folders else str(label)
        stem = Path(meta["file"]).stem if "file" in meta else None
        if stem is None:  # DVS128 Gesture: the k-th row of this class in the recording
            rows = [j for j in range(len(ours)) if ours.metadata(j)["recording"] == meta["recording"]]
            k = sum(1 for j in rows if int(ours.metadata(j)["row"]) < int(meta["row"]) and ours.targets[j] == label)
            stem = f"{meta['recording']}_{k}"
        npz = theirs[root / "events_np" / f"{split}{folder}" / f"{stem}.npz"]
        for key in "txyp":
            np.testing.assert_array_equal(events[key], npz[key])


def test_gesture_rows_follow_labels_csv(sj_roots: dict[str, Path]) -> None:
    """With the CSVs of extract/ present, DVS128 Gesture samples come in CSV row order, as decoded from raw."""
    root = sj_roots["dvs128-gesture"]
    from_np = core.DVS128Gesture.prepare_events(root, progress=False)
    assert "+spikingjelly" in str(from_np["train"])
    from neurodata.cache import EventStore

    csv = next((root / "extract").rglob("*_labels.csv"))
    store = EventStore(from_np["train"])
    rows = [i for i in range(len(store)) if store.meta["recording"][i] == csv.name.removesuffix("_labels.csv")]
    expected = core.dvs_gesture.read_labels_csv(csv)[:, 0] - 1
    np.testing.assert_array_equal(store.labels[rows], expected)
    for i, (_, start, end) in zip(rows, core.dvs_gesture.read_labels_csv(csv), strict=True):
        t = store.fields(i)["t"]
        assert t.size == 0 or (start <= t.min() and t.max() < end)


def test_unfinished_frames_folder_is_not_read(sj_roots: dict[str, Path], tmp_path: Path, caplog: Any) -> None:
    name, params = "n-mnist", PREPARED_FRAMES[0]
    root = copy_root(sj_roots[name], tmp_path / "root")
    theirs = spikingjelly_dataset(name, root, train=True, **params)
    expected = [theirs[i] for i in range(len(theirs))]
    victim = Path(theirs.samples[3][0])
    victim.unlink()  # an interrupted SpikingJelly run of an old version (no .building marker)
    with caplog.at_level(logging.WARNING):
        ours = sjc.NMNIST(root, train=True, **params)
    assert ours._core_data is not None
    assert "does not match" in caplog.text
    assert [ours[i][1] for i in range(len(ours))] == [y for _, y in expected]
    for i, (x, _) in enumerate(expected):
        np.testing.assert_array_equal(ours[i][0], x)
    folder = root / "frames_number_4_split_by_number"
    (folder.parent / (folder.name + ".building")).touch()  # SpikingJelly 2.0's marker of an unfinished run
    victim.write_bytes(b"not an npz")
    assert sjc.NMNIST(root, train=True, **params)._core_data is not None


def test_unfinished_events_np_is_not_used(sj_roots: dict[str, Path], tmp_path: Path) -> None:
    root = copy_root(sj_roots["n-mnist"], tmp_path / "root")
    (root / "events_np.building").touch()
    assert not core.NMNIST.dataset_version(root).endswith(VERSION_SUFFIX)
    ours = core.NMNIST(root, train=True, progress=False)  # decodes the raw miniature in download/ instead
    assert "+spikingjelly" not in str(core.NMNIST.events_dir(root))
    assert len(ours) == 20


@pytest.mark.parametrize("name", NAMES)
def test_raw_root_equals_spikingjelly(tmp_path: Path, name: str) -> None:
    """A root with only the raw archives (no events_np): we decode them; SpikingJelly decodes the same archives."""
    spikingjelly_datasets()
    from tests.neurodata.compat.sj_roots import SIZES

    ours_root = tmp_path / "ours"
    synth.make_sample(name, ours_root, SIZES[name], seed=3)
    sj_root = prepare_with_spikingjelly(name, tmp_path / "sj", seed=3)
    for params in ({}, {"data_type": "frame", "frames_number": 2, "split_by": "time"}):
        ours = OURS[name](ours_root, **split_kw(name), **params)
        theirs = spikingjelly_dataset(name, sj_root, **split_kw(name), **params)
        assert [Path(p).relative_to(ours_root) for p, _ in ours.samples] == [
            Path(p).relative_to(sj_root) for p, _ in theirs.samples
        ]
        assert_same_items(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_class_methods_equal_spikingjelly(name: str) -> None:
    from tests.neurodata.compat.sj_roots import spikingjelly_class

    theirs = spikingjelly_class(name)
    ours = OURS[name]
    assert ours.resource_url_md5() == theirs.resource_url_md5()
    assert ours.downloadable() is theirs.downloadable()
    assert ours.get_H_W() == theirs.get_H_W()
    assert ours.get_extensions() == theirs.get_extensions()
    module = {"dvs128-gesture": sjc.dvs128_gesture, "n-mnist": sjc.n_mnist, "cifar10-dvs": sjc.cifar10_dvs}[name]
    assert getattr(module, theirs.__name__) is ours  # the class lives under SpikingJelly's module name


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def npz_tree(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    return {str(p.relative_to(folder)): load_events_npz(p) for p in sorted(folder.rglob("*.npz"))}


@pytest.mark.parametrize("name", NAMES)
def test_extract_and_convert_like_spikingjelly(sj_roots: dict[str, Path], tmp_path: Path, name: str) -> None:
    root = sj_roots[name]
    extract, raw = tmp_path / "extract", tmp_path / "events_np"
    extract.mkdir()
    OURS[name].extract_downloaded_files(root / "download", extract)
    assert tree(extract) == tree(root / "extract")
    OURS[name].create_raw_from_extracted(extract, raw)
    ours, theirs = npz_tree(raw), npz_tree(root / "events_np")
    assert list(ours) == list(theirs)
    for path, arrays in theirs.items():
        assert list(ours[path]) == list(arrays)
        for k, v in arrays.items():
            assert ours[path][k].dtype == v.dtype
            np.testing.assert_array_equal(ours[path][k], v)


def test_per_file_converters_equal_spikingjelly(sj_roots: dict[str, Path], tmp_path: Path) -> None:
    sjds = spikingjelly_datasets()
    cases: list[tuple[Callable[..., Any], Callable[..., Any], str, str]] = [
        (sjc.NMNIST.read_bin_save_to_np, sjds.n_mnist.utils._save_atis_bin_as_npz, "n-mnist", "*.bin"),
        (sjc.CIFAR10DVS.read_aedat_save_to_np, sjds.cifar10_dvs._read_aedat_save_to_np, "cifar10-dvs", "*.aedat"),
    ]
    for ours, theirs, name, pattern in cases:
        src = next((sj_roots[name] / "extract").rglob(pattern))
        ours(src, tmp_path / "ours.npz")
        theirs(src, tmp_path / "theirs.npz")
        a, b = load_events_npz(tmp_path / "ours.npz"), load_events_npz(tmp_path / "theirs.npz")
        assert list(a) == list(b)
        for k in b:
            assert a[k].dtype == b[k].dtype
            np.testing.assert_array_equal(a[k], b[k])
    aedat = next((sj_roots["dvs128-gesture"] / "extract").rglob("*.aedat"))
    csv = aedat.with_name(aedat.stem + "_labels.csv")
    sjc.DVS128Gesture.split_aedat_files_to_np(aedat.stem, aedat, csv, tmp_path / "ours")
    for label in range(11):
        (tmp_path / "theirs" / str(label)).mkdir(parents=True)
    sjds.dvs128_gesture._split_aedat_files_to_np(aedat.stem, aedat, csv, tmp_path / "theirs")
    ours_t, theirs_t = npz_tree(tmp_path / "ours"), npz_tree(tmp_path / "theirs")
    assert list(ours_t) == list(theirs_t)
    assert len(ours_t) == 12
    for path, arrays in theirs_t.items():
        for k, v in arrays.items():
            assert ours_t[path][k].dtype == v.dtype
            np.testing.assert_array_equal(ours_t[path][k], v)


def test_constructor_rules_follow_spikingjelly(sj_roots: dict[str, Path]) -> None:
    root = sj_roots["n-mnist"]
    for bad in (
        {"train": None},
        {"data_type": "frames"},
        {"data_type": "frame", "frames_number": 4, "duration": 10, "split_by": "number"},
        {"data_type": "frame", "frames_number": 4, "split_by": "count"},
        {"data_type": "frame", "duration": 0},
        {"data_type": "frame"},
    ):
        kw = {"train": True, **bad}
        with pytest.raises(ValueError):
            spikingjelly_dataset("n-mnist", root, **kw)
        with pytest.raises(ValueError):
            sjc.NMNIST(root, **kw)
    # frame parameters with data_type='event' are ignored, as SpikingJelly ignores them
    events = sjc.NMNIST(root, train=True, frames_number=4, split_by="number")
    assert isinstance(events[0][0], dict)


def test_split_to_train_test_set_on_cifar10_dvs(sj_roots: dict[str, Path]) -> None:
    sjds = spikingjelly_datasets()
    root = sj_roots["cifar10-dvs"]
    theirs_ds = spikingjelly_dataset("cifar10-dvs", root, data_type="frame", frames_number=4, split_by="number")
    ours_ds = sjc.CIFAR10DVS(root, data_type="frame", frames_number=4, split_by="number")
    for random_split in (False, True):
        np.random.seed(7)
        theirs = sjds.split_to_train_test_set(0.7, theirs_ds, 10, random_split=random_split)
        np.random.seed(7)
        ours = sjc.split_to_train_test_set(0.7, ours_ds, 10, random_split=random_split)
        assert ours[0].indices == theirs[0].indices
        assert ours[1].indices == theirs[1].indices
    train, _ = ours
    loader = torch.utils.data.DataLoader(train, batch_size=4, collate_fn=sjc.pad_sequence_collate, num_workers=2)
    x, _, lengths = next(iter(loader))
    assert x.shape == (4, 4, 2, 128, 128)
    assert lengths.tolist() == [4] * 4
    np.testing.assert_array_equal(x[0].numpy(), theirs_ds[train.indices[0]][0])


def test_new_datasets_are_not_subclasses_of_the_compat_base(tmp_path: Path) -> None:
    class MyDataset(sjc.NeuromorphicDatasetFolder):
        pass

    with pytest.raises(TypeError, match="EventDataset"):
        MyDataset(tmp_path)


def test_frame_count_needs_frames(sj_roots: dict[str, Path], tmp_path: Path) -> None:
    root = copy_root(sj_roots["n-mnist"], tmp_path / "root")
    events = core.NMNIST(root, train=True, progress=False)
    with pytest.raises(ValueError, match="data_type='frame'"):
        events.frame_count(0)
    frames = core.NMNIST(root, train=True, data_type="frame", duration=30_000, progress=False)
    assert [frames.frame_count(i) for i in range(3)] == [len(frames[i][0]) for i in range(3)]


def test_cifar10_dvs_tebn_split(tmp_path: Path) -> None:
    """TEBN's split, hand-computed: files 0..99 of each class test, the rest train, in SpikingJelly's name order.

    (SpikingJelly's own CIFAR10DVSTEBNSplit links i < 1000 whether the files exist, so a miniature gives it
    broken links: the expectation is the full dataset's samples, which equal SpikingJelly's, picked by name.)
    """
    root = tmp_path / "root"
    synth.make_sample("cifar10-dvs", root, synth.SampleSize(samples_per_class=102, events_per_sample=20))
    full = sjc.CIFAR10DVS(root, data_type="frame", frames_number=2, split_by="number")
    by_name = {Path(p).relative_to(full.root).as_posix(): i for i, (p, _) in enumerate(full.samples)}
    for train, kept in ((True, [100, 101]), (False, list(range(100)))):
        split = sjc.CIFAR10DVSTEBNSplit(root, train=train, data_type="frame", frames_number=2, split_by="number")
        names = [f"{c}/cifar10_{c}_{i}.npz" for c in sjc.CIFAR10DVS_CLASS_NAMES for i in sorted(kept, key=str)]
        assert [Path(p).relative_to(split.root).as_posix() for p, _ in split.samples] == names
        assert split.root == root / "frames_number_2_split_by_number" / ("train" if train else "test")
        assert split.targets == [full.targets[by_name[n]] for n in names]
        for i in (0, 1, len(split) - 1):
            np.testing.assert_array_equal(split[i][0], full[by_name[names[i]]][0])
    with pytest.raises(ValueError, match="train"):
        sjc.CIFAR10DVSTEBNSplit(root, train=None)
