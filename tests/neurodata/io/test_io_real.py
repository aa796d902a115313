"""Real third-party recordings (shared/data/real) against facts established without our decoders.

The second readers here are deliberately written differently from ours: plain `struct` loops over
each record, following the format descriptions, plus the peers' own readers where they work. The
pinned numbers were computed with those loops and, for tonic's N-MNIST sample, match the count and
time range published in our research notes (4325 events, t 654..311 175 µs).
"""

from __future__ import annotations

import struct
import types
from pathlib import Path

import numpy as np
import pytest

from neurodata.events import check_events
from neurodata.io import read_aedat2, read_aedat4, read_atis_bin, read_events, sniff_format
from neurodata.io.optional import available


def _jaer_header_length(data: bytes) -> int:
    """Bytes of '#' text lines at the start, line by line as jAER reads them."""
    pos = 0
    while data[pos : pos + 1] == b"#":
        pos = data.index(b"\n", pos) + 1
    return pos


def _aedat2_by_struct(path: Path) -> dict[str, np.ndarray]:
    """Raw DVS128 fields of every record, one `struct.unpack_from` per record."""
    data = path.read_bytes()
    rows = [struct.unpack_from(">II", data, off) for off in range(_jaer_header_length(data), len(data) - 7, 8)]
    addr = [a for a, _ in rows]
    return {
        "t": np.array([t for _, t in rows], dtype=np.int64),
        "x_raw": np.array([(a >> 1) & 0x7F for a in addr]),
        "y_raw": np.array([(a >> 8) & 0x7F for a in addr]),
        "pol": np.array([a & 1 for a in addr]),
        "high_bits": np.array([a >> 15 for a in addr]),
    }


# file: (header bytes, events, first t, last t, raw polarity counts [OFF, ON])
AEDAT2_FACTS = {
    "dvs128_alex_walking_again.aedat": (4612, 19182, 41306606, 48193156, (7102, 12080)),
    "dvs128_neal_walking.aedat": (4612, 70304, 135707767, 144951371, (34031, 36273)),
}


@pytest.mark.parametrize("name", sorted(AEDAT2_FACTS))
def test_aedat2_real_matches_struct_reader(real_data: Path, name: str) -> None:
    path = real_data / "aedat2" / name
    header, count, first, last, pol_counts = AEDAT2_FACTS[name]
    ref = _aedat2_by_struct(path)
    assert _jaer_header_length(path.read_bytes()) == header
    assert ref["t"].size == count
    assert (ref["t"][0], ref["t"][-1]) == (first, last)
    assert tuple(np.bincount(ref["pol"], minlength=2)) == pol_counts
    assert not ref["high_bits"].any()  # a DVS128 recording: no special or foreign addresses

    assert sniff_format(path) == "aedat2"
    raw = read_aedat2(path, orientation="raw")
    check_events(raw)
    np.testing.assert_array_equal(raw["t"], ref["t"])
    np.testing.assert_array_equal(raw["x"], ref["x_raw"])
    np.testing.assert_array_equal(raw["y"], ref["y_raw"])
    np.testing.assert_array_equal(raw["p"], ref["pol"])

    # the generic reader keeps the recording as the camera saw it (the header names a DVS128)
    np.testing.assert_array_equal(read_events(path), raw)
    ev = read_aedat2(path, orientation="cifar10dvs")  # what the CIFAR10-DVS dataset asks for
    np.testing.assert_array_equal(ev["t"], ref["t"])
    np.testing.assert_array_equal(ev["x"], 127 - ref["y_raw"])
    np.testing.assert_array_equal(ev["y"], 127 - ref["x_raw"])
    np.testing.assert_array_equal(ev["p"], 1 - ref["pol"])
    assert ev["x"].max() <= 127
    assert ev["y"].max() <= 127


@pytest.mark.peers
@pytest.mark.parametrize("name", sorted(AEDAT2_FACTS))
def test_aedat2_real_matches_spikingjelly_cifar10dvs(real_data: Path, name: str, sj_datasets: types.ModuleType) -> None:
    """SpikingJelly's CIFAR10-DVS loader reads these DVS128 recordings; our CIFAR10-DVS orientation agrees."""
    path = real_data / "aedat2" / name
    sj = sj_datasets.cifar10_dvs._load_origin_data(str(path))
    ev = read_aedat2(path, orientation="cifar10dvs")
    for field in ("t", "x", "y", "p"):
        np.testing.assert_array_equal(ev[field], sj[field], err_msg=field)


@pytest.mark.peers
@pytest.mark.parametrize("name", sorted(AEDAT2_FACTS))
def test_aedat2_real_matches_tonic_raw_records(real_data: Path, name: str, tonic_io: types.ModuleType) -> None:
    """Tonic's `read_dvs_128` crashes (it unpacks 2 of 3 header values), but its building blocks
    read the raw address/timestamp records."""
    path = real_data / "aedat2" / name
    version, start, _ = tonic_io.read_aedat_header_from_file(str(path))
    records = tonic_io.get_aer_events_from_file(str(path), version, start)
    raw = read_aedat2(path, orientation="raw")
    np.testing.assert_array_equal(raw["t"], records["timeStamp"])
    addr = records["address"].astype(np.int64)
    np.testing.assert_array_equal(raw["x"], (addr >> 1) & 0x7F)
    np.testing.assert_array_equal(raw["y"], (addr >> 8) & 0x7F)


@pytest.mark.parametrize("layout", ["dvs128", "davis"])
def test_header_only_real_file_gives_no_events(real_data: Path, layout: str) -> None:
    """Tonic's header-only sample (a DAVIS346 header, zero events) is valid and empty, without warnings."""
    path = real_data / "aedat2" / "tonic_sample_aedat_header.aedat"
    ev = read_aedat2(path, layout=layout)  # type: ignore[arg-type]
    assert ev.size == 0
    assert read_events(path).size == 0


def _atis_by_struct(path: Path) -> np.ndarray:
    """(t, x, y, p) per 5-byte record, with Orchard's overflow rule, one record at a time."""
    data = path.read_bytes()
    rows, extra = [], 0
    for off in range(0, len(data) - 4, 5):
        x, y, b2, b34 = struct.unpack_from(">BBBH", data, off)
        if y == 240:
            extra += 1 << 13
            continue
        rows.append((((b2 & 0x7F) << 16 | b34) + extra, x, y, b2 >> 7))
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


# file: (events, first t, last t)
NMNIST_FACTS = {
    "Train/5/00001.bin": (4681, 893, 305924),
    "Train/0/00002.bin": (5028, 937, 305341),
    "Test/7/00001.bin": (3330, 5087, 307827),
    "Test/2/00002.bin": (4840, 3240, 308353),
    "tonic_sample_nmnist.bin": (4325, 654, 311175),
}


@pytest.mark.parametrize("name", sorted(NMNIST_FACTS))
def test_nmnist_real_matches_struct_reader(real_data: Path, name: str) -> None:
    path = real_data / "nmnist" / name
    count, first, last = NMNIST_FACTS[name]
    ref = _atis_by_struct(path)
    assert len(ref) == count
    assert (ref[0, 0], ref[-1, 0]) == (first, last)
    ev = read_atis_bin(path)
    check_events(ev)
    assert sniff_format(path) == "atis_bin"
    for i, field in enumerate(("t", "x", "y", "p")):
        np.testing.assert_array_equal(ev[field], ref[:, i], err_msg=field)
    assert ev["x"].max() < 34  # N-MNIST is 34x34; the reader itself assumes no size
    assert ev["y"].max() < 34


@pytest.mark.peers
@pytest.mark.parametrize("name", sorted(NMNIST_FACTS))
def test_nmnist_real_matches_peers(
    real_data: Path, name: str, sj_datasets: types.ModuleType, tonic_io: types.ModuleType
) -> None:
    path = real_data / "nmnist" / name
    ev = read_atis_bin(path)
    sj = sj_datasets.load_ATIS_bin(str(path))
    tonic = tonic_io.read_mnist_file(str(path), dtype=np.dtype([("x", int), ("y", int), ("t", int), ("p", int)]))
    for field in ("t", "x", "y", "p"):
        np.testing.assert_array_equal(ev[field], sj[field], err_msg=f"spikingjelly {field}")
        np.testing.assert_array_equal(ev[field], tonic[field], err_msg=f"tonic {field}")


AEDAT4 = "aedat4/tonic_sample.aedat4"


@pytest.mark.skipif(not available("dv-processing"), reason="dv-processing (the `formats` extra) is not installed")
def test_aedat4_real_with_dv_processing(real_data: Path) -> None:
    import dv_processing as dv

    path = real_data / AEDAT4
    assert sniff_format(path) == "aedat4"
    ev = read_aedat4(path, backend="dv-processing")
    check_events(ev)
    width, height = dv.io.MonoCameraRecording(str(path)).getEventResolution()
    assert (width, height) == (320, 240)  # a DVXplorer recording
    assert ev.size == 111954
    assert (ev["t"][0], ev["t"][-1]) == (1605537493718345, 1605537494308262)
    assert ev["x"].max() < width
    assert ev["y"].max() < height


@pytest.mark.skipif(
    not (available("dv-processing") and available("faery")),
    reason="needs both dv-processing and faery (the `formats` extra) to compare them",
)
def test_aedat4_real_dv_processing_equals_faery(real_data: Path) -> None:
    """Two independent AEDAT4 decoders (C++ and Rust) agree event for event."""
    import faery

    path = real_data / AEDAT4
    ev = read_aedat4(path)
    ref = np.concatenate(list(faery.events_stream_from_file(path)))
    np.testing.assert_array_equal(ev["t"], ref["t"].astype(np.int64))
    np.testing.assert_array_equal(ev["x"], ref["x"])
    np.testing.assert_array_equal(ev["y"], ref["y"])
    np.testing.assert_array_equal(ev["p"], ref["on"].astype(np.int8))
    np.testing.assert_array_equal(read_aedat4(path, backend="faery"), ev)
