"""Run every code block of docs/guide.md and of README's Use section, in order, in an empty folder (bash through
the shell, python by exec).

The folder gets what the pages say is there: the four real N-MNIST recordings in `recordings/nmnist` (copied from
shared/data/real/nmnist) and the NIR paper's pretrained net in the weights cache (copied from shared/data/nir,
where the registered entry's SHA-256 is checked as for a download), so that nothing reaches the internet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def _readme_use() -> str:
    text = (REPO / "README.md").read_text()
    return text[text.index("## Use") : text.index("## Layout")]


def test_the_pages_have_blocks_of_both_kinds() -> None:
    assert {k for k, _ in _blocks((REPO / "docs" / "guide.md").read_text())} == {"bash", "python"}
    assert {k for k, _ in _blocks(_readme_use())} == {"bash", "python"}


def _setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    real, net = SHARED_DATA / "real" / "nmnist", SHARED_DATA / "nir" / "cnn_sinabs.nir"
    if not real.exists() or not net.exists():
        pytest.skip(f"the pages use the real files in {real} and {net}, which are absent")
    monkeypatch.chdir(tmp_path)
    for f in sorted(real.glob("T*/*/*.bin")):
        dest = tmp_path / "recordings" / "nmnist" / f.relative_to(real)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest)
    home = tmp_path / "home"
    from snnmodels.models import WEIGHTS

    cached = home / "weights" / WEIGHTS.get("nir_paper.nmnist_cnn").file_name
    cached.parent.mkdir(parents=True)
    shutil.copyfile(net, cached)
    monkeypatch.setenv("NEURODATA_HOME", str(home))
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(REPO), "NEURODATA_HOME": str(home)}


def _run(blocks: list[tuple[str, str]], where: str, env: dict[str, str]) -> None:
    namespace: dict[str, object] = {"__name__": "docs"}
    for i, (kind, code) in enumerate(blocks):
        if kind == "python":
            exec(compile(code, f"{where} block {i}", "exec"), namespace)
            continue
        for line in code.strip().splitlines():
            result = subprocess.run(line, shell=True, env=env, capture_output=True, text=True, timeout=600)
            output = f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            assert result.returncode == 0, f"{where} block {i}: {line}\n{output}"


@pytest.mark.slow
def test_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _setting(tmp_path, monkeypatch)
    _run(_blocks((REPO / "docs" / "guide.md").read_text()), "docs/guide.md", env)
    assert (tmp_path / "model.onnx").exists()  # `export --to onnx` named the file after the format


@pytest.mark.slow
def test_readme_use_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _setting(tmp_path, monkeypatch)
    _run(_blocks(_readme_use()), "README.md Use", env)
    assert (tmp_path / "model.nir").exists()
