"""The Heidelberg spiking data sets' HDF5 files (SHD, SSC): many samples of a 700-channel cochlea model.

Layout (Cramer et al., 2020): ``spikes/times`` (one variable-length float array per sample, seconds),
``spikes/units`` (the matching channel numbers, 0..699), ``labels`` (one integer per sample), and
``extra/`` (``keys``: the class names; ``speaker`` and ``meta_info``). A spike becomes an event of the
1-D sensor ``SensorSize(700, 1, 1)``: ``t`` in µs (rounded to the nearest µs; Tonic truncates, so its
times can be 1 µs earlier), ``x`` the channel, ``y = 0`` and ``p = 1`` (Tonic's convention).

Reading is vectorized per sample; `SpikeFile` keeps the file open for repeated reads, `read_spikes_h5`
reads one sample (``read_events(path, format="spikes_h5", index=i)``).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from neurodata.errors import CorruptDataError, DecodeError, HeaderError
from neurodata.events import EVENT_DTYPE, SensorSize
from neurodata.io._common import PathLike, empty_events, sort_if_needed

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
COCHLEA = SensorSize(700, 1, 1)
_TIME_LIMIT_S = 1e6  # a spike later than this many seconds is no recording of speech


class SpikeFile:
    """An open SHD/SSC file: ``len(f)`` samples, ``f.events(i)``, ``f.labels``, ``f.keys`` (class names)."""

    def __init__(self, path: PathLike, *, channels: int = COCHLEA.width) -> None:
        import h5py

        self.path, self.channels = Path(path), channels
        with self.path.open("rb") as fh:
            head = fh.read(8)
        if head != HDF5_MAGIC:
            raise HeaderError(f"{self.path}: byte 0: expected the HDF5 signature, found {head!r}; not an SHD/SSC file")
        try:
            self._f = h5py.File(self.path, "r")
        except OSError as err:
            raise CorruptDataError(
                f"{self.path}: the HDF5 file cannot be opened ({err}); it is damaged or cut short"
            ) from err
        missing = [k for k in ("spikes/times", "spikes/units", "labels") if k not in self._f]
        if missing:
            found = sorted(self._f.keys())
            self._f.close()
            raise DecodeError(f"{self.path}: not an SHD/SSC file: no {missing} (has {found})")
        self._times, self._units = self._f["spikes/times"], self._f["spikes/units"]
        self.labels = np.asarray(self._f["labels"][()], dtype=np.int64).reshape(-1)
        if not len(self._times) == len(self._units) == len(self.labels):
            raise CorruptDataError(
                f"{self.path}: {len(self._times)} spike-time arrays, {len(self._units)} unit arrays and "
                f"{len(self.labels)} labels; every sample needs all three"
            )
        keys = self._f["extra/keys"][()] if "extra/keys" in self._f else []
        self.keys = [k.decode() if isinstance(k, bytes) else str(k) for k in np.asarray(keys).reshape(-1)]

    def __len__(self) -> int:
        return len(self.labels)

    def extra(self, name: str) -> np.ndarray | None:
        """``extra/<name>`` (e.g. ``speaker``) as an array, or None when the file has none."""
        key = f"extra/{name}"
        return np.asarray(self._f[key][()]) if key in self._f else None

    def raw(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Sample i's stored ``(times, units)`` arrays, as in the file (seconds, channels)."""
        return np.asarray(self._times[i]), np.asarray(self._units[i])

    def events(self, i: int) -> np.ndarray:
        """Sample i as `[N]` `EVENT_DTYPE` events of the 1-D sensor (t µs, x channel, y 0, p 1), sorted by t."""
        where = f"{self.path}: sample {i}"
        times, units = self.raw(i)
        times, units = times.reshape(-1), units.reshape(-1)
        if times.size != units.size:
            raise CorruptDataError(f"{where}: {times.size} spike times but {units.size} units")
        if times.size == 0:
            return empty_events()
        t = times.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(t) | (t < 0) | (t > _TIME_LIMIT_S))
        if bad.size:
            k = int(bad[0])
            raise CorruptDataError(
                f"{where}: spike {k} has time {float(times[k]):g} s; times must be finite seconds >= 0"
            )
        u = units.astype(np.int64)
        out = np.flatnonzero((u < 0) | (u >= self.channels))
        if out.size:
            k = int(out[0])
            raise CorruptDataError(
                f"{where}: spike {k} has unit {int(u[k])}, outside the {self.channels} channels; wrong file or damaged"
            )
        ev = np.zeros(times.size, dtype=EVENT_DTYPE)
        ev["t"] = np.rint(t * 1e6)
        ev["x"] = u
        ev["p"] = 1
        return sort_if_needed(ev, where)

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> SpikeFile:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("SpikeFile holds an open HDF5 file; pass its path to worker processes instead")


def read_spikes_h5(path: PathLike, *, index: int = 0) -> np.ndarray:
    """Sample `index` of an SHD/SSC HDF5 file as `[N]` `EVENT_DTYPE` events (see `SpikeFile.events`)."""
    with SpikeFile(path) as f:
        if not -len(f) <= index < len(f):
            raise IndexError(f"{path}: index {index} out of range for {len(f)} samples")
        return f.events(index % len(f))


def write_spikes_h5(
    path: PathLike,
    samples: list[tuple[np.ndarray, np.ndarray]],
    labels: np.ndarray,
    *,
    keys: list[str] | None = None,
    speaker: np.ndarray | None = None,
    time_dtype: str = "float32",
) -> None:
    """Write ``(times in s, units)`` samples and their labels in the SHD/SSC layout (for miniatures and tests)."""
    import h5py

    with h5py.File(path, "w") as f:
        g = f.create_group("spikes")
        times = g.create_dataset("times", (len(samples),), dtype=h5py.vlen_dtype(np.dtype(time_dtype)))
        units = g.create_dataset("units", (len(samples),), dtype=h5py.vlen_dtype(np.dtype("uint16")))
        for i, (t, u) in enumerate(samples):
            times[i] = np.asarray(t, dtype=time_dtype)
            units[i] = np.asarray(u, dtype=np.uint16)
        f["labels"] = np.asarray(labels, dtype=np.uint16)
        extra = f.create_group("extra")
        if keys is not None:
            extra["keys"] = np.asarray([k.encode() for k in keys])
        if speaker is not None:
            extra["speaker"] = np.asarray(speaker, dtype=np.uint16)


def write_spikes_h5_events(path: PathLike, events: np.ndarray, *, label: int = 0) -> None:
    """Write one sample's 1-D events (t µs, x channel, y 0, p 1) as a one-sample SHD/SSC file."""
    from neurodata.errors import EventsError
    from neurodata.events import check_events

    check_events(events, COCHLEA, where="write_spikes_h5_events")
    if events.size and (events["p"].min() != 1):
        i = int(np.argmax(events["p"] != 1))
        raise EventsError(
            f"write_spikes_h5_events: field 'p' at index {i} is {int(events['p'][i])}; SHD/SSC spikes have no "
            "polarity (events of the 1-D sensor carry p = 1)"
        )
    write_spikes_h5(path, [(events["t"] / 1e6, events["x"])], np.asarray([label]), time_dtype="float64")
