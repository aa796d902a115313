"""Formats read and written through optional libraries (the `formats` extra).

- AEDAT 4.0 (iniVation DV) is read with dv-processing, or with faery when dv-processing is absent,
  and written with faery (dv-processing can only build its event stores one event at a time).
- Event Stream .es, Prophesee .dat and EVT 2/3 .raw are read with faery, and written with it (EVT as 2.0).

Neither package is needed by the core formats (`aedat`, `atis_bin`); each function here raises
`OptionalDependencyError` naming the package when it is missing. Errors raised inside the libraries
(including Rust panics from faery) come out as `DecodeError` naming the file.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np

from neurodata.errors import DecodeError, EventsError, NeurodataError, OptionalDependencyError
from neurodata.events import EVENT_DTYPE, SensorSize, check_events
from neurodata.io._common import PathLike, empty_events, sort_if_needed

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


def read_aedat4(path: PathLike, *, backend: Aedat4Backend | None = None) -> np.ndarray:
    """Read the first camera's event stream of an AEDAT 4.0 file into `[N]` `EVENT_DTYPE` events.

    Args:
        path: the .aedat4 file.
        backend: "dv-processing" (default when installed) or "faery".

    Timestamps are the file's (Unix µs for DV recordings), not re-zeroed.
    """
    if backend is None:
        if not (available("dv-processing") or available("faery")):
            raise OptionalDependencyError(
                f"reading AEDAT 4.0 needs the optional package 'dv-processing' (or 'faery'): {_INSTALL}"
            )
        backend = "dv-processing" if available("dv-processing") else "faery"
    if backend == "faery":
        return _read_faery(path, "aedat")
    if backend != "dv-processing":
        raise ValueError(f"backend must be 'dv-processing' or 'faery', got {backend!r}")
    dv = _require("dv-processing", "reading AEDAT 4.0")
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    with _decode_errors(path, "dv-processing"):
        recording = dv.io.MonoCameraRecording(str(path))
        if not recording.isEventStreamAvailable():
            raise DecodeError(f"{path}: the AEDAT 4.0 file has no event stream")
        batches = []
        while (batch := recording.getNextEventBatch()) is not None:
            batches.append(batch.numpy())
    if not batches:
        return empty_events()
    raw = np.concatenate(batches)
    if raw.size and min(raw["x"].min(), raw["y"].min()) < 0:
        raise DecodeError(f"{path}: dv-processing returned negative coordinates")
    return _to_events(raw["timestamp"], raw["x"], raw["y"], raw["polarity"], str(path))


def _read_faery(path: PathLike, file_type: FaeryType) -> np.ndarray:
    faery = _require("faery", f"reading {file_type} files")
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    with _decode_errors(path, "faery"):
        chunks = [c for c in faery.events_stream_from_file(path, file_type=file_type) if c.size]
    if not chunks:
        return empty_events()
    raw = np.concatenate(chunks)
    if raw.size and raw["t"].max() > np.iinfo(np.int64).max:
        raise DecodeError(f"{path}: timestamps beyond int64 µs")
    return _to_events(raw["t"].astype(np.int64), raw["x"], raw["y"], raw["on"], str(path))


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
