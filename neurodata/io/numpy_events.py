"""Events kept as numpy files: ``.npy`` arrays (DVS-Lip, POKER-DVS as Tonic ships it) and ES-ImageNet's ``.npz``.

* ``.npy`` with a structured dtype holding fields t, x, y, p (any order, any integer or bool types:
  DVS-Lip), or a plain `[N, 4]` integer array whose columns are t, x, y, p (Tonic's POKER-DVS files).
  Arrays of Python objects are refused (``allow_pickle`` stays off).
* ES-ImageNet ``.npz``: arrays ``pos`` and ``neg`` of `[N, 3]` rows ``(y, x, t)``, the ON and OFF events of
  one sample, compressed; t counts the dataset's time steps (0..7), not µs. Events come back ON then OFF,
  stably sorted by t (SpikingJelly stacks them the same way and sorts with an unstable quicksort, so its
  order among events of equal t may differ).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from neurodata.errors import CorruptDataError, DecodeError, EventsError
from neurodata.events import EVENT_DTYPE, FIELDS, SensorSize, check_events, make_events
from neurodata.io._common import PathLike, empty_events, sort_if_needed

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
TXYP_COLUMNS = ("t", "x", "y", "p")


def _check(ev: np.ndarray, name: str, sensor: SensorSize | None) -> np.ndarray:
    ev = sort_if_needed(ev, name)
    if sensor is not None:
        try:
            check_events(ev, sensor, where=name)
        except EventsError as err:
            raise CorruptDataError(f"{err}; wrong sensor, or a damaged file") from err
    return ev


def _load_npy(src: PathLike | IO[bytes], name: str) -> np.ndarray:
    try:
        arr = np.load(src, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err):
            raise DecodeError(f"{name}: the .npy array holds Python objects; events must be numbers") from None
        raise CorruptDataError(f"{name}: not a readable .npy array ({err})") from err
    except (OSError, EOFError) as err:
        raise CorruptDataError(f"{name}: not a readable .npy array ({err})") from err
    if not isinstance(arr, np.ndarray):
        raise DecodeError(f"{name}: holds an .npz archive, not one .npy array")
    return arr


def decode_npy_events(arr: np.ndarray, name: str = "<array>", sensor: SensorSize | None = None) -> np.ndarray:
    """`EVENT_DTYPE` events from a structured array with fields t, x, y, p or an `[N, 4]` t, x, y, p array."""
    if arr.dtype.names:
        missing = [k for k in FIELDS if k not in arr.dtype.names]
        if missing:
            raise DecodeError(f"{name}: the event array has fields {list(arr.dtype.names)}; missing {missing}")
        cols = [arr[k].reshape(-1) for k in FIELDS]
    elif arr.ndim == 2 and arr.shape[1] == 4:
        cols = [arr[:, k] for k in range(4)]
    elif arr.size == 0:
        return empty_events()
    else:
        raise DecodeError(
            f"{name}: an array of shape {arr.shape} and dtype {arr.dtype} is not events; expected fields t, x, y, p "
            "or [N, 4] columns t, x, y, p"
        )
    try:
        ev = make_events(*cols, check=False, where=name)
    except EventsError as err:
        raise CorruptDataError(str(err)) from err
    return _check(ev, name, sensor)


def read_npy_events(path: PathLike, *, sensor: SensorSize | None = None) -> np.ndarray:
    """Read a ``.npy`` events file (DVS-Lip, Tonic's POKER-DVS) into `[N]` `EVENT_DTYPE` events, sorted by t."""
    return decode_npy_events(_load_npy(path, str(path)), str(path), sensor)


def decode_es_imagenet(data: bytes | IO[bytes], name: str = "<bytes>", sensor: SensorSize | None = None) -> np.ndarray:
    """Decode one ES-ImageNet ``.npz`` (``pos`` / ``neg`` rows ``(y, x, t)``) into `EVENT_DTYPE` events.

    t is in time steps (0..7); ON (``pos``) events come first among equal t, then OFF.
    """
    src = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with np.load(src, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise DecodeError(f"{name}: a single .npy array, not ES-ImageNet's .npz of 'pos' and 'neg'")
            missing = [k for k in ("pos", "neg") if k not in z.files]
            if missing:
                raise DecodeError(f"{name}: ES-ImageNet .npz without {missing}; has {z.files}")
            pos, neg = z["pos"], z["neg"]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise CorruptDataError(f"{name}: not a readable ES-ImageNet .npz ({type(err).__name__}: {err})") from err
    for arr, key in ((pos, "pos"), (neg, "neg")):
        if arr.size and (arr.ndim != 2 or arr.shape[1] != 3):
            raise DecodeError(f"{name}: '{key}' has shape {arr.shape}; ES-ImageNet stores [N, 3] rows (y, x, t)")
        if arr.size and arr.dtype.kind not in "iub":
            raise DecodeError(f"{name}: '{key}' has dtype {arr.dtype}; ES-ImageNet stores integers")
    pos, neg = (a.reshape(-1, 3) if a.size else np.zeros((0, 3), np.int64) for a in (pos, neg))
    n_on, n = len(pos), len(pos) + len(neg)
    if n == 0:
        return empty_events()
    rows = np.concatenate([pos, neg]) if len(neg) and n_on else (pos if n_on else neg)
    low = np.flatnonzero((rows < 0).any(axis=1) | (rows[:, :2] > np.iinfo(np.uint16).max).any(axis=1))
    if low.size:
        i = int(low[0])
        key, j = ("pos", i) if i < n_on else ("neg", i - n_on)
        raise CorruptDataError(f"{name}: '{key}' row {j} is {rows[i].tolist()}; rows are (y, x, t) >= 0")
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"] = rows[:, 2], rows[:, 1], rows[:, 0]
    ev["p"][:n_on], ev["p"][n_on:] = 1, 0
    # ON rows then OFF rows, each in file order, merged by t without a warning: the format is stored this way
    t = ev["t"]
    if (n_on and len(neg)) or (t[1:] < t[:-1]).any():
        ev = ev[np.argsort(t, kind="stable")]
    return _check(ev, name, sensor)


def read_es_imagenet(path: PathLike, *, sensor: SensorSize | None = None) -> np.ndarray:
    """Read an ES-ImageNet ``.npz`` sample file into `[N]` `EVENT_DTYPE` events (t in time steps)."""
    with Path(path).open("rb") as f:
        return decode_es_imagenet(f, str(path), sensor)


def encode_es_imagenet(events: np.ndarray) -> bytes:
    """ES-ImageNet's ``.npz`` of `events` (``pos`` / ``neg`` `[N, 3]` int rows ``(y, x, t)``, compressed)."""
    check_events(events, where="encode_es_imagenet")
    rows = np.stack([events["y"], events["x"], events["t"]], axis=1).astype(np.int64)
    on = events["p"] == 1
    buf = io.BytesIO()
    np.savez_compressed(buf, pos=rows[on], neg=rows[~on])
    return buf.getvalue()


def encode_npy_events(events: np.ndarray, *, layout: str = "structured", dtype: np.dtype | None = None) -> bytes:
    """``.npy`` bytes of `events`: ``layout='structured'`` (fields in `dtype`'s order, e.g. DVS-Lip's) or
    ``'columns'`` (`[N, 4]` int64 t, x, y, p, as Tonic's POKER-DVS files)."""
    check_events(events, where="encode_npy_events")
    if layout == "columns":
        arr = np.stack([events[k].astype(np.int64) for k in TXYP_COLUMNS], axis=1)
    elif layout == "structured":
        arr = np.empty(events.size, dtype=dtype or EVENT_DTYPE)
        for k in FIELDS:
            arr[k] = events[k]
    else:
        raise ValueError(f"layout must be 'structured' or 'columns', got {layout!r}")
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def sniff_numpy(head: bytes) -> str | None:
    """``'npy'``, ``'es_imagenet'`` (a zip, as .npz files are) or None from a file's first bytes."""
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(ZIP_MAGIC):
        return "es_imagenet"
    return None


def write_npy_events(
    path: PathLike, events: np.ndarray, *, layout: str = "structured", sensor: SensorSize | None = None
) -> None:
    """Write `[N]` events as a ``.npy`` file (see `encode_npy_events`); `sensor`, if given, is checked."""
    check_events(events, sensor, where="write_npy_events")
    Path(path).write_bytes(encode_npy_events(events, layout=layout))


def write_es_imagenet(path: PathLike, events: np.ndarray, *, sensor: SensorSize | None = None) -> None:
    """Write `[N]` events (t in time steps) as an ES-ImageNet ``.npz`` sample file (ON/OFF rows)."""
    check_events(events, sensor, where="write_es_imagenet")
    Path(path).write_bytes(encode_es_imagenet(events))
