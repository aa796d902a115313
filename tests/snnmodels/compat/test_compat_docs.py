"""The migration examples of docs/compat.md's snnTorch and pytorch-spiking sections run as written, and print
what the same code prints with the peer's imports."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO
from tests.snnmodels.peers import pytorch_spiking, snntorch

BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PEERS = {
    "snntorch": ("snnmodels.compat.snntorch", "snntorch"),
    "pytorch-spiking": ("snnmodels.compat.pytorch_spiking", "pytorch_spiking"),
}


def _example(marker: str) -> str:
    text = (REPO / "docs" / "compat.md").read_text()
    start = text.index(f"<!-- section: {marker} -->")
    end = text.find("<!-- section:", start + 1)
    blocks = BLOCK.findall(text[start : end if end > 0 else None])
    assert len(blocks) == 1
    return blocks[0]


def _run(code: str, capsys: pytest.CaptureFixture[str]) -> str:
    exec(compile(code, "docs/compat.md", "exec"), {"__name__": "compat_doc"})
    return capsys.readouterr().out


@pytest.mark.parametrize("marker", list(PEERS))
def test_migration_example_runs(marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = _example(marker)
    assert f"import {PEERS[marker][0]}" in code
    assert _run(code, capsys).startswith("loss ")


@pytest.mark.peers
@pytest.mark.parametrize("marker", list(PEERS))
def test_migration_example_prints_what_the_peer_prints(marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    (snntorch if marker == "snntorch" else pytorch_spiking)()
    ours, theirs = PEERS[marker]
    code = _example(marker)
    assert _run(code, capsys) == _run(code.replace(ours, theirs), capsys)
