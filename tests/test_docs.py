"""Run every code block of docs/guide.md, in order, in an empty folder (bash through the shell, python by exec)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)


def _blocks(path: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(path.read_text())]


def test_the_guide_has_blocks_of_both_kinds() -> None:
    kinds = {k for k, _ in _blocks(REPO / "docs" / "guide.md")}
    assert kinds == {"bash", "python"}


@pytest.mark.slow
def test_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(REPO)}
    namespace: dict[str, object] = {"__name__": "guide"}
    for i, (kind, code) in enumerate(_blocks(REPO / "docs" / "guide.md")):
        if kind == "python":
            exec(compile(code, f"docs/guide.md block {i}", "exec"), namespace)
            continue
        for line in code.strip().splitlines():
            result = subprocess.run(line, shell=True, env=env, capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, f"block {i}: {line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
