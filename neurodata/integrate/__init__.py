"""Event-to-frame integration: SpikingJelly's public functions and Tonic's windowing, numpy or torch.

The other representations (voxel grids, time surfaces, HATS, Bina-Rep, stacked histograms, sparse counts)
live in `neurodata.integrate.representations` and are re-exported here.

Frames are `[T, 2, H, W]`: channel 0 counts events with ``p == 0``, channel 1 events with ``p != 0``
(SpikingJelly's rule; events built with `neurodata.make_events` already map -1/+1 polarity to 0/1).

Events may be given as a dict ``{'t', 'x', 'y', 'p'}`` of numpy arrays or of torch tensors, or as a
structured array with those fields (`EVENT_DTYPE` or Tonic's). Given torch tensors, the work runs with
torch on the tensors' device (CPU or CUDA) and a torch tensor comes back, equal to the numpy result.

Output dtype: float32 by default (exact for counts up to 2**24 per pixel and frame, and what a network
consumes); pass an integer dtype such as ``np.uint16`` or ``np.int32`` for compact caches. Counts are
computed in int64 and a count that the requested dtype cannot hold exactly raises `ValueError` instead of
wrapping around (Tonic's int16 frames wrap at 32,768 events).

Differences from SpikingJelly, all where SpikingJelly raises: an empty time window, a span shorter than
``frames_num`` µs, and all timestamps equal (fixed duration) give zero frames or a single frame instead of
IndexError; every event is counted exactly once. Frames equal SpikingJelly's wherever it does not raise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import numpy as np

from neurodata import split as _split
from neurodata.integrate import _numpy
from neurodata.integrate._common import Fields, cast_counts, check_coordinates, fields_of, is_torch

__all__ = [
    "Bounds",
    "averaged_time_surface",
    "bina_rep",
    "cal_fixed_frames_number_segment_index",
    "event_image",
    "integrate_events_batch",
    "integrate_events_by_fixed_duration",
    "integrate_events_by_fixed_frames_number",
    "integrate_events_segment_to_frame",
    "integrate_keys",
    "integrate_windows",
    "local_time_surfaces",
    "pixel_key_dtype",
    "pixel_keys",
    "represent",
    "represent_batch",
    "represent_keys",
    "stacked_histogram",
    "time_surface",
    "to_frames",
    "to_sparse_coo",
    "voxel_grid",
    "window_bounds",
]

cal_fixed_frames_number_segment_index = _split.cal_fixed_frames_number_segment_index
DType = Any  # numpy dtype-like or torch.dtype
_R = TypeVar("_R")

# From this many events, validation runs on a second thread while the kernel counts. The checks are
# memory-bound numpy passes that release the GIL (the sortedness pass alone reads all of t: ~7 ms at 1e7
# events); the counting kernel holds it. Below this, a thread's start-up costs more than it hides.
_BACKGROUND_CHECK = 1 << 19  # coordinates only: measured a wash at 5e5 events, 15% faster at 1e6
_BACKGROUND_CHECK_SORTED = 1 << 18  # with the sortedness pass: 12% faster at 5e5 (DVS Gesture samples)
_FRAMES_PER_EVENT_LIMIT = 64  # frame pixels per event above which fixed-duration checks run first


def _check_sorted(t: Any) -> None:
    if is_torch(t):
        import torch

        bad = torch.nonzero(t[1:] < t[:-1])
        if bad.numel():
            i = int(bad[0, 0]) + 1
            raise ValueError(f"events: field 't' is not sorted: index {i} has t={int(t[i])} after {int(t[i - 1])}")
        return
    if len(t) < 2:
        return
    back = t[1:] < t[:-1]
    i = int(back.argmax())  # the first True if any; cheaper than any() on short arrays, as fast on long
    if back[i]:
        i += 1
        raise ValueError(f"events: field 't' is not sorted: index {i} has t={t[i]} after t={t[i - 1]}")


def _validate(f: Fields, height: int, width: int, sorted_t: bool) -> None:
    check_coordinates(f, height, width)
    if sorted_t:
        _check_sorted(f.t)


def _checked(
    f: Fields, height: int, width: int, sorted_t: bool, kernel: Callable[[], _R], *, checks_first: bool = False
) -> _R:
    """`kernel()`, run only on events that pass validation (coordinates; t sorted if `sorted_t`).

    For large numpy streams the checks overlap the kernel on a second thread; the kernel's result is
    dropped, and the validation error raised, if they fail (a kernel fed bad events may also raise or
    count garbage, neither of which reaches the caller). ``checks_first`` runs them before the kernel
    (for kernels whose work bad input could inflate).
    """
    threshold = _BACKGROUND_CHECK_SORTED if sorted_t else _BACKGROUND_CHECK
    if checks_first or len(f.x) < threshold or is_torch(f.x):
        _validate(f, height, width, sorted_t)
        return kernel()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            _validate(f, height, width, sorted_t)
        except BaseException as err:  # handed to the caller's thread below
            failure.append(err)

    checker = threading.Thread(target=run, name="neurodata-validate", daemon=True)
    checker.start()
    try:
        result = kernel()
    except BaseException:
        checker.join()
        if failure:
            raise failure[0] from None
        raise
    checker.join()
    if failure:
        raise failure[0]
    return result


def integrate_windows(
    events: Mapping[str, Any] | np.ndarray,
    starts: Any,
    stops: Any,
    H: int,
    W: int,
    *,
    dtype: DType = np.float32,
    validate: bool = True,
) -> Any:
    """Frames `[M, 2, H, W]` where frame j counts events with index ``starts[j] <= i < stops[j]``."""
    f = fields_of(events)
    starts, stops = np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64)
    if is_torch(f.x):
        from neurodata.integrate import _torch

        if validate:
            check_coordinates(f, H, W)
        return cast_counts(_torch.count_segments(f.x, f.y, f.p, starts, stops, H, W), dtype)

    def kernel() -> np.ndarray:
        return _numpy.count_segments(f.x, f.y, f.p, starts, stops, H, W, dtype)

    return _checked(f, H, W, False, kernel) if validate else kernel()


def integrate_events_segment_to_frame(
    x: Any,
    y: Any,
    p: Any,
    H: int,
    W: int,
    j_l: int = 0,
    j_r: int | None = None,
    *,
    dtype: DType = np.float32,
) -> Any:
    """One frame `[2, H, W]` counting events ``j_l <= i < j_r`` (``j_r=None``: to the end), SpikingJelly-compatible."""
    n = len(x)
    j_r = n if j_r is None else j_r
    frames = integrate_windows({"x": x, "y": y, "p": p, "t": None}, [j_l], [j_r], H, W, dtype=dtype)
    return frames[0]


def integrate_events_by_fixed_frames_number(
    events: Mapping[str, Any] | np.ndarray,
    split_by: str,
    frames_num: int,
    H: int,
    W: int,
    *,
    dtype: DType = np.float32,
    validate: bool = True,
) -> Any:
    """`[frames_num, 2, H, W]` frames of equal event counts (``'number'``) or equal durations (``'time'``).

    Window rules: `neurodata.split.segments_by_number` / `segments_by_time` (SpikingJelly's). With
    `validate`, coordinates are checked against H and W, and for ``'time'`` t must be sorted.
    """
    if split_by not in ("number", "time"):
        raise ValueError(f"split_by must be 'number' or 'time', got {split_by!r}")
    f = fields_of(events)
    if split_by == "time" and f.t is None:
        raise ValueError("split_by='time' needs timestamps: events has no 't' field")
    if is_torch(f.x):
        return integrate_events_batch(
            f, None, H, W, frames_num=frames_num, split_by=split_by, dtype=dtype, validate=validate
        )[0][0]

    def kernel() -> np.ndarray:
        if split_by == "number":
            starts, stops = _split.segments_by_number(len(f.x), frames_num)
        else:
            starts, stops = _split.segments_by_time(f.t, frames_num)
        return _numpy.count_segments(f.x, f.y, f.p, starts, stops, H, W, dtype, partition=True)

    return _checked(f, H, W, split_by == "time", kernel) if validate else kernel()


def integrate_events_by_fixed_duration(
    events: Mapping[str, Any] | np.ndarray,
    duration: int,
    H: int,
    W: int,
    *,
    dtype: DType = np.float32,
    validate: bool = True,
) -> Any:
    """`[M, 2, H, W]` frames of ``duration`` µs each, M = ``ceil((t[-1] - t[0]) / duration)`` (at least 1).

    Window rules: `neurodata.split.segments_by_duration` (SpikingJelly's, without its crash on a
    constant t). Empty input gives `[0, 2, H, W]`.
    """
    f = fields_of(events)
    if f.t is None:
        raise ValueError("integrate_events_by_fixed_duration needs timestamps: events has no 't' field")
    if is_torch(f.x):
        return integrate_events_batch(f, None, H, W, duration=duration, dtype=dtype, validate=validate)[0][0]

    def kernel() -> np.ndarray:
        starts, stops = _split.segments_by_duration(f.t, duration)
        return _numpy.count_segments(f.x, f.y, f.p, starts, stops, H, W, dtype, partition=True)

    if not validate:
        return kernel()
    # the frame count comes from t[0] and t[-1]: unsorted t could ask for a huge stack, so frames larger
    # than the events (in pixels per event) wait for the sortedness check instead of overlapping it
    big = _split.duration_frames_count(f.t, duration) * 2 * H * W > _FRAMES_PER_EVENT_LIMIT * len(f.t)
    return _checked(f, H, W, True, kernel, checks_first=big)


def pixel_key_dtype(H: int, W: int) -> np.dtype:
    """The narrowest unsigned type holding the ``2*H*W`` pixel keys of `pixel_keys` (uint16 up to 2x128x256)."""
    return np.dtype(_numpy._index_dtype(2 * H * W))


def pixel_keys(x: np.ndarray, y: np.ndarray, p: np.ndarray, H: int, W: int) -> np.ndarray:
    """``(c*H + y)*W + x`` per event with ``c = p != 0``, as `pixel_key_dtype(H, W)`: what `integrate_keys`
    counts. Coordinates must already be in range (unchecked here)."""
    out = np.empty(len(x), dtype=pixel_key_dtype(H, W))
    return _numpy._flat_index(x, y, p, H, W, _numpy.polarity_is_01(p), out)


def integrate_keys(
    keys: np.ndarray,
    t: np.ndarray | None,
    H: int,
    W: int,
    *,
    frames_num: int | None = None,
    split_by: str | None = None,
    duration: int | None = None,
    dtype: DType = np.float32,
) -> np.ndarray:
    """The fixed-frames-number or fixed-duration frames of events given as pixel keys, `[T, 2, H, W]`.

    ``keys`` are `pixel_keys` of the events, as the event store keeps them (checked when stored; not
    checked again); `t` (int64 µs, sorted) is needed for ``'time'`` and `duration`.
    Equal to `integrate_events_by_fixed_frames_number` / `integrate_events_by_fixed_duration` of the
    same events, without recomputing the pixel index.
    """
    if frames_num is not None:
        if split_by == "number":
            starts, stops = _split.segments_by_number(len(keys), frames_num)
        elif split_by == "time" and t is not None:
            starts, stops = _split.segments_by_time(t, frames_num)
        else:
            raise ValueError(f"split_by must be 'number' or 'time' (with t), got {split_by!r}")
    elif duration is not None and t is not None:
        starts, stops = _split.segments_by_duration(t, duration)
    else:
        raise ValueError("integrate_keys needs frames_num and split_by, or duration and t")
    return _numpy.count_keys(keys, starts, stops, H, W, dtype, partition=True)


def to_frames(
    events: Mapping[str, Any] | np.ndarray,
    sensor_size: tuple[int, int] | tuple[int, int, int],
    *,
    time_window: float | None = None,
    event_count: int | None = None,
    n_time_bins: int | None = None,
    n_event_bins: int | None = None,
    overlap: float = 0.0,
    include_incomplete: bool = False,
    start_time: float | None = None,
    end_time: float | None = None,
    compat: Literal["fixed", "tonic"] = "fixed",
    dtype: DType = np.float32,
    validate: bool = True,
) -> Any:
    """Tonic ``ToFrame``-style frames `[T, 2, H, W]`; ``sensor_size`` is Tonic's ``(W, H[, P])``.

    Windows come from `neurodata.split.slice_windows` (same arguments; read its docstring for where the
    default ``compat="fixed"`` keeps events that Tonic silently drops). Overlapping windows count an
    event in each window that holds it. Unlike Tonic, the shape is `[T, 2, H, W]` for empty input too.
    """
    width, height = int(sensor_size[0]), int(sensor_size[1])
    if len(sensor_size) > 2 and int(sensor_size[2]) != 2:
        raise ValueError(f"to_frames produces 2 polarity channels; sensor_size {sensor_size} asks for {sensor_size[2]}")
    f = fields_of(events)
    if f.t is None:
        raise ValueError("to_frames needs timestamps: events has no 't' field")
    t = f.t.detach().cpu().numpy() if is_torch(f.t) else np.asarray(f.t)
    if validate:
        _check_sorted(t)
    starts, stops = _split.slice_windows(
        t,
        time_window=time_window,
        event_count=event_count,
        n_time_bins=n_time_bins,
        n_event_bins=n_event_bins,
        overlap=overlap,
        include_incomplete=include_incomplete,
        start_time=start_time,
        end_time=end_time,
        compat=compat,
    )
    return integrate_windows(f.as_dict(), starts, stops, height, width, dtype=dtype, validate=validate)


def integrate_events_batch(
    events: Mapping[str, Any] | Fields,
    lengths: Any,
    H: int,
    W: int,
    *,
    frames_num: int | None = None,
    split_by: str | None = None,
    duration: int | None = None,
    dtype: DType = None,
    validate: bool = True,
) -> tuple[Any, Any]:
    """Integrate B packed samples at once with torch, on the tensors' device, in a fixed number of kernels.

    Args:
        events: dict of `[E]` tensors t, x, y, p: the B samples' events concatenated, each sample sorted.
        lengths: `[B]` events per sample (tensor or sequence); ``None`` means one sample.
        frames_num, split_by: SpikingJelly's fixed-frames-number rule per sample; or
        duration: the fixed-duration rule (µs) per sample, padded to the longest sample.
        dtype: torch dtype of the frames (default float32).

    Returns:
        ``(frames [B, T, 2, H, W], frame_lengths [B] int64)``; frame_lengths is T for every sample with
        frames_num, and each sample's own frame count with duration (padding frames are zero). Sample b's
        frames equal `integrate_events_by_fixed_frames_number` / `..._by_fixed_duration` of its events.
    """
    from neurodata.integrate import _torch

    f = events if isinstance(events, Fields) else fields_of(events)
    if validate:
        check_coordinates(f, H, W)
    return _torch.integrate_batch(
        f,
        lengths,
        H,
        W,
        frames_num=frames_num,
        split_by=split_by,
        duration=duration,
        dtype=dtype,
        validate=validate,
    )


# the representations use this module's checks, so they are imported once it is complete
from neurodata.integrate.representations import (  # noqa: E402
    Bounds,
    averaged_time_surface,
    bina_rep,
    event_image,
    local_time_surfaces,
    represent,
    represent_batch,
    represent_keys,
    stacked_histogram,
    time_surface,
    to_sparse_coo,
    voxel_grid,
    window_bounds,
)
