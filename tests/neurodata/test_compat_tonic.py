"""``neurodata.compat.tonic``'s io, slicers, collation and datasets against Tonic 1.7 and real recordings."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import neurodata as nd
import neurodata.compat.tonic as ot
from neurodata.io.aedat import encode_aedat2, encode_aedat31
from neurodata.testing import random_events
from tests.conftest import SHARED_DATA
from tests.peers import tonic

REAL = SHARED_DATA / "real"
real = pytest.mark.skipif(not REAL.exists(), reason="the shared real recordings are not on this machine")


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype
    assert len(a) == len(b)
    for name in a.dtype.names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


# io --------------------------------------------------------------------------------------------------


@real
@pytest.mark.peers
@pytest.mark.parametrize("name", ["tonic_sample_nmnist.bin", "Train/5/00001.bin", "Test/7/00001.bin"])
def test_read_mnist_file_equals_tonic(name: str) -> None:
    tn = tonic()
    path = REAL / "nmnist" / name
    for dtype in (tn.io.events_struct, np.dtype([("t", int), ("x", int), ("y", int), ("p", int)])):
        want = tn.io.read_mnist_file(str(path), dtype=dtype)
        if dtype.names[0] == "t":  # Tonic fills the fields by position (x, y, t, p), whatever their names
            want = ot.io.make_structured_array(want["y"], want["t"], want["x"], want["p"], dtype=dtype)
        _same(ot.io.read_mnist_file(str(path), dtype=dtype), want)
    with path.open("rb") as f:
        _same(
            ot.io.read_mnist_file(f, dtype=tn.io.events_struct, is_stream=True),
            tn.io.read_mnist_file(str(path), dtype=tn.io.events_struct),
        )


@real
@pytest.mark.peers
def test_headers_and_raw_records_equal_tonic() -> None:
    tn = tonic()
    for path in (
        REAL / "aedat2" / "tonic_sample_aedat_header.aedat",
        REAL / "aedat4" / "tonic_sample.aedat4",
        REAL / "aedat2" / "dvs128_neal_walking.aedat",
    ):
        head = ot.io.read_aedat_header_from_file(str(path))
        want = tn.io.read_aedat_header_from_file(str(path))
        if path.stat().st_size > head[1]:
            assert head == want
            _same(
                ot.io.get_aer_events_from_file(str(path), *head[:2]),
                tn.io.get_aer_events_from_file(str(path), *head[:2]),
            )
        else:  # a header with no records: the data start at the end of the file (Tonic says one byte before)
            assert head == (want[0], want[1] + 1, want[2]) == (want[0], path.stat().st_size, want[2])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ot.io.read_aedat_header_from_file("/nonexistent.aedat")


@real
def test_read_aedat4_in_the_aedat_layout() -> None:
    path = REAL / "aedat4" / "tonic_sample.aedat4"
    ev = ot.io.read_aedat4(str(path))
    assert ev.dtype == ot.io.AEDAT4_DTYPE
    np.testing.assert_array_equal(ev["on"], ev["p"])
    assert (np.diff(ev["t"].astype(np.int64)) >= 0).all()
    if importlib.util.find_spec("aedat") and importlib.util.find_spec("tonic"):
        _same(ev, tonic().io.read_aedat4(str(path)))


@real
def test_read_dvs_128_takes_x_from_bits_8_to_14() -> None:
    path = REAL / "aedat2" / "dvs128_neal_walking.aedat"
    shape, ev = ot.io.read_dvs_128(str(path))
    version, start, _ = ot.io.read_aedat_header_from_file(str(path))
    raw = ot.io.get_aer_events_from_file(str(path), version, start)
    raw = raw[raw["address"] < 0x8000]  # bit 15: special events, which Tonic would decode as events
    assert shape == (128, 128)
    assert ev.dtype == ot.io.events_struct
    np.testing.assert_array_equal(ev["x"], (raw["address"] >> 8) & 0x7F)
    np.testing.assert_array_equal(ev["y"], (raw["address"] >> 1) & 0x7F)
    np.testing.assert_array_equal(ev["p"], raw["address"] & 1)


def test_read_dvs_ibm_and_red_decode_polarity_packets_only(tmp_path: Path, rng: np.random.Generator) -> None:
    ev = random_events(rng, nd.SensorSize(128, 128), 3000)
    path = tmp_path / "user01.aedat"
    path.write_bytes(encode_aedat31(ev, packet_events=500, special_every=2))
    shape, got = ot.io.read_dvs_ibm(str(path))
    assert shape == (128, 128)
    for f in ("x", "y", "t"):
        np.testing.assert_array_equal(got[f], ev[f])
    np.testing.assert_array_equal(got["p"], ev["p"].astype(bool))
    assert ot.io.read_dvs_red(str(path))[0] == (346, 260)


@pytest.mark.peers
def test_read_davis_346_equals_tonic(tmp_path: Path, rng: np.random.Generator) -> None:
    tn = tonic()
    ev = random_events(rng, nd.SensorSize(346, 260), 2000)
    path = tmp_path / "davis.aedat"
    path.write_bytes(
        encode_aedat2(ev, layout="davis", header_lines=("# Creation time: System.currentTimeMillis() 17",))
    )
    shape, start, got = ot.io.read_davis_346(str(path))
    t_shape, t_start, want = tn.io.read_davis_346(str(path))
    assert (shape, start) == (t_shape, t_start) == ((346, 260), 17)
    for f in ("x", "y", "t", "p"):  # Tonic's dtype is its events_struct too
        np.testing.assert_array_equal(got[f], want[f].astype(got.dtype[f]))


# slicers ---------------------------------------------------------------------------------------------


def _events(n: int = 2000, seed: int = 0) -> np.ndarray:
    ev = np.zeros(n, dtype=[("x", int), ("y", int), ("t", int), ("p", int)])
    r = np.random.default_rng(seed)
    ev["t"] = np.sort(r.integers(0, 500_000, n))
    return ev


@pytest.mark.peers
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("SliceByTime", {"time_window": 30_000}),
        ("SliceByTime", {"time_window": 30_000, "overlap": 10_000, "include_incomplete": True}),
        ("SliceByTime", {"time_window": 30_000, "start_time": 5000, "end_time": 400_000}),
        ("SliceByEventCount", {"event_count": 300, "overlap": 50}),
        ("SliceByEventCount", {"event_count": 300, "include_incomplete": True}),
        ("SliceByEventBins", {"bin_count": 7, "overlap": 0.25}),
        ("SliceAtIndices", {"start_indices": [0, 10, 500], "end_indices": [10, 30, 1999]}),
        ("SliceAtTimePoints", {"start_tw": [0, 100_000], "end_tw": [50_000, 400_000]}),
    ],
)
def test_slicer_metadata_and_slices_equal_tonic(name: str, kw: dict) -> None:
    tn = tonic()
    ev = _events()
    ours, theirs = getattr(ot.slicers, name)(**kw), getattr(tn.slicers, name)(**kw)
    mine = ours.get_slice_metadata(ev, None)
    want = [(int(a), min(int(b), len(ev))) for a, b in theirs.get_slice_metadata(ev, None)]
    assert mine == want
    for a, b in zip(ours.slice(ev, 3)[0], theirs.slice(ev, 3)[0], strict=True):
        _same(a, b)
    assert ours.slice(ev, 3)[1] == 3


@pytest.mark.peers
def test_time_bins_keep_the_last_event() -> None:
    tn = tonic()
    ev = _events()
    ours = ot.slicers.SliceByTimeBins(bin_count=6).get_slice_metadata(ev, None)
    theirs = tn.slicers.SliceByTimeBins(bin_count=6).get_slice_metadata(ev, None)
    assert len(ours) == len(theirs) == 6
    assert ours[-1][1] == len(ev)
    assert theirs[-1][1] < len(ev)  # Tonic's last half-open bin ends at t[-1]: the last event is lost


def test_slice_functions_and_reset_time_leave_the_data_alone() -> None:
    data = np.arange(7)
    assert [len(s) for s in ot.slicers.slice_events_at_indices(data, [0, 3, 5], [3, 5, 7])] == [3, 2, 2]
    ev = np.zeros(4, dtype=[("t", int)])
    ev["t"] = [0, 150, 299, 300]
    slices, _ = ot.slicers.SliceByTime(time_window=100, reset_time=True).slice(ev, None)
    assert [s["t"].tolist() for s in slices] == [[0], [50], [99]]
    assert ev["t"].tolist() == [0, 150, 299, 300]  # Tonic rewrites the caller's array through the views
    with pytest.raises(ValueError, match="overlap"):
        ot.slicers.SliceByTime(time_window=5, overlap=5).get_slice_metadata(ev, None)
    with pytest.raises(ValueError, match="sorted by t"):
        ot.slicers.SliceByTime(time_window=5).get_slice_metadata(ev[::-1], None)


# collation and datasets ------------------------------------------------------------------------------


@pytest.mark.peers
def test_pad_tensors_equals_tonic() -> None:
    tn = tonic()
    r = np.random.default_rng(0)
    batch = [(torch.from_numpy(r.random((n, 2, 3))).float(), k) for k, n in enumerate((3, 5, 1))]
    for first in (True, False):
        got, want = ot.collation.PadTensors(first)(batch), tn.collation.PadTensors(first)(batch)
        torch.testing.assert_close(got[0], want[0])
        torch.testing.assert_close(got[1], want[1])


class _Recordings:
    """A plain (events, label) dataset that counts how often it is read."""

    def __init__(self, n: int = 5) -> None:
        self.items = [
            (random_events(np.random.default_rng(i), nd.SensorSize(8, 8), 400 + 50 * i), i % 2) for i in range(n)
        ]
        self.reads = 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        self.reads += 1
        return self.items[i]


def test_sliced_dataset_caches_keyed_metadata(tmp_path: Path) -> None:
    source = _Recordings()
    slicer = ot.slicers.SliceByEventCount(event_count=100)
    ds = ot.SlicedDataset(source, slicer, metadata_path=str(tmp_path))
    assert len(ds) == sum(len(e) // 100 for e, _ in source.items)
    events, label = ds[len(ds) - 1]
    np.testing.assert_array_equal(events, source.items[-1][0][500:600])  # the last of its 600 events
    assert label == source.items[-1][1]
    reads = source.reads
    again = ot.SlicedDataset(source, slicer, metadata_path=str(tmp_path))
    assert source.reads == reads  # metadata read back, nothing re-sliced
    assert again.metadata[2].tolist() == ds.metadata[2].tolist()
    other = ot.SlicedDataset(source, ot.slicers.SliceByEventCount(event_count=50), metadata_path=str(tmp_path))
    assert source.reads > reads  # another slicer: another key, computed
    assert len(other) > len(ds)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_memory_and_disk_caches(tmp_path: Path) -> None:
    source = _Recordings(3)
    mem = ot.MemoryCachedDataset(source)
    assert [len(mem[i][0]) for i in range(3)] == [len(mem[i][0]) for i in range(3)]
    assert source.reads == 3
    plain = _Recordings(3)
    disk = ot.DiskCachedDataset(plain, cache_path=str(tmp_path / "c"), transform=lambda e: e["t"])
    first = disk[1]
    np.testing.assert_array_equal(first[0], plain.items[1][0]["t"])
    np.testing.assert_array_equal(disk[1][0], first[0])
    assert plain.reads == 1  # the second read came from disk
    with pytest.raises(nd.NeurodataError, match="reset_cache=True"):
        ot.DiskCachedDataset(_Recordings(4), cache_path=str(tmp_path / "c"))
    assert issubclass(ot.CachedDataset, ot.DiskCachedDataset)
