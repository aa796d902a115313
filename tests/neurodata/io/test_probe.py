"""`header_sensor`: the sensor a file's header states, for every format that stores one, and None otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodata.events import SensorSize
from neurodata.io import FORMATS, write_events
from neurodata.io.optional import available
from neurodata.io.probe import header_sensor
from neurodata.testing import random_events
from tests.conftest import SHARED_DATA


@pytest.mark.parametrize(
    ("fmt", "suffix", "options", "expect"),
    [
        ("aedat2", ".aedat", {"layout": "dvs128"}, SensorSize(128, 128)),  # "# AEChip: ...DVS128"
        ("aedat2", ".aedat", {"layout": "davis"}, SensorSize(240, 180)),  # "# AEChip: ...DAVIS240C"
        ("aedat31", ".aedat", {}, SensorSize(128, 128)),  # "#Source 1: DVS128"
        ("atis_bin", ".bin", {}, None),  # the format stores no sensor
        ("aedat4", ".aedat4", {"sensor": SensorSize(64, 48)}, SensorSize(64, 48)),
        ("es", ".es", {"sensor": SensorSize(64, 48)}, SensorSize(64, 48)),
        ("dat", ".dat", {"sensor": SensorSize(64, 48)}, SensorSize(64, 48)),
        ("evt", ".raw", {"sensor": SensorSize(64, 48)}, SensorSize(64, 48)),
    ],
)
def test_the_stated_sensor_of_each_format(fmt: str, suffix: str, options: dict[str, object],
                                          expect: SensorSize | None, tmp_path: Path) -> None:
    if FORMATS[fmt].optional and not available("faery"):
        pytest.skip("the formats extra (faery) is not installed")
    ev = random_events(np.random.default_rng(0), SensorSize(64, 48), 200)
    path = tmp_path / f"x{suffix}"
    write_events(path, ev, format=fmt, **options)
    assert header_sensor(path, fmt) == expect


def test_real_files() -> None:
    cases = {("aedat2", "dvs128_alex_walking_again.aedat"): SensorSize(128, 128),
             ("aedat2", "tonic_sample_aedat_header.aedat"): SensorSize(346, 260),
             ("aedat4", "tonic_sample.aedat4"): SensorSize(320, 240)}
    for (fmt, name), expect in cases.items():
        path = SHARED_DATA / "real" / fmt / name
        if not path.exists():
            pytest.skip(f"{path} is absent")
        assert header_sensor(path, fmt) == expect, name
