"""``spikingjelly.datasets.n_mnist`` (SpikingJelly 2.0.0) over `neurodata.datasets.NMNIST`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.compat.spikingjelly.utils import load_ATIS_bin, np_savez
from neurodata.datasets import nmnist

__all__ = ["NMNIST"]

_PAGE = "https://www.garrickorchard.com/datasets/n-mnist"


class NMNIST(NeuromorphicDatasetFolder):
    """N-MNIST as SpikingJelly gives it: 60,000 train / 10,000 test samples of 34x34 events (uint32 dicts)."""

    _core = nmnist.NMNIST
    _event_dtypes: ClassVar[dict[str, str]] = {"t": "uint32", "x": "uint32", "y": "uint32", "p": "uint32"}

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

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """``Train.zip`` and ``Test.zip`` with the page they come from, as SpikingJelly lists them."""
        return [
            ("Train.zip", _PAGE, "20959b8e626244a1b502305a9e6e2031"),
            ("Test.zip", _PAGE, "69ca8762b2fe404d9b9bad1103e97832"),
        ]

    @classmethod
    def downloadable(cls) -> bool:
        """False, as in SpikingJelly (`neurodata.datasets.NMNIST` can download them from Mendeley Data)."""
        return False

    @classmethod
    def load_origin_data(cls, file_name: str | Path) -> dict[str, Any]:
        """The events of one ATIS ``.bin`` file (`utils.load_ATIS_bin`)."""
        return load_ATIS_bin(file_name)

    @classmethod
    def read_bin_save_to_np(cls, bin_file: str | Path, np_file: str | Path) -> None:
        """Convert one ``.bin`` file into SpikingJelly's ``.npz`` of t, x, y, p."""
        np_savez(np_file, **load_ATIS_bin(bin_file))

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        return [Path(m["file"]).stem for m in metas]
