"""Where events are: crops, flips, spatial jitter, downsampling, and dropping pixels or boxes.

Pure functions (no state, no hidden randomness): each takes events in any layout `_fields` accepts and
returns the same kind, never modifying its input. The random variants take an explicit
`numpy.random.Generator` and only draw the parameters of the pure function they call. Frames functions take
`[..., H, W]` numpy arrays or torch tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from neurodata.augment._fields import (
    check_inside,
    check_number,
    check_probability,
    like,
    pixel_index,
    sensor_wh,
    store,
    struct_of,
)

E = TypeVar("E")


def _in_range(v: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``lo <= v < hi`` in two passes: integer fields subtract in their own type and compare unsigned."""
    if hi <= lo:
        return np.zeros(len(v), dtype=bool)
    if v.dtype.kind in "iu":
        info = np.iinfo(v.dtype)
        if info.min <= lo and hi - 1 <= info.max and hi - lo <= 1 << (8 * v.dtype.itemsize - 1):
            d = v - v.dtype.type(lo)  # wraps for v < lo: the unsigned view is then >= hi - lo
            return d.view(np.dtype(f"u{v.dtype.itemsize}")) < (hi - lo)
    return (v >= lo) & (v < hi)


def crop(events: E, origin: tuple[int, int], size: tuple[int, int]) -> E:
    """Keep events with ``x0 <= x < x0 + w`` and ``y0 <= y < y0 + h``, shifted so the crop starts at 0.

    Args:
        origin: ``(x0, y0)`` in pixels; negative values pad (the events move right/down).
        size: ``(w, h)`` in pixels.
    """
    ev = struct_of(events, ("x", "y"), "crop")
    (x0, y0), (w, h) = (int(origin[0]), int(origin[1])), (int(size[0]), int(size[1]))
    if w < 1 or h < 1:
        raise ValueError(f"crop: size must be positive, got {size!r}")
    keep = _in_range(ev["x"], max(x0, 0), x0 + w)
    keep &= _in_range(ev["y"], max(y0, 0), y0 + h)
    out = ev[keep]
    for name, origin0, extent in (("x", x0, w), ("y", y0, h)):
        if origin0:
            _shift_inside(out, name, origin0, extent)
    return like(out, events)


def _shift_inside(out: np.ndarray, name: str, origin: int, extent: int) -> None:
    """``out[name] -= origin`` for coordinates known to land in ``[0, extent)``: in place, in the field's type
    when it holds ``extent`` (no wider temporary, no range check: the crop's mask guarantees it)."""
    dt = out.dtype[name]
    if dt.kind in "iu" and extent - 1 <= np.iinfo(dt).max and abs(origin) <= np.iinfo(dt).max:
        v = out[name]  # a view: the field is changed in place
        if origin > 0:
            np.subtract(v, dt.type(origin), out=v)
        else:
            np.add(v, dt.type(-origin), out=v)
    else:
        store(out, name, out[name] - np.int64(origin), "crop")


def _size2(size: int | Sequence[int], where: str) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if len(size) != 2:
        raise ValueError(f"{where}: size must be an int or (w, h), got {size!r}")
    return int(size[0]), int(size[1])


def center_crop(events: E, sensor: Any, size: int | tuple[int, int]) -> E:
    """`crop` of ``size = (w, h)`` (an int: square) centred on the sensor; a size larger than it pads.

    The origin is ``((W - w) // 2, (H - h) // 2)``, Tonic's ``CenterCrop``.
    """
    width, height = sensor_wh(sensor, "center_crop")
    w, h = _size2(size, "center_crop")
    ev = struct_of(events, ("x", "y"), "center_crop")
    return like(crop(ev, ((width - w) // 2, (height - h) // 2), (w, h)), events)


def random_crop(events: E, sensor: Any, size: tuple[int, int], rng: np.random.Generator) -> E:
    """`crop` of ``size = (w, h)`` at a uniformly random origin, every position inside the sensor equally likely."""
    width, height = sensor_wh(sensor, "random_crop")
    w, h = _size2(size, "random_crop")
    if not (0 < w <= width and 0 < h <= height):
        raise ValueError(f"random_crop: size {size!r} must fit the sensor {width}x{height}")
    return crop(events, (int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))), (w, h))


def _flip(events: E, sensor: Any, field: str, where: str) -> E:
    width, height = sensor_wh(sensor, where)
    size = width if field == "x" else height
    ev = struct_of(events, (field,), where)
    check_inside(ev, width if field == "x" else None, height if field == "y" else None, where)
    out = ev.copy()
    out[field] = (size - 1) - ev[field]
    return like(out, events)


def flip_lr(events: E, sensor: Any) -> E:
    """Mirror left-right: ``x -> W - 1 - x`` (events must lie on the sensor)."""
    return _flip(events, sensor, "x", "flip_lr")


def flip_ud(events: E, sensor: Any) -> E:
    """Mirror up-down: ``y -> H - 1 - y`` (events must lie on the sensor)."""
    return _flip(events, sensor, "y", "flip_ud")


def shift_xy(events: E, dx: np.ndarray, dy: np.ndarray, sensor: Any, *, clip_outliers: bool = False) -> E:
    """Move event i by ``(dx[i], dy[i])`` pixels (floats are stored toward zero, Tonic's rule).

    ``clip_outliers=True`` drops events that land outside the sensor. Otherwise they are kept where the
    field type holds them (Tonic's signed coordinates); unsigned fields (our `EVENT_DTYPE`) cannot hold a
    negative coordinate, so there it is clamped to 0.
    """
    width, height = sensor_wh(sensor, "shift_xy")
    ev = struct_of(events, ("x", "y"), "shift_xy")
    n = len(ev)
    dx, dy = np.asarray(dx), np.asarray(dy)
    if dx.shape != (n,) or dy.shape != (n,):
        raise ValueError(f"shift_xy: dx and dy need one value per event ({n}), got {dx.shape} and {dy.shape}")
    moved = {}
    for name, d in (("x", dx), ("y", dy)):
        v = ev[name] + d
        if ev.dtype[name].kind in "iu" and v.dtype.kind == "f":
            np.trunc(v, out=v)
        moved[name] = v
    out = ev
    if clip_outliers:
        keep = (moved["x"] >= 0) & (moved["x"] < width) & (moved["y"] >= 0) & (moved["y"] < height)
        out = ev[keep]
        moved = {k: v[keep] for k, v in moved.items()}
    else:
        out = ev.copy()
    for name, v in moved.items():
        if out.dtype[name].kind == "u":
            np.maximum(v, 0, out=v)
        store(out, name, v, "shift_xy")
    return like(out, events)


def check_covariance(var_x: float, var_y: float, sigma_xy: float) -> tuple[float, float, float]:
    """The jitter covariance's entries, checked: variances >= 0 and ``sigma_xy**2 <= var_x * var_y``."""
    vx = check_number("var_x", var_x, nonnegative=True)
    vy = check_number("var_y", var_y, nonnegative=True)
    sxy = check_number("sigma_xy", sigma_xy)
    if sxy * sxy > vx * vy:
        raise ValueError(
            f"sigma_xy={sigma_xy!r} makes the covariance not positive semi-definite (needs sigma_xy**2 <= var_x*var_y)"
        )
    return vx, vy, sxy


def spatial_jitter(
    events: E,
    sensor: Any,
    rng: np.random.Generator,
    *,
    var_x: float = 1.0,
    var_y: float = 1.0,
    sigma_xy: float = 0.0,
    clip_outliers: bool = False,
) -> E:
    """`shift_xy` by a draw per event from a 2-D Gaussian with covariance ``[[var_x, sigma_xy], [sigma_xy, var_y]]``."""
    vx, vy, sxy = check_covariance(var_x, var_y, sigma_xy)
    n = len(struct_of(events, ("x", "y"), "spatial_jitter"))
    shifts = rng.multivariate_normal([0.0, 0.0], [[vx, sxy], [sxy, vy]], n) if n else np.zeros((0, 2))
    return shift_xy(events, shifts[:, 0], shifts[:, 1], sensor, clip_outliers=clip_outliers)


def _factors(spatial_factor: float | Sequence[float]) -> tuple[float, float]:
    f = (spatial_factor, spatial_factor) if np.isscalar(spatial_factor) else tuple(spatial_factor)  # type: ignore[arg-type]
    if len(f) != 2:
        raise ValueError(f"spatial_factor must be a number or (fx, fy), got {spatial_factor!r}")
    return (
        check_number("spatial_factor", f[0], positive=True),
        check_number("spatial_factor", f[1], positive=True),
    )


def downsample(
    events: E,
    spatial_factor: float | Sequence[float] = 1.0,
    time_factor: float = 1.0,
    *,
    sensor: Any = None,
    target_size: tuple[int, int] | None = None,
) -> E:
    """Multiply coordinates by `spatial_factor` (a number, or ``(fx, fy)``) and timestamps by `time_factor`.

    Integer fields keep the product toward zero (floor, for the non-negative coordinates of events).
    With `target_size` ``(W', H')`` (and `sensor`), the factors are ``W'/W`` and ``H'/H`` instead. No
    event is dropped; events that share a pixel afterwards stay separate events.
    """
    tf = check_number("time_factor", time_factor, positive=True)
    if target_size is not None:
        if sensor is None:
            raise ValueError("downsample: target_size needs the sensor size it is relative to (sensor=...)")
        width, height = sensor_wh(sensor, "downsample")
        tw, th = sensor_wh(target_size, "downsample target_size")
        fx, fy = tw / width, th / height
    else:
        fx, fy = _factors(spatial_factor)
    ev = struct_of(events, ("x",), "downsample")
    if sensor is not None:
        width, height = sensor_wh(sensor, "downsample")
        check_inside(ev, width, height if "y" in ev.dtype.names else None, "downsample")
    out = ev.copy()
    if tf != 1.0 and "t" in ev.dtype.names:
        store(out, "t", ev["t"] * tf, "downsample")
    for name, f in (("x", fx), ("y", fy)):
        if f != 1.0 and name in ev.dtype.names:
            store(out, name, ev[name] * f, "downsample")
    return like(out, events)


def drop_box(events: E, origin: tuple[int, int], size: tuple[int, int]) -> E:
    """Drop the events inside the box ``x0 <= x < x0 + w``, ``y0 <= y < y0 + h`` (a zero size drops none)."""
    ev = struct_of(events, ("x", "y"), "drop_box")
    (x0, y0), (w, h) = (int(origin[0]), int(origin[1])), (int(size[0]), int(size[1]))
    inside = _in_range(ev["x"], x0, x0 + w)
    inside &= _in_range(ev["y"], y0, y0 + h)
    return like(ev[~inside], events)


def drop_by_area(events: E, sensor: Any, area_ratio: float, rng: np.random.Generator) -> E:
    """`drop_box` of ``(int(W * r), int(H * r))`` pixels at a uniformly random place on the sensor (EventDrop)."""
    r = check_number("area_ratio", area_ratio, nonnegative=True)
    if r >= 1.0:
        raise ValueError(f"area_ratio must be in [0, 1), got {area_ratio!r}")
    width, height = sensor_wh(sensor, "drop_by_area")
    cw, ch = int(width * r), int(height * r)
    return drop_box(events, (int(rng.integers(0, width - cw + 1)), int(rng.integers(0, height - ch + 1))), (cw, ch))


def _coordinates(coordinates: Any, where: str) -> np.ndarray:
    c = np.asarray(coordinates if coordinates is not None else [], dtype=np.int64)
    if c.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"{where}: coordinates must be (x, y) pairs, got an array of shape {c.shape}")
    return c


def drop_pixels(events: E, coordinates: Any) -> E:
    """Drop every event at the pixels ``coordinates``, a sequence of ``(x, y)`` pairs."""
    ev = struct_of(events, ("x", "y"), "drop_pixels")
    c = _coordinates(coordinates, "drop_pixels")
    if not len(ev) or not len(c):
        return like(ev.copy(), events)
    key, _ = pixel_index(ev, "drop_pixels")
    height = int(ev["y"].max()) + 1
    c = c[(c[:, 0] >= 0) & (c[:, 1] >= 0) & (c[:, 0] <= int(ev["x"].max())) & (c[:, 1] < height)]
    table = np.zeros(int(key.max()) + 1 if len(key) else 1, dtype=bool)
    ck = c[:, 0] * height + c[:, 1]
    table[ck[ck < len(table)]] = True
    return like(ev[~table[key]], events)


def hot_pixels(events: Any, max_rate_hz: float) -> np.ndarray:
    """`[k, 2]` ``(x, y)`` of pixels firing more than `max_rate_hz` on average over the recording.

    A pixel is hot when its event count exceeds ``max_rate_hz * (t_max - t_min) * 1e-6`` (t in µs), Tonic's
    rule; pixels come in x-major order.
    """
    rate = check_number("hot_pixel_frequency", max_rate_hz, nonnegative=True)
    ev = struct_of(events, ("x", "y", "t"), "hot_pixels")
    if not len(ev):
        return np.zeros((0, 2), dtype=np.int64)
    key, n_pixels = pixel_index(ev, "hot_pixels")
    t = ev["t"]
    limit = rate * (float(t.max()) - float(t.min())) * 1e-6
    hot = np.flatnonzero(np.bincount(key, minlength=n_pixels) > limit)
    height = int(ev["y"].max()) + 1
    return np.stack([hot // height, hot % height], axis=1)


def drop_pixel_mask(events: E, mask: np.ndarray) -> E:
    """Drop the events at pixels where ``mask[x, y]`` is True; `mask` is `[W, H]` bool (Tonic's order)."""
    ev = struct_of(events, ("x", "y"), "drop_pixel_mask")
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"drop_pixel_mask: mask must be [W, H], got shape {m.shape}")
    check_inside(ev, m.shape[0], m.shape[1], "drop_pixel_mask")
    return like(ev[~m[ev["x"], ev["y"]]], events)


def random_drop_pixel(events: E, sensor: Any, p: float, rng: np.random.Generator) -> E:
    """Drop every event of each pixel with probability `p` (one draw per pixel of the sensor)."""
    width, height = sensor_wh(sensor, "random_drop_pixel")
    return drop_pixel_mask(events, rng.random((width, height)) < check_probability("p", p))


# frames ------------------------------------------------------------------------------------------


def _writable_copy(frames: Any) -> Any:
    return frames.clone() if hasattr(frames, "clone") else np.array(frames, copy=True)


def drop_pixels_frames(frames: Any, coordinates: Any) -> Any:
    """Zero the pixels ``coordinates`` (``(x, y)`` pairs) of `[..., H, W]` frames; a new array comes back."""
    if frames.ndim < 2:
        raise ValueError(f"drop_pixels_frames: frames must be [..., H, W], got shape {tuple(frames.shape)}")
    c = _coordinates(coordinates, "drop_pixels_frames")
    h, w = frames.shape[-2:]
    bad = (c[:, 0] < 0) | (c[:, 0] >= w) | (c[:, 1] < 0) | (c[:, 1] >= h)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"drop_pixels_frames: coordinate {tuple(c[i])} is outside frames of {h}x{w}")
    out = _writable_copy(frames)
    if len(c):
        idx: Any = (c[:, 1], c[:, 0])
        if hasattr(out, "clone"):
            import torch

            idx = tuple(torch.as_tensor(i, device=out.device) for i in idx)
        out[(Ellipsis, *idx)] = 0
    return out


def hot_pixels_frames(frames: Any, max_count: float) -> np.ndarray:
    """`[k, 2]` ``(x, y)`` of pixels whose total count over every leading axis of `[..., H, W]` exceeds `max_count`."""
    if frames.ndim < 2:
        raise ValueError(f"hot_pixels_frames: frames must be [..., H, W], got shape {tuple(frames.shape)}")
    total = frames.reshape(-1, *frames.shape[-2:]).sum(0)
    total = total.cpu().numpy() if hasattr(total, "cpu") else np.asarray(total)
    yx = np.argwhere(total > max_count)
    return yx[:, ::-1].astype(np.int64)
