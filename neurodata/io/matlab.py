"""MATLAB ``.mat`` event files (ASL-DVS): variables ``x``, ``y``, ``ts``, ``pol`` as column vectors.

Version 5/7 files (a 128-byte text header, ``MATLAB 5.0 MAT-file``) are read with scipy; version 7.3 files
are HDF5 (a 512-byte text header, then the HDF5 signature) and are read with h5py. Both give the same
events: ``t = ts`` (µs), ``x``, ``y`` and ``p = pol`` as stored (0/1 or -1/+1), with no flip; the dataset
classes apply their orientation. The variable names can be changed for other MATLAB exports.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import IO, Any

import numpy as np

from neurodata.errors import CorruptDataError, DecodeError, EventsError, HeaderError, OptionalDependencyError
from neurodata.events import SensorSize, make_events
from neurodata.io._common import PathLike, sort_if_needed

MAT5_MAGIC = b"MATLAB 5.0 MAT-file"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ASL_DVS_VARIABLES = ("ts", "x", "y", "pol")


def mat_version(head: bytes) -> str | None:
    """``'5'`` (v5/v7, scipy), ``'7.3'`` (HDF5) or None from a file's first 520 bytes."""
    if not head.startswith(MAT5_MAGIC):
        return None
    return "7.3" if head[512:520] == HDF5_MAGIC else "5"


def _load(src: Path | IO[bytes], path: str, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The variables `names` of a MATLAB file (a path, or an open binary file named `path` in messages)."""
    if isinstance(src, Path):
        with src.open("rb") as f:
            head = f.read(520)
    else:
        head = src.read(520)
        src.seek(0)
    version = mat_version(head)
    if version is None:
        raise HeaderError(f"{path}: byte 0: expected a MATLAB header {MAT5_MAGIC.decode()!r}, found {head[:24]!r}")
    if version == "7.3":
        import h5py

        try:
            with h5py.File(src, "r") as f:
                return {k: np.asarray(f[k][()]) for k in names if k in f}
        except OSError as err:
            raise CorruptDataError(f"{path}: the MATLAB 7.3 (HDF5) file cannot be read: {err}") from err
    try:
        sio = importlib.import_module("scipy.io")
    except ImportError as err:
        raise OptionalDependencyError(
            f"reading {path} (MATLAB 5) needs the optional package 'scipy': pip install 'neurodata-snnmodels[datasets]'"
        ) from err
    try:
        return sio.loadmat(src if not isinstance(src, Path) else str(src), variable_names=list(names))
    except Exception as err:  # scipy raises ValueError, TypeError, OSError, zlib.error on damaged files
        raise CorruptDataError(
            f"{path}: the MATLAB 5 file cannot be read by scipy: {type(err).__name__}: {err}"
        ) from err


def read_mat_events(
    path: PathLike | IO[bytes],
    *,
    variables: tuple[str, str, str, str] = ASL_DVS_VARIABLES,
    sensor: SensorSize | None = None,
    name: str | None = None,
) -> np.ndarray:
    """Read a MATLAB events file into `[N]` `EVENT_DTYPE` events (sorted by t; coordinates as stored).

    Args:
        path: the file, or an open binary file (a zip member, say), named `name` in messages.
        variables: the names of the t, x, y and polarity variables (ASL-DVS: ``ts, x, y, pol``).
        sensor: checks the coordinates (an event outside it raises, naming the variable and index).
    """
    src: Path | IO[bytes] = Path(path) if isinstance(path, str | os.PathLike) else path
    path = name or str(src if isinstance(src, Path) else getattr(src, "name", "<file>"))
    arrays = _load(src, path, tuple(variables))
    missing = [k for k in variables if k not in arrays]
    if missing:
        found = sorted(k for k in arrays if not k.startswith("__"))
        raise DecodeError(
            f"{path}: MATLAB file without the variable(s) {missing} (expected {list(variables)}); has {found}"
        )
    cols: list[Any] = [np.asarray(arrays[k]).reshape(-1) for k in variables]
    n = {len(c) for c in cols}
    if len(n) != 1:
        raise CorruptDataError(
            f"{path}: variables {list(variables)} have different lengths {[len(c) for c in cols]}; the file is damaged"
        )
    for k, (name, col) in enumerate(zip(variables, cols, strict=True)):
        if col.dtype.kind == "f":  # MATLAB's doubles: whole numbers expected; one cast and one compare
            whole = col.astype(np.int64)
            bad = np.flatnonzero(whole != col)
            if bad.size:
                i = int(bad[0])
                raise CorruptDataError(f"{path}: variable {name!r} at index {i} is {col[i]!r}, not a whole number")
            cols[k] = whole
    try:
        ev = make_events(*cols, check=False, where=str(path))
    except EventsError as err:
        raise CorruptDataError(str(err)) from err
    ev = sort_if_needed(ev, str(path))
    if sensor is not None:
        from neurodata.events import check_events

        try:
            check_events(ev, sensor, where=str(path))
        except EventsError as err:
            raise CorruptDataError(f"{err}; wrong sensor, or a damaged file") from err
    return ev


def write_mat_events(
    path: PathLike, events: np.ndarray, *, variables: tuple[str, str, str, str] = ASL_DVS_VARIABLES
) -> None:
    """Write `[N]` events as a MATLAB 5 file of column vectors (ASL-DVS's layout: ts, x, y, pol), with scipy."""
    from neurodata.events import check_events

    check_events(events, where="write_mat_events")
    sio = importlib.import_module("scipy.io")
    cols = [events[k].astype(np.int64) for k in ("t", "x", "y", "p")]
    sio.savemat(str(path), {k: c.reshape(-1, 1) for k, c in zip(variables, cols, strict=True)}, do_compression=True)
