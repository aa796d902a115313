"""Formats read and written through optional libraries (the `formats` extra).

- AEDAT 4.0 (iniVation DV) is read with faery, or with dv-processing (in a child process with a time
  limit: it loops forever on some corrupt files) when faery is absent, and written with faery
  (dv-processing can only build its event stores one event at a time).
- Event Stream .es, Prophesee .dat and EVT 2/3 .raw are read with faery, and written with it (EVT as 2.0).

Neither package is needed by the core formats (`aedat`, `atis_bin`); each function here raises
`OptionalDependencyError` naming the package when it is missing. Errors raised inside the libraries
(including Rust panics from faery) come out as `DecodeError` naming the file.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np

from neurodata.errors import DecodeError, EventsError, NeurodataError, OptionalDependencyError
from neurodata.events import EVENT_DTYPE, SensorSize, check_events
from neurodata.io._common import PathLike, empty_events, sort_if_needed, warn_truncated

Aedat4Backend = Literal["dv-processing", "faery"]
FaeryType = Literal["aedat", "es", "dat", "evt"]
_MODULES = {"dv-processing": "dv_processing", "faery": "faery"}
_INSTALL = "pip install 'neurodata-snnmodels[formats]'"


def _require(package: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(_MODULES[package])
    except ImportError as err:
        raise OptionalDependencyError(f"{what} needs the optional package {package!r}: {_INSTALL}") from err


def available(package: str) -> bool:
    """Whether the optional `package` ("dv-processing" or "faery") can be imported."""
    try:
        importlib.import_module(_MODULES[package])
    except ImportError:
        return False
    return True


@contextmanager
def _decode_errors(path: PathLike, library: str) -> Iterator[None]:
    try:
        yield
    except (NeurodataError, OSError):
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    # faery raises bare Exception/AssertionError and, from Rust, pyo3's PanicException, which
    # derives from BaseException; all of them mean the file could not be decoded
    except BaseException as err:
        raise DecodeError(
            f"{path}: {library} could not decode the file (byte offset not reported): {type(err).__name__}: {err}"
        ) from err


def _to_events(t: np.ndarray, x: np.ndarray, y: np.ndarray, p: np.ndarray, name: str) -> np.ndarray:
    ev = np.empty(t.size, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"], ev["p"] = t, x, y, p
    return sort_if_needed(ev, name)


# dv-processing spins forever on some corrupt AEDAT 4.0 files (8 of 30 mutations of a real recording in our
# fuzzing; faery refused all of them with an error), so it runs in a child process with a time limit
_DV_TIMEOUT_S = 20.0
_DV_TIMEOUT_PER_MB_S = 2.0
_DV_CHILD = """
import sys
import numpy as np
import dv_processing as dv
recording = dv.io.MonoCameraRecording(sys.argv[1])
if not recording.isEventStreamAvailable():
    sys.exit(3)
batches = []
while (batch := recording.getNextEventBatch()) is not None:
    batches.append(batch.numpy())
raw = np.concatenate(batches) if batches else np.zeros(0, dtype=[("timestamp", "<i8"), ("x", "<i2"),
                                                                   ("y", "<i2"), ("polarity", "u1")])
np.savez(sys.argv[2], t=raw["timestamp"], x=raw["x"], y=raw["y"], p=raw["polarity"])
"""


def read_aedat4(path: PathLike, *, backend: Aedat4Backend | None = None, timeout: float | None = None) -> np.ndarray:
    """Read the first camera's event stream of an AEDAT 4.0 file into `[N]` `EVENT_DTYPE` events.

    Args:
        path: the .aedat4 file.
        backend: "faery" (default when installed: it refuses every corrupt file our fuzzing made) or
            "dv-processing" (default otherwise). dv-processing loops forever on some corrupt files, so it
            reads in a child process that is stopped after `timeout` seconds (default: 20 s plus 2 s per MB).

    Timestamps are the file's (Unix µs for DV recordings), not re-zeroed. A corrupt file is a `DecodeError`.
    """
    if backend is None:
        if not (available("dv-processing") or available("faery")):
            raise OptionalDependencyError(
                f"reading AEDAT 4.0 needs the optional package 'faery' (or 'dv-processing'): {_INSTALL}"
            )
        backend = "faery" if available("faery") else "dv-processing"
    if backend == "faery":
        return _read_faery(path, "aedat")
    if backend != "dv-processing":
        raise ValueError(f"backend must be 'faery' or 'dv-processing', got {backend!r}")
    _require("dv-processing", "reading AEDAT 4.0")
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    limit = timeout if timeout is not None else _DV_TIMEOUT_S + _DV_TIMEOUT_PER_MB_S * Path(path).stat().st_size / 1e6
    with tempfile.TemporaryDirectory(prefix="neurodata-aedat4-") as tmp:
        out = Path(tmp) / "events.npz"
        try:
            child = subprocess.run(
                [sys.executable, "-c", _DV_CHILD, str(path), str(out)], capture_output=True, text=True, timeout=limit
            )
        except subprocess.TimeoutExpired:
            raise DecodeError(
                f"{path}: dv-processing did not finish within {limit:.0f} s (it loops on corrupt files); the file "
                "is likely damaged: try backend='faery', which reports where"
            ) from None
        if child.returncode == 3:
            raise DecodeError(f"{path}: the AEDAT 4.0 file has no event stream")
        if child.returncode != 0:
            last = (child.stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
            raise DecodeError(f"{path}: dv-processing could not decode the file (byte offset not reported): {last}")
        with np.load(out) as cols:
            t, x, y, p = (cols[k] for k in "txyp")
    if t.size == 0:
        return empty_events()
    if min(x.min(), y.min()) < 0:
        raise DecodeError(f"{path}: dv-processing returned negative coordinates")
    return _to_events(t, x, y, p, str(path))


def _read_faery(path: PathLike, file_type: FaeryType) -> np.ndarray:
    faery = _require("faery", f"reading {file_type} files")
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    with _decode_errors(path, "faery"):
        stream = faery.events_stream_from_file(path, file_type=file_type)
        width, height = stream.dimensions()
        chunks = [c for c in stream if c.size]
    raw = np.concatenate(chunks) if chunks else None
    if raw is not None and raw["t"].max() > np.iinfo(np.int64).max:
        raise DecodeError(f"{path}: timestamps beyond int64 µs")
    if raw is not None and file_type == "aedat":
        _check_aedat4(path, raw, width, height)
    events = (
        empty_events() if raw is None
        else _to_events(raw["t"].astype(np.int64), raw["x"], raw["y"], raw["on"], str(path))
    )
    # faery drops a last record the file cuts short without a word; the core formats warn
    _warn_if_truncated(Path(path), file_type, events)
    return events


_AEDAT4_LATEST_US = 7_258_118_400_000_000  # 2200-01-01 in Unix µs


def _check_aedat4(path: PathLike, raw: np.ndarray, width: int, height: int) -> None:
    """Refuse what no DV writer produces: AEDAT 4.0 event packets are in time order, inside the sensor the
    file declares, and stamped in Unix µs, so anything else is damage (an 8-byte overwrite in a compressed
    packet decodes to timestamps of the year 200,000, say), not data. The format has no checksum: damage
    that stays plausible cannot be told from data by any reader."""
    t = raw["t"].astype(np.int64)
    if t.size and int(t.max()) > _AEDAT4_LATEST_US:
        i = int(np.argmax(t > _AEDAT4_LATEST_US))
        raise DecodeError(
            f"{path}: event {i} has t={int(t[i])} µs, after the year 2200 in the Unix µs AEDAT 4.0 uses: the file "
            "is damaged (byte offset not reported)"
        )
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size:
        i = int(back[0]) + 1
        raise DecodeError(
            f"{path}: event {i} has t={int(t[i])} µs, before event {i - 1}'s {int(t[i - 1])}: AEDAT 4.0 streams "
            "are in time order, so the file is damaged (byte offset not reported)"
        )
    for name, size in (("x", width), ("y", height)):
        outside = np.flatnonzero(raw[name] >= size)
        if outside.size:
            i = int(outside[0])
            raise DecodeError(
                f"{path}: event {i} has {name}={int(raw[name][i])}, outside the {width}x{height} sensor the file "
                "declares: the file is damaged (byte offset not reported)"
            )


def _text_header_end(data: bytes) -> int:
    """Where the ``%``-lines of a Prophesee header end (after ``% end`` when it has one)."""
    pos = 0
    while data.startswith(b"%", pos):
        end = data.find(b"\n", pos)
        if end < 0:
            return len(data)
        line, pos = data[pos:end], end + 1
        if line.strip().lower() == b"% end":
            break
    return pos


def _warn_if_truncated(path: Path, file_type: FaeryType, events: np.ndarray) -> None:
    data = path.read_bytes()
    if file_type == "dat":
        start = _text_header_end(data) + 2  # then one byte of event type and one of event size
        size = data[start - 1] if len(data) >= start else 8
        what = f"a {size}-byte event record"
    elif file_type == "evt":
        start = _text_header_end(data)
        header = data[:start].lower()
        size = 2 if b"evt 3" in header or b"evt3" in header else 4
        what = f"a {size}-byte EVT word"
    elif file_type == "es":
        _warn_if_es_truncated(path, data, events)
        return
    else:
        return
    if size and len(data) > start and (len(data) - start) % size:
        warn_truncated(str(path), len(data) - (len(data) - start) % size, f"the file ends inside {what}", len(events))


def _warn_if_es_truncated(path: Path, data: bytes, events: np.ndarray) -> None:
    """Event Stream records have no fixed size: writing the decoded events again (faery writes what it reads,
    byte for byte) gives the bytes they came from; a file that holds more after them ends inside a record."""
    if len(data) < 20 or data[15] not in (1, 2, 4):  # DVS, ATIS and color streams carry their size
        return
    width, height = int.from_bytes(data[16:18], "little"), int.from_bytes(data[18:20], "little")
    faery = _require("faery", "reading es files")
    with tempfile.TemporaryDirectory(prefix="neurodata-es-") as tmp:
        again = Path(tmp) / "again.es"
        try:
            arr = np.empty(events.size, dtype=faery.EVENTS_DTYPE)
            arr["t"], arr["x"], arr["y"], arr["on"] = events["t"], events["x"], events["y"], events["p"] == 1
            stream = faery.events_stream_from_array(arr, dimensions=(width, height))
            stream.to_file(again, zero_t0=False, file_type="es")
            written = again.read_bytes()
        except Exception:
            return
    if len(data) > len(written) and data.startswith(written):
        warn_truncated(str(path), len(written), "the file ends inside an event record", len(events))


def read_es(path: PathLike) -> np.ndarray:
    """Read an Event Stream (.es) file into `[N]` `EVENT_DTYPE` events, with faery."""
    return _read_faery(path, "es")


def read_dat(path: PathLike) -> np.ndarray:
    """Read a Prophesee .dat (CD events) file into `[N]` `EVENT_DTYPE` events, with faery."""
    return _read_faery(path, "dat")


def read_evt(path: PathLike) -> np.ndarray:
    """Read a Prophesee EVT 2/3 (.raw) file into `[N]` `EVENT_DTYPE` events, with faery."""
    return _read_faery(path, "evt")


def _write_faery(
    path: PathLike, events: np.ndarray, sensor: SensorSize, file_type: FaeryType, version: str | None = None
) -> None:
    faery = _require("faery", f"writing {file_type} files")
    check_events(events, sensor, where=f"write {file_type}")
    if events.size and events["t"][0] < 0:
        raise EventsError(f"write {file_type}: field 't' at index 0 is {events['t'][0]}; expected t >= 0")
    _check_faery_limits(events, file_type)
    arr = np.empty(events.size, dtype=faery.EVENTS_DTYPE)
    arr["t"], arr["x"], arr["y"], arr["on"] = events["t"], events["x"], events["y"], events["p"] == 1
    stream = faery.events_stream_from_array(arr, dimensions=(sensor.width, sensor.height))
    # keep the timestamps as they are: .es discards t0 when asked to zero it, while .dat and EVT
    # store it in their header and need it there (their timestamps are relative and narrow);
    # an empty stream has no t0, and faery 0.7 fails to write an empty .dat with zero_t0
    zero_t0 = file_type in ("dat", "evt") and events.size > 0
    stream.to_file(path, version=version, zero_t0=zero_t0, file_type=file_type)


def _check_faery_limits(events: np.ndarray, file_type: FaeryType) -> None:
    """Refuse what faery 0.7 would write wrongly without an error (found by round-trip tests)."""
    if events.size < 2:
        return
    t = events["t"]
    if file_type == "dat" and t[-1] - t[0] >= 1 << 32:
        raise EventsError(
            f"write dat: the events span {int(t[-1] - t[0])} µs; .dat stores 32-bit times after t0 (< 2^32 µs)"
        )


def write_aedat4(path: PathLike, events: np.ndarray, sensor: SensorSize) -> None:
    """Write `[N]` `EVENT_DTYPE` events to an AEDAT 4.0 file (LZ4-compressed, with faery)."""
    _write_faery(path, events, sensor, "aedat")


def write_es(path: PathLike, events: np.ndarray, sensor: SensorSize) -> None:
    """Write `[N]` `EVENT_DTYPE` events to an Event Stream (.es) file, with faery.

    .es counts time from 0 with overflow records, so the timestamps are kept exactly but a stream
    that starts late (Unix-time µs, say) makes a large file: subtract t[0] first when that matters.
    """
    _write_faery(path, events, sensor, "es")


def write_dat(path: PathLike, events: np.ndarray, sensor: SensorSize) -> None:
    """Write `[N]` `EVENT_DTYPE` events to a Prophesee .dat (version 2) file, with faery."""
    _write_faery(path, events, sensor, "dat")


def write_evt(path: PathLike, events: np.ndarray, sensor: SensorSize) -> None:
    """Write `[N]` `EVENT_DTYPE` events to a Prophesee EVT 2.0 (.raw) file, with faery.

    Not EVT 3.0: faery 0.7's EVT3 files lose time once the stream passes 2^24 µs with events
    sparser than a few ms (found by the round-trip tests), while its EVT2 files round-trip.
    """
    _write_faery(path, events, sensor, "evt", "evt2")
