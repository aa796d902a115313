"""``spikingjelly.datasets.utils`` (SpikingJelly 2.0.0) under its own names, over neurodata's core.

Frames come from `neurodata.integrate` in float64, as SpikingJelly returns them; event readers are
`neurodata.io`'s, cast to SpikingJelly's dtypes. Files are written atomically (a temporary name, then a
rename), compressed unless ``SJ_SAVE_DATASETS_COMPRESSED=0``, as SpikingJelly's ``configure`` does.
Differences from SpikingJelly are listed in ``docs/compat.md`` (section SpikingJelly ``datasets``).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neurodata import integrate
from neurodata import split as _split
from neurodata.datasets import split_to_train_test_set as _split_to_train_test_set
from neurodata.io import load_aedat_v3 as _load_aedat_v3
from neurodata.io import load_ATIS_bin as _load_ATIS_bin
from neurodata.loading import pad_sequence_collate, padded_sequence_mask
from neurodata.show import frames_to_rgb as _frames_to_rgb
from neurodata.show import play_frame as _play_frame

__all__ = [
    "cal_fixed_frames_number_segment_index",
    "create_same_directory_structure",
    "create_sub_dataset",
    "fast_split_to_train_test_set",
    "integrate_events_by_fixed_duration",
    "integrate_events_by_fixed_frames_number",
    "integrate_events_file_to_frames_file_by_fixed_duration",
    "integrate_events_file_to_frames_file_by_fixed_frames_number",
    "integrate_events_segment_to_frame",
    "load_ATIS_bin",
    "load_aedat_v3",
    "load_npz_frames",
    "np_savez",
    "pad_sequence_collate",
    "padded_sequence_mask",
    "play_frame",
    "save_as_pic",
    "save_frames_to_npz_and_print",
    "split_to_train_test_set",
]

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]


class SplitByError(ValueError, NotImplementedError):
    """A `split_by` other than 'number' or 'time' (SpikingJelly raises NotImplementedError; both catch it)."""


def _compressed() -> bool:
    return os.environ.get("SJ_SAVE_DATASETS_COMPRESSED", "1").strip().lower() not in ("0", "false", "no", "off")


def np_savez(file: PathLike, **arrays: Any) -> None:
    """Write `arrays` to the ``.npz`` file `file` (``.npz`` appended if missing), atomically.

    Compressed (``np.savez_compressed``) unless the environment sets ``SJ_SAVE_DATASETS_COMPRESSED=0``.
    """
    path = Path(file)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with tmp.open("wb") as f:
            (np.savez_compressed if _compressed() else np.savez)(f, **arrays)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_frames_to_npz_and_print(fname: PathLike, frames: Any) -> None:
    """Save `frames` under the key ``frames`` in `fname` and log the path (SpikingJelly's helper)."""
    np_savez(fname, frames=frames)
    log.info("Frames [%s] saved.", fname)


def frames_to_rgb(x: Any) -> np.ndarray:
    """`[T, 2, H, W]` -> `[T, H, W, 3]` uint8 as SpikingJelly draws it: channel 0 green, channel 1 blue, on black."""
    return _frames_to_rgb(x, style="spikingjelly")


def play_frame(x: Any, save_gif_to: PathLike | None = None) -> None:
    """Show `[T, 2, H, W]` frames (channel 0 green, channel 1 blue), or save them as a GIF at `save_gif_to`.

    The image is the frames' size (as SpikingJelly's); counts are scaled by the stack's peak
    (`neurodata.show.frames_to_rgb`), where SpikingJelly's ``ToPILImage`` multiplies by 255 and wraps
    counts above 1 around.
    """
    _play_frame(x, save_gif_to, scale=1, style="spikingjelly")


def save_as_pic(x: Any, save_pic_to: PathLike = "./", pic_first_name: str = "pic") -> None:
    """Save each frame of `[T, 2, H, W]` `x` as ``<save_pic_to>/<pic_first_name>_<t>.png`` (colours of `play_frame`)."""
    from PIL import Image

    folder = Path(save_pic_to)
    for t, rgb in enumerate(frames_to_rgb(x)):
        Image.fromarray(rgb).save(folder / f"{pic_first_name}_{t}.png")


def load_aedat_v3(file_name: PathLike) -> dict[str, np.ndarray]:
    """Events of an AEDAT 3.1 file (DVS128 Gesture) as ``{'t', 'x', 'y', 'p'}`` int64 arrays, file order.

    Read as SpikingJelly reads: every polarity event, including those flagged invalid, a header without
    the ``#!AER-DAT3.1`` line, any eventTSOffset (`neurodata.read_aedat31` drops or refuses these).
    """
    return {k: v.astype(np.int64) for k, v in _load_aedat_v3(file_name, keep_invalid=True, strict=False).items()}


def load_ATIS_bin(file_name: PathLike) -> dict[str, np.ndarray]:
    """Events of an ATIS ``.bin`` file (N-MNIST) as ``{'t', 'x', 'y', 'p'}`` uint32 arrays, file order.

    Timestamp-overflow markers are applied and removed (SpikingJelly keeps them as events at y=240).
    """
    return {k: v.astype(np.uint32) for k, v in _load_ATIS_bin(file_name).items()}


def load_npz_frames(file_name: PathLike) -> np.ndarray:
    """The ``frames`` array of an ``.npz`` file, as float32."""
    with np.load(file_name) as z:
        return z["frames"].astype(np.float32)


def integrate_events_segment_to_frame(
    x: np.ndarray, y: np.ndarray, p: np.ndarray, H: int, W: int, j_l: int = 0, j_r: int | None = None
) -> np.ndarray:
    """One float64 frame `[2, H, W]` counting events ``x[j_l:j_r]`` (Python slice rules; ``p != 0`` -> channel 1)."""
    start, stop, _ = slice(j_l, j_r).indices(len(x))
    return integrate.integrate_events_segment_to_frame(x, y, p, H, W, start, max(start, stop), dtype=np.float64)


def cal_fixed_frames_number_segment_index(events_t: np.ndarray, split_by: str, frames_num: int) -> tuple[Any, Any]:
    """``(j_l, j_r)``: frame j of `frames_num` integrates events ``j_l[j] <= i < j_r[j]`` (two `[M]` int64 arrays).

    ``split_by='number'``: equal event counts; ``'time'``: equal durations of sorted `events_t` (µs).
    """
    if split_by not in ("number", "time"):
        raise SplitByError(f"split_by must be 'number' or 'time', got {split_by!r}")
    events_t = np.asarray(events_t)
    if split_by == "time" and len(events_t) > 1 and (events_t[1:] < events_t[:-1]).any():
        raise ValueError("cal_fixed_frames_number_segment_index: events_t must be sorted for split_by='time'")
    return _split.cal_fixed_frames_number_segment_index(events_t, split_by, frames_num)


def integrate_events_by_fixed_frames_number(
    events: Mapping[str, Any], split_by: str, frames_num: int, H: int, W: int
) -> np.ndarray:
    """`[frames_num, 2, H, W]` float64 frames of a ``{'t', 'x', 'y', 'p'}`` dict (windows of
    `cal_fixed_frames_number_segment_index`)."""
    if split_by not in ("number", "time"):
        raise SplitByError(f"split_by must be 'number' or 'time', got {split_by!r}")
    return integrate.integrate_events_by_fixed_frames_number(events, split_by, frames_num, H, W, dtype=np.float64)


def integrate_events_by_fixed_duration(events: Mapping[str, Any], duration: int, H: int, W: int) -> np.ndarray:
    """`[M, 2, H, W]` float64 frames of `duration` µs each, ``M = ceil((t[-1] - t[0]) / duration)``."""
    return integrate.integrate_events_by_fixed_duration(events, duration, H, W, dtype=np.float64)


def integrate_events_file_to_frames_file_by_fixed_frames_number(
    loader: Callable[[Any], Mapping[str, Any]],
    events_np_file: PathLike,
    output_dir: PathLike,
    split_by: str,
    frames_num: int,
    H: int,
    W: int,
    print_save: bool = False,
) -> None:
    """Integrate ``loader(events_np_file)`` and save the frames as ``output_dir/<same file name>`` (key ``frames``)."""
    fname = Path(output_dir) / Path(events_np_file).name
    np_savez(fname, frames=integrate_events_by_fixed_frames_number(loader(events_np_file), split_by, frames_num, H, W))
    if print_save:
        log.info("Frames [%s] saved.", fname)


def integrate_events_file_to_frames_file_by_fixed_duration(
    loader: Callable[[Any], Mapping[str, Any]],
    events_np_file: PathLike,
    output_dir: PathLike,
    duration: int,
    H: int,
    W: int,
    print_save: bool = False,
) -> int:
    """Integrate ``loader(events_np_file)`` by `duration`; save as ``output_dir/<stem>_<M>.npz``; return M."""
    frames = integrate_events_by_fixed_duration(loader(events_np_file), duration, H, W)
    fname = Path(output_dir) / f"{Path(events_np_file).stem}_{frames.shape[0]}.npz"
    np_savez(fname, frames=frames)
    if print_save:
        log.info("Frames [%s] saved.", fname)
    return int(frames.shape[0])


def create_same_directory_structure(source_dir: PathLike, target_dir: PathLike) -> None:
    """Create in `target_dir` every sub-folder of `source_dir`, recursively (an existing one raises, as in
    SpikingJelly)."""
    for src in Path(source_dir).iterdir():
        if src.is_dir():
            dst = Path(target_dir) / src.name
            dst.mkdir()
            create_same_directory_structure(src, dst)


def split_to_train_test_set(
    train_ratio: float, origin_dataset: Any, num_classes: int, random_split: bool = False
) -> tuple[torch.utils.data.Subset, torch.utils.data.Subset]:
    """Per class, the first ``ceil(n_c * train_ratio)`` samples train, the rest test (two `Subset`s).

    With `random_split`, each class's indices are shuffled by ``numpy.random.shuffle`` first (seed
    ``numpy.random`` for the same split as SpikingJelly). Labels come from ``targets`` when the dataset
    has them, without loading samples.
    """
    return _split_to_train_test_set(train_ratio, origin_dataset, num_classes, random_split, shuffle=np.random.shuffle)


def fast_split_to_train_test_set(
    train_ratio: float, origin_dataset: Any, num_classes: int, random_split: bool = False, batch_size: int = 16
) -> tuple[torch.utils.data.Subset, torch.utils.data.Subset]:
    """`split_to_train_test_set` (SpikingJelly's threaded variant; `batch_size` is accepted and unused)."""
    return split_to_train_test_set(train_ratio, origin_dataset, num_classes, random_split)


def create_sub_dataset(
    source_dir: PathLike, target_dir: PathLike, ratio: float, use_soft_link: bool = True, randomly: bool = False
) -> None:
    """Link (or copy) the first ``int(ratio * n)`` files of every folder of `source_dir` into `target_dir`.

    SpikingJelly's order: `os.walk`'s, or a ``numpy.random.shuffle`` of it with `randomly`; ``ratio >= 1``
    takes every file. Links point to absolute paths. The folder tree is created first (an existing
    sub-folder raises, as in SpikingJelly).
    """
    Path(target_dir).mkdir(parents=True, exist_ok=True)
    create_same_directory_structure(source_dir, target_dir)
    for folder, _, files in os.walk(source_dir, followlinks=True):
        if not files:
            continue
        out = Path(target_dir) / Path(folder).relative_to(source_dir)
        n = len(files) if ratio >= 1.0 else int(ratio * len(files))
        if n == 0:
            log.warning("No samples selected from [%s] for output [%s].", folder, out)
        if randomly:
            np.random.shuffle(files)
        for name in files[:n]:
            src, dst = Path(folder) / name, out / name
            if use_soft_link:
                dst.symlink_to(src.absolute())
            else:
                shutil.copyfile(src, dst)
