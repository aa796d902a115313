"""Files written by our writers, read by SpikingJelly's and Tonic's readers (the real tools)."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from neurodata.events import SensorSize
from neurodata.io import (
    load_aedat_v3,
    load_ATIS_bin,
    read_aedat2,
    read_aedat31,
    read_atis_bin,
    write_aedat2,
    write_aedat31,
    write_atis_bin,
)
from neurodata.testing import random_events

pytestmark = pytest.mark.peers

FIELDS = ("t", "x", "y", "p")


def _assert_same(ours: dict[str, np.ndarray] | np.ndarray, theirs: dict[str, np.ndarray], who: str) -> None:
    for field in FIELDS:
        np.testing.assert_array_equal(ours[field], theirs[field], err_msg=f"{who}: {field}")


@pytest.fixture
def gesture_like() -> np.ndarray:
    """DVS128 events crossing the 2^31 µs timestamp overflow."""
    return random_events(
        np.random.default_rng(0), SensorSize(128, 128), 5000, duration_us=4_000_000, t0=(1 << 31) - 2_000_000
    )


def test_spikingjelly_reads_our_aedat31(
    tmp_path: Path, gesture_like: np.ndarray, sj_datasets: types.ModuleType
) -> None:
    path = tmp_path / "user01_lab.aedat"
    write_aedat31(path, gesture_like, packet_events=700, special_every=3)
    sj = sj_datasets.load_aedat_v3(str(path))
    _assert_same(gesture_like, sj, "spikingjelly vs written")
    _assert_same(read_aedat31(path), sj, "read_aedat31")
    _assert_same(load_aedat_v3(path), sj, "load_aedat_v3")


def test_spikingjelly_keeps_invalid_events(
    tmp_path: Path, gesture_like: np.ndarray, sj_datasets: types.ModuleType
) -> None:
    invalid = np.random.default_rng(1).random(gesture_like.size) < 0.1
    path = tmp_path / "invalid.aedat"
    write_aedat31(path, gesture_like, packet_events=700, invalid=invalid)
    sj = sj_datasets.load_aedat_v3(str(path))
    _assert_same(load_aedat_v3(path, keep_invalid=True), sj, "keep_invalid=True")
    _assert_same(read_aedat31(path), gesture_like[~invalid], "default drops invalid")


def test_spikingjelly_reads_unused_capacity(
    tmp_path: Path, gesture_like: np.ndarray, sj_datasets: types.ModuleType
) -> None:
    """SpikingJelly decodes eventCapacity slots, so a packet with eventNumber < eventCapacity gives it
    phantom events; we decode eventNumber."""
    path = tmp_path / "slack.aedat"
    write_aedat31(path, gesture_like, packet_events=1000, capacity_slack=2)
    sj = sj_datasets.load_aedat_v3(str(path))
    assert sj["t"].size == gesture_like.size + 2 * 6  # 6 polarity packets (the overflow splits one)
    assert int((sj["x"] == 0x7FFF).sum()) == 12
    _assert_same(read_aedat31(path), gesture_like, "ours")


def test_spikingjelly_cifar10dvs_reads_our_aedat2(tmp_path: Path, sj_datasets: types.ModuleType) -> None:
    ev = random_events(np.random.default_rng(2), SensorSize(128, 128), 3000, duration_us=1_000_000)
    path = tmp_path / "cifar10_airplane_0.aedat"
    write_aedat2(path, ev, orientation="cifar10dvs")
    sj = sj_datasets.cifar10_dvs._load_origin_data(str(path))
    _assert_same(ev, sj, "spikingjelly vs written")
    _assert_same(read_aedat2(path, orientation="cifar10dvs"), sj, "read_aedat2")


@pytest.fixture
def nmnist_long() -> np.ndarray:
    """34x34 events running past 2^23 µs, so the writer inserts overflow markers."""
    return random_events(np.random.default_rng(3), SensorSize(34, 34), 4000, duration_us=9_000_000)


def test_peers_read_our_atis_bin(
    tmp_path: Path, nmnist_long: np.ndarray, sj_datasets: types.ModuleType, tonic_io: types.ModuleType
) -> None:
    path = tmp_path / "00001.bin"
    write_atis_bin(path, nmnist_long)
    n_markers = path.stat().st_size // 5 - nmnist_long.size
    assert n_markers > 0
    tonic = tonic_io.read_mnist_file(str(path), dtype=np.dtype([("x", int), ("y", int), ("t", int), ("p", int)]))
    _assert_same(nmnist_long, tonic, "tonic vs written")
    _assert_same(read_atis_bin(path), tonic, "read_atis_bin")
    _assert_same(load_ATIS_bin(path), tonic, "load_ATIS_bin")
    sj = sj_datasets.load_ATIS_bin(str(path))  # keeps the markers as events with y = 240
    assert int((sj["y"] == 240).sum()) == n_markers
    _assert_same(load_ATIS_bin(path, overflow=False), sj, "load_ATIS_bin(overflow=False)")
