"""The migration example of docs/compat.md's SpikingJelly `datasets` section runs as written on a miniature, and
prints what the same code prints with SpikingJelly's imports (on a root SpikingJelly prepares itself)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neurodata import synth
from tests.conftest import REPO
from tests.neurodata.compat.sj_roots import prepare_with_spikingjelly, spikingjelly_class

BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
DOC_ROOT = '"datasets/DVS128Gesture"'
SIZE = synth.SampleSize(samples_per_class=1, events_per_sample=200, duration_us=600_000)


def example() -> str:
    text = (REPO / "docs" / "compat.md").read_text()
    start = text.index("<!-- section: spikingjelly-datasets -->")
    end = text.index("<!-- section:", start + 1)
    blocks = BLOCK.findall(text[start:end])
    assert len(blocks) == 1
    return blocks[0]


def run(code: str, root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert DOC_ROOT in code
    exec(compile(code.replace(DOC_ROOT, repr(str(root))), "docs/compat.md", "exec"), {"__name__": "compat_doc"})
    return capsys.readouterr().out


def test_migration_example_prints_what_spikingjelly_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = example()
    assert "from neurodata.compat.spikingjelly.dvs128_gesture import DVS128Gesture" in code
    synth.make_sample("dvs128-gesture", tmp_path / "ours", SIZE, seed=1)
    ours = run(code, tmp_path / "ours", capsys)
    assert ours.startswith("False (128, 128)\n")
    spikingjelly_class("dvs128-gesture")
    sj_root = prepare_with_spikingjelly("dvs128-gesture", tmp_path / "sj", seed=1, size=SIZE)
    theirs = run(code.replace("neurodata.compat.spikingjelly", "spikingjelly.datasets"), sj_root, capsys)
    assert ours == theirs
