"""Dataset roots prepared by SpikingJelly's own code, on the miniatures of `neurodata.synth`.

`prepare_with_spikingjelly` writes a miniature's archives (the real formats and layouts) into
``root/download`` and runs SpikingJelly's dataset class on it, which extracts them into ``extract/``,
decodes them into ``events_np/`` and integrates the frames folders asked for: the root a SpikingJelly
user has on disk. Only SpikingJelly's MD5 check is skipped (the miniature's checksums are not the real
files'); the miniature's ``sample.json`` is kept out of ``download/`` while SpikingJelly extracts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from neurodata import synth
from tests.peers import spikingjelly_datasets

MODULES = {"dvs128-gesture": "dvs128_gesture", "n-mnist": "n_mnist", "cifar10-dvs": "cifar10_dvs"}
CLASSES = {"dvs128-gesture": "DVS128Gesture", "n-mnist": "NMNIST", "cifar10-dvs": "CIFAR10DVS"}
# CIFAR10-DVS: 11 files per class, so that names _1 and _10 meet (string order is not number order)
SIZES = {
    "dvs128-gesture": synth.SampleSize(samples_per_class=1, events_per_sample=300),
    "n-mnist": synth.SampleSize(samples_per_class=2, events_per_sample=200),
    "cifar10-dvs": synth.SampleSize(samples_per_class=11, events_per_sample=120),
}


def spikingjelly_class(name: str) -> Any:
    """SpikingJelly's class of dataset `name` (skips when SpikingJelly is not installed)."""
    return getattr(getattr(spikingjelly_datasets(), MODULES[name]), CLASSES[name])


def split_kw(name: str, train: bool = True) -> dict[str, Any]:
    """The `train` argument of the dataset (CIFAR10-DVS has none)."""
    return {} if name == "cifar10-dvs" else {"train": train}


def spikingjelly_dataset(name: str, root: Path, **kw: Any) -> Any:
    """SpikingJelly's dataset `name` on `root`, its MD5 check of ``download/`` skipped."""
    cls = spikingjelly_class(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cls, "_check_downloaded_files", classmethod(lambda c, download_root: None))
        return cls(str(root), **kw)


def prepare_with_spikingjelly(
    name: str, root: Path, frames: Sequence[dict[str, Any]] = (), *, seed: int = 0, size: synth.SampleSize | None = None
) -> Path:
    """Write `name`'s miniature into `root` and let SpikingJelly prepare it (events_np, one frames folder per
    kwargs in `frames`, for every split). Returns `root`."""
    manifest = synth.make_sample(name, root, size or SIZES[name], seed=seed)
    kept = manifest.read_bytes()
    manifest.unlink()  # SpikingJelly extracts every file of download/ for N-MNIST and CIFAR10-DVS
    splits = [{}] if name == "cifar10-dvs" else [{"train": True}, {"train": False}]
    for kw in [{}, *frames]:
        for split in splits:
            spikingjelly_dataset(name, root, **split, **kw)
    manifest.write_bytes(kept)
    return root
