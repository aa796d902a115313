"""``spikingjelly.datasets.dvs_lip`` (SpikingJelly 2.0.0) over `neurodata.datasets.DVSLip`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.datasets import dvs_lip

__all__ = ["DVSLip"]

# the fields of DVS-Lip's .npy files as Tonic reads them (Tonic's DVSLip.dtype)
EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("p", np.bool_), ("t", np.int64)])


class DVSLip(NeuromorphicDatasetFolder):
    """DVS-Lip as SpikingJelly gives it: ``train`` True or False; events are the ``.npy`` structured arrays
    (SpikingJelly loads the files as they are), here in `EVENT_DTYPE`."""

    _core = dvs_lip.DVSLip
    _event_dtypes: ClassVar[dict[str, str]] = {"t": "int64", "x": "int16", "y": "int16", "p": "bool"}

    def __init__(
        self,
        root: str | Path,
        train: bool | None = True,
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        if train is None:
            raise ValueError("The argument `train` must be specified as a boolean value.")
        super().__init__(
            root,
            train,
            data_type,
            frames_number,
            split_by,
            duration,
            custom_integrate_function,
            custom_integrated_frames_dir_name,
            transform,
            target_transform,
        )

    def _events(self, events: dict[str, np.ndarray]) -> np.ndarray:  # type: ignore[override]
        out = np.empty(len(events["t"]), dtype=EVENT_DTYPE)
        for k in EVENT_DTYPE.names or ():
            out[k] = events[k]
        return out

    @classmethod
    def _class_folders(cls) -> list[str]:
        return list(cls._core.classes)

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        return [Path(m["file"]).stem for m in metas]

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """``DVS-Lip.zip`` with its page and MD5."""
        return [
            ("DVS-Lip.zip", "https://sites.google.com/view/event-based-lipreading", "2dcb959255122d4cdeb6094ca282494b")
        ]

    @classmethod
    def downloadable(cls) -> bool:
        """False: Google Drive needs a browser."""
        return False
