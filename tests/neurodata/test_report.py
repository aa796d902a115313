"""`describe_file` (``neurodata info FILE``): counts and timing against hand-made events, and each anomaly found."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurodata.events import EVENT_DTYPE, SensorSize
from neurodata.io import encode_atis_bin, write_aedat2, write_atis_bin
from neurodata.report import describe_file
from neurodata.testing import random_events


def _events(t: list[int], x: list[int], y: list[int], p: list[int]) -> np.ndarray:
    ev = np.empty(len(t), EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"], ev["p"] = t, x, y, p
    return ev


def test_counts_timing_and_polarity(tmp_path: Path) -> None:
    ev = _events([10, 20, 20, 1_000_010], [1, 2, 3, 4], [0, 1, 2, 3], [1, 1, 0, 1])
    write_atis_bin(tmp_path / "a.bin", ev)
    r = describe_file(tmp_path / "a.bin")
    assert (r.format, r.events, r.on, r.off) == ("atis_bin", 4, 3, 1)
    assert (r.t_first, r.t_last, r.duration_us) == (10, 1_000_010, 1_000_000)
    assert r.rate == 4.0  # 4 events in one second
    assert (r.sensor, r.sensor_from) == (SensorSize(5, 4), "events")  # no header: largest x, y + 1
    assert r.anomalies == ["no events for 1,000.0 ms from t=20 µs (100% of the recording)"]
    text = str(r)
    assert "polarity ON 3 (75.0%), OFF 1 (25.0%)" in text
    assert "duration 1,000.0 ms, rate 0.0 k events/s" in text


def test_each_anomaly_is_found(tmp_path: Path, rng: np.random.Generator) -> None:
    ev = random_events(rng, SensorSize(128, 128), 4000, duration_us=100_000)
    ev["x"][::10], ev["y"][::10] = 7, 9  # a hot pixel: 10% of the events
    ev["p"] = 0  # OFF only
    ev[101] = ev[100]  # one exact repeat
    write_aedat2(tmp_path / "hot.aedat", ev)
    found = describe_file(tmp_path / "hot.aedat").anomalies
    assert any(a.startswith("hot pixel x=7, y=9: ") for a in found), found
    assert "every event has polarity OFF" in found
    same = sum(bool(ev[i] == ev[i - 1]) for i in range(1, len(ev)))  # counted here by comparing records
    assert same >= 1
    assert f"{same:,} events repeat the one before them exactly (same t, x, y, p)" in found
    data = encode_atis_bin(random_events(rng, SensorSize(34, 34), 50))
    (tmp_path / "cut.bin").write_bytes(data[:-2])  # a file cut inside its last record
    found = describe_file(tmp_path / "cut.bin").anomalies
    assert any("cut.bin" in a and "byte" in a for a in found), found  # the decoder's truncation warning, named
