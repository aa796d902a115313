"""The `neurodata` CLI through typer's runner: commands call the library; our errors become exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from neurodata.cli import app

runner = CliRunner()


def test_list_and_info() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    from neurodata.datasets import DATASETS

    assert [line.split()[0] for line in result.output.splitlines()] == DATASETS.names()
    assert {"cifar10-dvs", "dvs128-gesture", "n-mnist", "shd", "es-imagenet"} <= set(DATASETS.names())
    result = runner.invoke(app, ["info", "n-mnist"])
    assert result.exit_code == 0
    assert "20959b8e626244a1b502305a9e6e2031" in result.output
    result = runner.invoke(app, ["info", "nmnist"])
    assert result.exit_code == 1
    assert "did you mean 'n-mnist'" in result.output


def test_make_sample_verify_prepare_show(tmp_path: Path) -> None:
    root = tmp_path / "nm"
    assert (
        runner.invoke(
            app,
            [
                "-q",
                "make-sample",
                "n-mnist",
                "--root",
                str(root),
                "--samples-per-class",
                "2",
                "--events-per-sample",
                "500",
            ],
        ).exit_code
        == 0
    )
    result = runner.invoke(app, ["verify", "n-mnist", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 2
    result = runner.invoke(
        app, ["-q", "prepare", "n-mnist", "--root", str(root), "--frames", "5", "--split-by", "time"]
    )
    assert result.exit_code == 0, result.output
    [entry] = [p for p in (root / "frames").iterdir() if p.is_dir()]
    assert json.loads((entry / "spec.json").read_text())["frames_number"] == 5
    gif = tmp_path / "s.gif"
    result = runner.invoke(app, ["-q", "show", "n-mnist", "3", "--root", str(root), "--gif", str(gif), "--frames", "6"])
    assert result.exit_code == 0, result.output
    with Image.open(gif) as im:
        assert im.n_frames == 6
        assert im.size == (68, 68)


def test_verify_reports_a_corrupt_file_with_exit_1(tmp_path: Path) -> None:
    root = tmp_path / "nm"
    runner.invoke(app, ["-q", "make-sample", "n-mnist", "--root", str(root), "--samples-per-class", "1"])
    with (root / "download" / "Test.zip").open("r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01\x02")
    result = runner.invoke(app, ["verify", "n-mnist", "--root", str(root)])
    assert result.exit_code == 1
    assert "Test.zip: checksum mismatch" in result.output


@pytest.mark.parametrize("args", [["prepare", "n-mnist"], ["download", "dvs128-gesture"]])
def test_missing_data_is_a_clear_error(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["-q", *args, "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "Traceback" not in result.output


def test_demo_runs_the_data_path_offline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-q", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "sample.gif") as im:
        assert im.n_frames == 16
    assert (tmp_path / "dvs128-gesture" / "download" / "DvsGesture.tar.gz").exists()
