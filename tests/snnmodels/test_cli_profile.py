"""`snnmodels profile`: a zoo model on random spikes, on a dataset's test split and from a checkpoint; its JSON
equals `profile_model` on the same data; mistakes are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from neurodata import synth
from snnmodels.cli import app
from snnmodels.models import create_model
from snnmodels.profile import profile_model

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"snnmodels {' '.join(args)}:\n{result.output}"
    return result.output


def test_zoo_model_on_random_spikes(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    text = _ok(
        "profile", "nmnist_net", "--input-shape", "2,34,34", "--num-classes", "10", "--model-arg", "channels=4",
        "--batch-size", "2", "--batches", "1", "--steps", "3", "--density", "0.2", "--json", str(out),
    )  # fmt: skip
    assert "| conv_fc.0 | Conv2d | connection |" in text
    got = json.loads(out.read_text())
    # the same model (seeded the same way by nobody: rebuild with its weights) on the same random batch
    torch.manual_seed(0)
    net = create_model("nmnist_net", channels=4, num_classes=10)
    assert got["parameters"] == sum(p.numel() for p in net.parameters())
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(2, 3, 2, 34, 34, generator=g) < 0.2).float()
    assert got["synops"]["dense"] == profile_model(net, [x]).synops["dense"]
    assert got["synops"]["effective_macs"] == 0.0  # spikes in: accumulates only
    assert got["synops"]["effective_acs"] > 0
    assert got["samples"] == 2


@pytest.mark.slow
def test_dataset_test_split_and_checkpoint(tmp_path: Path) -> None:
    root = tmp_path / "gesture"
    synth.make_sample("dvs128-gesture", root, synth.SampleSize(samples_per_class=1, events_per_sample=500))
    common = ["--root", str(root), "--frames", "4", "--downsample", "4", "--batch-size", "4", "--batches", "2"]
    text = _ok("profile", "nmnist_net", "--dataset", "dvs128-gesture", "--model-arg", "channels=2", *common,
               "--json", str(tmp_path / "a.json"))  # fmt: skip
    assert "dvs128-gesture test split, 8 of 12 samples" in text
    got = json.loads((tmp_path / "a.json").read_text())
    assert got["samples"] == 8
    # the first conv sees count frames (4x4 sum-pooled): multiply-accumulates
    assert got["layers"]["conv_fc.0"]["effective_macs"] > 0
    run = tmp_path / "run"
    _ok("train", "dvs128-gesture", "--model", "nmnist_net", "--model-arg", "channels=2", "--root", str(root),
        "--frames", "4", "--downsample", "4", "--epochs", "1", "--batch-size", "4", "--out", str(run))  # fmt: skip
    # the checkpoint knows its dataset: its test split, one batch of the default 8
    text = _ok("profile", str(run / "last.pt"), "--batches", "1", "--json", str(tmp_path / "b.json"))
    assert "last.pt on dvs128-gesture test split, 8 of 12 samples" in text
    assert json.loads((tmp_path / "b.json").read_text())["parameters"] == got["parameters"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--density", "2"], "--density must be in [0, 1]"),
        (["--batches", "0"], "--batches must be positive"),
        (["--input-shape", "2,34"], "--input-shape"),
        (["--model-arg", "nochannels"], "--model-arg takes KEY=VALUE"),
    ],
)
def test_mistakes_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", "nmnist_net", "--json", str(tmp_path / "p.json"), *args])
    assert result.exit_code == 1, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, result.output
    assert message in errors[0]
