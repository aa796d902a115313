"""``spikingjelly.datasets.n_caltech101`` (SpikingJelly 2.0.0) over `neurodata.datasets.NCaltech101`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.compat.spikingjelly.utils import load_ATIS_bin
from neurodata.datasets import ncaltech101
from neurodata.datasets.base import EventDataset

__all__ = ["NCaltech101"]

_PAGE = "https://www.garrickorchard.com/datasets/n-caltech101"


class _Unsplit(NeuromorphicDatasetFolder):
    """A SpikingJelly dataset without `train`: every sample, in SpikingJelly's folder order."""

    def __init__(
        self,
        root: str | Path,
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(
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

    @classmethod
    def _make_core(cls, root: Path, train: bool | None, *args: Any) -> EventDataset:
        return cls._core(root, *args, download=cls.downloadable())

    @classmethod
    def _class_folders(cls) -> list[str]:
        return list(cls._core.classes)

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        return [Path(m["file"]).stem for m in metas]


class NCaltech101(_Unsplit):
    """N-Caltech101 as SpikingJelly gives it: every sample (no split), uint32 event dicts on 240x180 frames."""

    _core = ncaltech101.NCaltech101
    _event_dtypes: ClassVar[dict[str, str]] = {"t": "uint32", "x": "uint32", "y": "uint32", "p": "uint32"}

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """``Caltech101.zip`` with the page it comes from (SpikingJelly also lists the annotations and readmes)."""
        return [("Caltech101.zip", _PAGE, "66201824eabb0239c7ab992480b50ba3")]

    @classmethod
    def downloadable(cls) -> bool:
        """False, as in SpikingJelly (`neurodata.datasets.NCaltech101` tries Mendeley Data)."""
        return False

    @classmethod
    def load_origin_data(cls, file_name: str | Path) -> dict[str, Any]:
        """The events of one ATIS ``.bin`` file (`utils.load_ATIS_bin`)."""
        return load_ATIS_bin(file_name)
