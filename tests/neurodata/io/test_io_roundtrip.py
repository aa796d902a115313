"""decode(encode(events)) == events for every format we write (hypothesis)."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodata.errors import UnsortedTimestampsWarning
from neurodata.events import EVENT_DTYPE, SensorSize
from neurodata.io import (
    aedat31_packet,
    decode_aedat2,
    decode_aedat31,
    decode_atis_bin,
    encode_aedat2,
    encode_aedat31,
    encode_atis_bin,
    read_events,
    write_events,
)
from neurodata.io.atis_bin import OVERFLOW_Y, TS_MASK
from neurodata.io.optional import available

SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _events(rng: np.random.Generator, n: int, t0: int, max_gap: int, width: int, height: int) -> np.ndarray:
    ev = np.empty(n, dtype=EVENT_DTYPE)
    gaps = rng.integers(0, max_gap + 1, n)
    gaps[:1] = 0  # the first event sits at t0
    ev["t"] = t0 + np.cumsum(gaps)
    ev["x"] = rng.integers(0, width, n)
    ev["y"] = rng.integers(0, height, n)
    ev["p"] = rng.integers(0, 2, n)
    return ev


@st.composite
def streams(
    draw: st.DrawFn, *, width: int, height: int, starts: list[int], gaps: list[int], max_n: int = 300
) -> tuple[np.ndarray, np.random.Generator]:
    """Sorted events (with ties) and a generator for the test's other random choices."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(0, max_n))
    t0 = draw(st.sampled_from(starts)) + draw(st.integers(0, 1000))
    return _events(rng, n, t0, draw(st.sampled_from(gaps)), width, height), rng


def _split(rng: np.random.Generator, n: int, parts: int) -> list[int]:
    """`parts` packet sizes summing to n, some of them zero (empty packets)."""
    cuts = np.sort(rng.integers(0, n + 1, parts - 1))
    return np.diff(np.concatenate([[0], cuts, [n]])).tolist()


# packets the AEDAT 3.1 reader must skip: a frame-like one with an odd event size (so the following
# packets are no longer 4-byte aligned), an IMU6-sized one, and an empty special packet
_OTHER_PACKETS = [
    aedat31_packet(2, 13, bytes(range(39))),
    aedat31_packet(3, 36, bytes(72), ts_offset=32),
    aedat31_packet(0, 8, b""),
]


@SETTINGS
@given(
    data=streams(
        width=1 << 15,
        height=1 << 15,
        starts=[0, (1 << 31) - 2000, 3 << 31, 1 << 40],
        gaps=[0, 3, 1000, 1 << 29],
    ),
    plan=st.sampled_from(["fixed", "sizes"]),
    special_every=st.integers(0, 3),
    capacity_slack=st.sampled_from([0, 0, 2]),
    invalid_fraction=st.sampled_from([0.0, 0.0, 0.3]),
    n_other=st.integers(0, 3),
)
def test_aedat31_roundtrip(
    data: tuple[np.ndarray, np.random.Generator],
    plan: str,
    special_every: int,
    capacity_slack: int,
    invalid_fraction: float,
    n_other: int,
) -> None:
    ev, rng = data
    n = ev.size
    packet_events = int(rng.integers(1, 64)) if plan == "fixed" else _split(rng, n, int(rng.integers(1, 8)))
    invalid = rng.random(n) < invalid_fraction
    extra = {int(rng.integers(0, 6)): [_OTHER_PACKETS[int(rng.integers(0, 3))]] for _ in range(n_other)}
    raw = encode_aedat31(
        ev,
        packet_events=packet_events,
        special_every=special_every,
        invalid=invalid,
        capacity_slack=capacity_slack,
        extra_packets=extra,
    )
    np.testing.assert_array_equal(decode_aedat31(raw, keep_invalid=True), ev)
    np.testing.assert_array_equal(decode_aedat31(raw), ev[~invalid])


def _packet_headers(raw: bytes) -> list[tuple[int, ...]]:
    """(eventType, eventSource, eventSize, eventTSOffset, eventTSOverflow, eventCapacity, eventNumber,
    eventValid) of every packet, walked with struct as the AEDAT 3.1 specification describes."""
    pos = raw.index(b"#!END-HEADER\r\n") + len(b"#!END-HEADER\r\n")
    headers = []
    while pos < len(raw):
        header = struct.unpack_from("<hhiiiiii", raw, pos)
        headers.append(header)
        pos += 28 + header[2] * header[5]
    return headers


def test_aedat31_overflow_spans_packets() -> None:
    """A stream crossing two 2^31 µs boundaries needs three eventTSOverflow values, so three polarity
    packets at least, even when one packet could hold all the events."""
    rng = np.random.default_rng(1)
    ev = _events(rng, 3000, 0, 0, 128, 128)
    ev["t"] = np.linspace((1 << 31) - 1000, (2 << 31) + 1000, ev.size).astype(np.int64)
    raw = encode_aedat31(ev, packet_events=10**6)
    polarity = [h for h in _packet_headers(raw) if h[0] == 1]
    assert [h[4] for h in polarity] == [0, 1, 2]
    assert sum(h[6] for h in polarity) == ev.size
    np.testing.assert_array_equal(decode_aedat31(raw), ev)


def test_aedat31_writer_packet_plan() -> None:
    """Explicit sizes with zeros give empty packets; special packets precede every 2nd polarity packet;
    slack makes eventCapacity exceed eventNumber; invalid events are counted out of eventValid."""
    rng = np.random.default_rng(2)
    ev = _events(rng, 10, 0, 5, 128, 128)
    invalid = np.zeros(10, bool)
    invalid[[1, 7]] = True
    raw = encode_aedat31(ev, packet_events=[4, 0, 6], special_every=2, capacity_slack=3, invalid=invalid)
    headers = _packet_headers(raw)
    assert [h[0] for h in headers] == [0, 1, 1, 0, 1]
    assert [(h[5], h[6], h[7]) for h in headers if h[0] == 1] == [(7, 4, 3), (3, 0, 0), (9, 6, 5)]


@SETTINGS
@given(
    data=streams(width=128, height=128, starts=[0, 1 << 31, (1 << 32) - 5000], gaps=[0, 2, 5000, (1 << 31) - 1]),
    orientation=st.sampled_from(["cifar10dvs", "raw"]),
)
def test_aedat2_dvs128_roundtrip(data: tuple[np.ndarray, np.random.Generator], orientation: str) -> None:
    ev, _ = data
    raw = encode_aedat2(ev, orientation=orientation)  # type: ignore[arg-type]
    np.testing.assert_array_equal(decode_aedat2(raw, orientation=orientation), ev)  # type: ignore[arg-type]


@SETTINGS
@given(data=streams(width=640, height=480, starts=[0, (1 << 32) - 5000], gaps=[0, 7, (1 << 31) - 1]))
def test_aedat2_davis_roundtrip(data: tuple[np.ndarray, np.random.Generator]) -> None:
    ev, _ = data
    np.testing.assert_array_equal(decode_aedat2(encode_aedat2(ev, layout="davis"), layout="davis"), ev)


@SETTINGS
@given(data=streams(width=256, height=255, starts=[0, TS_MASK - 3000, 1 << 25], gaps=[0, 4, 3000, 1 << 21]))
def test_atis_bin_roundtrip(data: tuple[np.ndarray, np.random.Generator]) -> None:
    ev, _ = data
    ev["y"][ev["y"] >= OVERFLOW_Y] += 1  # y = 240 is the overflow marker, never an event
    raw = encode_atis_bin(ev)
    markers = len(raw) // 5 - ev.size
    assert markers == (max(0, -((TS_MASK - int(ev["t"][-1])) // (1 << 13))) if ev.size else 0)
    np.testing.assert_array_equal(decode_atis_bin(raw), ev)


OPTIONAL = [
    ("aedat4", ".aedat4", {}),
    ("es", ".es", {}),
    ("dat", ".dat", {}),
    ("evt", ".raw", {}),
]


@pytest.mark.skipif(not available("faery"), reason="faery (the optional `formats` extra) is not installed")
@pytest.mark.parametrize(("fmt", "suffix", "options"), OPTIONAL, ids=[f"{f}-{o}" for f, _, o in OPTIONAL])
@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams(width=640, height=480, starts=[0, 1 << 34], gaps=[0, 50, 1 << 20], max_n=200))
def test_optional_formats_roundtrip(
    fmt: str, suffix: str, options: dict[str, str], data: tuple[np.ndarray, np.random.Generator]
) -> None:
    ev, _ = data
    if fmt == "es" and ev.size:
        ev["t"] -= ev["t"][0]  # .es spells out time from 0: a late start only makes a big file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sample{suffix}"
        write_events(path, ev, format=fmt, sensor=SensorSize(640, 480), **options)
        np.testing.assert_array_equal(read_events(path), ev)


def test_portable_paths_match_packed_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoders' portable branches (taken on big-endian machines) give the same events as the
    blocked little-endian ones, including overflow, invalid events, markers and unsorted input."""
    from neurodata.io import aedat31, atis_bin

    rng = np.random.default_rng(5)
    ev = _events(rng, 20_000, (1 << 31) - 50_000, 20, 128, 128)
    aedat_raw = encode_aedat31(ev, packet_events=3000, invalid=rng.random(ev.size) < 0.05)
    nm = _events(rng, 20_000, TS_MASK - 30_000, 20, 34, 34)
    atis_raw = bytearray(encode_atis_bin(nm))
    atis_raw[5 * 7 + 4] ^= 0xFF  # one timestamp out of order: a sort with a warning
    fast = [decode_aedat31(aedat_raw), decode_aedat31(aedat_raw, keep_invalid=True)]
    with pytest.warns(UnsortedTimestampsWarning):
        fast.append(decode_atis_bin(bytes(atis_raw)))
    monkeypatch.setattr(aedat31, "PACKED_FAST", False)
    monkeypatch.setattr(atis_bin, "PACKED_FAST", False)
    slow = [decode_aedat31(aedat_raw), decode_aedat31(aedat_raw, keep_invalid=True)]
    with pytest.warns(UnsortedTimestampsWarning):
        slow.append(decode_atis_bin(bytes(atis_raw)))
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)
