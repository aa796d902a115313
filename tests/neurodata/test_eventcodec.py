"""The event store's codec: exact round trips for any sorted or unsorted stream, refusal of bad input."""

from __future__ import annotations

import numpy as np
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from neurodata import eventcodec
from neurodata.errors import CacheError
from neurodata.events import EVENT_DTYPE


@st.composite
def streams(draw: st.DrawFn) -> tuple[np.ndarray, int, int]:
    height, width = draw(st.sampled_from([(1, 1), (34, 34), (128, 128), (260, 346), (720, 1280)]))
    n = draw(st.integers(0, 300))
    seed = draw(st.integers(0, 2**31 - 1))
    gaps = draw(st.sampled_from(["sorted", "huge", "unsorted"]))
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    ev["x"], ev["y"], ev["p"] = rng.integers(0, width, n), rng.integers(0, height, n), rng.integers(0, 2, n)
    if gaps == "sorted":
        ev["t"] = np.cumsum(rng.integers(0, 50, n)) + rng.integers(-(2**40), 2**40)
    elif gaps == "huge":  # gaps beyond uint32, and timestamps near the int64 limits
        ev["t"] = np.cumsum(rng.integers(0, 2**40, n)) - 2**62
    else:
        ev["t"] = rng.integers(-(2**50), 2**50, n)
    return ev, height, width


@given(streams())
def test_round_trip_is_exact(case: tuple[np.ndarray, int, int]) -> None:
    ev, height, width = case
    enc = eventcodec.encode(ev, height, width)
    cols = eventcodec.decode(enc, height, width)
    assert enc.count == len(ev)
    for k in ("t", "x", "y", "p"):
        assert cols[k].dtype == ev.dtype[k]
        np.testing.assert_array_equal(cols[k], ev[k])


def test_layout_matches_the_documented_gaps_and_keys() -> None:
    ev = np.zeros(3, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"], ev["p"] = [100, 100, 100 + 2**16 + 3], [1, 0, 3], [2, 0, 1], [1, 0, 1]
    enc = eventcodec.encode(ev, 4, 5)  # H=4, W=5
    assert (enc.t0, enc.dt_bytes, enc.count) == (100, 4, 3)
    # gaps 0, 0, 65539 as uint32, byte-shuffled: all first bytes, then all second bytes, ...
    assert list(zstandard.decompress(enc.dt)) == [0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    # keys (p*H + y)*W + x
    assert np.frombuffer(zstandard.decompress(enc.key), dtype=np.uint16).tolist() == [31, 0, 28]


def test_out_of_range_input_and_corrupt_streams_are_refused() -> None:
    ev = np.zeros(4, dtype=EVENT_DTYPE)
    ev["y"] = [0, 1, 4, 2]
    with pytest.raises(ValueError, match=r"field 'y' at index 2 is 4, outside 0\.\.3"):
        eventcodec.encode(ev, 4, 5)
    ev["y"] = 0
    ev["p"] = [0, 1, 1, 2]
    with pytest.raises(ValueError, match=r"field 'p' at index 3 is 2, outside 0\.\.1"):
        eventcodec.encode(ev, 4, 5)
    ev["p"], ev["y"], ev["x"] = 1, 3, 4  # key (1*4 + 3)*5 + 4 = 39
    enc = eventcodec.encode(ev, 4, 5)
    with pytest.raises(CacheError, match="corrupt stream"):
        eventcodec.decode(eventcodec.EncodedEvents(enc.dt[:-2], enc.key, 4, 0, 4), 4, 5)
    with pytest.raises(CacheError, match="for 5 events"):
        eventcodec.decode(eventcodec.EncodedEvents(enc.dt, enc.key, 5, 0, 4), 4, 5)
    with pytest.raises(CacheError, match="outside the 3x4 sensor"):
        eventcodec.decode(enc, 4, 3)  # keys made for W=5 read as W=3: 39 >= 2*4*3
    with pytest.raises(CacheError, match="unknown gap width 2"):
        eventcodec.decode(eventcodec.EncodedEvents(enc.dt, enc.key, 4, 0, 2), 4, 5)
