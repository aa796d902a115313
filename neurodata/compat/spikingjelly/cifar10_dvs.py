"""``spikingjelly.datasets.cifar10_dvs`` (SpikingJelly 2.0.0) over `neurodata.datasets.CIFAR10DVS`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.compat.spikingjelly.utils import np_savez
from neurodata.datasets import cifar10_dvs
from neurodata.datasets.base import EventDataset
from neurodata.io import read_aedat2

__all__ = ["CIFAR10DVS", "CIFAR10DVS_CLASS_NAMES", "CIFAR10DVSTEBNSplit"]

CIFAR10DVS_CLASS_NAMES = cifar10_dvs._CLASSES


class CIFAR10DVS(NeuromorphicDatasetFolder):
    """CIFAR10-DVS as SpikingJelly gives it: all 10,000 samples (no train/test split; see
    `utils.split_to_train_test_set`), events in SpikingJelly's orientation and dtypes."""

    _core = cifar10_dvs.CIFAR10DVS
    _event_dtypes: ClassVar[dict[str, str]] = {"t": ">u4", "x": "uint32", "y": "uint32", "p": "int64"}

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
        return list(CIFAR10DVS_CLASS_NAMES)

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """``(<class>.zip, figshare url, md5)`` for the ten classes."""
        return [(r.filename, r.urls[0], str(r.md5)) for r in cls._core.resources]

    @classmethod
    def downloadable(cls) -> bool:
        """True: figshare serves the files to scripts."""
        return True

    @classmethod
    def load_origin_data(cls, file_name: str | Path) -> dict[str, Any]:
        """The events of one AEDAT 2.0 file in SpikingJelly's orientation and dtypes."""
        ev = read_aedat2(file_name, orientation="cifar10dvs")
        return {k: ev[k].astype(d) for k, d in cls._event_dtypes.items()}

    @classmethod
    def read_aedat_save_to_np(cls, bin_file: str | Path, np_file: str | Path) -> None:
        """Convert one ``.aedat`` file into SpikingJelly's ``.npz`` of t, x, y, p."""
        np_savez(np_file, **cls.load_origin_data(bin_file))

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        return [Path(m["file"]).stem for m in metas]


class CIFAR10DVSTEBNSplit(CIFAR10DVS):
    """CIFAR10-DVS with the TEBN paper's split: files ``*_0`` .. ``*_99`` of each class test, the others train.

    Samples come in SpikingJelly's order (``<processed root>/<train|test>/<class>/<file>.npz``, sorted by name),
    computed by `neurodata.datasets.CIFAR10DVS` with ``split_scheme='first100'``. SpikingJelly links the files
    ``cifar10_<class>_<i>.npz`` for i < 1000 into those folders, whether they exist or not (with ``duration``
    its frame files are named ``..._<T>.npz``, so every link is broken); here the split holds the samples there are.
    """

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
        NeuromorphicDatasetFolder.__init__(
            self,
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
    def _make_core(cls, root: Path, train: bool | None, *args: Any) -> EventDataset:
        return cls._core(root, *args, download=cls.downloadable(), train=train, split_scheme="first100")

    def _prepared_frames(self, with_length: bool) -> list[tuple[str, list[str]]] | None:
        return None  # SpikingJelly's split folders hold links that may point nowhere: integrate instead

    def _order_as_spikingjelly(self, with_length: bool) -> None:
        super()._order_as_spikingjelly(False)  # the linked names carry no frame count
