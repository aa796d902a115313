"""The `neurodata` CLI through typer's runner: every verb on every registered dataset and on a folder of one's
own recordings; each user mistake is one line, exit status 1, no traceback; no user file is ever renamed."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from neurodata import synth
from neurodata.cli import app
from neurodata.datasets import DATASETS, NMNIST, EventFolder
from neurodata.io import read_atis_bin, write_atis_bin
from neurodata.testing import random_events
from tests.conftest import SHARED_DATA

runner = CliRunner()
TARGETS = [*DATASETS.names(), "folder"]  # every registered dataset, and a folder of the user's own recordings


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"neurodata {' '.join(args)}:\n{result.output}"
    return result.output


def fails(*args: str) -> str:
    """The one-line error of a mistake: exit status 1, ``error: ...``, no traceback."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, f"neurodata {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


@pytest.fixture(scope="module")
def miniatures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A miniature of every target, written through `make-sample` (the folder as `make-sample folder`)."""
    out = {}
    for name in TARGETS:
        root = tmp_path_factory.mktemp(name)
        ok("make-sample", name, "--root", str(root), "--samples-per-class", "2", "--events-per-sample", "300", "-q")
        out[name] = root
    return out


def test_list_and_info() -> None:
    output = ok("list")
    assert [line.split()[0] for line in output.splitlines()[:-1]] == DATASETS.names()
    assert "folder of your own recordings" in output.splitlines()[-1]
    assert "20959b8e626244a1b502305a9e6e2031" in ok("info", "n-mnist")
    assert "no official split" in ok("info", "cifar10-dvs")
    assert "did you mean 'n-mnist'" in fails("info", "nmnist")


@pytest.mark.parametrize("name", TARGETS)
def test_every_verb_on_every_dataset(name: str, miniatures: dict[str, Path], tmp_path: Path) -> None:
    """make-sample (in the fixture), info, download, verify, prepare (frames by number and by duration) and show,
    with options after the verb, on each registered dataset's miniature and on a folder of recordings."""
    root = miniatures[name]
    where = [str(root)] if name == "folder" else [name, "--root", str(root)]
    cache = ["--cache", str(tmp_path / "cache")] if name == "folder" else []
    info = ok("info", where[0])
    assert info.strip()
    ok("download", *where, "-q")
    verified = ok("verify", *where)
    assert verified.startswith("ok ")
    no_split = name == "folder" or DATASETS.get(name).splits == ("all",)
    split = ["--train-ratio", "0.5", "--split-seed", "1"] if no_split else []
    ok("prepare", *where, *cache, "--frames", "3", "--split-by", "time", *split, "-q")
    ok("prepare", *where, *cache, "--duration", "50000", "-q")
    gif, png = tmp_path / "s.gif", tmp_path / "s.png"
    ok("show", *where, "1", *cache, "--gif", str(gif), "--png", str(png), "--frames", "4", "-q")
    with Image.open(gif) as im:
        assert im.n_frames == 4
    with Image.open(png) as im:
        assert im.size[0] > im.size[1]  # 4 frames side by side
    cls = EventFolder if name == "folder" else DATASETS.get(name)
    kw = {"cache_dir": tmp_path / "cache"} if name == "folder" else {}
    ds = cls(root, data_type="frame", frames_number=4, split_by="number", progress=False, **kw)
    frames, _ = ds[1]
    assert frames.shape[0] == 4
    assert frames.sum() > 0


def test_folder_frames_equal_integrating_the_decoded_files(miniatures: dict[str, Path], tmp_path: Path) -> None:
    from neurodata.integrate import integrate_events_by_fixed_frames_number
    from neurodata.io import read_events

    root = miniatures["folder"]
    ok("prepare", str(root), "--cache", str(tmp_path), "--frames", "5", "-q")
    ds = EventFolder(root, data_type="frame", frames_number=5, split_by="number", cache_dir=tmp_path, progress=False)
    assert ds.classes == synth.FOLDER_CLASSES
    assert (ds.sensor.width, ds.sensor.height) == (128, 128)  # the AEDAT headers say DVS128
    for i in range(len(ds)):
        rel = ds.metadata(i)["file"]
        assert ds.targets[i] == synth.FOLDER_CLASSES.index(rel.split("/")[0])
        expect = integrate_events_by_fixed_frames_number(read_events(root / rel), "number", 5, 128, 128)
        np.testing.assert_array_equal(ds[i][0], expect)


def test_verify_never_moves_a_user_file(tmp_path: Path) -> None:
    """The user zipped real N-MNIST recordings under the official names: refused, named, left where they are."""
    root = tmp_path / "nm"
    (root / "download").mkdir(parents=True)
    real = SHARED_DATA / "real" / "nmnist"
    if not real.exists():
        pytest.skip(f"the real N-MNIST files are not at {real}")
    for split in ("Train", "Test"):
        with zipfile.ZipFile(root / "download" / f"{split}.zip", "w") as zf:
            for f in sorted((real / split).rglob("*.bin")):
                zf.write(f, f.relative_to(real).as_posix())
    before = sorted(p.name for p in (root / "download").iterdir())
    line = fails("verify", "n-mnist", "--root", str(root))
    assert re.search(r"Train\.zip: checksum mismatch .* left at .*Train\.zip .*extracted tree", line)
    line = fails("prepare", "n-mnist", "--root", str(root), "--frames", "3")
    assert "checksum mismatch" in line
    assert sorted(p.name for p in (root / "download").iterdir()) == before


def test_real_nmnist_files_in_the_official_layout_prepare_in_one_command(tmp_path: Path) -> None:
    real = SHARED_DATA / "real" / "nmnist"
    if not real.exists():
        pytest.skip(f"the real N-MNIST files are not at {real}")
    cache = tmp_path / "cache"
    assert "extracted tree" in ok("verify", "n-mnist", "--root", str(real))
    ok("prepare", "n-mnist", "--root", str(real), "--cache", str(cache), "--frames", "6", "--split-by", "time", "-q")
    ds = NMNIST(real, train=False, data_type="frame", frames_number=6, split_by="time", cache_dir=cache,
                progress=False)
    from neurodata.integrate import integrate_events_by_fixed_frames_number

    files = sorted((real / "Test").glob("*/*.bin"), key=lambda p: (int(p.parent.name), p.name))
    assert list(ds.targets) == [int(p.parent.name) for p in files]
    for i, f in enumerate(files):
        np.testing.assert_array_equal(ds[i][0], integrate_events_by_fixed_frames_number(read_atis_bin(f), "time", 6,
                                                                                          34, 34))
    # the shared folder is read-only: without --cache the command says what to do instead of writing there
    line = fails("prepare", "n-mnist", "--root", str(real), "--frames", "6")
    assert "read-only" in line
    assert "--cache DIR" in line


def test_folder_with_a_labels_csv_cuts_samples_by_time(tmp_path: Path, rng: np.random.Generator) -> None:
    from neurodata.events import SensorSize

    ev = random_events(rng, SensorSize(40, 30), 3000, duration_us=3_000_000)
    write_atis_bin(tmp_path / "long.bin", ev)
    (tmp_path / "labels.csv").write_text("file,label,start,stop\nlong.bin,wave,0,1000000\nlong.bin,clap,1000000,"
                                         "2500000\nlong.bin,wave,2500000,3000000\n")
    out = ok("info", str(tmp_path), "--labels", "labels.csv")
    assert "classes: 0=clap (1), 1=wave (2)" in out
    ok("prepare", str(tmp_path), "--labels", "labels.csv", "--sensor", "40x30", "--cache", str(tmp_path / "c"), "-q")
    ds = EventFolder(tmp_path, labels="labels.csv", sensor=(40, 30), cache_dir=tmp_path / "c", progress=False)
    t = read_atis_bin(tmp_path / "long.bin")["t"]
    assert [len(ds[i][0]["t"]) for i in range(3)] == [
        int(np.count_nonzero((t >= a) & (t < b))) for a, b in [(0, 1e6), (1e6, 2.5e6), (2.5e6, 3e6)]
    ]
    assert list(ds.targets) == [1, 0, 1]


def test_info_and_show_of_one_real_file(tmp_path: Path) -> None:
    path = SHARED_DATA / "real" / "aedat2" / "dvs128_alex_walking_again.aedat"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    out = ok("info", str(path))
    # facts of the file established independently (tests/neurodata/io/test_io_real.py's struct reader)
    assert "jAER AEDAT 2.0 (aedat2), 158,068 bytes" in out
    assert "sensor 128x128 (from the header)" in out
    assert "events 19,182" in out
    assert "duration 6,886.6 ms" in out
    assert "ON 12,080 (63.0%), OFF 7,102 (37.0%)" in out
    png = tmp_path / "walk.png"
    ok("show", str(path), "--png", str(png), "--frames", "4", "-q")
    with Image.open(png) as im:
        assert im.size == (4 * 256 + 3 * 4, 256)  # 128x128 magnified twice, 4 frames, 4-pixel gaps


def test_gif_frames_are_readable(tmp_path: Path) -> None:
    """Per-frame contrast, ON and OFF in different colours, small sensors magnified without blur, a counter."""
    from neurodata.show import OFF_RGB, ON_RGB, play_frame

    frames = np.zeros((3, 2, 34, 34), np.float32)
    frames[0, 1, 10, 10] = 50.0  # a busy ON pixel
    frames[1, 1, 20, 20] = 1.0  # a quiet frame: one ON event
    frames[2, 0, 5, 30] = 2.0  # OFF only
    gif = tmp_path / "x.gif"
    play_frame(frames, gif)
    with Image.open(gif) as im:
        assert im.size == (272, 272)  # 34 * 8: at least 256 pixels, an integer factor
        rgb = []
        for k in range(im.n_frames):
            im.seek(k)
            rgb.append(np.asarray(im.convert("RGB"), dtype=np.int64))
    on, off = ON_RGB.astype(np.int64), OFF_RGB.astype(np.int64)
    assert np.abs(rgb[0][10 * 8 + 4, 10 * 8 + 4] - on).max() <= 16
    assert np.abs(rgb[1][20 * 8 + 4, 20 * 8 + 4] - on).max() <= 16  # as bright as the busy frame's pixel
    assert np.abs(rgb[2][5 * 8 + 4, 30 * 8 + 4] - off).max() <= 16
    block = rgb[1][20 * 8 : 21 * 8, 20 * 8 : 21 * 8]
    assert (block == block[0, 0]).all()  # nearest neighbour: the 8x8 block is one colour
    corners = [frame[:12, :30] for frame in rgb]
    assert not np.array_equal(corners[0], corners[1])  # the counter differs from frame to frame


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["prepare", "n-mnist", "--root", "{empty}"], r"Train\.zip is missing; run `neurodata download n-mnist"),
        (["prepare", "n-mnist", "--root", "{file}/sub"], r"--root .*sub runs through .*a\.txt, which is a file"),
        (["prepare", "n-mnist", "--root", "{file}"], r"--root .*a\.txt is a file, not a folder"),
        (["download", "dvs128-gesture", "--root", "{empty}"], r"cannot be downloaded by script.*Put it at"),
        (["info", "nmnist"], r"did you mean 'n-mnist'.*or give a folder"),
        (["prepare", "{empty}"], r"no recordings found"),
        (["prepare", "{folder}", "--root", "{empty}"], r"--root is for built-in datasets"),
        (["prepare", "{folder}", "--sensor", "128"], r"--sensor '128' is not WIDTHxHEIGHT"),
        (["prepare", "{folder}", "--sensor", "16x16", "--cache", "{empty}/c"], r"outside the 16x16 sensor"),
        (["prepare", "n-mnist", "--root", "{nmnist}", "--labels", "x.csv"], r"--labels only apply to a folder"),
        (["prepare", "n-mnist", "--root", "{nmnist}", "--train-ratio", "0.5"], r"n-mnist has an official"),
        (["prepare", "{folder}", "--train-ratio", "0.9", "--cache", "{empty}/c"],
         r"the test split is empty: 6 samples \(2 per class\) and train_ratio=0\.9"),
        (["prepare", "{folder}", "--split-scheme", "first100", "--cache", "{empty}/c"],
         r"split_scheme must be 'random'"),
        (["prepare", "n-mnist", "--root", "{nmnist}", "--frames", "0"], r"frames_number must be a positive integer"),
        (["show", "n-mnist", "99", "--root", "{nmnist}", "--gif", "{empty}/x.gif"], r"INDEX 99 is out of range: .* 40"),
        (["info", "{file}"], r"cannot tell the event format"),
        (["download", "{bin}"], r"takes a dataset name"),
        (["make-sample", "no-such-set", "--root", "{empty}"], r"unknown dataset 'no-such-set'"),
    ],
)
def test_each_mistake_is_one_line(args: list[str], expect: str, tmp_path: Path, miniatures: dict[str, Path]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "a.txt").write_text("not events")
    bin_file = tmp_path / "x.bin"
    write_atis_bin(bin_file, random_events(np.random.default_rng(0), NMNIST.sensor, 20))
    nmnist = tmp_path / "nm"
    shutil.copytree(miniatures["n-mnist"], nmnist)
    values = {"empty": str(empty), "file": str(tmp_path / "a.txt"), "folder": str(miniatures["folder"]),
              "nmnist": str(nmnist), "bin": str(bin_file)}
    line = fails(*(a.format(**values) for a in args))
    assert re.search(expect, line), line


def test_a_missing_folder_dataset_option_file_is_named(tmp_path: Path, miniatures: dict[str, Path]) -> None:
    line = fails("info", str(miniatures["folder"]), "--labels", str(tmp_path / "none.csv"))
    assert "none.csv" in line
    (tmp_path / "bad.csv").write_bytes(b"file,label\n\xff\xfe,1\n")
    line = fails("info", str(miniatures["folder"]), "--labels", str(tmp_path / "bad.csv"))
    assert re.search(r"bad\.csv: byte \d+: not UTF-8 text", line)


def test_quiet_works_after_the_verb(miniatures: dict[str, Path]) -> None:
    root = miniatures["n-mnist"]
    after = runner.invoke(app, ["verify", "n-mnist", "--root", str(root), "-q"])
    before = runner.invoke(app, ["-q", "verify", "n-mnist", "--root", str(root)])
    assert after.exit_code == before.exit_code == 0
    assert after.output == before.output


def test_demo_runs_the_data_path_offline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "sample.gif") as im:
        assert im.n_frames == 16
    assert (tmp_path / "dvs128-gesture" / "download" / "DvsGesture.tar.gz").exists()


def test_make_sample_writes_what_verify_accepts(tmp_path: Path) -> None:
    root = tmp_path / "nm"
    ok("-q", "make-sample", "n-mnist", "--root", str(root), "--samples-per-class", "1")
    assert ok("verify", "n-mnist", "--root", str(root)).count("ok ") == 2
    manifest = json.loads((root / "download" / "sample.json").read_text())
    assert {r["filename"] for r in manifest["resources"]} == {"Train.zip", "Test.zip"}


def test_the_quick_commands_never_import_torch() -> None:
    """What keeps `neurodata --help`, `list` and `info` fast (scripts/bench_startup.py times them)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = ("import sys; from typer.testing import CliRunner; from neurodata.cli import app; r = CliRunner(); "
            "outs = [r.invoke(app, a) for a in (['--help'], ['list'], ['info', 'n-mnist'], ['info', sys.argv[1]])]; "
            "assert all(o.exit_code == 0 for o in outs), [o.output for o in outs]; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    sample = SHARED_DATA / "real" / "aedat2" / "dvs128_alex_walking_again.aedat"
    if not sample.exists():
        pytest.skip(f"{sample} is absent")
    subprocess.run([sys.executable, "-c", code, str(sample)], check=True, cwd=REPO, timeout=60)


def test_a_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    path = SHARED_DATA / "real" / "aedat4" / "tonic_sample.aedat4"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    monkeypatch.setitem(sys.modules, "dv_processing", None)  # import fails, as when not installed
    monkeypatch.setitem(sys.modules, "faery", None)
    line = fails("info", str(path))
    assert "needs the optional package" in line
    assert "pip install 'neurodata-snnmodels[formats]'" in line


@pytest.mark.parametrize("name", DATASETS.names())
def test_spikingjelly_extracted_layout_is_read_without_archives(name: str, miniatures: dict[str, Path],
                                                                tmp_path: Path) -> None:
    """Every archive unpacked into ROOT/extract (what SpikingJelly leaves), the archives gone: the same samples."""
    from neurodata.archive import extract_archive

    cls = DATASETS.get(name)
    if not cls.tree_layout:
        pytest.skip(f"{name} declares no extracted layout")
    source = miniatures[name]
    for archive in sorted((source / "download").iterdir()):
        if archive.name != "sample.json":
            unpacked = extract_archive(archive, tmp_path / "unpacked" / archive.name)
            shutil.copytree(unpacked, tmp_path / "root" / "extract", dirs_exist_ok=True)
    root = tmp_path / "root"
    assert cls.locate(root).kind == "tree"
    assert ok("verify", name, "--root", str(root)).startswith(f"ok {root / 'extract'} (an extracted tree")
    split = {"train": False} if cls.splits != ("all",) else {}
    ours = cls(root, progress=False, **split)
    theirs = cls(source, progress=False, **split)
    assert len(ours) == len(theirs) > 0
    assert list(ours.targets) == list(theirs.targets)
    for i in range(len(ours)):
        for field in "txyp":
            np.testing.assert_array_equal(ours[i][0][field], theirs[i][0][field])
