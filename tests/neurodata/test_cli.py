from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from neurodata.cli import app


def test_demo_writes_frames_that_hold_every_event(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--samples", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "demo_frames.npz") as z:
        frames, lengths = z["frames"], z["lengths"]
    assert frames.shape[0] == 2
    assert frames.shape[2:] == (2, 128, 128)
    assert all(frames[i, n:].sum() == 0 for i, n in enumerate(lengths))
    assert not list(tmp_path.glob("*.tmp.npz"))


def test_unknown_command_fails() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code != 0
