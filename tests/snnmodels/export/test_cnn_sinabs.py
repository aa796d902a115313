"""The NIR paper's pretrained N-MNIST CNN (``cnn_sinabs.nir``, IF neurons, SumPool2d) through `from_nir`.

Input contract (the paper's evaluation, ``neuromorphs/NIR`` ``paper/02_cnn``): frames [T, 2, 34, 34] of event
*counts* per polarity (channel = polarity, tonic's ToFrame layout, which `neurodata.to_frames` reproduces), one
step per ~1 ms bin, the class with the most output spikes wins. Sinabs writes IF with r = 1 and counts time in
steps, so the graph is simulated with ``dt=1.0``. We bin each recording (about 300 ms) into 300 equal windows
(``n_time_bins=300``: ~1.02 ms each), so that the samples share one T and run as one batch; the paper's own
``time_window=1000`` µs binning is checked too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

import neurodata
from snnmodels.export import from_nir, to_nir
from tests.snnmodels.export.nets import shared
from tests.snnmodels.export.test_peers_nir import NORSE_WARNINGS, norse_net

nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")
log = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def network() -> object:
    return from_nir(shared("nir", "cnn_sinabs.nir"), dt=1.0, dtype=torch.float64)


def _labelled() -> list[tuple[Path, int]]:
    root = shared("real", "nmnist")
    files = sorted((p, int(p.parent.name)) for split in ("Train", "Test") for p in (root / split).glob("*/*.bin"))
    assert len(files) >= 4, f"expected the 4 labelled N-MNIST samples under {root}, found {files}"
    return files


def _frames(path: Path, **binning: float) -> torch.Tensor:
    frames = neurodata.to_frames(neurodata.read_atis_bin(path), (34, 34), **binning)
    return torch.from_numpy(np.asarray(frames, dtype=np.float64))


@pytest.mark.parametrize("binning", [{"n_time_bins": 300}, {"time_window": 1000.0}], ids=["300-bins", "1ms-windows"])
def test_classifies_real_nmnist_samples(network: torch.nn.Module, binning: dict[str, float]) -> None:
    samples = _labelled()
    counts = []
    for path, _ in samples:
        with torch.no_grad():
            counts.append(network(_frames(path, **binning).unsqueeze(1))[:, 0].sum(0))  # spikes per class
    predictions = [int(c.argmax()) for c in counts]
    report = ", ".join(
        f"{p.parent.parent.name}/{p.parent.name}/{p.name}: label {label} -> {pred} (spikes {c.int().tolist()})"
        for (p, label), pred, c in zip(samples, predictions, counts, strict=True)
    )
    log.info("cnn_sinabs on real N-MNIST (%s): %s", binning, report)
    correct = sum(pred == label for (_, label), pred in zip(samples, predictions, strict=True))
    published = {f.stem: float(np.load(f)) for f in shared("nir").glob("*_accuracy.npy")}
    # the platforms reached 95-98.5 %: with 4 samples every one should be right (we allow one miss)
    assert correct >= len(samples) - 1, f"{correct}/{len(samples)} correct ({report}); published: {published}"
    assert min(published.values()) > 0.95


@NORSE_WARNINGS[0]
@NORSE_WARNINGS[1]
@pytest.mark.peers
def test_spike_identical_to_norse_on_random_input(network: torch.nn.Module, rng: np.random.Generator) -> None:
    graph = nir.read(str(shared("nir", "cnn_sinabs.nir")))
    x = torch.from_numpy(rng.poisson(0.15, size=(40, 2, 2, 34, 34)).astype(np.float64))  # event counts
    with torch.no_grad():
        ours = network(x)
    theirs = norse_net(graph, dt=1e-3)(x)  # Norse's IF ignores r and dt: v += input
    assert ours.sum() > 10
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_writes_back_and_reads_again(network: torch.nn.Module, tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "again.nir"
    nir.write(str(path), to_nir(network, (2, 34, 34)))
    again = from_nir(path, dt=1.0, dtype=torch.float64)
    assert {type(n).__name__ for n in nir.read(str(path)).nodes.values()} >= {"Conv2d", "IF", "SumPool2d", "Flatten"}
    x = torch.from_numpy(rng.poisson(0.15, size=(30, 2, 2, 34, 34)).astype(np.float64))
    with torch.no_grad():
        torch.testing.assert_close(again(x), network(x), rtol=0, atol=0)
