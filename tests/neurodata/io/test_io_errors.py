"""Bad input: each case gives the complete events plus a warning, or a named DecodeError subclass."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from neurodata.errors import (
    CorruptDataError,
    DecodeError,
    DecodeWarning,
    EventsError,
    HeaderError,
    OptionalDependencyError,
    TruncatedFileWarning,
    UnknownFormatError,
    UnsortedTimestampsWarning,
)
from neurodata.events import EVENT_DTYPE, SensorSize, check_events
from neurodata.io import (
    aedat31_header,
    aedat31_packet,
    decode_aedat2,
    encode_aedat2,
    encode_aedat31,
    encode_atis_bin,
    read_aedat2,
    read_aedat31,
    read_atis_bin,
    read_events,
    sniff_format,
    write_events,
)
from neurodata.io import optional as optional_io
from neurodata.testing import random_events

SENSOR = SensorSize(128, 128)


@pytest.fixture
def events() -> np.ndarray:
    return random_events(np.random.default_rng(0), SENSOR, 100, duration_us=10_000)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------- AEDAT 3.1


def test_aedat31_header_only_is_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.aedat", aedat31_header())
    assert read_aedat31(path).size == 0
    assert read_events(path).size == 0


def test_aedat31_only_special_packets_is_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "special.aedat", aedat31_header() + aedat31_packet(0, 8, bytes(16)))
    assert read_aedat31(path).size == 0


def test_aedat31_header_without_end_warns(tmp_path: Path) -> None:
    path = _write(tmp_path, "cut.aedat", b"#!AER-DAT3.1\r\n#Format: RAW\r\n")
    with pytest.warns(TruncatedFileWarning, match=r"cut\.aedat: truncated at byte 28: .*END-HEADER"):
        assert read_aedat31(path).size == 0


def test_aedat31_text_before_end_header_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.aedat", b"#!AER-DAT3.1\r\nFormat: RAW\r\n#!END-HEADER\r\n")
    with pytest.raises(HeaderError, match=r"bad\.aedat: byte 14: expected a '#' header line"):
        read_aedat31(path)


@pytest.mark.parametrize("magic", [b"", b"#!AER-DAT2.0\r\n", b"#!AER-DAT3.0\r\n", b"garbage\n"])
def test_aedat31_wrong_magic_is_refused(tmp_path: Path, magic: bytes) -> None:
    path = _write(tmp_path, "magic.aedat", magic + b"#!END-HEADER\r\n")
    with pytest.raises(HeaderError, match=r"magic\.aedat: byte 0: expected the AEDAT 3\.1 magic line"):
        read_aedat31(path)


def test_aedat31_truncated_inside_event(tmp_path: Path, events: np.ndarray) -> None:
    raw = encode_aedat31(events, packet_events=30)
    # 3 full packets (90 events), then a header and 7 events plus 5 bytes of the 8th
    cut = len(aedat31_header()) + 3 * (28 + 30 * 8) + 28 + 7 * 8 + 5
    path = _write(tmp_path, "cut.aedat", raw[:cut])
    with pytest.warns(TruncatedFileWarning, match=rf"cut\.aedat: truncated at byte {cut}: .*97 events"):
        ev = read_aedat31(path)
    np.testing.assert_array_equal(ev, events[:97])


def test_aedat31_truncated_inside_packet_header(tmp_path: Path, events: np.ndarray) -> None:
    raw = encode_aedat31(events, packet_events=50)
    cut = len(aedat31_header()) + 28 + 50 * 8 + 11
    path = _write(tmp_path, "cut.aedat", raw[:cut])
    with pytest.warns(TruncatedFileWarning, match=rf"byte {cut - 11}: 11 bytes of a 28-byte packet header"):
        ev = read_aedat31(path)
    np.testing.assert_array_equal(ev, events[:50])


def test_aedat31_truncated_in_capacity_slack_keeps_all_events(tmp_path: Path, events: np.ndarray) -> None:
    raw = encode_aedat31(events, packet_events=100, capacity_slack=4)
    path = _write(tmp_path, "slack.aedat", raw[:-3])
    with pytest.warns(TruncatedFileWarning, match="declares 832 bytes of events and 829 are present"):
        np.testing.assert_array_equal(read_aedat31(path), events)


def _polarity_header(**fields: int) -> bytes:
    values = {"type": 1, "source": 1, "size": 8, "ts_offset": 4, "overflow": 0, "capacity": 1, "number": 1}
    values.update(fields)
    values.setdefault("valid", values["number"])
    return struct.pack("<hhiiiiii", *values.values())


@pytest.mark.parametrize(
    "fields",
    [
        {"size": 0},
        {"size": -8},
        {"capacity": -1, "number": 0},
        {"number": 2},
        {"valid": 2},
        {"number": -1, "valid": 0},
        {"ts_offset": 6},
        {"size": 12, "capacity": 1},
        {"type": 3, "size": 2},
    ],
    ids=str,
)
def test_aedat31_impossible_packet_header_is_refused(tmp_path: Path, fields: dict[str, int]) -> None:
    offset = len(aedat31_header())
    path = _write(tmp_path, "bad.aedat", aedat31_header() + _polarity_header(**fields) + bytes(16))
    with pytest.raises(CorruptDataError, match=rf"bad\.aedat: byte {offset}: .*(impossible sizes|expected)"):
        read_aedat31(path)


def test_aedat31_two_sources_need_a_choice(tmp_path: Path, events: np.ndarray) -> None:
    first = encode_aedat31(events[:50], source=1)
    second = encode_aedat31(events[50:], source=2)[len(aedat31_header()) :]
    path = _write(tmp_path, "two.aedat", first + second)
    with pytest.raises(DecodeError, match=r"sources \[1, 2\]; pass source="):
        read_aedat31(path)
    np.testing.assert_array_equal(read_aedat31(path, source=2), events[50:])


def test_aedat31_unsorted_timestamps_are_sorted_with_a_warning(tmp_path: Path, events: np.ndarray) -> None:
    swapped = np.concatenate([events[50:], events[:50]])
    raw = encode_aedat31(np.sort(swapped, order="t"), packet_events=50)
    # write the later half first by swapping the two packets' bytes
    head = len(aedat31_header())
    size = 28 + 50 * 8
    raw = raw[:head] + raw[head + size :] + raw[head : head + size]
    path = _write(tmp_path, "unsorted.aedat", raw)
    with pytest.warns(
        UnsortedTimestampsWarning, match=rf"unsorted\.aedat: timestamps go backwards at byte {head + size + 28}"
    ):
        ev = read_aedat31(path)
    np.testing.assert_array_equal(ev, events)


def test_aedat31_writer_refuses_what_it_cannot_store(events: np.ndarray) -> None:
    bad = events.copy()
    bad["t"][0] = -1
    with pytest.raises(EventsError, match="'t' at index 0"):
        encode_aedat31(bad)
    with pytest.raises(ValueError, match="packet_events must be non-negative packet sizes summing to 100"):
        encode_aedat31(events, packet_events=[10, 20])


# ------------------------------------------------------------------------------------- AEDAT 2.0


@pytest.mark.parametrize(("cut", "what"), [(4, "4 bytes"), (3, "5 bytes")])
def test_aedat2_partial_record_warns(tmp_path: Path, events: np.ndarray, cut: int, what: str) -> None:
    raw = encode_aedat2(events)
    path = _write(tmp_path, "cut.aedat", raw[:-cut])
    with pytest.warns(TruncatedFileWarning, match=rf"cut\.aedat: truncated at byte {len(raw) - 8}: {what}.*99 events"):
        ev = read_aedat2(path)
    np.testing.assert_array_equal(ev, events[:99])


@pytest.mark.parametrize("magic", [b"", b"#!AER-DAT3.1\r\n", b"# no magic\r\n", b"\x00\x01"])
def test_aedat2_wrong_magic_is_refused(tmp_path: Path, magic: bytes) -> None:
    path = _write(tmp_path, "magic.aedat", magic + bytes(16))
    with pytest.raises(HeaderError, match=r"magic\.aedat: byte 0: expected the AEDAT 2\.0 magic line"):
        read_aedat2(path)


def test_aedat2_layout_comes_from_the_aechip_header_line(tmp_path: Path) -> None:
    ev = random_events(np.random.default_rng(1), SensorSize(240, 180), 50)
    raw = encode_aedat2(ev, layout="davis")
    assert b"# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C\r\n" in raw
    np.testing.assert_array_equal(read_aedat2(_write(tmp_path, "davis.aedat", raw)), ev)
    # the same file claiming a DVS128 chip is read as DVS128 and refused, not folded into 128x128
    lied = raw.replace(b"eu.seebetter.ini.chips.davis.DAVIS240C", b"ch.unizh.ini.jaer.chip.retina.DVS128")
    path = _write(tmp_path, "lied.aedat", lied)
    header = len(lied) - 8 * ev.size
    first = int(np.argmax((ev["x"] >= 8) | (ev["y"] > 0)))  # the first address using bits above 15
    with pytest.raises(CorruptDataError, match=rf"lied\.aedat: byte {header + 8 * first}: .*layout='davis'"):
        read_aedat2(path)
    np.testing.assert_array_equal(read_aedat2(path, layout="davis"), ev)


def test_aedat2_dvs128_is_read_as_stored_by_default(tmp_path: Path) -> None:
    """The CIFAR10-DVS axis swap and polarity flip belong to that dataset, not to the generic reader."""
    ev = random_events(np.random.default_rng(4), SENSOR, 40)
    raw = encode_aedat2(ev)
    words = np.frombuffer(raw[len(raw) - 8 * ev.size :], ">u4").reshape(-1, 2)
    np.testing.assert_array_equal((words[:, 0] >> 1) & 0x7F, ev["x"])  # bits 1-7: x as stored
    np.testing.assert_array_equal(words[:, 0] & 1, ev["p"])
    np.testing.assert_array_equal(read_events(_write(tmp_path, "walk.aedat", raw)), ev)
    flipped = decode_aedat2(raw, orientation="cifar10dvs")
    np.testing.assert_array_equal(flipped["x"], 127 - ev["y"])
    np.testing.assert_array_equal(flipped["p"], 1 - ev["p"])


def test_aedat2_davis_aps_and_imu_records_are_skipped(tmp_path: Path) -> None:
    ev = random_events(np.random.default_rng(2), SensorSize(240, 180), 20)
    raw = bytearray(encode_aedat2(ev, layout="davis"))
    body = len(raw) - 8 * ev.size
    aps = struct.pack(">II", 0x80000000 | (5 << 22) | (7 << 12) | 0x3FF, 0)  # APS sample, bit 31
    imu = struct.pack(">II", 0x80000C00 | (3 << 28), 0)  # IMU sample
    ext = struct.pack(">II", 1 << 10, 0)  # external input event
    # insert them after the 10th event with the timestamp of that event
    t10 = struct.pack(">I", int(ev["t"][9]))
    extra = b"".join(r[:4] + t10 for r in (aps, imu, ext))
    raw[body + 80 : body + 80] = extra
    path = _write(tmp_path, "davis.aedat", bytes(raw))
    np.testing.assert_array_equal(read_aedat2(path, layout="davis"), ev)
    # the same APS record inside a DVS128 recording is refused, not folded into 128x128
    dvs = random_events(np.random.default_rng(2), SENSOR, 20)
    raw = bytearray(encode_aedat2(dvs))
    body = len(raw) - 8 * dvs.size
    raw[body + 80 : body + 80] = aps[:4] + struct.pack(">I", int(dvs["t"][9]))
    path = _write(tmp_path, "dvs128.aedat", bytes(raw))
    with pytest.raises(CorruptDataError, match=rf"dvs128\.aedat: byte {body + 80}: address 0x814073ff"):
        read_aedat2(path)


def test_aedat2_dvs128_special_events_are_skipped(events: np.ndarray) -> None:
    raw = bytearray(encode_aedat2(events, orientation="raw"))
    body = len(raw) - 8 * events.size
    raw[body:body] = struct.pack(">II", 0x8000, int(events["t"][0]))  # a sync event (bit 15)
    np.testing.assert_array_equal(decode_aedat2(bytes(raw), orientation="raw"), events)


def test_aedat2_binary_record_starting_with_hash_is_not_header(events: np.ndarray) -> None:
    """A first DAVIS record whose top byte is '#' (0x23) is data, not one more header line."""
    ev = events[:3].copy()
    ev["y"][0] = 140  # y << 22 puts 0x23 in the top byte
    raw = encode_aedat2(ev, layout="davis")
    assert raw[len(raw) - 24] == ord("#")
    np.testing.assert_array_equal(decode_aedat2(raw, layout="davis"), ev)


def test_aedat2_counter_wrap_is_unwrapped(events: np.ndarray) -> None:
    ev = events.copy()
    ev["t"] += (1 << 32) - 5000  # crosses 2^32 in the middle
    raw = encode_aedat2(ev)
    stored = np.frombuffer(raw[len(raw) - 8 * ev.size :], ">u4")[1::2]
    assert (np.diff(stored.astype(np.int64)) < 0).any()
    np.testing.assert_array_equal(decode_aedat2(raw), ev)


def test_aedat2_bad_arguments(events: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"layout must be one of \['dvs128', 'davis'\], got 'dvs346'"):
        decode_aedat2(encode_aedat2(events), layout="dvs346")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="orientation must be one of"):
        decode_aedat2(encode_aedat2(events), orientation="flipped")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="layout='davis' supports only orientation='raw'"):
        decode_aedat2(encode_aedat2(events), layout="davis", orientation="cifar10dvs")
    big = events.copy()
    big["x"][3] = 200
    with pytest.raises(EventsError, match=r"field 'x' at index 3 is 200; layout 'dvs128' stores 0\.\.127"):
        encode_aedat2(big)


# ---------------------------------------------------------------------------------------- ATIS


def test_atis_empty_file_is_empty(tmp_path: Path) -> None:
    assert read_atis_bin(_write(tmp_path, "empty.bin", b"")).size == 0


@pytest.mark.parametrize("extra", [1, 2, 3, 4])
def test_atis_partial_event_warns(tmp_path: Path, events: np.ndarray, extra: int) -> None:
    raw = encode_atis_bin(events)
    path = _write(tmp_path, "cut.bin", raw[: 5 * 40 + extra])
    with pytest.warns(TruncatedFileWarning, match=rf"cut\.bin: truncated at byte 200: {extra} bytes of a 5-byte"):
        ev = read_atis_bin(path)
    np.testing.assert_array_equal(ev, events[:40])


def test_atis_overflow_marker_is_applied_and_removed(tmp_path: Path) -> None:
    records = [(1, 2, 0x80, 0x00, 0x10), (0, 240, 0, 0, 0x10), (3, 4, 0x00, 0x00, 0x20)]
    path = _write(tmp_path, "marker.bin", bytes(b for r in records for b in r))
    ev = read_atis_bin(path)
    assert ev.tolist() == [(16, 1, 2, 1), (32 + 8192, 3, 4, 0)]
    kept = read_atis_bin(path, overflow=False)  # SpikingJelly's view: the marker is an event
    assert kept.tolist() == [(16, 1, 2, 1), (16, 0, 240, 0), (32, 3, 4, 0)]


def test_atis_unsorted_warns(tmp_path: Path) -> None:
    records = [(1, 2, 0, 0, 9), (3, 4, 0, 0, 5)]
    path = _write(tmp_path, "back.bin", bytes(b for r in records for b in r))
    with pytest.warns(UnsortedTimestampsWarning, match=r"back\.bin: timestamps go backwards at byte 5"):
        ev = read_atis_bin(path)
    assert ev["t"].tolist() == [5, 9]


def test_atis_writer_refuses_unstorable_events(events: np.ndarray) -> None:
    bad = events.copy()
    bad["y"][5] = 240
    with pytest.raises(EventsError, match=r"index 5 is 240, which ATIS \.bin reserves for overflow markers"):
        encode_atis_bin(bad)
    bad["y"][5] = 300
    with pytest.raises(EventsError, match=r"field 'y' at index 5 is 300; ATIS \.bin stores 0\.\.255"):
        encode_atis_bin(bad)


# ----------------------------------------------------------------------------- sniffing, registry


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    for suffix in (".aedat", ".xyz", ""):
        data = b"\x00" + rng.integers(0, 256, 1000, dtype=np.uint8).tobytes()
        path = _write(tmp_path, f"random{suffix}", data)
        with pytest.raises(UnknownFormatError, match=r"random"):
            read_events(path)


def test_unsupported_aedat_version_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "old.aedat", b"#!AER-DAT1.0\r\n" + bytes(12))
    with pytest.raises(UnknownFormatError, match=r"old\.aedat: byte 0: AEDAT version '1\.0' is not supported"):
        read_events(path)


def test_sniffing_prefers_magic_over_extension(tmp_path: Path, events: np.ndarray) -> None:
    """jAER also wrote AEDAT 2.0 as .dat; an ATIS .bin may start with '#' or '%' (x = 35 or 37)."""
    assert sniff_format(_write(tmp_path, "old.dat", encode_aedat2(events))) == "aedat2"
    assert sniff_format(_write(tmp_path, "gesture.aedat", encode_aedat31(events))) == "aedat31"
    ev = events.copy()
    ev["x"][0] = 37
    assert sniff_format(_write(tmp_path, "percent.bin", encode_atis_bin(ev))) == "atis_bin"
    np.testing.assert_array_equal(read_events(tmp_path / "percent.bin"), ev)


def test_unknown_format_name_suggests(tmp_path: Path, events: np.ndarray) -> None:
    path = _write(tmp_path, "x.aedat", encode_aedat2(events))
    with pytest.raises(ValueError, match=r"format='aedat3' is not known; did you mean \["):
        read_events(path, format="aedat3")
    with pytest.raises(ValueError, match=r"cannot tell the format from the extension '\.aedat'"):
        write_events(path, events)


def test_missing_optional_package_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(optional_io._MODULES, "dv-processing", "_no_such_module_dv")
    monkeypatch.setitem(optional_io._MODULES, "faery", "_no_such_module_faery")
    path = _write(tmp_path, "x.aedat4", b"#!AER-DAT4.0\r\n")
    with pytest.raises(OptionalDependencyError, match=r"needs the optional package 'faery' \(or 'dv-processing'\)"):
        read_events(path)
    with pytest.raises(OptionalDependencyError, match=r"needs the optional package 'faery': pip install"):
        read_events(path, backend="faery")
    with pytest.raises(OptionalDependencyError, match="'faery'"):
        write_events(tmp_path / "y.es", np.empty(0, EVENT_DTYPE), sensor=SENSOR)


@pytest.mark.skipif(not optional_io.available("faery"), reason="faery (the `formats` extra) is not installed")
@pytest.mark.parametrize("suffix", [".aedat4", ".es", ".dat", ".raw"])
def test_optional_formats_corrupt_file_is_a_decode_error(tmp_path: Path, suffix: str) -> None:
    ev = random_events(np.random.default_rng(4), SENSOR, 500)
    path = tmp_path / f"ok{suffix}"
    write_events(path, ev, sensor=SENSOR)
    data = path.read_bytes()
    bad = _write(tmp_path, f"bad{suffix}", data[: len(data) // 3] + bytes(range(256)) * 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = read_events(bad)
            message = ""
        except DecodeError as err:
            message = str(err)
    if message:
        assert f"bad{suffix}" in message
    else:  # some decoders just stop early: what comes back must still be valid events
        check_events(out)
    assert all(issubclass(w.category, DecodeWarning) for w in caught), [str(w.message) for w in caught]
