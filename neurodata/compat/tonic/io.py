"""``tonic.io`` under its own names, over neurodata's decoders.

Events come back in Tonic's layouts (`events_struct`: x, y int16, t int64, p bool; `read_aedat4`: the
``aedat`` package's t uint64, x, y uint16, p bool). Where Tonic's readers crash or misread, these work:

* `read_dvs_128`, `read_dvs_ibm`, `read_dvs_red`, `read_dvs_346mini` unpack three header values, not two
  (Tonic raises ``ValueError: too many values to unpack``);
* `read_dvs_ibm` / `read_dvs_red` decode AEDAT 3.1 polarity packets only, with the timestamp overflow
  (Tonic reads special-event packets as events and ignores ``eventTSOverflow``);
* the AEDAT 2.0 readers skip special, APS and IMU records instead of decoding them as events.

The address-to-coordinate layout of each reader is Tonic's (for example `read_dvs_128` takes x from address
bits 8-14, and `read_davis_346` mirrors both axes). `get_aer_events_from_file` stays what it is in Tonic: the
raw ``(address, timeStamp)`` records, every packet's, for whoever decodes them by hand.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from neurodata.io.aedat import decode_aedat2, decode_aedat31
from neurodata.io.atis_bin import decode_atis_bin
from neurodata.io.optional import read_aedat4 as _read_aedat4

__all__ = [
    "events_struct",
    "get_aer_events_from_file",
    "make_structured_array",
    "read_aedat4",
    "read_aedat_header_from_file",
    "read_davis_346",
    "read_dvs_128",
    "read_dvs_346mini",
    "read_dvs_ibm",
    "read_dvs_red",
    "read_mnist_file",
]

events_struct = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])
AEDAT4_DTYPE = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), (("p", "on"), "?")])


def make_structured_array(*args: Any, dtype: np.dtype = events_struct) -> np.ndarray:
    """A structured array of `dtype` with one argument per field, in the dtype's field order.

    The first argument sets the shape; the others may be arrays of that shape or scalars.
    """
    if args and isinstance(args[-1], np.dtype):
        raise TypeError("make_structured_array: the dtype must be given as a keyword argument (dtype=...)")
    names = np.dtype(dtype).names or ()
    if len(args) != len(names):
        raise ValueError(f"make_structured_array: {len(args)} values for the {len(names)} fields {list(names)}")
    out = np.empty_like(np.asarray(args[0]), dtype=dtype)
    for arg, name in zip(args, names, strict=True):
        out[name] = arg
    return out


def _as_struct(ev: np.ndarray, dtype: np.dtype) -> np.ndarray:
    out = np.empty(len(ev), dtype=dtype)
    for name in dtype.names:
        out[name] = ev[name]
    return out


def read_mnist_file(bin_file: str | os.PathLike | BinaryIO, dtype: np.dtype, is_stream: bool = False) -> np.ndarray:
    """N-MNIST / N-Caltech101 ATIS .bin events in `dtype`; overflow markers (y = 240) removed, each adding 2^13 µs."""
    if is_stream:
        data: Any = bin_file.read()  # type: ignore[union-attr]
        name = getattr(bin_file, "name", "<stream>")
    else:
        path = Path(bin_file).expanduser()  # type: ignore[arg-type]
        data, name = path.read_bytes(), str(path)
    ev = decode_atis_bin(data, name=str(name))
    return _as_struct(ev, np.dtype(dtype))


def read_aedat4(in_file: str | os.PathLike) -> np.ndarray:
    """The first event stream of an AEDAT 4.0 file, as the ``aedat`` package's records (t, x, y, on)."""
    ev = _read_aedat4(Path(in_file).expanduser())
    out = np.empty(len(ev), dtype=AEDAT4_DTYPE)
    out["t"], out["x"], out["y"], out["p"] = ev["t"], ev["x"], ev["y"], ev["p"].astype(bool)
    return out


def read_aedat_header_from_file(filename: str | os.PathLike) -> tuple[float, int, int | None]:
    """``(data_version, data_start, start_timestamp)`` of an .aedat file: the version from ``#!AER-DAT``,
    the offset after the ``#`` header lines, and jAER's "Creation time" (ms) if the header has one."""
    path = Path(filename).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"The .aedat file '{path}' does not exist.")
    version: float | None = None
    start_timestamp: int | None = None
    with path.open("rb") as f:
        pos = 0
        while True:
            first = f.read(1)
            if first != b"#":
                break
            line = first + f.readline()
            text = line.decode("latin-1").strip()
            if "!AER-DAT" in text:
                version = float(text[text.find("!AER-DAT") + 8 :].strip())
            elif "Creation time:" in text:
                tokens = text.split()
                if len(tokens) > 4 and tokens[4].isdigit():
                    start_timestamp = int(tokens[4])
            pos += len(line)
    if version is None:
        raise ValueError(f"{path}: no '#!AER-DAT' line in the header; this is not an .aedat file")
    return version, pos, start_timestamp


def get_aer_events_from_file(filename: str | os.PathLike, data_version: float, data_start: int) -> np.ndarray:
    """The raw ``(address, timeStamp)`` uint32 records after `data_start` (Tonic's helper, kept as it is).

    Version 2.x: big-endian record pairs. Version > 3: each packet's 28-byte header is skipped and its
    ``eventCapacity`` 8-byte records are returned whatever the packet's type (special events included,
    timestamps without their overflow). Use the ``read_*`` functions for events.
    """
    path = Path(filename).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"The .aedat file '{path}' does not exist.")
    buf = np.fromfile(path, dtype=np.uint8)[data_start:]
    if 2 <= data_version < 3:
        n = len(buf) // 8
        return np.frombuffer(buf[: 8 * n].tobytes(), dtype=[("address", ">u4"), ("timeStamp", ">u4")])
    if data_version > 3:
        rec = np.dtype([("address", "<u4"), ("timeStamp", "<u4")])
        parts, pos = [], 0
        while pos < len(buf):
            header = buf[pos : pos + 28]
            if len(header) < 20:
                break
            capacity = int(header[16:20].view("<u4")[0])
            body = buf[pos + 28 : pos + 28 + 8 * capacity]
            whole = len(body) // 8
            parts.append(np.frombuffer(body[: 8 * whole].tobytes(), dtype=rec))
            pos += 28 + 8 * capacity
        return np.concatenate(parts) if parts else np.zeros(0, dtype=rec)
    raise NotImplementedError(f"get_aer_events_from_file: no reader for AEDAT version {data_version}")


def _struct(x: np.ndarray, y: np.ndarray, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return make_structured_array(x, y, t, p)


def read_dvs_128(filename: str | os.PathLike) -> tuple[tuple[int, int], np.ndarray]:
    """DVS128 (AEDAT 2.0) events: ``((128, 128), events)``, x from address bits 8-14, y from bits 1-7 (Tonic's)."""
    ev = decode_aedat2(Path(filename).expanduser().read_bytes(), layout="dvs128", orientation="raw", name=str(filename))
    return (128, 128), _struct(ev["y"], ev["x"], ev["t"], ev["p"])


def _aedat31_or_2(filename: str | os.PathLike) -> np.ndarray:
    path = Path(filename).expanduser()
    version, _, _ = read_aedat_header_from_file(path)
    if version >= 3:
        return decode_aedat31(path.read_bytes(), name=str(path))
    raise ValueError(f"{path}: AEDAT {version} file; this reader needs AEDAT 3.1 polarity packets")


def read_dvs_ibm(filename: str | os.PathLike) -> tuple[tuple[int, int], np.ndarray]:
    """DVS128 Gesture (AEDAT 3.1) events: ``((128, 128), events)``, polarity packets only, overflow applied."""
    ev = _aedat31_or_2(filename)
    return (128, 128), _struct(ev["x"], ev["y"], ev["t"], ev["p"])


def read_dvs_red(filename: str | os.PathLike) -> tuple[tuple[int, int], np.ndarray]:
    """DAVIS346red (AEDAT 3.1) events: ``((346, 260), events)``."""
    ev = _aedat31_or_2(filename)
    return (346, 260), _struct(ev["x"], ev["y"], ev["t"], ev["p"])


def read_davis_346(filename: str | os.PathLike) -> tuple[tuple[int, int], int | None, np.ndarray]:
    """DAVIS346 (jAER AEDAT 2.0) events: ``((346, 260), start_timestamp, events)``, both axes mirrored (Tonic's)."""
    path = Path(filename).expanduser()
    _, _, start = read_aedat_header_from_file(path)
    ev = decode_aedat2(path.read_bytes(), layout="davis", name=str(path))
    x, y = 345 - ev["x"].astype(np.int64), 259 - ev["y"].astype(np.int64)
    return (346, 260), start, _struct(x, y, ev["t"], ev["p"])


def read_dvs_346mini(filename: str | os.PathLike) -> tuple[tuple[int, int], np.ndarray]:
    """DVS346mini (jAER AEDAT 2.0) events: ``((132, 104), events)``, x from address bits 22-30, y from 12-21."""
    path = Path(filename).expanduser()
    ev = decode_aedat2(path.read_bytes(), layout="davis", name=str(path))
    return (132, 104), _struct(ev["y"], ev["x"], ev["t"], ev["p"])
