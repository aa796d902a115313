"""``spikingjelly.datasets.es_imagenet`` (SpikingJelly 2.0.0) over `neurodata.datasets.ESImageNet`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurodata.cache import EventStore
from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.datasets import es_imagenet
from neurodata.io.numpy_events import read_es_imagenet

__all__ = ["ESImageNet", "load_events"]


def load_events(fname: str | Path) -> dict[str, np.ndarray]:
    """One ES-ImageNet ``.npz`` as SpikingJelly's loader returns it: float64 x, y, t, p (ON then OFF, by t)."""
    ev = read_es_imagenet(fname)
    return {k: ev[k].astype(np.float64) for k in ("x", "y", "t", "p")}


class ESImageNet(NeuromorphicDatasetFolder):
    """ES-ImageNet as SpikingJelly gives it: ``train`` must be True or False; float64 dicts keyed x, y, t, p.

    Labels are the ranks of the folder names ``class<k>`` in string order (``class10`` before ``class2``),
    as SpikingJelly's ``DatasetFolder`` gives them; `neurodata.datasets.ESImageNet` labels by k. Among
    events of equal t, SpikingJelly's order is that of an unstable sort; here ON then OFF, in file order.
    """

    _core = es_imagenet.ESImageNet
    _event_dtypes: ClassVar[dict[str, str]] = {"x": "float64", "y": "float64", "t": "float64", "p": "float64"}

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

    @classmethod
    def _class_folders(cls) -> list[str]:
        return list(cls._core.classes)

    def _folders_on_disk(self, folders: list[str]) -> list[str]:
        # SpikingJelly makes a folder per class of the train split (the test split copies that tree), and
        # labels by rank among them: a release without some class numbers them without it
        core = self._core_data
        assert core is not None
        store = core.events_dir(core.root, cache_dir=core.cache_root, source=core.source) / "train.nds"
        present = np.unique(EventStore(store).labels)
        return sorted({folders[int(k)] for k in present})

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        return [Path(m["file"]).stem for m in metas]

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """The 25 RAR volumes with their Tsinghua Cloud URLs and MD5s."""
        return [(r.filename, r.urls[0], str(r.md5)) for r in cls._core.resources]

    @classmethod
    def downloadable(cls) -> bool:
        """True, as in SpikingJelly."""
        return True

    @classmethod
    def load_events_np(cls, fname: str | Path) -> dict[str, np.ndarray]:
        """`load_events` under its name in SpikingJelly's class."""
        return load_events(fname)
