"""Representations through the dataset constructors, the cache and ``neurodata prepare --repr``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from neurodata import synth
from neurodata.cache import FrameReader
from neurodata.cli import app
from neurodata.datasets import NMNIST
from neurodata.integrate import represent
from neurodata.spec import (
    AveragedTimeSurface,
    BinaRep,
    SparseCounts,
    StackedHistogram,
    TimeSurface,
    VoxelGrid,
    Windows,
)

SIZE = synth.SampleSize(samples_per_class=2, events_per_sample=600)

CASES = [
    (VoxelGrid(5), None, None),
    (VoxelGrid(3, "tonic"), Windows(n_time_bins=2), "float64"),
    (TimeSurface(5000.0), Windows(time_window=40_000, overlap=10_000, include_incomplete=True), None),
    (StackedHistogram(4, 3), Windows(n_time_bins=3), None),
    (AveragedTimeSurface(cell_size=8, surface_size=3, time_window=5000.0, tau=2000.0), None, None),
    (BinaRep(4), Windows(n_time_bins=8, compat="tonic"), None),
    (None, Windows(event_count=150, overlap=50, include_incomplete=True), None),
    (SparseCounts(), Windows(n_event_bins=4), None),
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    synth.make_sample("n-mnist", tmp_path, SIZE)
    return tmp_path


@pytest.mark.parametrize(("rep", "windows", "dtype"), CASES, ids=lambda v: getattr(v, "kind", str(v)))
def test_cached_representations_read_back_bit_identical(
    root: Path, rep: object, windows: Windows | None, dtype: str | None
) -> None:
    events = NMNIST(root, train=True, progress=False)
    kw = {"representation": rep, "windows": windows, "dtype": dtype, "progress": False}
    ds = NMNIST(root, train=True, data_type="frame", **kw)
    assert ds.spec is not None
    entry = root / "frames" / ds.spec.key()
    assert json.loads((entry / "spec.json").read_text()) == ds.spec.to_dict()
    stored = FrameReader(entry / "train.nds")
    again = NMNIST(root, train=True, data_type="frame", **kw)  # opens the cache, builds nothing
    for i in range(len(ds)):
        want = represent(events[i][0], 34, 34, ds.spec)  # computed afresh, in the spec's dtype
        got = stored[i]
        assert got.dtype == want.dtype == np.dtype(ds.spec.dtype)
        np.testing.assert_array_equal(got.view(np.uint8), np.ascontiguousarray(want).view(np.uint8))
        item, label = ds[i]
        dense = item.to_dense() if isinstance(item, torch.Tensor) else item
        assert dense.dtype in (np.float32, torch.float32)
        np.testing.assert_array_equal(np.asarray(dense), want.astype(np.float32))
        np.testing.assert_array_equal(
            np.asarray(again[i][0].to_dense() if isinstance(rep, SparseCounts) else again[i][0]), np.asarray(dense)
        )
        assert label == events[i][1]
    assert isinstance(ds[0][0], torch.Tensor) == isinstance(rep, SparseCounts)
    if not isinstance(rep, SparseCounts):  # the batched read path decodes into one array
        batch = ds.__getitems__([1, 0])
        np.testing.assert_array_equal(batch[0][0], ds[1][0])


def test_changing_any_parameter_builds_a_new_cache_and_keeps_the_old(root: Path) -> None:
    variants = [
        {"representation": TimeSurface(5000.0), "windows": Windows(time_window=40_000)},
        {"representation": TimeSurface(6000.0), "windows": Windows(time_window=40_000)},
        {"representation": TimeSurface(5000.0), "windows": Windows(time_window=40_000, overlap=1)},
        {"representation": TimeSurface(5000.0), "windows": Windows(time_window=40_000, include_incomplete=True)},
        {"representation": TimeSurface(5000.0), "windows": Windows(time_window=40_000), "dtype": "float64"},
        {"representation": TimeSurface(5000.0), "frames_number": 4, "split_by": "time"},
        {"representation": VoxelGrid(5)},
        {"windows": Windows(time_window=40_000)},
        {"frames_number": 4, "split_by": "time"},
    ]
    seen: dict[str, np.ndarray] = {}
    for kw in variants:
        before = {p: p.stat().st_mtime_ns for p in (root / "frames").rglob("*")} if (root / "frames").exists() else {}
        ds = NMNIST(root, train=False, data_type="frame", progress=False, **kw)
        assert ds.spec is not None
        assert ds.spec.key() not in seen
        seen[ds.spec.key()] = np.asarray(ds[0][0])
        assert all(p.stat().st_mtime_ns == m for p, m in before.items())  # nothing old was touched
    entries = [p for p in (root / "frames").iterdir() if (p / "spec.json").exists()]
    assert len(entries) == len(variants)


def test_constructor_takes_a_representation_string_and_refuses_two_rules(root: Path) -> None:
    ds = NMNIST(
        root, train=False, data_type="frame", representation="voxel_grid:n_time_bins=3,n_event_bins=2", progress=False
    )
    assert ds.spec is not None
    assert ds.spec.representation == VoxelGrid(3)
    assert ds.spec.windows == Windows(n_event_bins=2)
    assert ds[0][0].shape == (2, 3, 34, 34)
    with pytest.raises(ValueError, match="give the window rule once"):
        NMNIST(root, data_type="frame", representation="counts:time_window=5", windows=Windows(time_window=5))
    with pytest.raises(ValueError, match="need data_type='frame'"):
        NMNIST(root, representation=VoxelGrid(3))


def test_prepare_repr_builds_the_constructors_cache(root: Path) -> None:
    result = CliRunner().invoke(
        app, ["-q", "prepare", "n-mnist", "--root", str(root), "--repr", "time_surface:tau=5000,time_window=40000"]
    )
    assert result.exit_code == 0, result.output
    ds = NMNIST(root, data_type="frame", representation=TimeSurface(5000.0), windows=Windows(time_window=40_000))
    assert ds.spec is not None
    assert (root / "frames" / ds.spec.key() / "spec.json").exists()
    assert [p.name for p in (root / "frames").iterdir() if p.is_dir()] == [ds.spec.key()]
    bad = CliRunner().invoke(app, ["-q", "prepare", "n-mnist", "--root", str(root), "--repr", "time_surface:tau=nan"])
    assert bad.exit_code == 1
    assert "TimeSurface.tau must be a positive, finite number, got nan" in bad.output
