"""Corrupt files of the optional formats never hang and are refused; files cut short warn like the core formats.

Every read here runs on a daemon thread with a time limit, so a reader that loops forever fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import random
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodata.errors import DecodeError, TruncatedFileWarning
from neurodata.events import SensorSize
from neurodata.io import optional as optional_io
from neurodata.io import read_aedat4, read_events, write_events
from neurodata.testing import random_events
from tests.conftest import SHARED_DATA

AEDAT4 = SHARED_DATA / "real" / "aedat4" / "tonic_sample.aedat4"
LIMIT_S = 30.0
needs_faery = pytest.mark.skipif(not optional_io.available("faery"), reason="faery (the `formats` extra) is absent")


def _within_limit(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """``("ok", result)`` or ``("error", exception)``; fails the test if `fn` runs past `LIMIT_S`."""
    outcome: list[tuple[str, Any]] = []

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                outcome.append(("ok", fn(*args, **kwargs)))
            except Exception as err:  # collected, then judged by the test
                outcome.append(("error", err))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(LIMIT_S)
    assert outcome, f"{fn.__name__}{args} did not return within {LIMIT_S} s"
    return outcome[0]


def _mutations(data: bytes, seed: int = 3) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for _ in range(8):
        cut = rng.randrange(16, len(data) - 1)
        out.append((f"cut at {cut}", data[:cut]))
    for _ in range(8):
        at = rng.randrange(64, len(data) - 8)
        out.append((f"8 bytes overwritten at {at}", data[:at] + bytes(rng.randrange(256) for _ in range(8))
                    + data[at + 8 :]))
    return out


@needs_faery
def test_corrupt_aedat4_files_are_refused_and_never_hang(tmp_path: Path) -> None:
    original = read_aedat4(AEDAT4)
    refused = 0
    for what, data in _mutations(AEDAT4.read_bytes()):
        path = tmp_path / "mutant.aedat4"
        path.write_bytes(data)
        kind, result = _within_limit(read_events, path)  # the default backend
        if kind == "error":
            assert isinstance(result, DecodeError), (what, result)
            assert str(path) in str(result)
            refused += 1
        else:  # only bytes the events do not depend on (an overwrite that wrote what was there)
            np.testing.assert_array_equal(result, original, err_msg=what)
    assert refused >= 14


@pytest.mark.slow
@pytest.mark.skipif(not optional_io.available("dv-processing"), reason="dv-processing is not installed")
def test_dv_processing_is_stopped_on_a_file_it_loops_on(tmp_path: Path) -> None:
    data = bytearray(AEDAT4.read_bytes())
    data[50_000:50_008] = b"\xff" * 8  # dv-processing 2.0 spins on this file forever
    path = tmp_path / "loops.aedat4"
    path.write_bytes(bytes(data))
    kind, err = _within_limit(read_aedat4, path, backend="dv-processing", timeout=3.0)
    assert kind == "error"
    assert isinstance(err, DecodeError)
    assert "dv-processing did not finish within 3 s" in str(err)
    assert "backend='faery'" in str(err)
    kind, events = _within_limit(read_aedat4, AEDAT4, backend="dv-processing")
    assert kind == "ok"
    np.testing.assert_array_equal(events, read_aedat4(AEDAT4, backend="faery"))


SENSOR = SensorSize(64, 48)


@needs_faery
@pytest.mark.parametrize("suffix", [".es", ".dat", ".raw"])
def test_optional_formats_cut_short_warn_and_give_the_complete_events(
    tmp_path: Path, rng: np.random.Generator, suffix: str
) -> None:
    events = random_events(rng, SENSOR, 400, duration_us=50_000)
    path = tmp_path / f"whole{suffix}"
    write_events(path, events, sensor=SENSOR)
    data = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a whole file: no warning
        np.testing.assert_array_equal(read_events(path), events)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[:-1])
    # .dat is read by our own TD reader (N-CARS), which names the partial record as the core formats do
    cut_inside = (rf"{len(data) - 8}: 7 bytes of an 8-byte event; returning the {len(events) - 1} events"
                  if suffix == ".dat" else r"\d+: the file ends inside")
    with pytest.warns(TruncatedFileWarning, match=rf"cut\{suffix}: truncated at byte {cut_inside}") as w:
        got = read_events(cut)
    assert len(w) == 1
    assert 0 < len(got) < len(events)
    np.testing.assert_array_equal(got, events[: len(got)])
    for name, mutant in _mutations(data):
        mpath = tmp_path / f"mutant{suffix}"
        mpath.write_bytes(mutant)
        kind, result = _within_limit(read_events, mpath)
        assert kind == "ok" or isinstance(result, DecodeError), (name, result)
