"""The NIR paper's Braille graphs as weights entries: their sha256 is that of the files in ../shared/data, the
URLs point at the pinned commit, they are registered as NIR-format weights, and they download and import."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
import torch

from snnmodels.models import Weights, get_weights, list_weights
from snnmodels.models.nir_braille import BRAILLE_ENTRIES
from tests.conftest import SHARED_DATA


@pytest.mark.parametrize("name", list(BRAILLE_ENTRIES))
def test_hash_is_the_shared_file_and_the_url_is_pinned(name: str) -> None:
    entry = BRAILLE_ENTRIES[name]
    path = SHARED_DATA / "nir" / entry["file"]
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data, see PROVENANCE.md)")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]


@pytest.mark.parametrize("name", list(BRAILLE_ENTRIES))
def test_entries_are_registered_as_nir_graphs(name: str) -> None:
    assert name in list_weights()
    weights = get_weights(name)
    assert isinstance(weights, Weights)
    assert weights.format == "nir"
    assert weights.model == "nir"
    assert weights.sha256 == BRAILLE_ENTRIES[name]["sha256"]
    assert weights.contract.in_channels == 12
    assert weights.contract.num_classes == 7


@pytest.mark.parametrize("name", list(BRAILLE_ENTRIES))
def test_registered_entry_downloads_and_imports(name: str, tmp_path: Path) -> None:
    pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")
    from snnmodels.export import from_nir

    weights = get_weights(name)
    assert weights.urls[0].startswith("https://raw.githubusercontent.com/neuromorphs/NIR/7232ada6d30e1bee")
    path = SHARED_DATA / "nir" / BRAILLE_ENTRIES[name]["file"]
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data, see PROVENANCE.md)")
    local = dataclasses.replace(weights, urls=(path.resolve().as_uri(),))
    file = local.download(tmp_path)
    net = from_nir(file, dt=weights.meta["dt"])
    with torch.no_grad():
        out = net(torch.zeros(3, 2, weights.contract.in_channels))
    assert out.shape == (3, 2, weights.contract.num_classes)
