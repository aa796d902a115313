"""export_file and the EXPORTERS registry: what `snnmodels export MODEL --to FMT --out FILE` calls."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from snnmodels import IFNode, layers
from snnmodels.export import EXPORTERS, ExportError, export_file, from_nir, read_netx

nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")


def _net() -> nn.Module:
    net = nn.Sequential(
        layers.Flatten(), layers.Linear(8, 4, bias=False), IFNode(v_threshold=33 / 64)
    )  # v steps by 1/4: never exactly on it
    with torch.no_grad():
        net[1].weight.fill_(1 / 32)
    return net


def test_registry_names() -> None:
    assert EXPORTERS.names() == ["netx", "nir", "onnx"]


@pytest.mark.parametrize("fmt", ["nir", "onnx", "netx"])
def test_export_file_writes_each_format(fmt: str, tmp_path: Path) -> None:
    if fmt == "onnx":
        pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install onnxruntime)")
    out = export_file(_net(), fmt, tmp_path / "sub" / f"model.{fmt}", (2, 2, 2))
    assert out == tmp_path / "sub" / f"model.{fmt}"
    assert out.stat().st_size > 0
    if fmt == "nir":
        x = torch.ones(3, 1, 2, 2, 2)
        assert torch.equal(from_nir(out)(x), _net()(x))
    if fmt == "netx":
        assert [layer["type"] for layer in read_netx(out)] == ["input", "flatten", "dense"]


def test_unknown_format_suggests_names(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match=r"unknown exporter 'nri'; did you mean \['nir'\]"):
        export_file(_net(), "nri", tmp_path / "x", (8,))


def test_options_reach_the_exporter(tmp_path: Path) -> None:
    out = export_file(_net(), "nir", tmp_path / "m.nir", (2, 2, 2), dt=1e-3)
    assert float(nir.read(str(out)).metadata["dt"]) == 1e-3
    off_grid = _net()
    with torch.no_grad():
        off_grid[1].weight.fill_(0.01)
    with pytest.raises(ExportError, match="off the grid"):
        export_file(off_grid, "netx", tmp_path / "m.net", (2, 2, 2))
    assert export_file(off_grid, "netx", tmp_path / "m.net", (2, 2, 2), quantize=True).exists()
