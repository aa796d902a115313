"""``spikingjelly.datasets`` (SpikingJelly 2.0.0) under its own names.

Replace ``spikingjelly.datasets`` with ``neurodata.compat.spikingjelly`` in the imports; module names
(`dvs128_gesture`, `cifar10_dvs`, `n_mnist`, `n_caltech101`, `asl_dvs`, `nav_gesture`, `es_imagenet`, `shd`,
`dvs_lip`, `utils`, `transform`) and the top-level helpers are SpikingJelly's. Every function is a thin
layer over neurodata's decoders, integrators and datasets; the differences are listed in ``docs/compat.md``
(section SpikingJelly ``datasets``).
"""

from neurodata.compat.spikingjelly import (
    asl_dvs,
    base,
    cifar10_dvs,
    dvs128_gesture,
    dvs_lip,
    es_imagenet,
    n_caltech101,
    n_mnist,
    nav_gesture,
    shd,
    transform,
    utils,
)
from neurodata.compat.spikingjelly.asl_dvs import ASLDVS
from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.compat.spikingjelly.cifar10_dvs import CIFAR10DVS, CIFAR10DVS_CLASS_NAMES, CIFAR10DVSTEBNSplit
from neurodata.compat.spikingjelly.dvs128_gesture import DVS128Gesture
from neurodata.compat.spikingjelly.dvs_lip import DVSLip
from neurodata.compat.spikingjelly.es_imagenet import ESImageNet
from neurodata.compat.spikingjelly.n_caltech101 import NCaltech101
from neurodata.compat.spikingjelly.n_mnist import NMNIST
from neurodata.compat.spikingjelly.nav_gesture import NAVGestureSit, NAVGestureWalk
from neurodata.compat.spikingjelly.shd import SpikingHeidelbergDigits, SpikingSpeechCommands
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
    "ASLDVS",
    "CIFAR10DVS",
    "CIFAR10DVS_CLASS_NAMES",
    "NMNIST",
    "CIFAR10DVSTEBNSplit",
    "DVS128Gesture",
    "DVSLip",
    "ESImageNet",
    "NAVGestureSit",
    "NAVGestureWalk",
    "NCaltech101",
    "NeuromorphicDatasetFolder",
    "RandomTemporalDelete",
    "SpikingHeidelbergDigits",
    "SpikingSpeechCommands",
    "asl_dvs",
    "base",
    "cal_fixed_frames_number_segment_index",
    "cifar10_dvs",
    "create_same_directory_structure",
    "create_sub_dataset",
    "dvs128_gesture",
    "dvs_lip",
    "es_imagenet",
    "fast_split_to_train_test_set",
    "integrate_events_by_fixed_duration",
    "integrate_events_by_fixed_frames_number",
    "integrate_events_file_to_frames_file_by_fixed_duration",
    "integrate_events_file_to_frames_file_by_fixed_frames_number",
    "integrate_events_segment_to_frame",
    "load_ATIS_bin",
    "load_aedat_v3",
    "load_npz_frames",
    "n_caltech101",
    "n_mnist",
    "nav_gesture",
    "np_savez",
    "pad_sequence_collate",
    "padded_sequence_mask",
    "play_frame",
    "random_temporal_delete",
    "save_as_pic",
    "save_frames_to_npz_and_print",
    "shd",
    "split_to_train_test_set",
    "transform",
    "utils",
]
