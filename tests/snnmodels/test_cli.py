"""The `snnmodels` CLI end to end: every verb on every registered dataset's miniature and on a folder of one's own
recordings; fine-tuning the NIR paper's pretrained N-MNIST net on real recordings; one-line errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from neurodata import synth
from neurodata.datasets import DATASETS, NMNIST
from snnmodels.catalog import MODEL_NAMES
from snnmodels.cli import app
from snnmodels.export import from_nir
from snnmodels.models import NMNIST_CNN, WEIGHTS, InputContract, list_models, register_weights, save_weights
from snnmodels.train import load_checkpoint
from snnmodels.train.finetune import head_name, load_pretrained, num_outputs, replace_head
from tests.snnmodels.export.nets import shared

runner = CliRunner()
MODEL = ["--model", "nmnist_net", "--model-arg", "channels=4", "--model-arg", "avgpool=true"]
TINY = ["--model", "nmnist_net", "--model-arg", "channels=2", "--model-arg", "avgpool=true"]
TINY_1D = ["--model", "shd_net", "--model-arg", "hidden=8"]  # 1-D sensors (SHD, SSC: 700 channels, one row)
TARGETS = [*DATASETS.names(), "folder"]


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"snnmodels {' '.join(args)}:\n{result.output}"
    return result.output


def fails(*args: str) -> str:
    """The one-line error of a mistake: exit status 1, ``error: ...``, no traceback."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, f"snnmodels {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    return errors[0]


@pytest.fixture(scope="module")
def nmnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nmnist")
    synth.make_sample("n-mnist", root, synth.SampleSize(samples_per_class=3, events_per_sample=600))
    return root


@pytest.fixture(scope="module")
def trained(nmnist: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run")
    output = ok("train", "n-mnist", "--root", str(nmnist), "--frames", "6", *MODEL, "--epochs", "2", "--batch-size",
                "10", "--out", str(out), "-q")
    return out, output


def test_list_models_and_help_show_defaults() -> None:
    assert list(MODEL_NAMES) == list_models()  # the torch-free catalogue is the registry
    result = runner.invoke(app, ["list-models", "sew_*"])
    assert result.exit_code == 0
    assert "sew_resnet18" in result.output.split()
    assert "spiking_vgg11" not in result.output
    help_text = runner.invoke(app, ["train", "--help"], terminal_width=200).output
    assert "[default: dvsgesture_net]" in help_text
    assert "[default: 16]" in help_text
    assert "nir_paper.nmnist_cnn: a NIR graph, 2x34x34, 10 classes, n-mnist duration=1000us" in ok("list-weights")


def test_train_prints_the_accuracy_of_the_checkpoint_it_names(trained: tuple[Path, str], nmnist: Path) -> None:
    out, output = trained
    m = re.search(r"test accuracy (\d\.\d{4}) \(top-5 \d\.\d{4}\) on 30 samples with best\.pt \(epoch (\d) of 2\)",
                  output)
    assert m, output
    best = load_checkpoint(out / "best.pt")
    assert best["epoch"] == int(m.group(2))
    assert abs(best["history"][best["epoch"] - 1]["val_acc"] - float(m.group(1))) < 1e-4
    ckpt = load_checkpoint(out / "last.pt")
    assert ckpt["epoch"] == 2
    assert ckpt["meta"]["model"] == "nmnist_net"
    assert ckpt["meta"]["frame_spec"]["frames_number"] == 6
    assert (out / "curve.png").exists()
    evaluated = ok("evaluate", str(out / "best.pt"), "--root", str(nmnist), "-q")
    assert f"test accuracy {m.group(1)}" in evaluated  # the same number, from the same weights
    assert len([ln for ln in evaluated.splitlines() if re.fullmatch(r"(\s+\d+){10}", ln)]) == 10


@pytest.mark.parametrize("name", TARGETS)
def test_every_verb_on_every_dataset(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """train, evaluate, export and finetune on each registered dataset's miniature and on a folder of recordings."""
    root = tmp_path_factory.mktemp(name)
    size = synth.SampleSize(samples_per_class=2, events_per_sample=300)
    if name == "folder":
        synth.make_folder_sample(root, size)
        where, sensor = [str(root), "--cache", str(root.parent / f"{root.name}-cache")], (128, 128)
    else:
        synth.make_sample(name, root, size)
        cls = DATASETS.get(name)
        where, sensor = [name, "--root", str(root)], (cls.sensor.width, cls.sensor.height)
    one_d = name != "folder" and DATASETS.get(name).sensor.is_1d
    no_split = name == "folder" or DATASETS.get(name).splits == ("all",)
    split = ["--train-ratio", "0.5"] if no_split else []
    # the largest sum-pooling factor up to W/32 that divides both sides (240x180 -> 6, 700x1 -> 1)
    factor = max(f for f in range(1, max(1, sensor[0] // 32) + 1) if sensor[0] % f == 0 and sensor[1] % f == 0)
    down = ["--downsample", str(factor)]
    out = root.parent / f"{root.name}-run"
    ok("train", *where, "--frames", "3", *down, *(TINY_1D if one_d else TINY), *split, "--epochs", "1",
       "--batch-size", "8", "--out", str(out), "-q")
    assert "test accuracy" in ok("evaluate", str(out / "best.pt"), "-q")
    exported = ok("export", str(out / "best.pt"), "--to", "nir", "--out", str(out / "m.nir"), "-q")
    assert (out / "m.nir").stat().st_size > 0, exported
    ft = root.parent / f"{root.name}-ft"
    ok("finetune", *where, "--from", str(out / "best.pt"), "--frames", "3", *down, *split, "--epochs", "1",
       "--freeze-backbone", "--out", str(ft), "-q")
    after = load_checkpoint(ft / "last.pt")
    assert after["meta"]["finetuned_from"] == str(out / "best.pt")
    head = head_name(load_pretrained(str(out / "best.pt")))
    start = load_checkpoint(out / "best.pt")["model"]
    frozen = [k for k, v in start.items()
              if not k.startswith(f"{head}.") and v.is_floating_point() and "running" not in k]
    assert frozen
    assert all(torch.equal(after["model"][k], start[k]) for k in frozen)  # --freeze-backbone found the head


def test_a_2d_model_on_1d_spikes_names_the_models_that_fit(tmp_path: Path) -> None:
    synth.make_sample("shd", tmp_path, synth.SampleSize(samples_per_class=2, events_per_sample=300))
    line = fails("train", "shd", "--root", str(tmp_path), "--frames", "3", *TINY, "--epochs", "1",
                 "--out", str(tmp_path / "run"))  # fmt: skip
    assert "nmnist_net cannot be built with these values" in line
    assert "frames of a 1-D sensor (1x1x700) need a model for 1-D spikes: --model shd_mlp, shd_net, ssc_mlp, " in line


def test_export_picks_the_suffix_from_to(trained: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    pytest.importorskip("onnx")
    monkeypatch.chdir(tmp_path)
    out, _ = trained
    assert "wrote model.onnx" in ok("export", str(out / "best.pt"), "--to", "onnx", "-q")
    assert (tmp_path / "model.onnx").read_bytes()[:2] != b"\x89H"  # not HDF5 (a NIR file)
    assert not (tmp_path / "model.nir").exists()
    line = fails("export", str(out / "best.pt"), "--to", "onnx", "--out", "x.nir")
    assert "--out x.nir ends in .nir but --to onnx writes ONNX; name it x.onnx" in line


def test_export_checkpoint_to_nir_and_fine_tune_from_it(trained: tuple[Path, str], nmnist: Path, tmp_path: Path
                                                        ) -> None:
    out, _ = trained
    nir_file = tmp_path / "net.nir"
    ok("export", str(out / "best.pt"), "--to", "nir", "--out", str(nir_file))
    assert num_outputs(from_nir(nir_file)) == 10
    ft = tmp_path / "ft"
    output = ok("-q", "finetune", "n-mnist", "--from", str(nir_file), "--root", str(nmnist), "--frames", "6",
                "--epochs", "1", "--out", str(ft))
    assert re.search(r"before fine-tuning: test accuracy \d\.\d{4}; after: test accuracy", output)
    meta = load_checkpoint(ft / "last.pt")["meta"]
    assert meta["finetuned_from"] == str(nir_file)
    assert "test accuracy" in ok("evaluate", str(ft / "best.pt"), "-q")  # rebuilt from the graph it names


def test_fine_tune_from_registered_zoo_weights_over_a_file_url(trained: tuple[Path, str], nmnist: Path,
                                                               tmp_path: Path) -> None:
    out, _ = trained
    net = load_pretrained(str(out / "best.pt"))
    contract = InputContract(2, 10, (34, 34), T=6, dataset="n-mnist")
    weights = save_weights(net, tmp_path / "w.pt", name="nmnist_net_cli_test", contract=contract,
                           model_name="nmnist_net", model_kwargs={"channels": 4})
    assert weights.urls[0].startswith("file://")
    if "nmnist_net_cli_test" not in WEIGHTS:
        register_weights(weights)
    ft = tmp_path / "ft"
    ok("-q", "finetune", "n-mnist", "--weights", "nmnist_net_cli_test", "--model", "nmnist_net", "--model-arg",
       "channels=4", "--root", str(nmnist), "--frames", "6", "--epochs", "1", "--freeze-backbone", "--out", str(ft))
    after = load_checkpoint(ft / "last.pt")["model"]
    start = torch.load(tmp_path / "w.pt", weights_only=True)
    frozen = [k for k in start if not k.startswith(head_name(net) + ".") and start[k].dtype.is_floating_point
              and "running" not in k]
    assert frozen
    assert all(torch.equal(after[k], start[k]) for k in frozen)  # the backbone did not move


# ------------------------------------------------------------------------ the NIR paper's pretrained N-MNIST CNN


@pytest.fixture
def nir_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The registered entry, fetched over file:// from the copy in shared/data/nir (tests stay offline)."""
    name = "nir_paper.nmnist_cnn"
    entry = WEIGHTS.get(name)
    local = dataclasses.replace(entry, urls=(shared("nir", "cnn_sinabs.nir").resolve().as_uri(),))
    monkeypatch.setitem(WEIGHTS._items, name, local)
    monkeypatch.setenv("NEURODATA_HOME", str(tmp_path / "home"))
    return name


def test_the_registered_weights_are_the_published_file(nir_weights: str) -> None:
    import hashlib

    w = WEIGHTS.get(nir_weights)
    data = shared("nir", "cnn_sinabs.nir").read_bytes()
    assert hashlib.sha256(data).hexdigest() == w.sha256
    assert NMNIST_CNN.urls == (
        "https://raw.githubusercontent.com/neuromorphs/NIR/7232ada6d30e1beea78b180a5135b1a3bb3d3bc0/paper/02_cnn/"
        "cnn_sinabs.nir",
    )
    published = {f.stem.removesuffix("_accuracy"): float(np.load(f)) for f in shared("nir").glob("*_accuracy.npy")}
    assert round(100 * published["sinabs"], 2) == w.metrics["acc@1 sinabs"]
    assert round(100 * published["speck"], 2) == w.metrics["acc@1 speck"]
    assert w.contract.frame_spec.duration == 1000
    assert w.meta["dt"] == 1.0


def test_head_is_found_in_graph_order_and_an_affine_head_is_resized(nir_weights: str) -> None:
    net = load_pretrained(nir_weights)
    assert head_name(net) == "nodes.11"  # the Affine 256 -> 10, not node '9' (256 <- 128), which sorts last
    assert num_outputs(net) == 10
    x = torch.from_numpy(np.random.default_rng(0).poisson(0.2, (40, 2, 2, 34, 34)).astype(np.float32))
    before = net.nodes["9"].weight.detach().clone()
    replace_head(net, 4, seed=0)
    assert num_outputs(net) == 4
    y = net(x)
    assert y.shape == (40, 2, 4)
    assert set(y.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(net.nodes["9"].weight, before)
    assert net.to_nir_graph().nodes["output"].output_type["output"].tolist() == [4]


def test_the_dt_decides_whether_the_graph_spikes(nir_weights: str) -> None:
    x = torch.from_numpy(np.random.default_rng(1).poisson(0.2, (60, 1, 2, 34, 34)).astype(np.float32))
    with torch.no_grad():
        assert load_pretrained(nir_weights)(x).sum() > 0  # its recorded dt = 1
        assert load_pretrained(nir_weights, dt=1e-4)(x).sum() == 0  # from_nir's default: silent


def test_fine_tune_the_nir_paper_net_on_real_nmnist(nir_weights: str, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """The acceptance path: real N-MNIST files in the official layout, the registered weights, the head trained,
    and afterwards the 4 labelled samples are classified at least as well as before (4/4)."""
    real = shared("real", "nmnist")
    cache, out = tmp_path / "cache", tmp_path / "ft"
    output = ok("finetune", "n-mnist", "--weights", nir_weights, "--root", str(real), "--cache", str(cache),
                "--freeze-backbone", "--epochs", "2", "--batch-size", "2", "--out", str(out), "-q")
    assert re.search(r"before fine-tuning: test accuracy 1\.0000; after: test accuracy 1\.0000 .* best\.pt", output)
    ckpt = load_checkpoint(out / "best.pt")
    assert ckpt["meta"]["frame_spec"]["duration"] == 1000  # the weights' input contract, taken by default
    start = load_pretrained(nir_weights)
    moved = {k for k, v in start.state_dict().items() if not torch.equal(v, ckpt["model"][k])}
    assert moved == {"nodes.11.weight", "nodes.11.bias"}  # frozen but the head
    tuned = load_pretrained(nir_weights)
    tuned.load_state_dict(ckpt["model"])
    for net in (start, tuned):
        correct = 0
        for train in (True, False):
            ds = NMNIST(real, train=train, data_type="frame", duration=1000, cache_dir=cache, progress=False)
            for i in range(len(ds)):
                frames, label = ds[i]
                with torch.no_grad():
                    counts = net(torch.from_numpy(frames)[:, None])[:, 0].sum(0)
                correct += int(counts.argmax()) == label
        assert correct == 4
    assert "never spiked" not in caplog.text


def test_a_silent_imported_graph_is_named_with_what_to_try(nir_weights: str, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    real = shared("real", "nmnist")
    import logging

    with caplog.at_level(logging.WARNING):
        ok("finetune", "n-mnist", "--weights", nir_weights, "--dt", "1e-4", "--root", str(real), "--cache",
           str(tmp_path / "c"), "--epochs", "1", "--batch-size", "1", "--out", str(tmp_path / "ft"), "-q")
    assert re.search(r"the output layer '12' \(IF\) never spiked in the first 2 training steps.*--dt", caplog.text)


def test_finetune_from_a_nir_file_with_dt(nmnist: Path, tmp_path: Path) -> None:
    nir_file = shared("nir", "cnn_sinabs.nir")
    output = ok("finetune", "n-mnist", "--from", str(nir_file), "--dt", "1", "--root", str(nmnist), "--duration",
                "1000", "--epochs", "1", "--freeze-backbone", "--out", str(tmp_path / "ft"), "-q")
    assert "after: test accuracy" in output
    assert load_checkpoint(tmp_path / "ft" / "last.pt")["meta"]["dt"] == 1.0


def test_replace_head_keeps_voting() -> None:
    from snnmodels.models import create_model

    net = create_model("nmnist_net", channels=4)
    assert num_outputs(net) == 10
    replace_head(net, 3)
    assert num_outputs(net) == 3
    y = net(torch.rand(2, 1, 2, 34, 34))
    assert y.shape == (2, 1, 3)


# ------------------------------------------------------------------------ mistakes: one line each


@pytest.fixture(scope="module")
def cifar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    synth.make_sample("cifar10-dvs", root, synth.SampleSize(samples_per_class=4, events_per_sample=200))
    return root


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["train", "n-mnist", "--root", "{nmnist}", "--frames", "4", "--model", "nmnist_net", "--model-arg",
          "chanels=4"], r"--model-arg chanels: nmnist_net takes no argument 'chanels'; did you mean channels\?"),
        (["train", "n-mnist", "--root", "{nmnist}", "--frames", "4", "--model", "nmnist_net", "--model-arg",
          "channels=abc"], r"--model-arg channels='abc': nmnist_net cannot be built with these values"),
        (["train", "n-mnist", "--root", "{nmnist}", "--frames", "4", "--model", "nmnist_net", "--model-arg",
          "channels"], r"--model-arg takes KEY=VALUE, got 'channels'"),
        (["train", "n-mnist", "--root", "{nmnist}", "--frames", "4", "--model", "nmnist_nett"],
         r"--model 'nmnist_nett' is not in the zoo; did you mean nmnist_net"),
        (["train", "n-mnist", "--root", "{empty}", "--frames", "4"], r"Train\.zip is missing"),
        (["train", "n-mnist", "--root", "{file}/x", "--frames", "4"], r"--root .* runs through .*a\.txt, which is a"),
        (["train", "cifar10-dvs", "--root", "{cifar}", "--frames", "4", "--train-ratio", "0.9"],
         r"cifar10-dvs: the test split is empty: 40 samples \(4 per class\) and train_ratio=0\.9"),
        (["train", "n-mnist", "--root", "{nmnist}", "--frames", "4", "--device", "cuda"],
         r"device='cuda', but torch finds no CUDA device here; use device='auto'"),
        (["train", "n-mnist", "--root", "{nmnist}", "--frames", "4", "--resume", "--out", "{empty}"],
         r"--resume: .*last\.pt does not exist"),
        (["evaluate", "{file}"], r"a\.txt is not a checkpoint that `snnmodels train` wrote, or it is damaged"),
        (["evaluate", "{truncated}"], r"cut\.pt is not a checkpoint .* or it is damaged"),
        (["evaluate", "{empty}/none.pt"], r"checkpoint .*none\.pt: no such file"),
        (["evaluate", "{other}"], r"other\.pt holds the weights of another model than nmnist_net"),
        (["export", "nmnist_net", "--input-shape", "2,128"], r"--input-shape '2,128' is not 3 positive integers"),
        (["export", "nmnist_net", "--to", "onx"], r"--to 'onx' is not a format; choose nir, onnx, netx \(did you mean"),
        (["export", "nmnist_net", "--input-shape", "2,34,34", "--out", "{empty}/m.nir"],
         r"MaxPool2d .* cannot be exported.*--model-arg avgpool=true"),
        (["finetune", "n-mnist", "--root", "{nmnist}"], r"give exactly one of --weights NAME"),
        (["finetune", "n-mnist", "--root", "{nmnist}", "--weights", "no_such"], r"unknown weights 'no_such'"),
        (["finetune", "n-mnist", "--root", "{nmnist}", "--from", "{empty}/x.nir"], r"--from .*x\.nir: no such file"),
        (["finetune", "n-mnist", "--root", "{nmnist}", "--from", "{text_nir}"],
         r"--from .*text\.nir cannot be read as a NIR graph"),
        (["finetune", "n-mnist", "--root", "{nmnist}", "--from", "{hdf5_nir}"],
         r"--from .*h5\.nir cannot be read as a NIR graph"),
    ],
)
def test_each_mistake_is_one_line(args: list[str], expect: str, tmp_path: Path, nmnist: Path, cifar: Path,
                                  trained: tuple[Path, str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "a.txt").write_text("not a checkpoint")
    cut = tmp_path / "cut.pt"
    cut.write_bytes((trained[0] / "best.pt").read_bytes()[:5000])
    other = tmp_path / "other.pt"  # a checkpoint whose weights are another width
    ckpt = load_checkpoint(trained[0] / "best.pt")
    ckpt["meta"]["model_args"] = {"channels": 8, "avgpool": True}
    torch.save(ckpt, other)
    (tmp_path / "text.nir").write_text("not a graph")
    import h5py

    with h5py.File(tmp_path / "h5.nir", "w") as f:  # HDF5, but not NIR
        f["x"] = np.zeros(3)
    values = {"nmnist": str(nmnist), "empty": str(empty), "file": str(tmp_path / "a.txt"), "cifar": str(cifar),
              "truncated": str(cut), "other": str(other), "text_nir": str(tmp_path / "text.nir"),
              "hdf5_nir": str(tmp_path / "h5.nir")}
    line = fails(*(a.format(**values) for a in args))
    assert re.search(expect, line), line


def test_quiet_after_the_verb_and_debug_shows_the_traceback(nmnist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ok("list-models", "nmnist*", "-q").split() == ["nmnist_net"]
    monkeypatch.setenv("NEURODATA_DEBUG", "1")
    result = runner.invoke(app, ["export", "nmnist_net", "--input-shape", "2,128"])
    assert result.exit_code != 0
    assert result.exception is not None
    assert not isinstance(result.exception, SystemExit)


def test_demo_runs_offline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-q", "demo", "--out", str(tmp_path), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    for name in ("sample.gif", "nmnist_net.nir", "run/curve.png", "run/best.pt"):
        assert (tmp_path / name).exists(), name
    assert re.search(r"test accuracy \d\.\d{3} on 96 samples", result.output)


def test_the_quick_commands_never_import_torch() -> None:
    """What keeps `snnmodels --help` and `list-models` fast (scripts/bench_startup.py times them)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = ("import sys; from typer.testing import CliRunner; from snnmodels.cli import app; r = CliRunner(); "
            "outs = [r.invoke(app, a) for a in (['--help'], ['list-models'], ['train', '--help'])]; "
            "assert all(o.exit_code == 0 for o in outs), [o.output for o in outs]; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_a_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "nir", None)  # import fails, as when not installed
    line = fails("export", "nmnist_net", "--input-shape", "2,34,34", "--avgpool", "--out", str(tmp_path / "m.nir"))
    assert re.search(r"needs the 'nir' package; install it with `pip install nir` \(or the project's `export` extra\)",
                     line), line
