"""``spikingjelly.datasets.base.NeuromorphicDatasetFolder`` (SpikingJelly 2.0.0) over a neurodata dataset.

A SpikingJelly dataset is a torchvision ``DatasetFolder`` over ``<root>/events_np`` or a frames folder
(``frames_number_<T>_split_by_<rule>``, ``duration_<µs>``, or the custom function's name): its samples
are ordered by class folder name, then file name, and a label is its folder's rank among the sorted
folder names. The classes here give the same samples in the same order with the same labels:

* where SpikingJelly already wrote the frames folder for these parameters (finished and matching
  ``events_np`` file for file), its files are read as SpikingJelly reads them;
* otherwise the neurodata dataset (`_core`) decodes (or reads SpikingJelly's ``events_np``, see
  `neurodata.datasets.prepared`) and integrates into its own caches, and the samples are put in
  SpikingJelly's order, with SpikingJelly's labels and event dtypes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from neurodata.archive import extract_archive
from neurodata.compat.spikingjelly.utils import load_npz_frames, np_savez
from neurodata.datasets.base import EventDataset
from neurodata.datasets.prepared import events_np_dir

__all__ = ["NeuromorphicDatasetFolder"]

log = logging.getLogger(__name__)

_DURATION_NAME = re.compile(r"(.+)_\d+")
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


class _SpikingJellyEvents:
    """A custom integration function called with SpikingJelly's event dtypes (picklable, for workers)."""

    def __init__(self, fn: Callable[..., Any], dtypes: dict[str, str]) -> None:
        self.fn, self.dtypes = fn, dtypes

    def __call__(self, events: dict[str, np.ndarray], H: int, W: int) -> Any:
        return self.fn({k: np.asarray(events[k]).astype(d) for k, d in self.dtypes.items()}, H, W)


def _check_config(
    data_type: str, frames_number: Any, split_by: Any, duration: Any, custom: Any
) -> None:
    """SpikingJelly's ``NeuromorphicDatasetConfig`` rules (frame parameters are ignored for events, as there)."""
    if data_type not in ("event", "frame"):
        raise ValueError(f'data_type must be "event" or "frame", but got {data_type}')
    if data_type == "event":
        return
    given = sum(v is not None for v in (frames_number, duration, custom))
    if given != 1:
        raise ValueError(
            'When data_type="frame", one and only one of "frames_number", "duration", or '
            f'"custom_integrate_function" should be set; got frames_number={frames_number!r}, '
            f"duration={duration!r}, custom_integrate_function={custom!r}"
        )
    if frames_number is not None:
        if isinstance(frames_number, bool) or not isinstance(frames_number, int) or frames_number <= 0:
            raise ValueError(f"frames_number must be a positive integer, got {frames_number!r}")
        if split_by not in ("time", "number"):
            raise ValueError(f'split_by must be "time" or "number", got {split_by!r}')
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration <= 0):
        raise ValueError(f"duration must be a positive integer, got {duration!r}")


def _listing(folder: Path) -> list[tuple[str, list[str]]]:
    """``(class folder, sorted file names)`` for each class folder of `folder`, in sorted order (DatasetFolder's)."""
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    return [(c, sorted(f.name for f in (folder / c).iterdir() if f.suffix in (".npz", ".npy"))) for c in classes]


class NeuromorphicDatasetFolder(torch.utils.data.Dataset):
    """SpikingJelly's neuromorphic dataset: items ``(events dict, label)`` or ``(frames float32 [T, 2, H, W], label)``.

    Subclasses name the neurodata dataset they are built on (`_core`) and SpikingJelly's file name of a
    sample (`_sample_name`); a subclass for a new dataset (SpikingJelly's way of adding one) is not
    supported: write a `neurodata.datasets.EventDataset` instead.
    """

    _core: ClassVar[type[EventDataset]]
    _event_dtypes: ClassVar[dict[str, str]]  # SpikingJelly's dtypes of t, x, y, p in its events_np files

    def __init__(
        self,
        root: str | Path,
        train: bool | None = None,
        data_type: str = "event",
        frames_number: int | None = None,
        split_by: str | None = None,
        duration: int | None = None,
        custom_integrate_function: Callable[..., Any] | None = None,
        custom_integrated_frames_dir_name: str | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        if not hasattr(type(self), "_core"):
            raise TypeError(
                f"{type(self).__name__}: a NeuromorphicDatasetFolder subclass for a new dataset is not supported by "
                "neurodata.compat.spikingjelly; write a neurodata.datasets.EventDataset subclass instead"
            )
        _check_config(data_type, frames_number, split_by, duration, custom_integrate_function)
        root = Path(root)
        self.data_type, self.train = data_type, train
        self.transform, self.target_transform = transform, target_transform
        self._split = None if train is None else ("train" if train else "test")
        self._custom = custom_integrate_function
        if data_type == "event":
            frames_number = split_by = duration = custom_integrate_function = None
            self.processed_root = root / "events_np"
        else:
            if custom_integrate_function is not None and custom_integrated_frames_dir_name is None:
                custom_integrated_frames_dir_name = custom_integrate_function.__name__
            if frames_number is not None:
                name = f"frames_number_{frames_number}_split_by_{split_by}"
            elif duration is not None:
                name = f"duration_{duration}"
            else:
                name = str(custom_integrated_frames_dir_name)
            self.processed_root = root / name
        self.dataset_root = root
        self.root = self.processed_root if self._split is None else self.processed_root / self._split
        self._core_data: EventDataset | None = None
        self._order = np.zeros(0, dtype=np.int64)
        listing = self._prepared_frames(duration is not None) if data_type == "frame" else None
        if listing is not None:
            log.info("%s: reading SpikingJelly's frames in %s", type(self).__name__, self.root)
            self.classes = [c for c, _ in listing]
            self.samples = [(str(self.root / c / f), k) for k, (c, files) in enumerate(listing) for f in files]
            self.loader: Callable[[Any], Any] | None = load_npz_frames
        else:
            self._core_data = self._make_core(
                root,
                train,
                data_type,
                frames_number,
                split_by,
                duration,
                None
                if custom_integrate_function is None
                else _SpikingJellyEvents(custom_integrate_function, self._event_dtypes),
                custom_integrated_frames_dir_name,
            )
            self.loader = None
            self._order_as_spikingjelly(duration is not None)
        self.class_to_idx = {c: k for k, c in enumerate(self.classes)}
        self.targets = [s[1] for s in self.samples]

    # ------------------------------------------------------------------ subclass hooks

    @classmethod
    def _make_core(cls, root: Path, train: bool | None, *args: Any) -> EventDataset:
        """The neurodata dataset with these parameters (positional, after `train`, as SpikingJelly's)."""
        return cls._core(root, train, *args, download=cls.downloadable())

    @classmethod
    def _class_folders(cls) -> list[str]:
        """SpikingJelly's class folder of each of our labels (label -> folder name)."""
        return [str(k) for k in range(len(cls._core.classes))]

    @classmethod
    def _names_of(cls, metas: list[dict[str, Any]], labels: list[int]) -> list[str]:
        """SpikingJelly's events file stem of each sample, from its neurodata metadata and label."""
        raise NotImplementedError

    # ------------------------------------------------------------------ where the samples come from

    def _prepared_frames(self, with_length: bool) -> list[tuple[str, list[str]]] | None:
        """SpikingJelly's frames folder for these parameters, listed, if it is finished and complete."""
        folder, events = self.processed_root, events_np_dir(self.dataset_root)
        if not self.root.is_dir() or folder.with_name(folder.name + ".building").exists() or events is None:
            return None
        split_events = events if self._split is None else events / self._split
        if not split_events.is_dir():
            return None
        listing = _listing(self.root)
        expected = {(c, Path(f).stem) for c, files in _listing(split_events) for f in files}
        found = set()
        for c, files in listing:
            for f in files:
                stem = Path(f).stem
                m = _DURATION_NAME.fullmatch(stem) if with_length else None
                found.add((c, m.group(1) if m else stem))
        if found != expected:
            log.warning(
                "%s: SpikingJelly's %s does not match %s file for file (%d against %d samples, an interrupted "
                "preparation?); integrating the events into neurodata's own cache instead",
                type(self).__name__,
                self.root,
                split_events,
                len(found),
                len(expected),
            )
            return None
        return listing

    def _folders_on_disk(self, folders: list[str]) -> list[str]:
        """SpikingJelly's class folders, sorted: those of every class (a subclass may keep only some)."""
        return sorted(set(folders))

    def _order_as_spikingjelly(self, with_length: bool) -> None:
        core = self._core_data
        assert core is not None
        folders = self._class_folders()
        self.classes = self._folders_on_disk(folders)
        rank = {c: k for k, c in enumerate(self.classes)}
        labels = core.targets.tolist()
        stems = self._names_of([core.metadata(i) for i in range(len(core))], labels)
        names = []
        for i, (stem, label) in enumerate(zip(stems, labels, strict=True)):
            suffix = f"_{core.frame_count(i)}" if with_length else ""
            names.append((rank[folders[label]], f"{stem}{suffix}.npz"))
        self._order = np.asarray(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)
        self.samples = [
            (str(self.root / self.classes[names[i][0]] / names[i][1]), names[i][0]) for i in self._order.tolist()
        ]

    # ------------------------------------------------------------------ Dataset

    def __len__(self) -> int:
        return len(self.samples)

    def _events(self, events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: np.asarray(events[k]).astype(d) for k, d in self._event_dtypes.items()}

    def _finish(self, data: Any, label: int) -> tuple[Any, Any]:
        if self.data_type == "event" and isinstance(data, dict):
            data = self._events(data)
        if self.transform is not None:
            data = self.transform(data)
        out: Any = label
        if self.target_transform is not None:
            out = self.target_transform(label)
        return data, out

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = range(len(self))[index]  # negative indices and the IndexError of a list
        if self._core_data is None:
            assert self.loader is not None
            path, label = self.samples[index]
            return self._finish(self.loader(path), label)
        data, _ = self._core_data[int(self._order[index])]
        return self._finish(data, self.targets[index])

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, Any]]:
        """A DataLoader batch; frames of neurodata's cache are decoded together (`EventDataset.__getitems__`)."""
        if self._core_data is None:
            return [self[i] for i in indices]
        positions = [range(len(self))[i] for i in indices]
        items = self._core_data.__getitems__([int(self._order[i]) for i in positions])
        return [self._finish(data, self.targets[i]) for (data, _), i in zip(items, positions, strict=True)]

    @property
    def raw_root(self) -> Path:
        """``<root>/events_np``, where SpikingJelly keeps the decoded events."""
        return self.dataset_root / "events_np"

    def get_root_when_train_is_none(self, _root: Path) -> Path:
        """The folder of the samples when `train` is None (the processed root itself)."""
        return _root

    # ------------------------------------------------------------------ SpikingJelly's class methods

    @classmethod
    def get_extensions(cls) -> tuple[str, ...]:
        """File extensions of samples: ``('.npy', '.npz')``."""
        return (".npy", ".npz")

    @classmethod
    def get_H_W(cls) -> tuple[int, int]:
        """``(height, width)`` of the sensor."""
        return cls._core.get_H_W()

    @classmethod
    def resource_url_md5(cls) -> list[tuple[str, str, str]]:
        """``(file name, url, md5)`` of each file SpikingJelly expects in ``<root>/download``."""
        raise NotImplementedError

    @classmethod
    def downloadable(cls) -> bool:
        """Whether the files can be fetched by script (False: they must be placed by hand)."""
        raise NotImplementedError

    @classmethod
    def extract_downloaded_files(cls, download_root: str | Path, extract_root: str | Path) -> None:
        """Extract the archives of `download_root` into the folder `extract_root`, laid out as by SpikingJelly."""
        download_root, extract_root = Path(download_root), Path(extract_root)
        for name, _, _ in cls.resource_url_md5():
            if not name.endswith(_ARCHIVES):
                continue
            tmp = extract_archive(download_root / name, extract_root / f".{name}.extracting")
            for member in sorted(tmp.iterdir()):
                target = extract_root / member.name
                if target.exists():
                    raise FileExistsError(f"{target} exists; extract_downloaded_files needs an empty {extract_root}")
                member.replace(target)
            tmp.rmdir()

    @classmethod
    def create_raw_from_extracted(cls, extract_root: str | Path, raw_root: str | Path) -> None:
        """Decode the extracted files into SpikingJelly's ``events_np`` layout under `raw_root` (one npz per sample)."""
        extract_root, raw_root = Path(extract_root), Path(raw_root)
        folders = cls._class_folders()
        for split in cls._core.splits:
            samples = [s for task in cls._core._tasks(extract_root, split) for s in cls._core._decode(task)]
            names = cls._names_of([m for _, _, m in samples], [label for _, label, _ in samples])
            top = raw_root if split == "all" else raw_root / split
            for (events, label, _), stem in zip(samples, names, strict=True):
                out = top / folders[label]
                out.mkdir(parents=True, exist_ok=True)
                np_savez(out / f"{stem}.npz", **{k: events[k].astype(d) for k, d in cls._event_dtypes.items()})

    @classmethod
    def create_events_np_files(cls, extract_root: str | Path, events_np_root: str | Path) -> None:
        """`create_raw_from_extracted` under its name in SpikingJelly before 2.0."""
        cls.create_raw_from_extracted(extract_root, events_np_root)
