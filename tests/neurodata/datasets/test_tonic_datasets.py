"""Our N-Caltech101, ASL-DVS, SHD, SSC, POKER-DVS and DVS-Lip against Tonic 1.7's dataset classes on the
same files (Tonic's own folder layouts, built from the miniatures' extracted archives): the same events per
sample, the same labels where Tonic's are right, and the same frames from Tonic's ``ToFrame``."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodata import synth
from neurodata.datasets import ASLDVS, POKERDVS, SHD, SSC, DVSLip, NCaltech101, get_dataset
from neurodata.spec import Windows
from tests.conftest import SHARED_DATA

FIELDS = ("t", "x", "y", "p")
TIME_BINS = Windows(n_time_bins=3, compat="tonic")
SIZE = synth.SampleSize(samples_per_class=2, events_per_sample=300, duration_us=120_000)


def _tonic() -> Any:
    pytest.importorskip("tonic", reason="tonic not installed (make test installs it --no-deps)")
    import tonic.datasets
    import tonic.transforms

    return tonic


def _prepared(name: str, root: Path) -> Path:
    synth.make_sample(name, root, SIZE, seed=5)
    get_dataset(name).prepare_events(root, progress=False)
    return root / "extract"


def _tonic_dataset(cls: Any, save_to: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    monkeypatch.setattr(cls, "_check_exists", lambda self: True)  # the files are laid out; no download
    return cls(str(save_to), **kw)


def _unzip_inner(extracted: Path, dest: Path) -> None:
    """What Tonic does with ASL-DVS's archive: every ``Yin*.zip`` inside it unpacked into one folder."""
    for inner in sorted(extracted.rglob("Yin*.zip")):
        with zipfile.ZipFile(inner) as zf:
            zf.extractall(dest)


def _same_events(ours: dict[str, np.ndarray], theirs: np.ndarray, fields: tuple[str, ...] = FIELDS) -> None:
    theirs = theirs.reshape(-1)  # Tonic's ASLDVS keeps MATLAB's column shape [N, 1]
    for k in fields:
        np.testing.assert_array_equal(np.asarray(ours[k]).astype(np.int64), theirs[k].astype(np.int64), err_msg=k)


def test_ncaltech101_equals_tonic_on_real_atis_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real N-MNIST .bin recordings (the same ATIS format) laid out as N-Caltech101 class folders."""
    tonic = _tonic()
    real = SHARED_DATA / "real" / "nmnist"
    if not real.is_dir():
        pytest.skip(f"real recordings not available: {real} is absent")
    extracted = _prepared("n-caltech101", tmp_path / "root")
    top = next(p for p in extracted.rglob("Caltech101") if (p / "accordion").is_dir())
    for k, f in enumerate(sorted(real.rglob("*.bin"))):
        shutil.copy(f, top / "airplanes" / f"real_{k}.bin")
    save_to = tmp_path / "tonic"
    shutil.copytree(top, save_to / "NCALTECH101" / "Caltech101")
    theirs = _tonic_dataset(tonic.datasets.NCALTECH101, save_to, monkeypatch)
    # ours, on the same files: a root whose extraction is that tree (the archive stays as it is)
    root = tmp_path / "root"
    shutil.rmtree(NCaltech101.events_dir(root), ignore_errors=True)
    ours = NCaltech101(root, progress=False)
    by_file = {(ours.classes[ours.targets[i]], ours.metadata(i)["file"]): i for i in range(len(ours))}
    assert len(theirs) == len(ours) > 5
    for j in range(len(theirs)):
        ev, target = theirs[j]
        i = by_file[(target, Path(theirs.data[j]).name)]  # Tonic's targets are the folder names
        mine = ours[i][0]
        assert len(ev) == len(mine["t"]) > 0
        shifted = {"t": mine["t"], "x": mine["x"] - mine["x"].min(), "y": mine["y"] - mine["y"].min(), "p": mine["p"]}
        _same_events(shifted, ev)  # Tonic moves each sample's smallest x and y to 0
        meta = ours.metadata(i)
        assert int(meta["width"]) == int(mine["x"].max()) + 1


def test_asl_dvs_equals_tonic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tonic = _tonic()
    pytest.importorskip("scipy")
    extracted = _prepared("asl-dvs", tmp_path / "root")
    save_to = tmp_path / "tonic" / "ASLDVS"
    _unzip_inner(extracted, save_to)
    theirs = _tonic_dataset(tonic.datasets.ASLDVS, save_to.parent, monkeypatch)
    ours = ASLDVS(tmp_path / "root", progress=False)
    assert len(theirs) == len(ours)
    for i in range(len(ours)):  # both list letters in order, files sorted
        ev, target = theirs[i]
        mine, label = ours[i]
        assert Path(theirs.data[i]).name == ours.metadata(i)["file"]
        assert ev.shape == (len(mine["t"]), 1)
        _same_events(mine, ev)  # y flipped upright, as Tonic does
        # Tonic indexes the 26-letter alphabet although j and z are absent: from 'k' on its labels are ours + 1
        letter = ours.classes[label]
        assert target == ord(letter) - ord("a")
        assert label == "abcdefghiklmnopqrstuvwxy".index(letter)


@pytest.mark.parametrize("cls", [SHD, SSC], ids=["shd", "ssc"])
def test_spikes_equal_tonic_with_its_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cls: Any) -> None:
    tonic = _tonic()
    extracted = _prepared(cls.name, tmp_path / "root")
    save_to = tmp_path / "tonic"
    (save_to / cls.__name__).mkdir(parents=True)
    for f in extracted.rglob("*.h5"):
        shutil.copy(f, save_to / cls.__name__ / f.name)
    split = "test"
    tonic_kw = {"train": False} if cls is SHD else {"split": split}
    theirs = _tonic_dataset(getattr(tonic.datasets, cls.__name__), save_to, monkeypatch, **tonic_kw)
    ours_kw: dict[str, Any] = {"train": False} if cls is SHD else {"split": split}
    ours = cls(tmp_path / "root", progress=False, **ours_kw)
    windows = Windows(n_event_bins=4, compat="tonic")  # Tonic's windows exactly ("fixed" keeps its dropped events)
    frames = cls(tmp_path / "root", progress=False, data_type="frame", windows=windows, **ours_kw)
    to_frame = tonic.transforms.ToFrame(sensor_size=(700, 1, 1), n_event_bins=4)
    assert len(theirs) == len(ours) > 0
    for i in range(len(ours)):
        ev, target = theirs[i]
        mine, label = ours[i]
        assert int(target) == label
        _same_events(mine, ev, ("t", "x", "p"))  # Tonic's spikes have no y
        assert (mine["y"] == 0).all()
        expected = to_frame(ev)  # [T, 1, 700]
        got = frames[i][0]
        assert got.shape == expected.shape == (4, 1, 700)
        np.testing.assert_array_equal(got, expected)


def test_poker_dvs_equals_tonic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tonic = _tonic()
    extracted = _prepared("poker-dvs", tmp_path / "root")
    save_to = tmp_path / "tonic" / "POKERDVS"
    for split in ("train", "test"):
        top = next(p for p in extracted.rglob(f"pips_{split}") if (p / "cl").is_dir())
        shutil.copytree(top, save_to / f"pips_{split}")
    for train in (True, False):
        theirs = _tonic_dataset(tonic.datasets.POKERDVS, save_to.parent, monkeypatch, train=train)
        ours = POKERDVS(tmp_path / "root", train=train, progress=False)
        frames = POKERDVS(
            tmp_path / "root", train=train, progress=False, data_type="frame", windows=TIME_BINS
        )
        to_frame = tonic.transforms.ToFrame(sensor_size=(35, 35, 2), n_time_bins=3)
        mine_by_events = {(*tuple(ours[i][0]["t"][:5]), len(ours[i][0]["t"])): i for i in range(len(ours))}
        assert len(theirs) == len(ours) > 0
        for j in range(len(theirs)):  # Tonic walks the class folders in file-system order: match by content
            ev, target = theirs[j]
            i = mine_by_events[(*tuple(ev["t"][:5]), len(ev))]
            assert target == ours.targets[i]
            _same_events(ours[i][0], ev)
            np.testing.assert_array_equal(frames[i][0], to_frame(ev))


def test_dvs_lip_equals_tonic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tonic = _tonic()
    extracted = _prepared("dvs-lip", tmp_path / "root")
    save_to = tmp_path / "tonic" / "DVSLip"
    shutil.copytree(next(p for p in extracted.rglob("DVS-Lip") if (p / "train").is_dir()), save_to / "DVS-Lip")
    assert list(tonic.datasets.DVSLip.classes) == list(DVSLip.classes)
    for train in (True, False):
        theirs = _tonic_dataset(tonic.datasets.DVSLip, save_to.parent, monkeypatch, train=train)
        ours = DVSLip(tmp_path / "root", train=train, progress=False)
        where = {(ours.classes[ours.targets[i]], ours.metadata(i)["file"]): i for i in range(len(ours))}
        assert len(theirs) == len(ours) > 0
        for j in range(len(theirs)):  # Tonic lists folders in os.listdir order
            ev, target = theirs[j]
            path = Path(theirs.data[j])
            i = where[(path.parent.name, path.name)]
            assert target == ours.targets[i]
            _same_events(ours[i][0], ev)


# ------------------------------------------------------------------ the Tonic-named classes on Tonic's folders


def _tonic_folder(name: str, tmp_path: Path) -> tuple[Path, str, list[dict[str, Any]]]:
    """A `save_to` laid out as Tonic extracts `name` (from its miniature), Tonic's class name, its split kwargs."""
    extracted = _prepared(name, tmp_path / "mini")
    save_to = tmp_path / "tonic"
    if name == "n-caltech101":
        top = next(p for p in extracted.rglob("Caltech101") if (p / "accordion").is_dir())
        shutil.copytree(top, save_to / "NCALTECH101" / "Caltech101")
        return save_to, "NCALTECH101", [{}]
    if name == "asl-dvs":
        _unzip_inner(extracted, save_to / "ASLDVS")
        return save_to, "ASLDVS", [{}]
    if name in ("shd", "ssc"):
        cls_name = name.upper()
        (save_to / cls_name).mkdir(parents=True)
        for f in extracted.rglob("*.h5"):
            shutil.copy(f, save_to / cls_name / f.name)
        splits = [{"train": True}, {"train": False}] if name == "shd" else [{"split": s} for s in ("train", "valid")]
        return save_to, cls_name, splits
    if name == "poker-dvs":
        for split in ("train", "test"):
            top = next(p for p in extracted.rglob(f"pips_{split}") if (p / "cl").is_dir())
            shutil.copytree(top, save_to / "POKERDVS" / f"pips_{split}")
        return save_to, "POKERDVS", [{"train": True}, {"train": False}]
    top = next(p for p in extracted.rglob("DVS-Lip") if (p / "train").is_dir())
    shutil.copytree(top, save_to / "DVSLip" / "DVS-Lip")
    return save_to, "DVSLip", [{"train": True}, {"train": False}]


def _items(ds: Any) -> list[tuple[str, bytes, str]]:
    out = []
    for i in range(len(ds)):
        ev, target = ds[i]
        ev = ev.reshape(-1)  # Tonic's ASLDVS keeps MATLAB's column shape
        out.append((str(target), ev.tobytes(), str(ev.dtype)))
    return sorted(out)


@pytest.mark.parametrize("name", ["n-caltech101", "asl-dvs", "shd", "ssc", "poker-dvs", "dvs-lip"])
def test_tonic_named_classes_equal_tonic_on_its_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from neurodata.compat.tonic import datasets as ours_mod

    tonic = _tonic()
    if name == "asl-dvs":
        pytest.importorskip("scipy")
    save_to, cls_name, splits = _tonic_folder(name, tmp_path)
    for kw in splits:
        theirs = _tonic_dataset(getattr(tonic.datasets, cls_name), save_to, monkeypatch, **kw)
        ours = getattr(ours_mod, cls_name)(save_to, **kw)  # decodes Tonic's files in place
        assert len(ours) == len(theirs) > 0
        assert _items(ours) == _items(theirs)  # same events (dtype, fields, values) and targets, as multisets
        assert ours.sensor_size == theirs.sensor_size
        assert ours.dtype == theirs.dtype
        tonic_classes = getattr(theirs, "classes", None)  # NCALTECH101 has none; SHD/SSC's are the file's keys
        if tonic_classes is not None:
            names = [c.decode() if isinstance(c, bytes) else str(c) for c in tonic_classes]
            assert [str(c) for c in ours.classes] == names
    assert not list((save_to / cls_name).glob("download"))  # nothing was fetched


def test_tonic_named_class_downloads_our_archives(tmp_path: Path, http_server: Any) -> None:
    from neurodata.compat.tonic import datasets as ours_mod

    served = tmp_path / "served"
    manifest = synth.make_sample("poker-dvs", served, SIZE, seed=2, base_url=http_server.url + "/p")
    for f in (served / "download").iterdir():
        http_server.files[f"/p/{f.name}"] = f.read_bytes()
    loc = tmp_path / "save_to" / "POKERDVS" / "download"
    loc.mkdir(parents=True)
    shutil.copy(manifest, loc / "sample.json")
    ds = ours_mod.POKERDVS(tmp_path / "save_to", train=False, transform=lambda ev: ev[ev["p"] == 1])
    assert len(ds) == 8
    events, target = ds[0]
    assert events.dtype == ours_mod.POKERDVS.dtype
    assert (events["p"] == 1).all()
    assert target in range(4)


def test_tonic_1x_ncars_and_navgesture_names(tmp_path: Path) -> None:
    """Tonic 1.x's NCARS and NavGesture (gone with loris), from our miniature archives in Tonic's folders."""
    from neurodata.compat.tonic import datasets as ours_mod
    from neurodata.datasets import NCARS, NAVGestureSit

    synth.make_sample("n-cars", tmp_path / "save_to" / "NCARS", SIZE, seed=6)
    synth.make_sample("nav-gesture-sit", tmp_path / "save_to" / "NavGesture" / "navgesture-sit", SIZE, seed=6)
    cars = ours_mod.NCARS(tmp_path / "save_to", train=True)
    core_cars = NCARS(tmp_path / "save_to" / "NCARS", train=True, progress=False)
    assert cars.targets == core_cars.targets.tolist()
    for i in range(len(cars)):
        ev, _ = cars[i]
        raw = core_cars[i][0]
        assert ev.dtype == ours_mod.NCARS.dtype
        np.testing.assert_array_equal(ev["y"], raw["y"] - raw["y"].min())  # Tonic 1.x: y from 0 per sample
        np.testing.assert_array_equal(ev["x"], raw["x"])
    nav = ours_mod.NavGesture(tmp_path / "save_to")
    core_nav = NAVGestureSit(tmp_path / "save_to" / "NavGesture" / "navgesture-sit", progress=False)
    codes = ("do", "up", "le", "ri", "se", "ho")  # Tonic's label order
    words = {"do": "down", "up": "up", "le": "left", "ri": "right", "se": "select", "ho": "home"}
    for i in range(len(nav)):
        code = core_nav.metadata(i)["file"].split("_")[1]
        assert nav.targets[i] == codes.index(code)
        assert nav.classes[nav.targets[i]].endswith(words[code])
