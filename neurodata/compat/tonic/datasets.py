"""``tonic.datasets`` (Tonic 1.7.0) under its names, for the datasets of `neurodata.datasets`.

`NCALTECH101`, `ASLDVS`, `SHD`, `SSC`, `POKERDVS`, `DVSLip` (Tonic 1.7) and `NCARS`, `NavGesture` (Tonic 1.x,
which dropped them with loris). Each takes Tonic's arguments (``save_to``, ``train`` / ``split``,
``transform``, ``target_transform``, ``transforms``) and returns ``(events, target)`` with events a structured
array in Tonic's dtype and field order, and Tonic's targets. The work is `neurodata.datasets`'s: the folder is
``save_to/<ClassName>`` as in Tonic; it holds either our ``download/`` archives (fetched when missing, as
Tonic does) or the files Tonic extracted there, which are then decoded in place. Samples come in sorted
order where Tonic's follows the file system's listing. Differences are in ``docs/compat.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from neurodata import datasets as core
from neurodata.datasets.base import EventDataset

__all__ = ["ASLDVS", "NCALTECH101", "NCARS", "POKERDVS", "SHD", "SSC", "DVSLip", "NavGesture"]


def _from_tonic_folder(cls: type[EventDataset], folder: Path) -> type[EventDataset]:
    """`cls` reading the files Tonic extracted into `folder` (no archives to verify or extract)."""
    return type(
        cls.__name__,
        (cls,),
        {"resources": (), "extract": classmethod(lambda c, root, archives: folder), "__module__": cls.__module__},
    )


class _TonicDataset(torch.utils.data.Dataset):
    """A Tonic dataset over `_core`: Tonic's constructor, items and attributes."""

    _core: ClassVar[type[EventDataset]]
    dtype: ClassVar[np.dtype]
    sensor_size: ClassVar[tuple[int, int, int] | None]
    classes: ClassVar[list[str]]
    _subfolder: str = ""

    def __init__(
        self,
        save_to: str | Path,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        transforms: Callable[[Any, Any], Any] | None = None,
        *,
        _split: dict[str, Any] | None = None,
    ) -> None:
        self.location_on_system = Path(save_to) / type(self).__name__ / self._subfolder
        self.transform, self.target_transform, self.transforms = transform, target_transform, transforms
        self.ordering = self.dtype.names
        cls = self._core
        has_archives = all((self.location_on_system / "download" / r.filename).exists() for r in cls.resources)
        if not has_archives and self._tonic_files_present():
            cls = _from_tonic_folder(cls, self.location_on_system)
        self._ds = cls(self.location_on_system, progress=False, download=True, **(_split or {}))
        self.targets = [self._target(int(y), i) for i, y in enumerate(self._ds.targets)]

    def _tonic_files_present(self) -> bool:
        return self.location_on_system.is_dir() and any(
            p.is_file() and p.suffix in (".bin", ".mat", ".h5", ".npy", ".dat")
            for p in self.location_on_system.rglob("*")
            if "events" not in p.relative_to(self.location_on_system).parts[:1]
        )

    def _target(self, label: int, i: int) -> Any:
        return label

    def _events(self, ev: dict[str, np.ndarray]) -> np.ndarray:
        out = np.empty(len(ev["t"]), dtype=self.dtype)
        for k in self.dtype.names or ():
            out[k] = ev[k]
        return out

    def __len__(self) -> int:
        return len(self._ds)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        ev, _ = self._ds[index]
        events, target = self._events(ev), self.targets[index]
        if self.transform is not None:
            events = self.transform(events)
        if self.target_transform is not None:
            target = self.target_transform(target)
        if self.transforms is not None:
            events, target = self.transforms(events, target)
        return events, target


class NCALTECH101(_TonicDataset):
    """Tonic's N-Caltech101: events (x, y, t, p) moved so that each sample's smallest x and y are 0; targets
    are the class folder names."""

    _core = core.NCaltech101
    dtype = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])
    sensor_size = None  # all recordings are of different size
    classes: ClassVar[list[str]] = list(core.NCaltech101.classes)

    def _target(self, label: int, i: int) -> Any:
        return self._core.classes[label]

    def _events(self, ev: dict[str, np.ndarray]) -> np.ndarray:
        out = super()._events(ev)
        if out.size:
            out["x"] -= out["x"].min()
            out["y"] -= out["y"].min()
        return out


class ASLDVS(_TonicDataset):
    """Tonic's ASL-DVS: events (t, x, y, p) with y flipped; targets index the 26-letter alphabet, as Tonic's
    (its letter k is 10: j and z have no samples)."""

    _core = core.ASLDVS
    dtype = np.dtype([("t", int), ("x", int), ("y", int), ("p", int)])
    sensor_size = (240, 180, 2)
    classes: ClassVar[list[str]] = [chr(c) for c in range(97, 123)]

    def _target(self, label: int, i: int) -> Any:
        return ord(self._core.classes[label]) - ord("a")


class POKERDVS(_TonicDataset):
    """Tonic's POKER-DVS: ``POKERDVS(save_to, train=True)``, events (t, x, y, p), suits cl, he, di, sp."""

    _core = core.POKERDVS
    dtype = np.dtype([("t", int), ("x", int), ("y", int), ("p", int)])
    sensor_size = (35, 35, 2)
    classes: ClassVar[list[str]] = ["cl", "he", "di", "sp"]

    def __init__(self, save_to: str | Path, train: bool = True, **kw: Any) -> None:
        self.train = train
        super().__init__(save_to, _split={"train": train}, **kw)


class DVSLip(_TonicDataset):
    """Tonic's DVS-Lip: ``DVSLip(save_to, train=True)``, events (x, y, p, t) int16 / bool / int64."""

    _core = core.DVSLip
    dtype = np.dtype([("x", np.int16), ("y", np.int16), ("p", bool), ("t", np.int64)])
    sensor_size = (128, 128, 2)
    classes: ClassVar[list[str]] = list(core.DVSLip.classes)

    def __init__(self, save_to: str | Path, train: bool = True, **kw: Any) -> None:
        self.train = train
        super().__init__(save_to, _split={"train": train}, **kw)


class SHD(_TonicDataset):
    """Tonic's SHD: ``SHD(save_to, train=True)``, events (t µs, x channel, p = 1) of sensor ``(700, 1, 1)``."""

    _core = core.SHD
    dtype = np.dtype([("t", int), ("x", int), ("p", int)])
    sensor_size = (700, 1, 1)
    classes: ClassVar[list[str]] = list(core.SHD.classes)

    def __init__(self, save_to: str | Path, train: bool = True, **kw: Any) -> None:
        self.train = train
        super().__init__(save_to, _split={"train": train}, **kw)

    @property
    def speaker(self) -> np.ndarray:
        """The speaker of each sample, from the file's ``extra/speaker``."""
        return np.asarray([int(self._ds.metadata(i).get("speaker", -1)) for i in range(len(self))])


class SSC(SHD):
    """Tonic's SSC: ``SSC(save_to, split='train'|'valid'|'test')``."""

    _core = core.SSC
    classes: ClassVar[list[str]] = list(core.SSC.classes)

    def __init__(self, save_to: str | Path, split: str = "train", **kw: Any) -> None:
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', got {split!r}")
        self.split = split
        _TonicDataset.__init__(self, save_to, _split={"split": split}, **kw)


class NCARS(_TonicDataset):
    """Tonic 1.x's N-CARS: ``NCARS(save_to, train=True)``, events (t, x, y, p) with y from 0 per sample, as
    its loris path gave them; targets 0 background, 1 car."""

    _core = core.NCARS
    dtype = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("p", "?")])
    sensor_size = None  # different for every recording
    classes: ClassVar[list[str]] = ["background", "car"]

    def __init__(self, save_to: str | Path, train: bool = True, **kw: Any) -> None:
        self.train = train
        super().__init__(save_to, _split={"train": train}, **kw)

    def _events(self, ev: dict[str, np.ndarray]) -> np.ndarray:
        out = super()._events(ev)
        if out.size:
            out["y"] -= out["y"].min()
        return out


class NavGesture(_TonicDataset):
    """Tonic 1.x's NAV Gesture: ``NavGesture(save_to, walk_subset=False)`` (sit by default), events (t, x, y, p),
    targets in Tonic's code order do, up, le, ri, se, ho."""

    _core = core.NAVGestureSit
    dtype = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("p", "?")])
    sensor_size = (304, 240, 2)
    classes: ClassVar[list[str]] = ["swipe down", "swipe up", "swipe left", "swipe right", "select", "home"]
    _TONIC_CODES = ("do", "up", "le", "ri", "se", "ho")

    def __init__(self, save_to: str | Path, walk_subset: bool = False, **kw: Any) -> None:
        self.walk_subset = walk_subset
        if walk_subset:
            self._core = core.NAVGestureWalk  # type: ignore[misc]
        self._subfolder = "navgesture-walk" if walk_subset else "navgesture-sit"  # Tonic's folder_name
        super().__init__(save_to, **kw)

    def _target(self, label: int, i: int) -> Any:
        from neurodata.datasets.nav_gesture import CODES

        return self._TONIC_CODES.index(CODES[label])
