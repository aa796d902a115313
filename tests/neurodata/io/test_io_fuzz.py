"""Mutated and truncated versions of valid files: only our documented errors and warnings come out.

Seeded and bounded (a few hundred small files per format), so it runs in about a second.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from neurodata.errors import DecodeError, DecodeWarning
from neurodata.events import EVENT_DTYPE, SensorSize, check_events
from neurodata.io import (
    aedat31_packet,
    decode_aedat2,
    decode_aedat31,
    decode_atis_bin,
    encode_aedat2,
    encode_aedat31,
    encode_atis_bin,
    read_events,
    sniff_format,
)
from neurodata.testing import random_events

N_MUTATIONS = 300


def _bases() -> dict[str, tuple[bytes, Callable[[bytes], np.ndarray], str]]:
    rng = np.random.default_rng(0)
    dvs = random_events(rng, SensorSize(128, 128), 150, duration_us=50_000, t0=(1 << 31) - 20_000)
    davis = random_events(rng, SensorSize(346, 260), 150, duration_us=50_000)
    atis = random_events(rng, SensorSize(34, 34), 150, duration_us=20_000_000)
    aedat31 = encode_aedat31(
        dvs,
        packet_events=[40, 0, 60, 50],
        special_every=2,
        capacity_slack=2,
        invalid=rng.random(dvs.size) < 0.1,
        extra_packets={1: [aedat31_packet(2, 13, bytes(26))]},
    )
    return {
        "aedat31": (aedat31, decode_aedat31, ".aedat"),
        "aedat31_keep_invalid": (aedat31, functools.partial(decode_aedat31, keep_invalid=True), ".aedat"),
        "aedat2": (encode_aedat2(dvs), decode_aedat2, ".aedat"),
        "aedat2_davis": (
            encode_aedat2(davis, layout="davis"),
            functools.partial(decode_aedat2, layout="davis"),
            ".aedat",
        ),
        "atis_bin": (encode_atis_bin(atis), decode_atis_bin, ".bin"),
    }


BASES = _bases()


def _mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One random mutation, described for the failure message."""
    buf = bytearray(data)
    kind = int(rng.integers(0, 7))
    n = len(buf)
    if kind == 0:
        cut = int(rng.integers(0, n))
        return f"truncate to {cut}", bytes(buf[:cut])
    if kind == 1:
        where = rng.integers(0, n, int(rng.integers(1, 9)))
        buf_arr = np.frombuffer(buf, np.uint8).copy()
        buf_arr[where] = rng.integers(0, 256, where.size)
        return f"overwrite bytes {where.tolist()}", buf_arr.tobytes()
    if kind == 2:
        bits = rng.integers(0, 8 * n, int(rng.integers(1, 5)))
        for b in bits.tolist():
            buf[b // 8] ^= 1 << (b % 8)
        return f"flip bits {bits.tolist()}", bytes(buf)
    if kind == 3:
        at = int(rng.integers(0, n))
        junk = rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8).tobytes()
        return f"insert {len(junk)} bytes at {at}", bytes(buf[:at] + junk + buf[at:])
    if kind == 4:
        a = int(rng.integers(0, n))
        b = min(n, a + int(rng.integers(1, 64)))
        return f"delete {a}:{b}", bytes(buf[:a] + buf[b:])
    if kind == 5:
        a = int(rng.integers(0, n))
        b = min(n, a + int(rng.integers(1, 64)))
        return f"duplicate {a}:{b}", bytes(buf[:b] + buf[a:b] + buf[b:])
    # random body behind the genuine header (the first 64 bytes)
    keep = min(64, n)
    return "random body", bytes(buf[:keep]) + rng.integers(0, 256, n - keep, dtype=np.uint8).tobytes()


def _check_outcome(run: Callable[[], np.ndarray], what: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ev = run()
        except DecodeError:
            ev = None
        except Exception as err:  # anything else is a bug: report what produced it
            raise AssertionError(f"{what}: {type(err).__name__}: {err}") from err
    bad = [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, DecodeWarning)]
    assert not bad, f"{what}: undocumented warnings {bad}"
    if ev is not None:
        assert ev.dtype == EVENT_DTYPE, what
        check_events(ev, where=what)


@pytest.mark.parametrize("name", sorted(BASES))
def test_fuzz_decoders(name: str) -> None:
    data, decode, _ = BASES[name]
    rng = np.random.default_rng(list(BASES).index(name))
    for i in range(N_MUTATIONS):
        label, mutated = _mutate(data, rng)
        _check_outcome(lambda m=mutated: decode(m), f"{name} mutation {i} ({label})")


@pytest.mark.parametrize("name", sorted(BASES))
def test_fuzz_read_events_on_files(tmp_path: Path, name: str) -> None:
    """The same through `read_events`, so sniffing sees the damage too (fewer: files are slower)."""
    data, _, suffix = BASES[name]
    rng = np.random.default_rng(100 + list(BASES).index(name))
    for i in range(30):
        label, mutated = _mutate(data, rng)
        path = tmp_path / f"{name}_{i}{suffix}"
        path.write_bytes(mutated)
        options = {"layout": "davis"} if name == "aedat2_davis" else {}

        def run(path: Path = path, options: dict[str, str] = options) -> np.ndarray:
            # a damaged magic line may turn the file into another format (or none): the options
            # belong to the AEDAT 2.0 reader only
            fmt = sniff_format(path)
            return read_events(path, format=fmt, **(options if fmt == "aedat2" else {}))

        _check_outcome(run, f"{name} file {i} ({label})")


def test_fuzz_random_bytes() -> None:
    rng = np.random.default_rng(7)
    decoders = [decode_aedat31, decode_aedat2, decode_atis_bin, functools.partial(decode_aedat2, layout="davis")]
    for i in range(200):
        data = rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
        if i % 3 == 0:  # give some of them a genuine magic line
            data = (b"#!AER-DAT3.1\r\n#!END-HEADER\r\n" if i % 2 else b"#!AER-DAT2.0\r\n") + data
        for decode in decoders:
            _check_outcome(lambda d=data, f=decode: f(d), f"random bytes {i} with {decode}")
