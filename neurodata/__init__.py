"""neurodata: event-camera data from raw files to frames and DataLoaders."""

from neurodata.errors import (
    CacheError,
    ChecksumError,
    DatasetNotFoundError,
    DecodeError,
    EventsError,
    NeurodataError,
    UnsafeArchiveError,
)
from neurodata.events import (
    EVENT_DTYPE,
    SensorSize,
    check_events,
    events_from_dict,
    events_from_structured,
    make_events,
    slice_by_index,
    slice_by_time,
    to_dict,
)
from neurodata.integrate import (
    cal_fixed_frames_number_segment_index,
    integrate_events_batch,
    integrate_events_by_fixed_duration,
    integrate_events_by_fixed_frames_number,
    integrate_events_segment_to_frame,
    integrate_windows,
    to_frames,
)
from neurodata.split import slice_windows

__version__ = "0.1.0"

__all__ = [
    "EVENT_DTYPE",
    "CacheError",
    "ChecksumError",
    "DatasetNotFoundError",
    "DecodeError",
    "EventsError",
    "NeurodataError",
    "SensorSize",
    "UnsafeArchiveError",
    "__version__",
    "cal_fixed_frames_number_segment_index",
    "check_events",
    "events_from_dict",
    "events_from_structured",
    "integrate_events_batch",
    "integrate_events_by_fixed_duration",
    "integrate_events_by_fixed_frames_number",
    "integrate_events_segment_to_frame",
    "integrate_windows",
    "make_events",
    "pad_sequence_collate",
    "padded_sequence_mask",
    "slice_by_index",
    "slice_by_time",
    "slice_windows",
    "to_dict",
    "to_frames",
]


def __getattr__(name: str) -> object:
    # the collate helpers need torch; importing neurodata for numpy work must not
    if name in ("pad_sequence_collate", "padded_sequence_mask"):
        from neurodata import loading

        return getattr(loading, name)
    raise AttributeError(f"module 'neurodata' has no attribute {name!r}")
