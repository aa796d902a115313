"""Imports follow the data flow: neurodata never imports snnmodels, and leaf modules import no later stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# module -> neurodata modules it may import (leaves first, as in the pipeline)
ALLOWED = {
    "neurodata.errors": set(),
    "neurodata.events": {"neurodata.errors"},
    "neurodata.split": set(),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "neurodata").rglob("*.py")), ids=lambda p: p.name)
def test_neurodata_never_imports_snnmodels(path: Path) -> None:
    assert not {n for n in _imports(path) if n.split(".")[0] == "snnmodels"}


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_leaf_modules_import_only_upstream(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    inner = {n for n in _imports(path) if n.startswith("neurodata")}
    assert inner <= ALLOWED[module], f"{module} imports {inner - ALLOWED[module]}"


def test_events_and_split_do_not_need_torch() -> None:
    for module in ("events", "split", "errors"):
        assert "torch" not in {n.split(".")[0] for n in _imports(ROOT / "neurodata" / f"{module}.py")}
