"""``tonic.slicers`` under its own names: slice metadata as ``(start, stop)`` index pairs, over `neurodata.split`.

Windows are Tonic's (`_windows.tonic_windows`: the same counts, less Tonic's drop of the events at the very
end of a recording with ``include_incomplete`` and in time bins). ``get_slice_metadata`` returns a list of
``(start, stop)`` tuples, ``slice`` returns ``(slices, targets)``, and slices are views of the data, as in
Tonic. Stops never exceed the data's length (Tonic's event-count stops may; slicing clips them anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from neurodata.compat.tonic._windows import tonic_windows

__all__ = [
    "SliceAtIndices",
    "SliceAtTimePoints",
    "SliceByEventBins",
    "SliceByEventCount",
    "SliceByTime",
    "SliceByTimeBins",
    "Slicer",
    "slice_events_at_indices",
    "slice_events_at_timepoints",
    "slice_events_by_count",
    "slice_events_by_event_bins",
    "slice_events_by_time",
    "slice_events_by_time_bins",
]


@runtime_checkable
class Slicer(Protocol):
    """What `SlicedDataset` needs of a slicer (implement the three methods; no need to inherit)."""

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[Any, ...]]: ...

    def slice_with_metadata(self, data: Any, targets: Any, metadata: Any) -> Any: ...

    def slice(self, data: Any, targets: Any) -> Any: ...


def _pairs(starts: np.ndarray, stops: np.ndarray) -> list[tuple[int, int]]:
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _times(data: Any, where: str) -> np.ndarray:
    names = getattr(getattr(data, "dtype", None), "names", None)
    if not names or "t" not in names:
        raise ValueError(f"{where}: needs events with a 't' field, got {type(data).__name__}")
    t = data["t"]
    if len(t) > 1 and bool((t[1:] < t[:-1]).any()):
        raise ValueError(f"{where}: needs events sorted by t")
    return t


class _IndexSlicer:
    def slice(self, data: Any, targets: Any) -> tuple[list[Any], Any]:
        return self.slice_with_metadata(data, targets, self.get_slice_metadata(data, targets))

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        raise NotImplementedError

    @staticmethod
    def slice_with_metadata(data: Any, targets: Any, metadata: Any) -> tuple[list[Any], Any]:
        return [data[int(start) : int(stop)] for start, stop in metadata], targets


@dataclass(frozen=True)
class SliceByTime(_IndexSlicer):
    """Windows of `time_window` with `overlap` (data's time unit), from `start_time` (default: first event)."""

    time_window: float
    overlap: float = 0.0
    include_incomplete: bool = False
    start_time: float | None = None
    end_time: float | None = None
    reset_time: bool = False

    def slice(self, data: Any, targets: Any) -> tuple[list[Any], Any]:
        slices, targets = super().slice(data, targets)
        if self.reset_time:  # Tonic's rule: slice i moves back by i windows (copies, the data stays untouched)
            slices = [s.copy() for s in slices]
            for i, s in enumerate(slices):
                s["t"] = s["t"] - i * self.time_window
        return slices, targets

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        if self.time_window - self.overlap <= 0:
            raise ValueError(
                f"SliceByTime: overlap ({self.overlap!r}) must be below time_window ({self.time_window!r})"
            )
        t = _times(data, "SliceByTime")
        return _pairs(
            *tonic_windows(
                t,
                time_window=self.time_window,
                overlap=self.overlap,
                include_incomplete=self.include_incomplete,
                start_time=self.start_time,
                end_time=self.end_time,
            )
        )


@dataclass(frozen=True)
class SliceByTimeBins(_IndexSlicer):
    """`bin_count` windows over the recording's time span, each enlarged by `overlap` (a fraction < 1)."""

    bin_count: int
    overlap: float = 0

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        t = _times(data, "SliceByTimeBins")
        return _pairs(*tonic_windows(t, n_time_bins=self.bin_count, overlap=self.overlap))


@dataclass(frozen=True)
class SliceByEventCount(_IndexSlicer):
    """Windows of `event_count` events with `overlap` events."""

    event_count: int
    overlap: int = 0
    include_incomplete: bool = False

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        if self.event_count - self.overlap <= 0:
            raise ValueError(
                f"SliceByEventCount: overlap ({self.overlap!r}) must be below event_count ({self.event_count!r})"
            )
        t = np.zeros(len(data), dtype=np.int64)  # only the count matters
        return _pairs(
            *tonic_windows(
                t, event_count=self.event_count, overlap=self.overlap, include_incomplete=self.include_incomplete
            )
        )


@dataclass(frozen=True)
class SliceByEventBins(_IndexSlicer):
    """`bin_count` windows of ``N // bin_count * (1 + overlap)`` events each."""

    bin_count: int
    overlap: float = 0

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        t = np.zeros(len(data), dtype=np.int64)
        return _pairs(*tonic_windows(t, n_event_bins=self.bin_count, overlap=self.overlap))


@dataclass
class SliceAtIndices(_IndexSlicer):
    """Slices ``data[start:end]`` for the given index lists (end exclusive)."""

    start_indices: Any
    end_indices: Any

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        a, b = np.asarray(self.start_indices, dtype=np.int64), np.asarray(self.end_indices, dtype=np.int64)
        if a.shape != b.shape or a.ndim != 1:
            raise ValueError(
                f"SliceAtIndices: start_indices and end_indices must be equal-length lists, got {a.shape} and {b.shape}"
            )
        return _pairs(a, b)


@dataclass
class SliceAtTimePoints(_IndexSlicer):
    """Slices ``start_tw[i] <= t < end_tw[i]``."""

    start_tw: Any
    end_tw: Any

    def get_slice_metadata(self, data: Any, targets: Any) -> list[tuple[int, int]]:
        t = _times(data, "SliceAtTimePoints")
        a, b = np.asarray(self.start_tw), np.asarray(self.end_tw)
        if a.shape != b.shape:
            raise ValueError(f"SliceAtTimePoints: start_tw and end_tw differ in length: {a.shape} and {b.shape}")
        return _pairs(np.searchsorted(t, a).astype(np.int64), np.searchsorted(t, b).astype(np.int64))


def slice_events_by_time(
    events: np.ndarray,
    time_window: float,
    overlap: float = 0,
    include_incomplete: bool = False,
    start_time: float | None = None,
    end_time: float | None = None,
) -> list[np.ndarray]:
    return SliceByTime(time_window, overlap, include_incomplete, start_time, end_time).slice(events, None)[0]


def slice_events_by_time_bins(events: np.ndarray, bin_count: int, overlap: float = 0.0) -> list[np.ndarray]:
    return SliceByTimeBins(bin_count, overlap).slice(events, None)[0]


def slice_events_by_count(
    events: np.ndarray, event_count: int, overlap: int = 0, include_incomplete: bool = False
) -> list[np.ndarray]:
    return SliceByEventCount(event_count, overlap, include_incomplete).slice(events, None)[0]


def slice_events_by_event_bins(events: np.ndarray, bin_count: int, overlap: float = 0.0) -> list[np.ndarray]:
    return SliceByEventBins(bin_count, overlap).slice(events, None)[0]


def slice_events_at_indices(events: Any, start_indices: Any, end_indices: Any) -> list[Any]:
    return SliceAtIndices(start_indices, end_indices).slice(events, None)[0]


def slice_events_at_timepoints(events: np.ndarray, start_tw: Any, end_tw: Any) -> list[np.ndarray]:
    return SliceAtTimePoints(start_tw, end_tw).slice(events, None)[0]
