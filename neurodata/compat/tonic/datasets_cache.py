"""``tonic.MemoryCachedDataset``, ``tonic.DiskCachedDataset`` (and its old name ``CachedDataset``).

Both keep what ``dataset[i]`` returns and apply their own ``transform`` / ``target_transform`` /
``transforms`` after the cache, so random augmentations differ per epoch. The disk cache writes one
``<index>_<copy>.npz`` per sample under ``cache_path`` (numpy arrays, torch tensors and numbers;
atomically, so an interrupted run never leaves a half-written sample) and records the dataset's type and
length in ``cache.json``: a cache made for another dataset raises instead of being read (Tonic reads it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.datasets.sliced import save_npz_atomic
from neurodata.errors import CacheError

__all__ = ["CachedDataset", "DiskCachedDataset", "MemoryCachedDataset"]


def _after(item: tuple[Any, Any], transform: Any, target_transform: Any, transforms: Any) -> tuple[Any, Any]:
    data, target = item
    if transform is not None:
        data = transform(data)
    if target_transform is not None:
        target = target_transform(target)
    if transforms is not None:
        data, target = transforms(data, target)
    return data, target


@dataclass
class MemoryCachedDataset:
    """`dataset`'s items kept in memory after their first read."""

    dataset: Any
    device: Any = None
    transform: Callable[[Any], Any] | None = None
    target_transform: Callable[[Any], Any] | None = None
    transforms: Callable[[Any, Any], Any] | None = None
    samples_dict: dict[int, tuple[Any, Any]] = field(default_factory=dict)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index not in self.samples_dict:
            data, target = self.dataset[index]
            if self.device is not None and hasattr(data, "to"):
                data = data.to(self.device)
            self.samples_dict[index] = (data, target)
        return _after(self.samples_dict[index], self.transform, self.target_transform, self.transforms)

    def __len__(self) -> int:
        return len(self.dataset)


def _to_array(v: Any) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    a = np.asarray(v)
    if a.dtype == object:
        raise CacheError(f"DiskCachedDataset: cannot store a {type(v).__name__} (arrays, tensors and numbers only)")
    return a


@dataclass
class DiskCachedDataset:
    """`dataset`'s items stored under `cache_path` the first time they are read (`num_copies` per item)."""

    dataset: Any
    cache_path: str
    reset_cache: bool = False
    transform: Callable[[Any], Any] | None = None
    target_transform: Callable[[Any], Any] | None = None
    transforms: Callable[[Any, Any], Any] | None = None
    num_copies: int = 1
    compress: bool = True

    def __post_init__(self) -> None:
        root = Path(self.cache_path)
        root.mkdir(parents=True, exist_ok=True)
        manifest = root / "cache.json"
        me = {
            "dataset": f"{type(self.dataset).__module__}.{type(self.dataset).__qualname__}",
            "length": len(self.dataset),
        }
        if self.reset_cache:
            for p in root.glob("*_*.npz"):
                p.unlink()
        elif manifest.exists() and json.loads(manifest.read_text()) != me:
            raise CacheError(
                f"{manifest} describes {manifest.read_text()}, not {me}; pass reset_cache=True or another cache_path"
            )
        manifest.write_text(json.dumps(me))

    def __getitem__(self, item: int) -> tuple[Any, Any]:
        copy = int(np.random.randint(self.num_copies)) if self.num_copies > 1 else 0
        path = Path(self.cache_path) / f"{item}_{copy}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                data, target = f["data"], f["target"]
            target = target.item() if target.ndim == 0 else target
        else:
            data, target = self.dataset[item]
            save_npz_atomic(path, data=_to_array(data), target=_to_array(target))
        return _after((data, target), self.transform, self.target_transform, self.transforms)

    def __len__(self) -> int:
        return len(self.dataset)


class CachedDataset(DiskCachedDataset):
    """Tonic's old name for `DiskCachedDataset`."""
