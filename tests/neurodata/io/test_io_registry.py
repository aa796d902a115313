"""Every registered format: written through `write_events`, sniffed and read back by `read_events`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodata.events import SensorSize
from neurodata.io import FORMATS, read_events, sniff_format, write_events
from neurodata.io.optional import available
from neurodata.testing import random_events

SENSOR = SensorSize(34, 34)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_registry_roundtrip(tmp_path: Path, name: str) -> None:
    fmt = FORMATS[name]
    if fmt.optional and not available("faery"):
        pytest.skip("faery (the optional `formats` extra) is not installed")
    ev = random_events(np.random.default_rng(0), SENSOR, 1000, duration_us=100_000, t0=12_345)
    if name == "spikes_h5":  # a 1-D sensor's format: channel in x, y = 0, p = 1
        ev["y"], ev["p"] = 0, 1
    if name == "es_imagenet":  # stores ON and OFF apart: among equal t, ON events come first
        ev = ev[np.lexsort((1 - ev["p"], ev["t"]))]
    path = tmp_path / f"sample{fmt.extensions[0]}"
    options = {"sensor": SENSOR} if fmt.optional else {}
    write_events(path, ev, format=name, **options)
    assert sniff_format(path) == name
    np.testing.assert_array_equal(read_events(path), ev)


def test_registry_names_are_consistent() -> None:
    for name, fmt in FORMATS.items():
        assert fmt.name == name
        assert all(ext.startswith(".") for ext in fmt.extensions)
