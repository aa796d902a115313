"""``spikingjelly.datasets.shd`` (SpikingJelly 2.0.0) over `neurodata.datasets.SHD` and `neurodata.datasets.SSC`.

SpikingJelly's events are dicts ``{'t': seconds, 'x': channel}`` and its frames `[T, 700]`; its ``duration``
is in milliseconds here (it multiplies the seconds by 1000), not µs as for the camera datasets. Items come
in file order for events; frames come in its ``DatasetFolder`` order (folders ``'0'``.. and files named by
the sample's index, both in string order, so folder ``'10'`` is label 2), as SpikingJelly gives them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.datasets import shd
from neurodata.datasets.base import EventDataset

__all__ = ["SHD_N_CLASSES", "SSC_N_CLASSES", "SpikingHeidelbergDigits", "SpikingSpeechCommands"]

SHD_N_CLASSES = 20
SSC_N_CLASSES = 35


class SpikingHeidelbergDigits(NeuromorphicDatasetFolder):
    """SHD as SpikingJelly gives it: ``train`` True or False; events ``{'t': float32 s, 'x': uint16}`` with
    numpy uint16 labels, or frames float32 `[T, 700]` (``duration`` in ms)."""

    _core = shd.SHD
    _event_dtypes: ClassVar[dict[str, str]] = {}

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
            raise ValueError("`train` must be `True` or `False`")
        self._init(
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

    def _init(self, root: str | Path, train: bool | None, data_type: str, *args: Any) -> None:
        if args[3] is not None:
            raise ValueError(
                "SpikingJelly's SHD/SSC custom functions write frame files from an h5py handle; pass "
                "custom_integrate_function=f(events, H, W) to neurodata.datasets.SHD / SSC instead"
            )
        self.data_type_ = data_type
        super().__init__(root, train, data_type, *args)

    @classmethod
    def _make_core(cls, root: Path, train: bool | None, *args: Any) -> EventDataset:
        data_type, frames_number, split_by, duration, *rest = args
        duration_us = None if duration is None else int(duration) * 1000  # SpikingJelly's ms
        return cls._core(root, train, data_type, frames_number, split_by, duration_us, *rest, download=True)

    @classmethod
    def _class_folders(cls) -> list[str]:
        return [str(k) for k in range(len(cls._core.classes))]

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        return [str(m["index"]) for m in metas]

    def _order_as_spikingjelly(self, with_length: bool) -> None:
        core = self._core_data
        assert core is not None
        if self.data_type == "frame":
            super()._order_as_spikingjelly(False)  # frame files are <label>/<index>.npz, whatever the rule
            return
        self._order = np.arange(len(core), dtype=np.int64)
        self.classes = self._class_folders()
        self.samples = [(str(self.root / str(int(y)) / str(i)), int(y)) for i, y in enumerate(core.targets)]

    def _events(self, events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        # the file's seconds (from the store's µs) and channels, keyed as SpikingJelly keys them
        return {"t": (np.asarray(events["t"]) / 1e6).astype(np.float32), "x": np.asarray(events["x"]).astype(np.uint16)}

    def _finish(self, data: Any, label: int) -> tuple[Any, Any]:
        if self.data_type == "event":
            return super()._finish(data, np.uint16(label))  # type: ignore[arg-type]
        if isinstance(data, np.ndarray) and data.ndim == 3:
            data = data[:, 0]  # [T, 1, 700] -> SpikingJelly's [T, 700]
        return super()._finish(data, label)

    @classmethod
    def get_H_W(cls) -> tuple[None, int]:
        """``(None, 700)``: SpikingJelly's answer for a sensor without rows."""
        return None, cls._core.sensor.width

    @staticmethod
    def get_W() -> int:
        """700 channels."""
        return shd.SHD.sensor.width

    def classes_number(self) -> int:
        """20."""
        return len(self._core.classes)

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """The zipped HDF5 files with their URLs and MD5s."""
        return [(r.filename, r.urls[0], str(r.md5)) for r in cls._core.resources]

    @classmethod
    def downloadable(cls) -> bool:
        """True."""
        return True


class SpikingSpeechCommands(SpikingHeidelbergDigits):
    """SSC as SpikingJelly gives it: ``split='train'|'valid'|'test'``; items as `SpikingHeidelbergDigits`."""

    _core = shd.SSC

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.splits = ("train", "valid", "test")
        if split not in self.splits:
            raise ValueError(f"Invalid split: {split}; valid splits are {self.splits}")
        self.split = split
        self._init(
            root,
            None,
            data_type,
            frames_number,
            split_by,
            duration,
            custom_integrate_function,
            custom_integrated_frames_dir_name,
            transform,
            target_transform,
        )

    def _make_core(self, root: Path, train: bool | None, *args: Any) -> EventDataset:  # type: ignore[override]
        data_type, frames_number, split_by, duration, *rest = args
        duration_us = None if duration is None else int(duration) * 1000
        return self._core(root, self.split, data_type, frames_number, split_by, duration_us, *rest, download=True)
