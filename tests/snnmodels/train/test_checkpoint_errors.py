"""Bad checkpoints are one `CheckpointError` naming the file, wherever they are loaded, and never run code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from snnmodels.cli import app
from snnmodels.train import CheckpointError, TrainConfig, Trainer, load_checkpoint
from snnmodels.train.finetune import load_pretrained
from tests.snnmodels.train.tiny import QuadrantFrames, tiny_net

CFG = TrainConfig(epochs=1, batch_size=8, lr=0.05, seed=1, device="cpu")


class _Hostile:
    """Unpickling this would create a file: a stand-in for code in a pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    trainer = Trainer(tiny_net(), CFG, QuadrantFrames(16), out_dir=out, progress=False,
                      meta={"model": "nmnist_net", "num_classes": 4, "frame_shape": [2, 8, 8]})
    trainer.fit()
    return out


def _bad_files(run: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    good = (run / "last.pt").read_bytes()
    files = {
        "truncated": (good[: len(good) // 2], "cannot be read: it is cut short, damaged or not a checkpoint"),
        "random": (os.urandom(4096), "cannot be read: it is cut short, damaged or not a checkpoint"),
        "empty": (b"", "cannot be read"),
    }
    out = {}
    for name, (data, message) in files.items():
        (tmp / f"{name}.pt").write_bytes(data)
        out[name] = (tmp / f"{name}.pt", message)
    torch.save({"model": _Hostile(tmp / "pwned")}, tmp / "hostile.pt")
    out["hostile"] = (tmp / "hostile.pt", "holds objects other than tensors .* refused")
    torch.save([1, 2, 3], tmp / "list.pt")
    out["not a dict"] = (tmp / "list.pt", "holds a list, not a checkpoint")
    torch.save({"weights": {}}, tmp / "nomodel.pt")
    out["no model entry"] = (tmp / "nomodel.pt", "has no 'model' entry")
    return out


def test_damaged_hostile_and_foreign_files_are_one_error_naming_the_file(run: Path, tmp_path: Path) -> None:
    for name, (path, message) in _bad_files(run, tmp_path).items():
        with pytest.raises(CheckpointError, match=rf"checkpoint {path} {message}"):
            load_checkpoint(path)
        trainer = Trainer(tiny_net(), CFG, QuadrantFrames(8), progress=False)
        with pytest.raises(CheckpointError, match=str(path)):
            trainer.load(path)
        with pytest.raises(CheckpointError, match=str(path)):
            load_pretrained(str(path), model="nmnist_net")
        assert not (tmp_path / "pwned").exists(), name  # nothing in the file ran
    with pytest.raises(CheckpointError, match=r"no such file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_checkpoint_of_another_model_is_named_as_such(run: Path) -> None:
    other = Trainer(nn.Sequential(nn.Flatten(2), nn.Linear(128, 4)), CFG, QuadrantFrames(8), progress=False)
    with pytest.raises(CheckpointError, match=r"last\.pt holds the weights of another model.*(Missing|Unexpected)"):
        other.load(run / "last.pt")
    # a head learning at its own rate: two parameter groups where the run had one
    split = Trainer(tiny_net(), CFG.replace(head_prefix="4", backbone_lr_scale=0.1), QuadrantFrames(8), progress=False)
    with pytest.raises(CheckpointError, match=r"cannot resume this run: its optimizer"):
        split.load(run / "last.pt")
    weights_only = run / "weights.pt"
    torch.save({"model": load_checkpoint(run / "last.pt")["model"]}, weights_only)
    with pytest.raises(CheckpointError, match=r"weights\.pt has no 'optimizer', 'scheduler'"):
        Trainer(tiny_net(), CFG, QuadrantFrames(8), progress=False).load(weights_only)
    Trainer(tiny_net(), CFG, QuadrantFrames(8), progress=False).load(run / "last.pt")  # its own model loads


def test_evaluate_and_export_refuse_bad_checkpoints_in_one_line(run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = _bad_files(run, tmp_path)
    for args in (["evaluate", str(bad["hostile"][0])], ["export", str(bad["truncated"][0])],
                 ["evaluate", str(run / "last.pt")]):  # meta names nmnist_net, the weights are tiny_net's
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output
        assert f"checkpoint {args[1]}" in result.output
    assert not (tmp_path / "pwned").exists()
