"""`FrameSpec`: every parameter that decides what a frame cache holds, validated once, hashed into its key.

A cache directory is named by `FrameSpec.key()`, so changing any parameter (frames number, split rule,
duration, custom function, dtype, orientation, dataset or kernel version) gives a new cache and leaves the
old one untouched; the spec is also written beside the frames as readable JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

# bump when the integration kernels change what they compute, or the cache's file layout changes: old
# caches then stop matching (2: counts stored with `neurodata.framecodec`; 3: its streams became Zstandard;
# 4: checksummed sample files, `neurodata.store`)
FRAMES_FORMAT_VERSION = 4
# bump when the event store's layout changes: its folder name carries it (2: `neurodata.eventcodec` columns;
# 3: checksummed sample files)
EVENTS_FORMAT_VERSION = 3


@dataclass(frozen=True)
class FrameSpec:
    """How events become frames. Exactly one of `frames_number`, `duration` or `custom` is set.

    Attributes:
        frames_number: T frames per sample, with `split_by` ``'number'`` or ``'time'``.
        split_by: SpikingJelly's rule for `frames_number`.
        duration: frame length in µs (variable T per sample).
        custom: qualified name of a custom integration function ``f(events: dict, H, W) -> array``.
        dtype: stored dtype of counts (uint16 default: exact up to 65,535 events per pixel and frame,
            checked when writing).
        orientation: event-coordinate convention of the decoder (dataset-specific, e.g. CIFAR10-DVS).
        dataset_version: the dataset definition's version (split files, label order).
    """

    frames_number: int | None = None
    split_by: str | None = None
    duration: int | None = None
    custom: str | None = None
    dtype: str = "uint16"
    orientation: str = "default"
    dataset_version: str = "1"

    def __post_init__(self) -> None:
        given = [k for k in ("frames_number", "duration", "custom") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "FrameSpec needs exactly one of frames_number, duration or custom; "
                f"got frames_number={self.frames_number}, duration={self.duration}, custom={self.custom}"
            )
        if self.frames_number is not None:
            if (
                isinstance(self.frames_number, bool)
                or not isinstance(self.frames_number, int)
                or self.frames_number < 1
            ):
                raise ValueError(f"frames_number must be a positive integer, got {self.frames_number!r}")
            if self.split_by not in ("number", "time"):
                raise ValueError(f"split_by must be 'number' or 'time' with frames_number, got {self.split_by!r}")
        elif self.split_by is not None:
            raise ValueError(f"split_by only applies with frames_number; got split_by={self.split_by!r}")
        if self.duration is not None and (
            isinstance(self.duration, bool) or not isinstance(self.duration, int) or self.duration < 1
        ):
            raise ValueError(f"duration must be a positive integer number of µs, got {self.duration!r}")
        try:
            np.dtype(self.dtype)
        except TypeError:
            raise ValueError(f"dtype {self.dtype!r} is not a numpy dtype") from None

    def to_dict(self) -> dict[str, Any]:
        """The spec plus the frames format version, as written to ``spec.json``."""
        return {**dataclasses.asdict(self), "frames_format_version": FRAMES_FORMAT_VERSION}

    def key(self) -> str:
        """A stable 16-hex-digit hash of `to_dict()`."""
        payload = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def variable_length(self) -> bool:
        """True when samples may have different numbers of frames (duration, custom)."""
        return self.frames_number is None

    def describe(self) -> str:
        """Short human-readable form, e.g. ``frames_number=16 split_by=number``."""
        if self.frames_number is not None:
            return f"frames_number={self.frames_number} split_by={self.split_by}"
        if self.duration is not None:
            return f"duration={self.duration}us"
        return f"custom={self.custom}"
