"""The examples of docs/transforms.md run as written (the dataset one on a miniature N-MNIST)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neurodata import synth
from tests.conftest import REPO

BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[str]:
    return BLOCK.findall((REPO / "docs" / "transforms.md").read_text())


def test_event_and_frame_examples_run() -> None:
    events_block, frames_block = _blocks()[:2]
    ns: dict = {}
    exec(compile(events_block, "docs/transforms.md", "exec"), ns)
    assert 0 < len(ns["clean"]) < len(ns["events"])
    exec(compile(frames_block, "docs/transforms.md", "exec"), ns)
    assert ns["batch"].shape == ns["frames"].shape


def test_sliced_dataset_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = _blocks()[2]
    synth.make_sample("n-mnist", tmp_path / "data" / "nmnist", synth.SampleSize(samples_per_class=1))
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(code, "docs/transforms.md", "exec"), ns)
    assert len(ns["windows"]) > len(ns["train"])
    assert list((tmp_path / "data" / "nmnist" / "events").rglob("slices/*.npz"))
