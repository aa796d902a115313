"""The NIR paper's Braille graphs as weights entries: their sha256 is that of the files in ../shared/data, the
URLs point at the pinned commit, and (where the registry takes NIR graphs) they download and import."""

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
def test_registered_entry_downloads_and_imports(name: str, tmp_path: Path) -> None:
    if "format" not in {f.name for f in dataclasses.fields(Weights)}:
        pytest.skip("the weights registry takes no NIR graphs yet (Weights.format)")
    pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")
    from snnmodels.export import from_nir

    assert name in list_weights()
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
