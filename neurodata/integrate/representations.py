"""Event representations per window: voxel grids, time surfaces, HATS, Bina-Rep, stacked histograms, counts.

Every representation maps the events of each window to one `[C, H', W']` array, so a sample becomes
`[M, C, H', W']` (definitions, shapes and units: `neurodata.spec`'s classes and docs/representations.md).
Windows come from the same rules as the frames (`neurodata.split`): a `neurodata.spec.Windows` (Tonic's
rules), SpikingJelly's rules through a `FrameSpec`, explicit `Bounds`, or None for one window holding the
whole sample. Counting is done by the frame integrators' kernels (stacked histograms and Bina-Rep are
counts over sub-windows), the rest by `_represent_numpy` / `_represent_torch`.

Events are a dict of numpy arrays or torch tensors, or a structured array, as for `neurodata.integrate`;
torch tensors are processed on their device and a tensor comes back (`represent_batch` takes packed
samples). Events must be sorted by t. A stream without events raises `EventsError` (every representation
here normalises or anchors time by its events), except counts, which are zeros.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from neurodata import split as _split
from neurodata.errors import EventsError
from neurodata.integrate import _numpy
from neurodata.integrate import _represent_numpy as _rn
from neurodata.integrate._common import Fields, cast_counts, check_coordinates, fields_of, is_torch
from neurodata.spec import (
    AveragedTimeSurface,
    BinaRep,
    Counts,
    FrameSpec,
    Representation,
    StackedHistogram,
    TimeSurface,
    VoxelGrid,
    Windows,
)

__all__ = [
    "Bounds",
    "averaged_time_surface",
    "bina_rep",
    "event_image",
    "local_time_surfaces",
    "represent",
    "represent_batch",
    "represent_keys",
    "stacked_histogram",
    "time_surface",
    "to_sparse_coo",
    "voxel_grid",
    "window_bounds",
]


class Bounds(NamedTuple):
    """Windows as index ranges ``[starts[j], stops[j])`` into the events, and each window's end time ``ends[j]``.

    ``ends`` (float64 µs) is where a time surface is read: the exclusive end of a time window, the time of
    the last event for event-count windows and for SpikingJelly's last window, which reaches the last event.
    """

    starts: np.ndarray
    stops: np.ndarray
    ends: np.ndarray


def _last_times(t: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    if len(t) == 0:
        return np.zeros(len(stops), dtype=np.float64)
    return t[np.clip(np.maximum(stops, starts + 1) - 1, 0, len(t) - 1)].astype(np.float64)


def window_bounds(
    t: np.ndarray,
    *,
    frames_number: int | None = None,
    split_by: str | None = None,
    duration: int | None = None,
    windows: Windows | None = None,
) -> Bounds:
    """The `Bounds` of one sample's sorted timestamps `t` (µs) under a window rule; no rule: one window."""
    t = np.asarray(t)
    n = len(t)
    if windows is not None:
        starts, stops, ends = _split.slice_window_bounds(t, **windows.kwargs())
        return Bounds(starts, stops, _last_times(t, starts, stops) if ends is None else ends)
    if frames_number is not None:
        if split_by == "number":
            starts, stops = _split.segments_by_number(n, frames_number)
            return Bounds(starts, stops, _last_times(t, starts, stops))
        if split_by != "time":
            raise ValueError(f"split_by must be 'number' or 'time', got {split_by!r}")
        starts, stops = _split.segments_by_time(t, frames_number)
        dt = (int(t[-1]) - int(t[0])) // frames_number if n else 0
        nominal = (int(t[0]) if n else 0) + dt * np.arange(1, frames_number + 1, dtype=np.float64)
        return Bounds(starts, stops, np.maximum(nominal, _last_times(t, starts, stops)))
    if duration is not None:
        starts, stops = _split.segments_by_duration(t, duration)
        nominal = (int(t[0]) if n else 0) + duration * np.arange(1, len(starts) + 1, dtype=np.float64)
        return Bounds(starts, stops, np.maximum(nominal, _last_times(t, starts, stops)))
    one = np.zeros(1, dtype=np.int64)
    return Bounds(one, one + n, _last_times(t, one, one + n))


def _spec_bounds(t: np.ndarray, rule: Any) -> Bounds:
    if isinstance(rule, Bounds):
        return Bounds(*(np.asarray(a) for a in rule))
    if isinstance(rule, FrameSpec):
        return window_bounds(
            t, frames_number=rule.frames_number, split_by=rule.split_by, duration=rule.duration, windows=rule.windows
        )
    if rule is None or isinstance(rule, Windows):
        return window_bounds(t, windows=rule)
    raise ValueError(f"windows must be a neurodata.spec.Windows, Bounds or None, got {rule!r}")


def _scale(rep: VoxelGrid) -> int:
    return rep.n_time_bins - 1 if rep.convention == "eraft" else rep.n_time_bins


def _check_bounds(b: Bounds, n: int) -> None:
    if len(b.starts) != len(b.stops) or len(b.stops) != len(b.ends):
        raise ValueError("Bounds: starts, stops and ends must have equal lengths")
    if len(b.stops) and (np.any(b.starts < 0) or np.any(b.stops > n) or np.any(b.stops < b.starts)):
        raise ValueError(f"Bounds: windows must lie within the {n} events with starts <= stops")
    if len(b.stops) > 1 and np.any(np.diff(b.stops) < 0):
        raise ValueError("Bounds: stops must not decrease (windows come in time order)")


# ------------------------------------------------------------------------------------------------ numpy


def _xyc(source: Any, a: int, b: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(source, np.ndarray):
        k = source[a:b].astype(np.int64)
        return k % w, (k // w) % h, k // (h * w)
    x, y, p = source
    return x[a:b], y[a:b], (p[a:b] != 0)


def _numpy_represent(
    rep: Representation, t: np.ndarray, source: Any, h: int, w: int, b: Bounds, dtype: Any = np.float64
) -> np.ndarray:
    """`[M, C, H', W']` of one sample's windows `b`: counts as int64, the rest as `dtype`."""
    m = len(b.starts)
    if isinstance(rep, Counts):
        return _numpy._count(source, b.starts, b.stops, h, w, np.int64, False)
    keys = _rn.Keys(source, h, w)
    if isinstance(rep, VoxelGrid):
        out = np.zeros((m, rep.n_time_bins, h * w), dtype=dtype)
        grid = out[0] if out.dtype == np.float64 else np.empty((rep.n_time_bins, h * w))
        for j in range(m):
            a, e = int(b.starts[j]), int(b.stops[j])
            if e > a:
                _rn.voxel_window(
                    t, keys, a, e, rep.n_time_bins, _scale(rep), out[j] if out.dtype == np.float64 else grid
                )
                if out.dtype != np.float64:
                    out[j] = grid
        return out.reshape(m, rep.n_time_bins, h, w)
    if isinstance(rep, TimeSurface):
        out = np.empty((m, 2 * h * w), dtype=dtype)
        _rn.time_surfaces(t, keys, b.stops, b.ends, rep.tau, out)
        return out.reshape(m, 2, h, w)
    if isinstance(rep, StackedHistogram):
        starts, stops = _rn.stacked_histogram_windows(t, b.starts, b.stops, rep.n_bins)
        nb = rep.n_bins
        out = np.empty((m, 2, nb, h, w), dtype=np.uint8 if np.dtype(dtype).kind == "f" else dtype)
        for j in range(m):  # window by window: the counts of all windows at once can be large
            lo, hi = starts[j * nb : (j + 1) * nb], stops[j * nb : (j + 1) * nb]
            exact = np.uint16 if hi[-1] - lo[0] <= np.iinfo(np.uint16).max else np.int64  # no count exceeds that
            counts = _numpy._count(source, lo, hi, h, w, exact, True)
            np.minimum(counts.transpose(1, 0, 2, 3), rep.count_cutoff, out=out[j], casting="unsafe")
        return out.reshape(m, 2 * nb, h, w)
    if isinstance(rep, BinaRep):
        return bina_rep(_numpy._count(source, b.starts, b.stops, h, w, np.int64, False), rep.n_bits)
    if isinstance(rep, AveragedTimeSurface):
        out = np.zeros((m, *rep.frame_shape(_sensor(h, w))), dtype=dtype)
        for j in range(m):
            a, e = int(b.starts[j]), int(b.stops[j])
            x, y, c = _xyc(source, a, e, h, w)
            out[j] = _rn.averaged_time_surface(
                t[a:e], x, y, c, h, w, rep.cell_size, rep.surface_size, rep.time_window, rep.tau, rep.decay
            ).reshape(out.shape[1:])
        return out
    raise ValueError(f"unknown representation {rep!r}")


def _sensor(h: int, w: int) -> Any:
    from neurodata.events import SensorSize

    return SensorSize(w, h, 2)


def _cast(rep: Representation, values: Any, dtype: Any) -> Any:
    if isinstance(rep, Counts) or (isinstance(rep, StackedHistogram) and values.dtype != dtype):
        return cast_counts(values, dtype)
    if is_torch(values):
        import torch

        from neurodata.integrate._common import _torch_dtype

        return values.to(dtype if isinstance(dtype, torch.dtype) else _torch_dtype(dtype))
    return values.astype(dtype, copy=False)


def _resolve_dtype(rep: Representation, dtype: Any) -> Any:
    if dtype is None:
        dtype = np.uint8 if isinstance(rep, StackedHistogram) else np.float32
    if not type(dtype).__module__.startswith("torch"):
        rep.check_dtype(np.dtype(dtype))
    return dtype


def _wide(f: Fields) -> Fields:
    """Torch fields as int64 (torch has no min/max for unsigned types but uint8)."""
    if not is_torch(f.x):
        return f
    import torch

    return Fields(*(None if a is None else torch.as_tensor(a).to(torch.int64) for a in (f.t, f.x, f.y, f.p)))


_CHECK_BESIDE = 1 << 22  # events from which the checks run on a second thread while the kernel computes


def _validated(f: Fields, h: int, w: int, rep: Representation, validate: bool, kernel: Any = None) -> Any:
    """Check the events (coordinates, t sorted; unless not `validate`), then return ``kernel()``.

    From 4M events the checks run beside the kernel on a second thread (`neurodata.integrate._checked`:
    a failed check discards the result and raises): measured 8% faster at 1e7 events. Below that they run
    first: these kernels make many short numpy calls, and a thread contending for the GIL cost more than
    the checks at 500k events (0.2 ms against 0.1).
    """
    from neurodata.integrate import _check_sorted, _checked

    if f.t is None:
        raise EventsError(f"{rep.kind}: events have no 't' field; every representation needs timestamps")
    if len(f.t) == 0 and not isinstance(rep, Counts):
        if validate:
            check_coordinates(f, h, w)
        raise EventsError(
            f"{rep.kind}: the stream has no events; this representation is defined by its events' times "
            "(drop empty samples first)"
        )
    if kernel is not None and validate and len(f.t) >= _CHECK_BESIDE and not is_torch(f.t):
        return _checked(f, h, w, True, kernel)
    if validate:
        check_coordinates(f, h, w)
        _check_sorted(f.t)
    return None if kernel is None else kernel()


def represent(
    events: Mapping[str, Any] | np.ndarray,
    H: int,
    W: int,
    representation: Representation | FrameSpec,
    *,
    windows: Windows | Bounds | None = None,
    dtype: Any = None,
    validate: bool = True,
) -> Any:
    """`[M, C, H', W']`: `representation` of each window of `events` (a `FrameSpec` brings its own rule).

    ``dtype`` defaults to float32 (uint8 for `StackedHistogram`); counts are checked to fit it exactly.
    """
    if isinstance(representation, FrameSpec):
        spec = representation
        if spec.custom is not None:
            raise ValueError("a custom integration function's spec has no representation to compute")
        rep: Representation = spec.representation or Counts()
        rule: Any = spec if windows is None else windows
        dtype = spec.dtype if dtype is None else dtype
    else:
        rep, rule = representation, windows
    dtype = _resolve_dtype(rep, dtype)
    f = _wide(fields_of(events))
    if is_torch(f.x):
        _validated(f, H, W, rep, validate)
        out, _ = _torch_batch(rep, f, None, H, W, rule)
        return _cast(rep, out[0], dtype)
    t = np.asarray(f.t) if f.t is not None else None

    def kernel() -> Any:
        b = _spec_bounds(t, rule)
        _check_bounds(b, len(t))
        return _cast(rep, _numpy_represent(rep, t, (f.x, f.y, f.p), H, W, b, dtype), dtype)

    return _validated(f, H, W, rep, validate, kernel)


def represent_keys(keys: np.ndarray, t: np.ndarray, H: int, W: int, spec: FrameSpec) -> np.ndarray:
    """`represent` of events given as the event store's pixel keys ``(p*H + y)*W + x`` and sorted t.

    Keys are checked when stored and not checked again. Returns the spec's dtype.
    """
    rep = spec.representation or Counts()
    if len(t) == 0 and not isinstance(rep, Counts):
        raise EventsError(f"{rep.kind}: the sample has no events; this representation is defined by its events' times")
    b = _spec_bounds(t, spec)
    return _cast(rep, _numpy_represent(rep, t, keys, H, W, b, np.dtype(spec.dtype)), np.dtype(spec.dtype))


# ------------------------------------------------------------------------------------------------ torch


def _torch_batch(rep: Representation, f: Fields, lengths: Any, h: int, w: int, rule: Any) -> tuple[Any, Any]:
    """``(out [B, M_max, C, H', W'] float64/int64, n_windows [B])`` for packed torch samples."""
    import torch

    from neurodata.integrate import _represent_torch as _rt

    device = f.x.device if is_torch(f.x) else torch.device("cpu")
    t = _rt.as_int64(f.t, device)
    keys = _rt.pixel_keys(*(_rt.as_int64(a, device) for a in (f.x, f.y, f.p)), h, w)
    t_host = t.cpu().numpy()
    n = len(t_host)
    sizes = np.asarray([n] if lengths is None else torch.as_tensor(lengths).cpu().numpy(), dtype=np.int64)
    if sizes.ndim != 1 or np.any(sizes < 0) or int(sizes.sum()) != n:
        raise ValueError(f"lengths must be non-negative and sum to the {n} packed events, got {sizes.tolist()}")
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    per = []
    for s in range(len(sizes)):
        a, e = int(offsets[s]), int(offsets[s + 1])
        if a == e and not isinstance(rep, Counts):
            raise EventsError(f"{rep.kind}: sample {s} has no events; this representation is defined by its times")
        bs = _spec_bounds(t_host[a:e], rule)
        _check_bounds(bs, e - a)
        if isinstance(rep, BinaRep) and len(bs.starts) % rep.n_bits:
            raise ValueError(
                f"BinaRep(n_bits={rep.n_bits}) needs a multiple of n_bits windows; sample {s} has {len(bs.starts)}"
            )
        per.append(Bounds(bs.starts + a, bs.stops + a, bs.ends))
    n_win = np.asarray([len(b.starts) for b in per], dtype=np.int64)
    g = Bounds(*(np.concatenate([b[i] for b in per]) for i in range(3)))
    window_sample = np.repeat(np.arange(len(sizes)), n_win)
    window_local = np.arange(int(n_win.sum())) - np.repeat(np.cumsum(n_win) - n_win, n_win)
    bins = 2 * h * w
    m = len(g.starts)
    if isinstance(rep, Counts):
        vals = _rt.counts(keys, g.starts, g.stops, bins).reshape(m, 2, h, w)
    elif isinstance(rep, BinaRep):
        vals = bina_rep(_rt.counts(keys, g.starts, g.stops, bins).reshape(m, 2, h, w), rep.n_bits)
        n_win //= rep.n_bits
        window_sample = window_sample[:: rep.n_bits]
        window_local = window_local[:: rep.n_bits] // rep.n_bits
    elif isinstance(rep, StackedHistogram):
        sub = _rn.stacked_histogram_windows(t_host, g.starts, g.stops, rep.n_bins)
        c = _rt.counts(keys, *sub, bins).reshape(m, rep.n_bins, 2, h, w)
        vals = torch.clamp(c.permute(0, 2, 1, 3, 4).reshape(m, 2 * rep.n_bins, h, w), max=rep.count_cutoff)
    elif isinstance(rep, VoxelGrid):
        nb, scale = rep.n_time_bins, _scale(rep)
        sub_starts = np.empty((m, nb), dtype=np.int64)
        sub_stops = np.empty((m, nb), dtype=np.int64)
        sub_edges = np.zeros((m, nb), dtype=np.int64)
        r = np.zeros((m, nb), dtype=np.int64)
        span = np.zeros(m, dtype=np.int64)
        for j in range(m):
            a, e = int(g.starts[j]), int(g.stops[j])
            if e <= a:
                sub_starts[j] = sub_stops[j] = a
                continue
            t0, span[j], edges_t, idx = _rn.voxel_edges(t_host, a, e, nb, scale)
            sub_starts[j], sub_stops[j], sub_edges[j] = idx[:-1], idx[1:], edges_t[:-1]
            if span[j] and scale:
                r[j] = scale * (edges_t[:-1] - t0) - np.arange(nb) * span[j]
        vals = _rt.voxel_grid(
            t, keys, sub_starts.reshape(-1), sub_stops.reshape(-1), sub_edges.reshape(-1), r, span, nb, scale, bins
        ).reshape(m, nb, h, w)
    elif isinstance(rep, TimeSurface):
        vals = _rt.time_surfaces(t, keys, g.stops, g.ends, window_sample, window_local, offsets, bins, rep.tau).reshape(
            m, 2, h, w
        )
    else:  # HATS: the pair search runs on the host
        k_host = keys.cpu().numpy()
        vals = torch.from_numpy(_numpy_represent(rep, t_host, k_host, h, w, g)).to(device)
    b_count = len(sizes)
    m_max = int(n_win.max()) if b_count else 0
    out = torch.zeros((b_count, m_max, *vals.shape[1:]), dtype=vals.dtype, device=device)
    if len(window_sample):
        out[torch.as_tensor(window_sample, device=device), torch.as_tensor(window_local, device=device)] = vals
    return out, torch.as_tensor(n_win, device=device)


def represent_batch(
    events: Mapping[str, Any] | Fields,
    lengths: Any,
    H: int,
    W: int,
    representation: Representation | FrameSpec,
    *,
    windows: Windows | None = None,
    dtype: Any = None,
    validate: bool = True,
) -> tuple[Any, Any]:
    """`represent` for B packed torch samples at once, on the tensors' device.

    Args:
        events: dict of `[E]` tensors t, x, y, p: the samples' events concatenated, each sample sorted.
        lengths: `[B]` events per sample (``None``: one sample).

    Returns:
        ``(out [B, M_max, C, H', W'], n_windows [B])``; a sample's padding windows are zero. Sample b's
        ``out[b, :n_windows[b]]`` equals `represent` of its events. Windows are computed on the host from
        the timestamps; the per-event work runs on the device.
    """
    import torch

    if isinstance(representation, FrameSpec):
        spec = representation
        rep: Representation = spec.representation or Counts()
        rule: Any = spec if windows is None else windows
        dtype = spec.dtype if dtype is None else dtype
    else:
        rep, rule = representation, windows
    dtype = _resolve_dtype(rep, dtype)
    f = _wide(events if isinstance(events, Fields) else fields_of(events))
    if f.t is None:
        raise EventsError(f"{rep.kind}: events have no 't' field; every representation needs timestamps")
    if validate:
        check_coordinates(f, H, W)
        t = torch.as_tensor(f.t)
        sizes = torch.as_tensor([len(t)] if lengths is None else lengths, device=t.device)
        sid = torch.repeat_interleave(torch.arange(len(sizes), device=t.device), sizes.to(torch.int64))
        if len(t) > 1:
            back = (t[1:] < t[:-1]) & (sid[1:] == sid[:-1])
            if bool(back.any()):
                i = int(back.nonzero()[0, 0]) + 1
                raise ValueError(f"events: field 't' is not sorted within sample {int(sid[i])} at index {i}")
    out, n_win = _torch_batch(rep, f, lengths, H, W, rule)
    return _cast(rep, out, dtype), n_win


# ------------------------------------------------------------------------------------------------ named forms


def voxel_grid(
    events: Mapping[str, Any] | np.ndarray,
    H: int,
    W: int,
    n_time_bins: int = 10,
    *,
    convention: str = "eraft",
    windows: Windows | Bounds | None = None,
    dtype: Any = np.float32,
    validate: bool = True,
) -> Any:
    """Voxel grids `[M, n_time_bins, H, W]` (one window by default); see `neurodata.spec.VoxelGrid`."""
    return represent(events, H, W, VoxelGrid(n_time_bins, convention), windows=windows, dtype=dtype, validate=validate)


def time_surface(
    events: Mapping[str, Any] | np.ndarray,
    H: int,
    W: int,
    tau: float,
    *,
    windows: Windows | Bounds | None = None,
    dtype: Any = np.float32,
    validate: bool = True,
) -> Any:
    """Time surfaces `[M, 2, H, W]` at each window's end (``tau`` in µs); see `neurodata.spec.TimeSurface`."""
    return represent(events, H, W, TimeSurface(tau), windows=windows, dtype=dtype, validate=validate)


def averaged_time_surface(
    events: Mapping[str, Any] | np.ndarray,
    H: int,
    W: int,
    *,
    cell_size: int = 10,
    surface_size: int = 5,
    time_window: float = 1000.0,
    tau: float = 100.0,
    decay: str = "exp",
    windows: Windows | Bounds | None = None,
    dtype: Any = np.float32,
    validate: bool = True,
) -> Any:
    """HATS `[M, cells * 2, s, s]`; see `neurodata.spec.AveragedTimeSurface` (times in µs)."""
    rep = AveragedTimeSurface(cell_size, surface_size, time_window, tau, decay)
    return represent(events, H, W, rep, windows=windows, dtype=dtype, validate=validate)


def stacked_histogram(
    events: Mapping[str, Any] | np.ndarray,
    H: int,
    W: int,
    n_bins: int = 10,
    *,
    count_cutoff: int = 255,
    windows: Windows | Bounds | None = None,
    dtype: Any = np.uint8,
    validate: bool = True,
) -> Any:
    """RVT stacked histograms `[M, 2 * n_bins, H, W]`; see `neurodata.spec.StackedHistogram`."""
    rep = StackedHistogram(n_bins, count_cutoff)
    return represent(events, H, W, rep, windows=windows, dtype=dtype, validate=validate)


def event_image(
    events: Mapping[str, Any] | np.ndarray, H: int, W: int, *, dtype: Any = np.float32, validate: bool = True
) -> Any:
    """All events counted into one `[2, H, W]` image (Tonic's ``ToImage``)."""
    return represent(events, H, W, Counts(), dtype=dtype, validate=validate)[0]


def bina_rep(frames: Any, n_bits: int) -> Any:
    """Bina-Rep `[T, C, H, W]` float32 of `[T * n_bits, C, H, W]` frames (numpy or torch).

    Frame j is ``sum_b 2**(n_bits-1-b) * (frames[j*n_bits + b] > 0) / (2**n_bits - 1)``: the code is an
    exact integer, divided once in float32, as Tonic computes it.
    """
    BinaRep(n_bits)  # validates n_bits
    if frames.ndim != 4 or frames.shape[0] % n_bits:
        raise ValueError(
            f"bina_rep needs [T * n_bits, C, H, W] frames with n_bits={n_bits}; got shape {tuple(frames.shape)}"
        )
    weights = [1 << (n_bits - 1 - b) for b in range(n_bits)]
    grouped = frames.reshape(frames.shape[0] // n_bits, n_bits, *frames.shape[1:]) > 0
    if is_torch(frames):
        import torch

        w = torch.tensor(weights, dtype=torch.int64, device=frames.device).reshape(1, n_bits, 1, 1, 1)
        code = (grouped.to(torch.int64) * w).sum(1)
        return code.to(torch.float32) / torch.tensor((1 << n_bits) - 1, dtype=torch.float32)
    code = np.tensordot(grouped.astype(np.int64), np.asarray(weights, dtype=np.int64), axes=([1], [0]))
    return code.astype(np.float32) / np.float32((1 << n_bits) - 1)


def to_sparse_coo(frames: Any) -> Any:
    """The frames as a coalesced torch sparse COO tensor of the same shape and dtype (Tonic's ``ToSparseTensor``)."""
    import torch

    dense = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames))
    return dense.to_sparse().coalesce()


def local_time_surfaces(
    events: Mapping[str, Any] | np.ndarray,
    H: int,
    W: int,
    tau: float,
    *,
    radius: int = 2,
    decay: str = "exp",
    dtype: Any = np.float32,
    validate: bool = True,
) -> Any:
    """HOTS time surfaces at every event: `[N, 2, 2r+1, 2r+1]` around each event, read at its time.

    Entry ``[i, c, r+dy, r+dx]`` decays with the age of the latest event (index ``<= i``) of channel c at
    ``(x_i+dx, y_i+dy)``: ``exp(-age / tau)``, or ``max(0, 1 - age / (3 tau))`` with ``decay='lin'``; 0 where
    there is none. ``tau`` in µs. Computed on the CPU.
    """
    TimeSurface(tau)  # validates tau
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    if decay not in ("exp", "lin"):
        raise ValueError(f"decay must be 'exp' or 'lin', got {decay!r}")
    f = _wide(fields_of(events))
    _validated(f, H, W, TimeSurface(tau), validate)
    host = [a.detach().cpu().numpy() if is_torch(a) else np.asarray(a) for a in (f.t, f.x, f.y, f.p)]
    out = _rn.local_time_surfaces(host[0], host[1], host[2], host[3] != 0, H, W, float(tau), radius, decay)
    if is_torch(f.x):
        import torch

        from neurodata.integrate._common import _torch_dtype

        tdtype = dtype if isinstance(dtype, torch.dtype) else _torch_dtype(dtype)
        return torch.from_numpy(out).to(f.x.device, dtype=tdtype)
    return out.astype(dtype, copy=False)
