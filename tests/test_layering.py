"""Imports follow the data flow: neurodata never imports snnmodels, and leaf modules import no later stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# the pipeline order: a module may import modules of its own stage or earlier ones, never later ones
STAGES = [
    {"errors", "events", "registry", "testing"},
    {"download", "archive"},
    {"io"},
    {"functional", "spec", "keys", "augment"},
    {"split"},
    {"integrate"},
    {"transforms"},
    {"cache", "store", "framecodec", "eventcodec", "buffers"},
    {"datasets", "synth", "synth_datasets", "synth_rar"},
    {"loading", "show", "report"},
    {"cli", "clitools", "__main__", "__init__"},
    {"compat"},  # peer-named surfaces: may use every stage, nothing imports them
]
RANK = {name: k for k, stage in enumerate(STAGES) for name in stage}


def _stage(module: str) -> str:
    """'neurodata.io.aedat' -> 'io'; 'neurodata' -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


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


@pytest.mark.parametrize("path", sorted((ROOT / "neurodata").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_upstream(path: Path) -> None:
    rel = path.relative_to(ROOT).with_suffix("")
    me = _stage(".".join(rel.parts))
    assert me in RANK, f"{rel} is in no pipeline stage; add it to STAGES"
    later = {n for n in _imports(path) if n.startswith("neurodata.") and RANK[_stage(n)] > RANK[me]}
    assert not later, f"{rel} (stage {me!r}) imports later stages {sorted(later)}"


def test_events_and_split_do_not_need_torch() -> None:
    for module in ("events", "split", "errors"):
        assert "torch" not in {n.split(".")[0] for n in _imports(ROOT / "neurodata" / f"{module}.py")}
