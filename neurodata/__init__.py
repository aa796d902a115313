"""neurodata: event-camera data from raw files to frames and DataLoaders."""

from neurodata.errors import (
    ArchiveError,
    CacheError,
    ChecksumError,
    CorruptDataError,
    DatasetNotFoundError,
    DecodeError,
    DecodeWarning,
    EventsError,
    HeaderError,
    NeurodataError,
    OptionalDependencyError,
    TruncatedFileWarning,
    UnknownFormatError,
    UnknownNameError,
    UnsafeArchiveError,
    UnsortedTimestampsWarning,
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
    integrate_keys,
    integrate_windows,
    pixel_keys,
    to_frames,
)
from neurodata.io import (
    load_aedat_v3,
    load_ATIS_bin,
    read_aedat2,
    read_aedat4,
    read_aedat31,
    read_atis_bin,
    read_events,
    sniff_format,
    write_aedat2,
    write_aedat31,
    write_atis_bin,
    write_events,
)
from neurodata.split import slice_windows

__version__ = "0.1.0"

__all__ = [
    "CIFAR10DVS",
    "EVENT_DTYPE",
    "NMNIST",
    "ArchiveError",
    "CacheError",
    "ChecksumError",
    "CorruptDataError",
    "DVS128Gesture",
    "DatasetNotFoundError",
    "DecodeError",
    "DecodeWarning",
    "EventFolder",
    "EventsError",
    "HeaderError",
    "NeurodataError",
    "OptionalDependencyError",
    "SensorSize",
    "TruncatedFileWarning",
    "UnknownFormatError",
    "UnknownNameError",
    "UnsafeArchiveError",
    "UnsortedTimestampsWarning",
    "__version__",
    "cal_fixed_frames_number_segment_index",
    "check_events",
    "create_sub_dataset",
    "events_from_dict",
    "events_from_structured",
    "get_dataset",
    "integrate_events_batch",
    "integrate_events_by_fixed_duration",
    "integrate_events_by_fixed_frames_number",
    "integrate_events_segment_to_frame",
    "integrate_keys",
    "integrate_windows",
    "list_datasets",
    "load_ATIS_bin",
    "load_aedat_v3",
    "make_events",
    "pad_sequence_collate",
    "padded_sequence_mask",
    "pixel_keys",
    "play_frame",
    "read_aedat2",
    "read_aedat4",
    "read_aedat31",
    "read_atis_bin",
    "read_events",
    "slice_by_index",
    "slice_by_time",
    "slice_windows",
    "sniff_format",
    "split_to_train_test_set",
    "to_dict",
    "to_frames",
    "write_aedat2",
    "write_aedat31",
    "write_atis_bin",
    "write_events",
]


# names that need torch (or h5py) are imported on first use: numpy-only work stays light
_LAZY = {
    "pad_sequence_collate": "neurodata.loading",
    "padded_sequence_mask": "neurodata.loading",
    "DVS128Gesture": "neurodata.datasets",
    "CIFAR10DVS": "neurodata.datasets",
    "NMNIST": "neurodata.datasets",
    "EventFolder": "neurodata.datasets",
    "list_datasets": "neurodata.datasets",
    "get_dataset": "neurodata.datasets",
    "split_to_train_test_set": "neurodata.datasets",
    "create_sub_dataset": "neurodata.datasets",
    "play_frame": "neurodata.show",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'neurodata' has no attribute {name!r}")
