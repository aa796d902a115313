"""SpikingJelly's "Neuromorphic Datasets Processing" tutorial, run with only its imports changed.

The code is read from SpikingJelly's documentation in ``../shared/seeds`` (not copied here) and run twice
on miniature DVS128 Gesture data: as written, against SpikingJelly on a root it prepares itself, and with
``spikingjelly.datasets`` replaced by ``neurodata.compat.spikingjelly``, against ours on a root holding
only the raw miniature archives. Both must print the same.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodata import synth
from neurodata.compat import spikingjelly as sjc
from tests.conftest import REPO
from tests.neurodata.compat.sj_roots import prepare_with_spikingjelly, spikingjelly_dataset
from tests.peers import spikingjelly_datasets

SEED = REPO.parent / "shared" / "seeds" / "003_64d53e7260dfe2a8.txt"
DOC_ROOT = "D:/datasets/DVS128Gesture"
# 42 recordings of 12 gestures per split: the tutorial looks at train_set[500]; ~3 s gestures give
# 2 to 4 frames of the tutorial's duration=1000000 (1 s)
SIZE = synth.SampleSize(samples_per_class=42, events_per_sample=40, duration_us=3_000_000)

# (first line, the line that follows the block) of each code block, in the tutorial's order
TUTORIAL = [
    ("from spikingjelly.datasets.cifar10_dvs import CIFAR10DVS", "The outputs are:"),
    ("from spikingjelly.datasets.dvs128_gesture import DVS128Gesture", "SpikingJelly will do the followed work"),
    ("event, label = train_set[0]", "The output is:"),
    ("train_set = DVS128Gesture(root_dir, train=True, data_type='frame', frames_number=20", "The outputs from"),
    ("frame, label = train_set[0]", "The outputs are:"),
    ("from spikingjelly.datasets import play_frame", "We will get the images like:"),
    ("import torch", "The outputs are:"),
]
# the custom integration example, complete with its imports, from the API reference of NeuromorphicDatasetFolder
CUSTOM = ("from spikingjelly.datasets.dvs128_gesture import DVS128Gesture\nfrom typing import Dict", "set_root_when")
API_EXAMPLES = [
    ("from spikingjelly.datasets import dvs128_gesture", "While from the origin paper"),
    ("import torch\nfrom spikingjelly.datasets import random_temporal_delete", "Outputs:"),
]


def code_block(text: str, start: str, end: str, after: int) -> tuple[str, int]:
    """The block of `text` from the line starting with `start` (searched from `after`) to the line before `end`."""
    a = text.index("\n" + start, after) + 1
    b = text.index("\n" + end, a)
    return text[a:b].rstrip() + "\n", b


def blocks(text: str, anchors: list[tuple[str, str]], after: int) -> list[str]:
    out = []
    for start, end in anchors:
        code, after = code_block(text, start, end, after)
        out.append(code)
    return out


def migrate(code: str) -> str:
    """The one mechanical migration step: the import prefix."""
    return code.replace("spikingjelly.datasets", "neurodata.compat.spikingjelly")


def run(codes: list[str], root: Path, seed: int = 0) -> tuple[str, dict[str, Any]]:
    """Run the blocks in one namespace with the documentation's root replaced by `root`; return what they print."""
    namespace: dict[str, Any] = {"__name__": "tutorial"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for code in codes:
            np.random.seed(seed)
            exec(compile(code.replace(DOC_ROOT, str(root)), "<tutorial>", "exec"), namespace)
    return out.getvalue(), namespace


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"SpikingJelly's documentation is not at {SEED}")
    return SEED.read_text()


@pytest.fixture(scope="module")
def ours_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding only the raw miniature archives."""
    root = tmp_path_factory.mktemp("tutorial") / "ours"
    synth.make_sample("dvs128-gesture", root, SIZE, seed=5)
    return root


@pytest.fixture(scope="module")
def sj_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same archives, prepared by SpikingJelly (events_np)."""
    spikingjelly_datasets()
    return prepare_with_spikingjelly("dvs128-gesture", tmp_path_factory.mktemp("tutorial") / "sj", seed=5, size=SIZE)


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What play_frame shows: SpikingJelly's loops forever and ours opens a window, so both are recorded instead."""
    import matplotlib
    import matplotlib.animation

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calls: list[Any] = []
    sjds = spikingjelly_datasets()
    for module in (sjds, sjds.utils):
        monkeypatch.setattr(module, "play_frame", lambda x, save_gif_to=None: calls.append(("sj", np.asarray(x))))
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(("ours", plt.gcf().axes[0].images[0].get_array())))

    class Frames:  # what FuncAnimation would do on screen: call the update for every frame
        def __init__(self, fig: Any, func: Any, frames: int, interval: int) -> None:
            self.updates = [func(i) for i in range(frames)]

    monkeypatch.setattr(matplotlib.animation, "FuncAnimation", Frames)
    return calls


def test_tutorial_runs_migrated(seed_text: str, ours_root: Path, shown: list[Any]) -> None:
    """The migrated tutorial on our side alone (SpikingJelly's run of it takes tens of seconds: see the slow test)."""
    after = seed_text.index("Neuromorphic Datasets Processing\n\nAuthors")  # the English tutorial
    codes = blocks(seed_text, TUTORIAL, after)
    ours, ns = run([migrate(c) for c in codes], ours_root)
    theirs_first, _ = run(codes[:1], ours_root)  # SpikingJelly's class methods need no data
    assert ours.startswith(theirs_first)
    assert "DVS128Gesture downloadable False" in ours
    assert "(20, 2, 128, 128)" in ours
    # the fixed-duration block: T = ceil(span / 1 s) per sample, padded to the longest, mask[t, n] = t < T_n
    events = [sjc.DVS128Gesture(ours_root, train=True)[i][0]["t"] for i in range(5)]
    lengths = [int(np.ceil((t[-1] - t[0]) / 1_000_000)) for t in events]
    assert ns["x_len"].tolist() == lengths
    assert len(set(lengths)) > 1  # the padding is exercised
    assert ns["x"].shape == (5, max(lengths), 2, 128, 128)
    expected_mask = np.arange(max(lengths))[None, :] < np.asarray(lengths)[:, None]
    np.testing.assert_array_equal(ns["mask"].t().numpy(), expected_mask)
    ((who, last_image),) = shown  # play_frame(train_set[500]) drew every frame (green OFF, blue ON)
    assert who == "ours"
    np.testing.assert_array_equal(last_image, sjc.utils.frames_to_rgb(ns["frame"])[-1])


@pytest.mark.slow
def test_tutorial_prints_the_same(seed_text: str, ours_root: Path, sj_root: Path, shown: list[Any]) -> None:
    after = seed_text.index("Neuromorphic Datasets Processing\n\nAuthors")
    codes = blocks(seed_text, TUTORIAL, after)
    theirs, sj_ns = run(codes, sj_root)
    ours, ns = run([migrate(c) for c in codes], ours_root)
    assert ours == theirs
    assert "mask=" in ours
    # play_frame(train_set[500]): SpikingJelly was handed the frames; ours drew them
    (who_sj, frames_sj), (who_ours, last_image) = shown
    assert (who_sj, who_ours) == ("sj", "ours")
    np.testing.assert_array_equal(ns["frame"], frames_sj)
    np.testing.assert_array_equal(last_image, sjc.utils.frames_to_rgb(ns["frame"])[-1])
    assert sj_ns["label"] == ns["label"]


def test_custom_integration_example(seed_text: str, ours_root: Path, shown: list[Any]) -> None:
    code, _ = code_block(seed_text, *CUSTOM, 0)
    _, ns = run([migrate(code)], ours_root)
    frame, label = ns["frame"], ns["label"]
    events, label_e = sjc.DVS128Gesture(ours_root, train=True)[500]
    assert frame.shape == (2, 2, 128, 128)
    assert label == label_e
    # the two frames split the sample's events at a random index: together they count every event once
    np.testing.assert_array_equal(
        frame.sum(0),
        sjc.integrate_events_segment_to_frame(events["x"], events["y"], events["p"], 128, 128).astype(np.float32),
    )
    assert (ours_root / "integrate_events_to_2_frames_randomly").exists() is False  # our cache, not an npz folder


def test_api_reference_examples(seed_text: str, ours_root: Path, sj_root: Path) -> None:
    after = seed_text.index("spikingjelly.datasets package")
    codes = blocks(seed_text, API_EXAMPLES, after)
    theirs, _ = run(codes, sj_root, seed=2)
    ours, _ = run([migrate(c) for c in codes], ours_root, seed=2)
    assert ours == theirs
    assert "train samples = 504, test samples = 504" in ours


def test_nmnist_and_cifar10_dvs_usage(tmp_path: Path) -> None:
    """The constructor and split calls of SpikingJelly's API reference, on N-MNIST and CIFAR10-DVS."""
    sjds = spikingjelly_datasets()
    for name, size in (("n-mnist", synth.SampleSize(3, 120)), ("cifar10-dvs", synth.SampleSize(6, 120))):
        sj_root = prepare_with_spikingjelly(name, tmp_path / "sj" / name, size=size)
        ours_root = tmp_path / "ours" / name
        synth.make_sample(name, ours_root, size)
        if name == "n-mnist":
            theirs = spikingjelly_dataset(
                name, sj_root, train=False, data_type="frame", frames_number=8, split_by="time"
            )
            ours = sjc.n_mnist.NMNIST(ours_root, train=False, data_type="frame", frames_number=8, split_by="time")
        else:
            theirs = spikingjelly_dataset(name, sj_root, data_type="frame", frames_number=10, split_by="number")
            ours = sjc.cifar10_dvs.CIFAR10DVS(ours_root, data_type="frame", frames_number=10, split_by="number")
            np.random.seed(0)
            sj_train, sj_test = sjds.split_to_train_test_set(0.9, theirs, 10, random_split=True)
            np.random.seed(0)
            train, test = sjc.split_to_train_test_set(0.9, ours, 10, random_split=True)
            assert (train.indices, test.indices) == (sj_train.indices, sj_test.indices)
        assert len(ours) == len(theirs)
        for i in (0, len(ours) // 2, len(ours) - 1):
            np.testing.assert_array_equal(ours[i][0], theirs[i][0])
            assert ours[i][1] == theirs[i][1]
