"""The migration example of docs/compat.md's Tonic section runs as written (on a real N-MNIST recording) and
prints what the same code prints with Tonic's imports."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO, SHARED_DATA
from tests.peers import tonic

BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
DOC_FILE = '"nmnist/00001.bin"'
RECORDING = SHARED_DATA / "real" / "nmnist" / "Train" / "5" / "00001.bin"


def example() -> str:
    text = (REPO / "docs" / "compat.md").read_text()
    start = text.index("<!-- section: tonic -->")
    end = text.index("<!-- section:", start + 1)
    blocks = BLOCK.findall(text[start:end])
    assert len(blocks) == 1
    return blocks[0].replace(DOC_FILE, repr(str(RECORDING)))


def run(code: str, capsys: pytest.CaptureFixture[str]) -> str:
    exec(compile(code, "docs/compat.md", "exec"), {"__name__": "compat_doc"})
    return capsys.readouterr().out


@pytest.mark.skipif(not RECORDING.exists(), reason="the shared real recordings are not on this machine")
def test_migration_example_prints_what_tonic_prints(capsys: pytest.CaptureFixture[str]) -> None:
    code = example()
    assert "import neurodata.compat.tonic as tonic" in code
    ours = run(code, capsys)
    assert ours.startswith("(10, 2, 17, 17) int16 ")
    tonic()
    theirs = run(code.replace("neurodata.compat.tonic", "tonic"), capsys)
    assert ours == theirs
