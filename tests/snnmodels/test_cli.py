"""The `snnmodels` CLI end to end on a miniature N-MNIST: train, evaluate, export, fine-tune (NIR and weights)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from neurodata import synth
from snnmodels.cli import app
from snnmodels.export import from_nir
from snnmodels.models import WEIGHTS, InputContract, register_weights, save_weights
from snnmodels.train import load_checkpoint
from snnmodels.train.finetune import head_name, load_pretrained, num_outputs, replace_head

runner = CliRunner()
MODEL = ["--model", "nmnist_net", "--model-arg", "channels=4", "--model-arg", "avgpool=true"]


@pytest.fixture(scope="module")
def nmnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nmnist")
    synth.make_sample("n-mnist", root, synth.SampleSize(samples_per_class=3, events_per_sample=600))
    return root


@pytest.fixture(scope="module")
def trained(nmnist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    result = runner.invoke(app, ["-q", "train", "n-mnist", "--root", str(nmnist), "--frames", "6", *MODEL,
                                 "--epochs", "2", "--batch-size", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(r"test accuracy \d\.\d{4} \(top-5 \d\.\d{4}\) on 30 samples", result.output)
    return out


def test_list_models_and_help_show_defaults() -> None:
    result = runner.invoke(app, ["list-models", "sew_*"])
    assert result.exit_code == 0
    assert "sew_resnet18" in result.output.split()
    assert "spiking_vgg11" not in result.output
    help_text = runner.invoke(app, ["train", "--help"], terminal_width=200).output
    assert "[default: dvsgesture_net]" in help_text
    assert "[default: 16]" in help_text


def test_train_writes_checkpoints_and_evaluate_reads_them(trained: Path, nmnist: Path) -> None:
    ckpt = load_checkpoint(trained / "last.pt")
    assert ckpt["epoch"] == 2
    assert ckpt["meta"]["model"] == "nmnist_net"
    assert ckpt["meta"]["frame_spec"]["frames_number"] == 6
    assert (trained / "curve.png").exists()
    result = runner.invoke(app, ["-q", "evaluate", str(trained / "best.pt"), "--root", str(nmnist)])
    assert result.exit_code == 0, result.output
    assert "confusion" in result.output
    assert len([ln for ln in result.output.splitlines() if re.fullmatch(r"(\s+\d+){10}", ln)]) == 10


def test_export_checkpoint_to_nir_and_fine_tune_from_it(trained: Path, nmnist: Path, tmp_path: Path) -> None:
    nir_file = tmp_path / "net.nir"
    result = runner.invoke(app, ["export", str(trained / "best.pt"), "--to", "nir", "--out", str(nir_file)])
    assert result.exit_code == 0, result.output
    assert nir_file.stat().st_size > 0
    assert num_outputs(from_nir(nir_file)) == 10
    out = tmp_path / "ft"
    result = runner.invoke(app, ["-q", "finetune", "n-mnist", "--from", str(nir_file), "--root", str(nmnist),
                                 "--frames", "6", "--epochs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "after fine-tuning from" in result.output
    assert load_checkpoint(out / "last.pt")["meta"]["finetuned_from"] == str(nir_file)


def test_fine_tune_from_registered_weights_over_a_file_url(trained: Path, nmnist: Path, tmp_path: Path) -> None:
    net = load_pretrained(str(trained / "best.pt"))
    contract = InputContract(2, 10, (34, 34), T=6, dataset="n-mnist")
    weights = save_weights(net, tmp_path / "w.pt", name="nmnist_net_cli_test", contract=contract,
                           model_name="nmnist_net", model_kwargs={"channels": 4})
    assert weights.urls[0].startswith("file://")
    if "nmnist_net_cli_test" not in WEIGHTS:
        register_weights(weights)
    out = tmp_path / "ft"
    result = runner.invoke(app, ["-q", "finetune", "n-mnist", "--from", "nmnist_net_cli_test", "--model", "nmnist_net",
                                 "--model-arg", "channels=4", "--root", str(nmnist), "--frames", "6", "--epochs", "1",
                                 "--freeze-backbone", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ft = load_checkpoint(out / "last.pt")["model"]
    start = torch.load(tmp_path / "w.pt", weights_only=True)
    frozen = [k for k in start if not k.startswith(head_name(net)) and start[k].dtype.is_floating_point
              and "running" not in k]
    assert frozen
    assert all(torch.equal(ft[k], start[k]) for k in frozen)  # the backbone did not move


def test_replace_head_keeps_voting() -> None:
    from snnmodels.models import create_model

    net = create_model("nmnist_net", channels=4)
    assert num_outputs(net) == 10
    replace_head(net, 3)
    assert num_outputs(net) == 3
    y = net(torch.rand(2, 1, 2, 34, 34))
    assert y.shape == (2, 1, 3)


def test_bad_source_is_a_clear_error(nmnist: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["-q", "finetune", "n-mnist", "--from", "no_such_weights", "--model", "nmnist_net",
                                 "--root", str(nmnist), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "error:" in result.output


def test_demo_runs_offline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-q", "demo", "--out", str(tmp_path), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    for name in ("sample.gif", "nmnist_net.nir", "run/curve.png", "run/best.pt"):
        assert (tmp_path / name).exists(), name
    assert re.search(r"test accuracy \d\.\d{3} on 96 samples", result.output)
