"""SpikingJelly's "Classify DVS Gesture" tutorial: its training script, run with only its imports and command line
changed, on miniature DVS128 Gesture data.

The tutorial (``../shared/seeds/003_*.txt``) shows excerpts of ``spikingjelly.activation_based.examples.
classify_dvsg`` (with ``# ...`` where it leaves code out) and the command line that trains it. The whole script
is read from the installed SpikingJelly package (as text: it is not imported, and not copied here); the test
checks that the tutorial's excerpts are its lines, then runs it with the tutorial's command line, shrunk to the
miniature (T, batch, channels, epochs, learning rate, CPU, no worker processes). On our side the import prefixes
``spikingjelly.activation_based`` and ``spikingjelly.datasets`` become ``snnmodels.compat.spikingjelly`` and
``neurodata.compat.spikingjelly``; the slow test also runs the script as written on SpikingJelly, from the same
seed (same initial weights, same data order), and compares what both print and save.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import re
import shlex
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch
import torch.nn.functional as F

from neurodata import synth
from tests.conftest import REPO
from tests.neurodata.compat.sj_roots import prepare_with_spikingjelly

SEED = REPO.parent / "shared" / "seeds" / "003_64d53e7260dfe2a8.txt"
SCRIPT = "spikingjelly.activation_based.examples.classify_dvsg"
# one recording per split: 12 labelled samples each, 3 batches of 4; ~3000 events make every layer fire
SIZE = synth.SampleSize(samples_per_class=1, events_per_sample=3000)
# the tutorial's command line shrunk to the miniature; Adam at lr 0.2 moves the output layer to firing in a few steps
SHRUNK = {"-T": "4", "-device": "cpu", "-b": "4", "-j": "0", "-lr": "0.2"}
EXTRA = ["-channels", "8"]
# what a CUDA script says on a CPU machine (torch's own warnings, not ours)
CPU_WARNINGS = [
    pytest.mark.filterwarnings("ignore:`torch.cuda.amp:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*CUDA is not available:UserWarning"),
    pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true:UserWarning"),
]
EPOCH_LINE = re.compile(
    r"epoch = (\d+), train_loss = (\S+), train_acc = (\S+), test_loss = (\S+), test_acc = (\S+), max_test_acc = (\S+)"
)
pytestmark = CPU_WARNINGS


# --- reading the tutorial and the script -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tutorial() -> str:
    """The English "Classify DVS Gesture" tutorial."""
    if not SEED.exists():
        pytest.skip(f"SpikingJelly's documentation is not at {SEED}")
    text = SEED.read_text()
    a = text.index("Classify DVS Gesture\n\nAuthor: fangwei123456")
    return text[a : text.index("Recurrent Connection and Stateful Synapse", a)]


@pytest.fixture(scope="module")
def script() -> str:
    """The whole training script the tutorial shows excerpts of, as SpikingJelly ships it."""
    spec = importlib.util.find_spec("spikingjelly")  # a top-level package: found, not imported
    if spec is None or spec.origin is None:
        pytest.skip("spikingjelly not installed: the tutorial's whole script is its examples/classify_dvsg.py")
    path = Path(spec.origin).parent / "activation_based" / "examples" / "classify_dvsg.py"
    return path.read_text()


def excerpts(tutorial: str) -> list[str]:
    """The tutorial's code excerpts of the script, each from its ``# <module>`` header to the prose after it."""
    out = []
    for block in tutorial.split(f"# {SCRIPT}\n")[1:]:
        lines = []
        for line in block.splitlines():
            if line and not line.startswith((" ", "#", "import ", "from ", "def ")):
                break  # the prose that follows the excerpt
            lines.append(line)
        out.append("\n".join(lines))
    return out


def tutorial_argv(tutorial: str, data_dir: Path, out_dir: Path, epochs: int) -> list[str]:
    """The tutorial's ``python -m ...classify_dvsg`` command line, its values shrunk to the miniature.

    ``-cupy`` is dropped: SpikingJelly 2.0.0's script no longer has it (the excerpt test runs its two lines).
    """
    line = next(s for s in tutorial.splitlines() if s.startswith(f"python -m {SCRIPT} "))
    words = shlex.split(line)[3:]
    args: list[str] = []
    i = 0
    while i < len(words):
        flag = words[i]
        takes_value = i + 1 < len(words) and not words[i + 1].startswith("-")
        value = words[i + 1] if takes_value else None
        i += 2 if takes_value else 1
        if flag == "-cupy":
            continue
        value = {**SHRUNK, "-epochs": str(epochs), "-data-dir": str(data_dir)}.get(flag, value)
        args += [flag] if value is None else [flag, value]
    return [SCRIPT, *args, "-out-dir", str(out_dir), *EXTRA]


def migrate(code: str) -> str:
    """The one mechanical migration step, on import lines only: SpikingJelly's import prefixes become ours."""
    code = re.sub(
        r"^(\s*(?:from|import)\s+)spikingjelly\.activation_based\b",
        r"\g<1>snnmodels.compat.spikingjelly",
        code,
        flags=re.M,
    )
    return re.sub(
        r"^(\s*(?:from|import)\s+)spikingjelly\.datasets\b", r"\g<1>neurodata.compat.spikingjelly", code, flags=re.M
    )


def normalized(code: str) -> str:
    """Code with layout differences gone (whitespace, quote style, trailing commas), to find excerpts in it."""
    return re.sub(r"\s+", "", code).replace('"', "'").replace(",)", ")")


# --- running the script ------------------------------------------------------------------------------------------


class Scalars:
    """Stands in for tensorboard's SummaryWriter where tensorboard is absent: records what is logged."""

    logged: ClassVar[list[tuple[str, float, int]]] = []

    def __init__(self, log_dir: str, purge_step: int | None = None) -> None:
        self.log_dir = log_dir

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        Scalars.logged.append((tag, float(value), int(step)))


def run_script(code: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, seed: int = 0) -> str:
    """Run the script's ``main()`` with ``argv`` from torch seed ``seed``; returns what it printed."""
    if importlib.util.find_spec("tensorboard") is None:
        stub = types.ModuleType("torch.utils.tensorboard")
        stub.SummaryWriter = Scalars  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", stub)
    Scalars.logged = []
    monkeypatch.setattr(sys, "argv", argv)
    namespace: dict[str, Any] = {"__name__": "classify_dvsg"}
    out = io.StringIO()
    torch.manual_seed(seed)
    with contextlib.redirect_stdout(out):
        exec(compile(code, "classify_dvsg.py", "exec"), namespace)
        namespace["main"]()
    return out.getvalue()


def epochs_printed(out: str) -> dict[int, list[float]]:
    """epoch -> [train_loss, train_acc, test_loss, test_acc, max_test_acc] as printed."""
    return {int(m[1]): [float(v) for v in m.groups()[1:]] for m in EPOCH_LINE.finditer(out)}


def out_dir(root: Path) -> Path:
    """The folder the script names from its arguments (``T{T}_b{b}_{opt}_lr{lr}_c{channels}_amp``)."""
    (folder,) = root.iterdir()
    return folder


@pytest.fixture(scope="module")
def ours_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding only the miniature's raw archives (``neurodata make-sample dvs128-gesture``)."""
    root = tmp_path_factory.mktemp("dvsg") / "data"
    synth.make_sample("dvs128-gesture", root, SIZE, seed=3)
    return root


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_tutorial_excerpts_are_the_script(tutorial: str, script: str) -> None:
    """Every line of the tutorial's excerpts is in the script, but the two SpikingJelly 2.0.0 dropped."""
    dropped = {"from torch.utils.data import DataLoader", "if args.cupy:"}  # 2.0.0 has no -cupy; DataLoader unused
    whole = normalized(script)
    blocks = excerpts(tutorial)
    assert len(blocks) == 5
    checked = 0
    for block in blocks:
        for line in block.splitlines():
            code = line.strip()
            if not code or code.startswith("#") or code in dropped or "set_backend(net, 'cupy'" in code:
                continue
            assert normalized(code.split("  # ")[0]) in whole, code
            checked += 1
    assert checked > 30


def test_the_tutorial_cupy_excerpt(tutorial: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The excerpt that builds the network, with ``-cupy``: every LIF node records the backend and computes as with
    the default one."""
    if importlib.util.find_spec("tensorboard") is None:
        stub = types.ModuleType("torch.utils.tensorboard")
        stub.SummaryWriter = Scalars  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", stub)
    first = excerpts(tutorial)[0]
    imports, body = first.split("def main():\n")
    namespace: dict[str, Any] = {"args": argparse.Namespace(channels=4, cupy=True)}
    exec(compile(migrate(imports), "<tutorial>", "exec"), namespace)
    torch.manual_seed(0)
    exec(compile(textwrap.dedent(body), "<tutorial>", "exec"), namespace)
    net, neuron, functional = namespace["net"], namespace["neuron"], namespace["functional"]
    lifs = [m for m in net.modules() if isinstance(m, neuron.LIFNode)]
    assert len(lifs) == 7
    assert {m.backend for m in lifs} == {"cupy"}
    torch.manual_seed(0)
    plain = namespace["parametric_lif_net"].DVSGestureNet(
        channels=4, spiking_neuron=neuron.LIFNode, surrogate_function=namespace["surrogate"].ATan(), detach_reset=True
    )
    functional.set_step_mode(plain, "m")
    x = torch.rand(3, 2, 2, 128, 128).lt(0.05).float() * 4
    net.eval()  # no dropout masks: the two nets draw none
    plain.eval()
    torch.testing.assert_close(net(x), plain(x), rtol=0, atol=0)
    plain_lifs = [m for m in plain.modules() if isinstance(m, neuron.LIFNode)]
    for a, b in zip(lifs, plain_lifs, strict=True):
        torch.testing.assert_close(a.v, b.v, rtol=0, atol=0)
    assert lifs[0].v.abs().sum() > 0  # the state compared is not all zero


def test_the_script_trains_on_ours(
    tutorial: str, script: str, ours_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two epochs, then one more resumed from the checkpoint; the printed test results agree with the checkpoint."""
    from neurodata.compat.spikingjelly.dvs128_gesture import DVS128Gesture
    from snnmodels.compat.spikingjelly import functional, neuron, surrogate
    from snnmodels.compat.spikingjelly.model import parametric_lif_net

    code = migrate(script)
    changed = [(a, b) for a, b in zip(script.splitlines(), code.splitlines(), strict=True) if a != b]
    assert len(changed) == 3
    assert all(b.startswith("from ") for _, b in changed)
    logs = tmp_path / "logs"
    out = run_script(code, tutorial_argv(tutorial, ours_root, logs, epochs=2), monkeypatch)
    printed = epochs_printed(out)
    assert sorted(printed) == [0, 1]
    assert "Namespace(T=4, device='cpu', b=4, epochs=2, j=0" in out
    assert "amp=True" in out
    assert "(2): LIFNode(\n" in out
    assert "step_mode=m" in out
    folder = out_dir(logs)
    assert folder.name == "T4_b4_adam_lr0.2_c8_amp"
    if Scalars.logged:  # tensorboard stubbed: the writer got what was printed
        tags = ("train_loss", "train_acc", "test_loss", "test_acc")
        for epoch, values in printed.items():
            logged = {tag: v for tag, v, step in Scalars.logged if step == epoch}
            assert [logged[t] for t in tags] == pytest.approx(values[:4], abs=5e-5)
    # the network fired: the loss is not that of all-zero firing rates (1/11)
    assert any(abs(v[0] - 1 / 11) > 1e-3 or abs(v[2] - 1 / 11) > 1e-3 for v in printed.values())
    assert printed[1][4] == max(printed[0][3], printed[1][3])

    # the last epoch's test loss and accuracy, recomputed from the saved checkpoint by a loop written here
    latest = torch.load(folder / "checkpoint_latest.pth", map_location="cpu", weights_only=False)
    assert latest["epoch"] == 1
    assert latest["max_test_acc"] == pytest.approx(printed[1][4], abs=5e-5)
    net = parametric_lif_net.DVSGestureNet(
        channels=8, spiking_neuron=neuron.LIFNode, surrogate_function=surrogate.ATan(), detach_reset=True
    )
    functional.set_step_mode(net, "m")
    net.load_state_dict(latest["net"])
    net.eval()
    test_set = DVS128Gesture(str(ours_root), train=False, data_type="frame", frames_number=4, split_by="number")
    frames = torch.stack([torch.as_tensor(test_set[i][0]) for i in range(len(test_set))])
    labels = torch.tensor([test_set[i][1] for i in range(len(test_set))])
    with torch.no_grad():
        rates = net(frames.transpose(0, 1)).mean(0)
    losses = ((rates - F.one_hot(labels, 11).float()) ** 2).mean(1)
    accuracy = (rates.argmax(1) == labels).float().mean().item()
    # the script averages per-batch means weighted by batch size: the per-sample mean, as here
    assert losses.mean().item() == pytest.approx(printed[1][2], abs=5e-5)
    assert accuracy == pytest.approx(printed[1][3], abs=5e-5)
    best = torch.load(folder / "checkpoint_max.pth", map_location="cpu", weights_only=False)
    assert best["max_test_acc"] == pytest.approx(printed[1][4], abs=5e-5)

    # -resume: the script continues at the next epoch from the checkpoint
    argv = [*tutorial_argv(tutorial, ours_root, logs, epochs=3), "-resume", str(folder / "checkpoint_latest.pth")]
    resumed = epochs_printed(run_script(code, argv, monkeypatch))
    assert sorted(resumed) == [2]
    assert torch.load(folder / "checkpoint_latest.pth", weights_only=False)["epoch"] == 2


@pytest.mark.slow
@pytest.mark.peers
def test_the_script_prints_and_saves_what_spikingjelly_does(
    tutorial: str, script: str, ours_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One epoch on each, from the same seed on the same miniature: equal losses and accuracies, equal checkpoints
    (to float tolerance), and SpikingJelly's checkpoint resumes in our run."""
    from tests.peers import spikingjelly_datasets
    from tests.snnmodels.peers import spikingjelly

    spikingjelly(), spikingjelly_datasets()  # importable, tensorboard and torchaudio stubbed where absent
    sj_root = prepare_with_spikingjelly(
        "dvs128-gesture",
        tmp_path / "sj",
        [{"data_type": "frame", "frames_number": 4, "split_by": "number"}],
        seed=3,
        size=SIZE,
    )
    # SpikingJelly's frames, with its MD5 check of the miniature's archives skipped as in `prepare_with_spikingjelly`
    sj_cls = sys.modules["spikingjelly.datasets.dvs128_gesture"].DVS128Gesture
    monkeypatch.setattr(sj_cls, "_check_downloaded_files", classmethod(lambda c, download_root: None))
    theirs = run_script(script, tutorial_argv(tutorial, sj_root, tmp_path / "sj_logs", epochs=1), monkeypatch)
    ours = run_script(migrate(script), tutorial_argv(tutorial, ours_root, tmp_path / "logs", epochs=1), monkeypatch)

    def masked(out: str) -> str:
        out = out.replace(str(tmp_path / "sj_logs"), "LOGS").replace(str(tmp_path / "logs"), "LOGS")
        out = out.replace(str(sj_root), "ROOT").replace(str(ours_root), "ROOT")
        out = re.sub(r"(speed =)\s*[\d.]+", r"\1 ?", out)
        out = re.sub(r"escape time = .*", "escape time = ?", out)
        # our zoo's Linear prints its step mode; SpikingJelly's Linear prints as torch's does
        return re.sub(r"(Linear\(in_features=\d+, out_features=\d+, bias=\w+), step_mode=m\)", r"\1)", out)

    assert epochs_printed(ours)[0] == pytest.approx(epochs_printed(theirs)[0], abs=1.5e-4)
    assert masked(ours) == masked(theirs)
    assert any(abs(epochs_printed(ours)[0][i] - 1 / 11) > 1e-3 for i in (0, 2))  # the output layer fired

    a = torch.load(out_dir(tmp_path / "logs") / "checkpoint_latest.pth", weights_only=False)
    b = torch.load(out_dir(tmp_path / "sj_logs") / "checkpoint_latest.pth", weights_only=False)
    assert a["net"].keys() == b["net"].keys()
    for key, value in a["net"].items():
        # gradients agree to float32 rounding; Adam (lr 0.2) scales those last bits up to ~1e-4 in three steps
        torch.testing.assert_close(value, b["net"][key], rtol=1e-3, atol=2e-3, msg=key)
    assert a["lr_scheduler"] == b["lr_scheduler"]
    assert a["max_test_acc"] == b["max_test_acc"]

    # SpikingJelly's checkpoint, resumed by our run of the script, continues at epoch 1
    sj_checkpoint = out_dir(tmp_path / "sj_logs") / "checkpoint_latest.pth"
    argv = [*tutorial_argv(tutorial, ours_root, tmp_path / "resumed", epochs=2), "-resume", str(sj_checkpoint)]
    assert sorted(epochs_printed(run_script(migrate(script), argv, monkeypatch))) == [1]
