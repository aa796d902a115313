"""``spikingjelly.datasets.dvs128_gesture`` (SpikingJelly 2.0.0) over `neurodata.datasets.DVS128Gesture`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from neurodata.compat.spikingjelly.base import NeuromorphicDatasetFolder
from neurodata.compat.spikingjelly.utils import load_aedat_v3, np_savez
from neurodata.datasets import dvs_gesture

__all__ = ["DVS128Gesture"]

_BOX = "https://ibm.ent.box.com/s/3hiq58ww1pbbjrinh367ykfdf60xsfm8/folder/50167556794"


class DVS128Gesture(NeuromorphicDatasetFolder):
    """DVS128 Gesture as SpikingJelly gives it: 1176 train / 288 test samples of 128x128 events.

    Labels are the rank of the class folder ``'0'``..``'10'`` in string order (so folder ``'10'``,
    class 11 "other gestures", is label 2), as SpikingJelly's ``DatasetFolder`` numbers them; events are
    int64 dicts. `neurodata.datasets.DVS128Gesture` numbers labels ``class - 1`` instead.
    """

    _core = dvs_gesture.DVS128Gesture
    _event_dtypes: ClassVar[dict[str, str]] = {"t": "int64", "x": "int64", "y": "int64", "p": "int64"}

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
        """The four files of IBM's Box folder, which SpikingJelly expects in ``<root>/download``."""
        return [
            ("DvsGesture.tar.gz", _BOX, "8a5c71fb11e24e5ca5b11866ca6c00a1"),
            ("gesture_mapping.csv", _BOX, "109b2ae64a0e1f3ef535b18ad7367fd1"),
            ("LICENSE.txt", _BOX, "065e10099753156f18f51941e6e44b66"),
            ("README.txt", _BOX, "a0663d3b1d8307c329a43d949ee32d19"),
        ]

    @classmethod
    def downloadable(cls) -> bool:
        """False: IBM's Box folder needs a browser."""
        return False

    @classmethod
    def load_origin_data(cls, file_name: str | Path) -> dict[str, Any]:
        """The events of one AEDAT 3.1 recording (`utils.load_aedat_v3`)."""
        return load_aedat_v3(file_name)

    @classmethod
    def split_aedat_files_to_np(
        cls, fname: str, aedat_file: str | Path, csv_file: str | Path, output_dir: str | Path
    ) -> None:
        """Cut one recording into its labelled samples: ``output_dir/<class - 1>/<fname>_<k>.npz``."""
        samples = cls._core._decode((str(aedat_file), str(csv_file)))
        seen: dict[int, int] = {}
        for events, label, _ in samples:
            k = seen.get(label, 0)
            seen[label] = k + 1
            out = Path(output_dir) / str(label)
            out.mkdir(parents=True, exist_ok=True)
            np_savez(out / f"{fname}_{k}.npz", **{key: events[key].astype(d) for key, d in cls._event_dtypes.items()})

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        # the k-th row of a class in a recording's CSV is <recording>_<k>
        order = sorted(range(len(metas)), key=lambda i: (metas[i]["recording"], int(metas[i]["row"])))
        seen: dict[tuple[str, int], int] = {}
        names = [""] * len(metas)
        for i in order:
            key = (metas[i]["recording"], labels[i])
            names[i] = f"{key[0]}_{seen.get(key, 0)}"
            seen[key] = seen.get(key, 0) + 1
        return names
