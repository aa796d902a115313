from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from neurodata.events import SensorSize
from neurodata.spec import (
    FRAMES_FORMAT_VERSION,
    AveragedTimeSurface,
    BinaRep,
    Counts,
    FrameSpec,
    SparseCounts,
    StackedHistogram,
    TimeSurface,
    VoxelGrid,
    Windows,
    parse_representation,
)


def test_key_changes_with_every_parameter() -> None:
    base = FrameSpec(frames_number=16, split_by="number")
    variants = [
        FrameSpec(frames_number=20, split_by="number"),
        FrameSpec(frames_number=16, split_by="time"),
        FrameSpec(frames_number=16, split_by="number", dtype="uint8"),
        FrameSpec(frames_number=16, split_by="number", orientation="raw"),
        FrameSpec(frames_number=16, split_by="number", dataset_version="2"),
        FrameSpec(duration=1000),
        FrameSpec(custom="my_fn"),
    ]
    keys = {base.key(), *(v.key() for v in variants)}
    assert len(keys) == 1 + len(variants)
    assert FrameSpec(frames_number=16, split_by="number").key() == base.key()
    assert len(base.key()) == 16


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "exactly one of frames_number, duration, windows or custom"),
        ({"frames_number": 4, "duration": 10}, "exactly one of"),
        ({"frames_number": 0, "split_by": "number"}, "frames_number must be a positive integer, got 0"),
        ({"frames_number": 4, "split_by": "count"}, "split_by must be 'number' or 'time'"),
        ({"duration": 10, "split_by": "time"}, "split_by only applies with frames_number"),
        ({"duration": -1}, "duration must be a positive integer"),
        ({"duration": 5, "dtype": "nonsense"}, "not a numpy dtype"),
    ],
)
def test_invalid_specs_name_the_argument(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FrameSpec(**kw)


def _plain_key(version: int, **fields: object) -> str:
    """The key of a spec without windows or representation, as written before they existed."""
    payload = {"frames_number": None, "split_by": None, "duration": None, "custom": None, "dtype": "uint16",
               "orientation": "default", "dataset_version": "1", **fields, "frames_format_version": version}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def test_keys_of_specs_without_representations_are_unchanged() -> None:
    # the formula reproduces the keys caches of format 3 had; windows and representations leave it alone,
    # so only a format version bump (here 4: checksummed sample files) renames the cache entries
    assert _plain_key(3, frames_number=16, split_by="number") == "a199beb8735fa342"
    assert _plain_key(3, custom="f", dtype="float32") == "8f5a3d6526b64bb0"
    v = FRAMES_FORMAT_VERSION
    assert FrameSpec(frames_number=16, split_by="number").key() == _plain_key(v, frames_number=16, split_by="number")
    assert FrameSpec(duration=50000).key() == _plain_key(v, duration=50000)
    assert FrameSpec(custom="f", dtype="float32").key() == _plain_key(v, custom="f", dtype="float32")
    legacy = FrameSpec(frames_number=20, split_by="time", orientation="raw", dataset_version="1-sample-abc")
    assert legacy.key() == _plain_key(v, frames_number=20, split_by="time", orientation="raw",
                                      dataset_version="1-sample-abc")
    counts = FrameSpec(frames_number=16, split_by="number", representation=Counts())
    assert counts.key() == FrameSpec(frames_number=16, split_by="number").key()


REPRESENTED = [
    FrameSpec(representation=VoxelGrid(5)),
    FrameSpec(representation=VoxelGrid(6)),
    FrameSpec(representation=VoxelGrid(5, "tonic")),
    FrameSpec(representation=VoxelGrid(5), dtype="float64"),
    FrameSpec(representation=VoxelGrid(5), frames_number=4, split_by="time"),
    FrameSpec(representation=VoxelGrid(5), windows=Windows(time_window=1000)),
    FrameSpec(representation=TimeSurface(100.0), windows=Windows(time_window=1000)),
    FrameSpec(representation=TimeSurface(101.0), windows=Windows(time_window=1000)),
    FrameSpec(representation=TimeSurface(100.0), windows=Windows(time_window=1000, overlap=10)),
    FrameSpec(representation=TimeSurface(100.0), windows=Windows(time_window=1000, include_incomplete=True)),
    FrameSpec(representation=TimeSurface(100.0), windows=Windows(time_window=1000, compat="tonic")),
    FrameSpec(representation=TimeSurface(100.0), windows=Windows(event_count=1000, overlap=10)),
    FrameSpec(representation=AveragedTimeSurface()),
    FrameSpec(representation=AveragedTimeSurface(decay="lin")),
    FrameSpec(representation=AveragedTimeSurface(cell_size=12)),
    FrameSpec(representation=BinaRep(4), windows=Windows(n_time_bins=8)),
    FrameSpec(representation=StackedHistogram(), duration=50_000),
    FrameSpec(representation=StackedHistogram(count_cutoff=10), duration=50_000),
    FrameSpec(representation=Counts()),
    FrameSpec(representation=SparseCounts(), windows=Windows(n_event_bins=3)),
    FrameSpec(windows=Windows(n_event_bins=3)),
    FrameSpec(windows=Windows(n_event_bins=3, overlap=0.5)),
]


def test_every_representation_and_window_parameter_changes_the_key() -> None:
    keys = [s.key() for s in REPRESENTED]
    assert len(set(keys)) == len(keys)
    for spec in REPRESENTED:
        assert FrameSpec.from_dict(spec.to_dict()) == spec
        assert FrameSpec.from_dict(spec.to_dict()).key() == spec.key()
        assert FrameSpec(**dataclasses.asdict(spec)) == spec  # the form weights files store


def test_default_dtypes_and_shapes() -> None:
    sensor = SensorSize(34, 30)
    assert FrameSpec(representation=VoxelGrid(5)).dtype == "float32"
    assert FrameSpec(representation=StackedHistogram(3), duration=10).dtype == "uint8"
    assert FrameSpec(windows=Windows(time_window=10)).dtype == "uint16"
    assert FrameSpec(representation=VoxelGrid(5)).frame_shape(sensor) == (5, 30, 34)
    assert FrameSpec(representation=StackedHistogram(3), duration=10).frame_shape(sensor) == (6, 30, 34)
    assert FrameSpec(representation=AveragedTimeSurface(10, 5)).frame_shape(sensor) == (4 * 3 * 2, 5, 5)
    assert FrameSpec(representation=TimeSurface(1.0), duration=10).frame_shape(sensor) == (2, 30, 34)
    assert not FrameSpec(representation=VoxelGrid(5)).variable_length  # one window per sample
    assert FrameSpec(windows=Windows(event_count=5)).variable_length
    assert not FrameSpec(windows=Windows(n_time_bins=5)).variable_length


def test_parse_representation() -> None:
    rep, win = parse_representation("time_surface:tau=5000,time_window=50000,overlap=1000")
    assert rep == TimeSurface(5000.0)
    assert win == Windows(time_window=50000, overlap=1000)
    rep, win = parse_representation("voxel_grid:n_time_bins=3,windows.n_time_bins=2,convention=tonic")
    assert rep == VoxelGrid(3, "tonic")
    assert win == Windows(n_time_bins=2)
    assert parse_representation("counts") == (Counts(), None)
    with pytest.raises(ValueError, match=r"unknown representation 'voxel_grd'; did you mean \['voxel_grid'\]"):
        parse_representation("voxel_grd")
    with pytest.raises(ValueError, match=r"voxel_grid has no parameter\(s\) \['tau'\]"):
        parse_representation("voxel_grid:tau=3")
    with pytest.raises(ValueError, match="is not key=value"):
        parse_representation("voxel_grid:n_time_bins")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"representation": VoxelGrid(3), "dtype": "uint16"}, "dtype must be a float type"),
        ({"representation": StackedHistogram(count_cutoff=300), "duration": 5}, "cannot hold count_cutoff=300"),
        ({"representation": BinaRep(4), "windows": Windows(n_time_bins=6)}, "needs a multiple of 4 windows"),
        ({"representation": VoxelGrid(3), "duration": 5, "frames_number": 2, "split_by": "time"}, "exactly one of"),
        ({"custom": "f", "representation": VoxelGrid(3)}, "integrates by itself"),
        ({"representation": "voxel_grid"}, "must be a Representation"),
        ({"windows": "time_window=5"}, "must be a neurodata.spec.Windows"),
    ],
)
def test_invalid_representation_specs_name_the_argument(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FrameSpec(**kw)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "exactly one of time_window, event_count, n_time_bins, n_event_bins"),
        ({"time_window": 10, "overlap": 10}, r"overlap \(10\) must be smaller than time_window"),
        ({"event_count": 10, "overlap": 2.5}, "whole number of events"),
        ({"n_time_bins": 4, "overlap": 1.0}, r"fraction of a window in \[0, 1\)"),
        ({"n_time_bins": 0}, "n_time_bins must be a positive integer"),
        ({"time_window": float("nan")}, "positive, finite"),
        ({"time_window": 10, "overlap": -1}, "non-negative"),
        ({"time_window": 10, "compat": "spikingjelly"}, "compat must be 'fixed' or 'tonic'"),
    ],
)
def test_invalid_windows_name_the_argument(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Windows(**kw)
