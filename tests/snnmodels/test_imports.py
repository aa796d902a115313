"""snnmodels' import rules: functional imports no module above it; from neurodata only its torch-free leaves.

Library modules may use neurodata.events and neurodata.spec (the contracts a checkpoint records) and
neurodata.download (verified, resumable fetching of weights); the wiring layer (snnmodels/cli.py and the body of
its `profile` verb, snnmodels/cli_profile.py) may use more.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "snnmodels"
WIRING = ("cli.py", "cli_profile.py", "__main__.py")
FILES = sorted(p for p in ROOT.rglob("*.py") if p.name not in WIRING)
ABOVE_FUNCTIONAL = {"snnmodels.base", "snnmodels.neurons", "snnmodels.layers", "snnmodels.monitor", "snnmodels.spiking"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_leaf_neurodata_modules(path: Path) -> None:
    from_neurodata = {n for n in _imports(path) if n.split(".")[0] == "neurodata"}
    assert from_neurodata <= {"neurodata.events", "neurodata.spec", "neurodata.download"}


@pytest.mark.parametrize("path", sorted((ROOT / "functional").glob("*.py")), ids=lambda p: p.name)
def test_functional_imports_nothing_above_it(path: Path) -> None:
    assert not {n for n in _imports(path) if any(n.startswith(m) for m in ABOVE_FUNCTIONAL)}
