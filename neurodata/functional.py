"""Pure operations on events: crops, flips, downsampling, noise filters, drops, time edits. Vectorized, no state.

Each takes events (our `EVENT_DTYPE`, any structured array with the needed fields such as Tonic's, or a
SpikingJelly-style dict of arrays) and returns the same kind, never modifying its input. Random operations
take an explicit `numpy.random.Generator`. The implementations live in `neurodata.augment` (one module
per kind of operation); this module is their flat namespace.
"""

from __future__ import annotations

from neurodata.augment.downsampling import differentiator_downsample, integrator_downsample
from neurodata.augment.filters import (
    add_events,
    decimation,
    denoise,
    drop_events,
    drop_fraction,
    drop_indices,
    flip_polarity,
    flip_polarity_where,
    merge_polarities,
    refractory_period,
    uniform_noise,
)
from neurodata.augment.geometry import (
    center_crop,
    crop,
    downsample,
    drop_box,
    drop_by_area,
    drop_pixel_mask,
    drop_pixels,
    drop_pixels_frames,
    flip_lr,
    flip_ud,
    hot_pixels,
    hot_pixels_frames,
    random_crop,
    random_drop_pixel,
    shift_xy,
    spatial_jitter,
)
from neurodata.augment.timing import (
    crop_time,
    drop_by_time,
    drop_time_window,
    shift_times,
    time_alignment,
    time_jitter,
    time_reversal,
    time_reversal_frames,
    time_skew,
)

__all__ = [
    "add_events",
    "center_crop",
    "crop",
    "crop_time",
    "decimation",
    "denoise",
    "differentiator_downsample",
    "downsample",
    "drop_box",
    "drop_by_area",
    "drop_by_time",
    "drop_events",
    "drop_fraction",
    "drop_indices",
    "drop_pixel_mask",
    "drop_pixels",
    "drop_pixels_frames",
    "drop_time_window",
    "flip_lr",
    "flip_polarity",
    "flip_polarity_where",
    "flip_ud",
    "hot_pixels",
    "hot_pixels_frames",
    "integrator_downsample",
    "merge_polarities",
    "random_crop",
    "random_drop_pixel",
    "refractory_period",
    "shift_times",
    "shift_xy",
    "spatial_jitter",
    "time_alignment",
    "time_jitter",
    "time_reversal",
    "time_reversal_frames",
    "time_skew",
    "uniform_noise",
]
