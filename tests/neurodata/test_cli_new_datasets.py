"""The command line on the newer datasets beyond `test_cli.py`'s every-verb test over the registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from neurodata.cli import app

runner = CliRunner()


def test_manual_download_says_where_to_put_the_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["download", "dvs-lip", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "DVS-Lip.zip cannot be downloaded by script" in result.output
    assert "drive.google.com" in result.output
    assert str(tmp_path / "download" / "DVS-Lip.zip") in result.output.replace("\n", "")


def test_show_draws_a_1d_sensor_as_a_raster(tmp_path: Path) -> None:
    root = tmp_path / "shd"
    made = runner.invoke(app, ["make-sample", "shd", "--root", str(root), "--samples-per-class", "1", "-q"])
    assert made.exit_code == 0, made.output
    gif = tmp_path / "s.gif"
    result = runner.invoke(app, ["show", "shd", "0", "--root", str(root), "--gif", str(gif), "--frames", "5", "-q"])
    assert result.exit_code == 0, result.output
    with Image.open(gif) as im:
        assert im.n_frames == 5
        assert im.size == (700, 5 * (700 // 10))  # channels across, frames down (each 70 px tall)
        im.seek(4)
        last = im.convert("RGB")
    with Image.open(gif) as im:
        first = im.convert("RGB")
    # picture k shows the raster's first k frames: the first has only background below its first row
    below = np.asarray(first)[100:]
    assert len(np.unique(below.reshape(-1, 3), axis=0)) == 1
    assert len(np.unique(np.asarray(last)[300:].reshape(-1, 3), axis=0)) > 1
