"""Every CLI verb on the newer datasets' miniatures: make-sample, info, verify, prepare (events and frames), show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from neurodata.cli import app
from neurodata.datasets import get_dataset

runner = CliRunner()
NEW = ["n-caltech101", "asl-dvs", "nav-gesture-walk", "nav-gesture-sit", "es-imagenet", "shd", "ssc", "n-cars",
       "poker-dvs", "dvs-lip"]


@pytest.mark.parametrize("name", NEW)
def test_every_verb(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    args = ["-q", "make-sample", name, "--root", str(root), "--samples-per-class", "1", "--events-per-sample", "200"]
    assert runner.invoke(app, args).exit_code == 0
    info = runner.invoke(app, ["info", name])
    assert info.exit_code == 0, info.output
    cls = get_dataset(name)
    assert f"sensor {cls.sensor.width}x{cls.sensor.height}" in info.output
    verify = runner.invoke(app, ["verify", name, "--root", str(root)])
    assert verify.exit_code == 0, verify.output
    assert verify.output.count("ok ") == len(json.loads((root / "download" / "sample.json").read_text())["resources"])
    assert runner.invoke(app, ["-q", "prepare", name, "--root", str(root)]).exit_code == 0
    result = runner.invoke(app, ["-q", "prepare", name, "--root", str(root), "--frames", "3"])
    assert result.exit_code == 0, result.output
    [entry] = [p for p in (root / "frames").iterdir() if p.is_dir()]
    assert json.loads((entry / "spec.json").read_text())["frames_number"] == 3
    gif = tmp_path / "s.gif"
    result = runner.invoke(app, ["-q", "show", name, "0", "--root", str(root), "--gif", str(gif), "--frames", "4"])
    assert result.exit_code == 0, result.output
    with Image.open(gif) as im:
        assert im.n_frames == 4
        # a camera's frames are W x H (scaled 2x); a 1-D sensor's are a raster of frames x channels
        assert im.size == ((8, 1400) if cls.sensor.is_1d else (2 * cls.sensor.width, 2 * cls.sensor.height))


def test_manual_download_says_where_to_put_the_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["download", "dvs-lip", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "DVS-Lip.zip cannot be downloaded by script" in result.output
    assert "drive.google.com" in result.output
    assert str(tmp_path / "download" / "DVS-Lip.zip") in result.output.replace("\n", "")
