"""NIR files that are not NIR graphs, or whose nodes are malformed, are one `ExportError` naming file and node."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from snnmodels.export import ExportError, from_nir
from tests.conftest import SHARED_DATA

nir = pytest.importorskip("nir")
h5py = pytest.importorskip("h5py")
LIF = SHARED_DATA / "nir" / "lif_norse.nir"


def test_files_that_are_not_nir_graphs_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"missing\.nir: no such NIR file"):
        from_nir(tmp_path / "missing.nir")
    (tmp_path / "bytes.nir").write_bytes(np.random.default_rng(0).bytes(2048))
    with pytest.raises(ExportError, match=r"bytes\.nir cannot be read as a NIR graph .* \(OSError"):
        from_nir(tmp_path / "bytes.nir")
    with h5py.File(tmp_path / "other.nir", "w") as f:  # HDF5, but some other program's
        f["data"] = np.arange(10)
    with pytest.raises(ExportError, match=r"other\.nir cannot be read as a NIR graph .*written by nir\.write"):
        from_nir(tmp_path / "other.nir")


def test_nodes_missing_fields_name_the_file_and_node(tmp_path: Path) -> None:
    reference = from_nir(LIF)  # the whole file imports
    assert isinstance(reference, torch.nn.Module)
    damaged = tmp_path / "no_tau.nir"
    shutil.copy(LIF, damaged)
    with h5py.File(damaged, "r+") as f:
        del f["node/nodes/1/tau"]
    missing = r"no_tau\.nir cannot be read as a NIR graph .*missing 1 required positional argument: 'tau'"
    with pytest.raises(ExportError, match=missing):
        from_nir(damaged)
    graph = nir.read(str(LIF))
    del graph.nodes["1"].tau  # a graph built in memory with a node lacking a field
    with pytest.raises(ExportError, match=r"NIR node '1' \(LIF\) is malformed \(AttributeError"):
        from_nir(graph)
    graph = nir.read(str(LIF))
    graph.nodes["0"].weight = "not an array"
    with pytest.raises(ExportError, match=r"NIR node '0' \(Affine\) is malformed"):
        from_nir(graph)
