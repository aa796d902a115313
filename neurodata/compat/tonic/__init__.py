"""``tonic`` under its own names: ``import neurodata.compat.tonic as tonic``.

Submodules: `transforms` (with `transforms.functional`), `functional`, `slicers`, `io`, `collation`,
`datasets`; and
`SlicedDataset`, `DiskCachedDataset` / `CachedDataset`, `MemoryCachedDataset`. Each is a thin layer over
neurodata's own functions (`neurodata.functional`, `neurodata.split`, `neurodata.io`); the mapping and the
deliberate differences from Tonic 1.7 are in ``docs/compat.md``.
"""

from neurodata.compat.tonic import collation, datasets, functional, io, slicers, transforms
from neurodata.compat.tonic.datasets_cache import CachedDataset, DiskCachedDataset, MemoryCachedDataset
from neurodata.compat.tonic.sliced_dataset import SlicedDataset

__version__ = "1.7.0"  # the Tonic release whose names and behaviour this layer follows

__all__ = [
    "CachedDataset",
    "DiskCachedDataset",
    "MemoryCachedDataset",
    "SlicedDataset",
    "collation",
    "datasets",
    "functional",
    "io",
    "slicers",
    "transforms",
]
