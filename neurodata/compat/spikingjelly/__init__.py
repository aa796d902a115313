"""``spikingjelly.datasets`` (SpikingJelly 2.0.0) under its own names.

Replace ``spikingjelly.datasets`` with ``neurodata.compat.spikingjelly`` in the imports; module names
(`dvs128_gesture`, `cifar10_dvs`, `n_mnist`, `utils`, `transform`) and the top-level helpers are
SpikingJelly's. Every function is a thin layer over neurodata's decoders, integrators and datasets; the
differences are listed in ``docs/compat.md`` (section SpikingJelly ``datasets``).
"""

from neurodata.compat.spikingjelly import base, cifar10_dvs, dvs128_gesture, n_mnist, transform, utils
from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.compat.spikingjelly.cifar10_dvs import CIFAR10DVS, CIFAR10DVS_CLASS_NAMES, CIFAR10DVSTEBNSplit
from neurodata.compat.spikingjelly.dvs128_gesture import DVS128Gesture
from neurodata.compat.spikingjelly.n_mnist import NMNIST
from neurodata.compat.spikingjelly.transform import RandomTemporalDelete, random_temporal_delete
from neurodata.compat.spikingjelly.utils import (
    cal_fixed_frames_number_segment_index,
    create_same_directory_structure,
    create_sub_dataset,
    fast_split_to_train_test_set,
    integrate_events_by_fixed_duration,
    integrate_events_by_fixed_frames_number,
    integrate_events_file_to_frames_file_by_fixed_duration,
    integrate_events_file_to_frames_file_by_fixed_frames_number,
    integrate_events_segment_to_frame,
    load_aedat_v3,
    load_ATIS_bin,
    load_npz_frames,
    np_savez,
    pad_sequence_collate,
    padded_sequence_mask,
    play_frame,
    save_as_pic,
    save_frames_to_npz_and_print,
    split_to_train_test_set,
)

__all__ = [
    "CIFAR10DVS",
    "CIFAR10DVS_CLASS_NAMES",
    "NMNIST",
    "CIFAR10DVSTEBNSplit",
    "DVS128Gesture",
    "NeuromorphicDatasetFolder",
    "RandomTemporalDelete",
    "base",
    "cal_fixed_frames_number_segment_index",
    "cifar10_dvs",
    "create_same_directory_structure",
    "create_sub_dataset",
    "dvs128_gesture",
    "fast_split_to_train_test_set",
    "integrate_events_by_fixed_duration",
    "integrate_events_by_fixed_frames_number",
    "integrate_events_file_to_frames_file_by_fixed_duration",
    "integrate_events_file_to_frames_file_by_fixed_frames_number",
    "integrate_events_segment_to_frame",
    "load_ATIS_bin",
    "load_aedat_v3",
    "load_npz_frames",
    "n_mnist",
    "np_savez",
    "pad_sequence_collate",
    "padded_sequence_mask",
    "play_frame",
    "random_temporal_delete",
    "save_as_pic",
    "save_frames_to_npz_and_print",
    "split_to_train_test_set",
    "transform",
    "utils",
]
