"""``tonic.SlicedDataset``: a dataset's samples cut by a Tonic slicer, with keyed, cached slice metadata.

Tonic recomputes the metadata at every instantiation unless ``metadata_path`` is given, and then reads
``slice_metadata.h5`` from there whatever the slicer or the dataset (a stale file is silently reused).
Here the file under ``metadata_path`` is named by a key of the slicer's parameters and the dataset's
identity (`neurodata.datasets.sliced.cached_metadata`): change either and it is recomputed; the old file
stays. For our own datasets the identity covers the event stores' paths, sizes and times; for other
datasets it is their type and length, so a dataset whose items change at the same length needs a new
``metadata_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.compat.tonic.slicers import Slicer
from neurodata.datasets.sliced import _StoreSource, cached_metadata, slicing_key

__all__ = ["SlicedDataset"]


def _identity(dataset: Any) -> list[Any]:
    kind = f"{type(dataset).__module__}.{type(dataset).__qualname__}"
    if hasattr(dataset, "_events") and hasattr(dataset, "_locate"):
        return [kind, _StoreSource(dataset).fingerprint()]
    return [kind, len(dataset), repr(getattr(dataset, "save_to", None)), repr(getattr(dataset, "train", None))]


@dataclass
class SlicedDataset:
    """Each sample of `dataset` cut into slices by `slicer`; ``len`` is the total number of slices."""

    dataset: Iterable[Any]
    slicer: Slicer
    metadata_path: str | None = None
    transform: Callable[[Any], Any] | None = None
    target_transform: Callable[[Any], Any] | None = None
    transforms: Callable[[Any, Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.metadata_path:
            key = {"slicing": slicing_key(self.slicer), "source": _identity(self.dataset)}
            arrays = cached_metadata(Path(self.metadata_path), key, self._arrays)
        else:
            arrays = self._arrays()
        bounds = np.r_[0, np.cumsum(arrays["count"])]
        flat = arrays["metadata"]
        self.metadata = [flat[bounds[i] : bounds[i + 1]] for i in range(len(arrays["count"]))]
        self.slice_dataset_map = [(i, j) for i, m in enumerate(self.metadata) for j in range(len(m))]

    def generate_metadata(self) -> list[np.ndarray]:
        """The slicer's metadata for every sample (a `[k, 2]` array of start and stop per sample)."""
        return [
            np.asarray(self.slicer.get_slice_metadata(data, targets)).reshape(-1, 2) for data, targets in self.dataset
        ]

    def _arrays(self) -> dict[str, np.ndarray]:
        per_sample = self.generate_metadata()
        return {
            "count": np.asarray([len(m) for m in per_sample], dtype=np.int64),
            "metadata": np.concatenate(per_sample).astype(np.int64) if per_sample else np.zeros((0, 2), np.int64),
        }

    def __getitem__(self, item: int) -> tuple[Any, Any]:
        dataset_index, slice_index = self.slice_dataset_map[item]
        data, targets = self.dataset[dataset_index]  # type: ignore[index]
        data_slice, target_slice = self.slicer.slice_with_metadata(
            data, targets, [tuple(self.metadata[dataset_index][slice_index])]
        )
        if isinstance(data_slice, list) and len(data_slice) == 1:
            data_slice = data_slice[0]
        if isinstance(target_slice, list) and len(target_slice) == 1:
            target_slice = target_slice[0]
        if self.transform:
            data_slice = self.transform(data_slice)
        if self.target_transform:
            target_slice = self.target_transform(target_slice)
        if self.transforms is not None:
            data_slice, target_slice = self.transforms(data_slice, target_slice)
        return data_slice, target_slice

    def __len__(self) -> int:
        return len(self.slice_dataset_map)
