"""Look at frames: an animated GIF, a PNG contact sheet, or a matplotlib window of `[T, 2, H, W]` frames
(a 1-D sensor's `[T, 1, W]` are drawn as a raster of channels against frames, `raster`).

Pictures are made to be read: each frame is scaled by its own contrast (its 99th percentile of non-zero
counts), so a quiet frame is not black beside a busy one; ON events (channel 1) are orange and OFF events
(channel 0) blue on a dark background, where both mix to a light tone; small sensors are enlarged by an
integer factor with nearest-neighbour pixels (34x34 N-MNIST becomes 272x272); every frame carries its
number, ``k/T``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

ON_RGB = np.array([255, 150, 20], dtype=np.float32)  # channel 1 (p = 1)
OFF_RGB = np.array([40, 140, 255], dtype=np.float32)  # channel 0 (p = 0)
BACKGROUND = np.array([18, 18, 22], dtype=np.float32)
MIN_SIDE = 256  # small sensors are magnified to at least this many pixels on their longer side


def raster(frames: Any) -> np.ndarray:
    """`[T, 1, W]` counts of a 1-D sensor (SHD/SSC) as `[T, 2, T*r, W]` pictures: a raster of frame (rows, each
    `r` pixels tall so the picture is about half as tall as wide) against channel (columns), as ON counts,
    drawn one more row per picture."""
    x = np.asarray(frames.detach().cpu() if hasattr(frames, "detach") else frames, dtype=np.float32)
    if x.ndim != 3 or x.shape[1] != 1:
        raise ValueError(f"frames of a 1-D sensor must be [T, 1, W], got shape {x.shape}")
    T, W = x.shape[0], x.shape[2]
    r = max(1, W // (2 * T))
    image = np.repeat(x[:, 0], r, axis=0)  # [T*r, W]
    out = np.zeros((T, 2, *image.shape), dtype=np.float32)
    for k in range(T):
        out[k, 1, : (k + 1) * r] = image[: (k + 1) * r]
    return out


def _as_array(frames: Any) -> np.ndarray:
    x = np.asarray(frames.detach().cpu() if hasattr(frames, "detach") else frames, dtype=np.float32)
    if x.ndim == 3 and x.shape[1] == 1 and x.shape[0]:
        x = raster(x)  # a 1-D sensor's [T, 1, W]
    if x.ndim != 4 or x.shape[1] != 2:
        raise ValueError(f"frames must be [T, 2, H, W], got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError("no frames to show: the sample has T = 0 frames")
    return x


STYLES = ("readable", "spikingjelly")


def frames_to_rgb(frames: Any, *, style: str = "readable") -> np.ndarray:
    """`[T, 2, H, W]` counts -> `[T, H, W, 3]` uint8.

    ``style='readable'``: OFF (channel 0) blue, ON (channel 1) orange, each frame scaled by its own 99th
    percentile of non-zero counts. ``style='spikingjelly'``: SpikingJelly's picture, channel 0 green and
    channel 1 blue on black, the whole stack scaled by its peak (used by `neurodata.compat.spikingjelly`).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    x = _as_array(frames)
    rgb = np.empty((x.shape[0], x.shape[2], x.shape[3], 3), dtype=np.uint8)
    if style == "spikingjelly":
        peak = float(x.max()) or 1.0
        rgb[..., 0] = 0
        rgb[..., 1] = np.clip(x[:, 0] / peak * 255.0, 0, 255)
        rgb[..., 2] = np.clip(x[:, 1] / peak * 255.0, 0, 255)
        return rgb
    for k, frame in enumerate(x):
        nonzero = frame[frame > 0]
        peak = float(np.percentile(nonzero, 99)) if nonzero.size else 1.0
        off, on = (np.clip(frame[c] / max(peak, 1e-12), 0.0, 1.0)[..., None] for c in (0, 1))
        colour = BACKGROUND + off * (OFF_RGB - BACKGROUND) + on * (ON_RGB - BACKGROUND)
        rgb[k] = np.clip(colour, 0, 255).astype(np.uint8)
    return rgb


def magnification(height: int, width: int) -> int:
    """The integer factor that brings the longer side to at least `MIN_SIDE` pixels (1 for large sensors)."""
    return max(1, math.ceil(MIN_SIDE / max(height, width, 1)))


def _labelled(rgb: np.ndarray, scale: int, counter: bool = True) -> list[Any]:
    """PIL images of the frames, magnified by `scale` (nearest), each with ``k/T`` in its top-left corner."""
    from PIL import Image, ImageDraw

    total = len(rgb)
    images = []
    for k, frame in enumerate(rgb):
        im = Image.fromarray(frame)
        if scale > 1:
            im = im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)
        if not counter:
            images.append(im)
            continue
        draw = ImageDraw.Draw(im)
        text = f"{k + 1}/{total}"
        box = draw.textbbox((3, 2), text)
        draw.rectangle((box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill=(0, 0, 0))
        draw.text((3, 2), text, fill=(235, 235, 235))
        images.append(im)
    return images


def _atomic_save(path: Path, save: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial{path.suffix}")
    try:
        save(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def play_frame(
    frames: Any,
    save_gif_to: str | Path | None = None,
    *,
    scale: int | None = None,
    frame_ms: int = 100,
    style: str = "readable",
) -> None:
    """Write frames as an animated GIF to `save_gif_to` (SpikingJelly's name), or show them with matplotlib.

    Args:
        frames: `[T, 2, H, W]` array or tensor of counts.
        scale: integer magnification (nearest neighbour); default: `magnification` of the sensor ('readable'),
            1 ('spikingjelly').
        frame_ms: display time of one frame.
        style: 'readable' (the module docstring) or 'spikingjelly' (its colours and size, no frame counter).
    """
    rgb = frames_to_rgb(frames, style=style)
    if save_gif_to is None:
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation

        fig, ax = plt.subplots()
        im = ax.imshow(rgb[0], interpolation="nearest")
        title = ax.set_title(f"1/{len(rgb)}")

        def step(i: int) -> list[Any]:
            im.set_data(rgb[i])
            title.set_text(f"{i + 1}/{len(rgb)}")
            return [im, title]

        anim = FuncAnimation(fig, step, frames=len(rgb), interval=frame_ms)
        plt.show()
        del anim
        return
    readable = style == "readable"
    images = _labelled(rgb, scale or (magnification(*rgb.shape[1:3]) if readable else 1), counter=readable)
    _atomic_save(
        Path(save_gif_to),
        lambda tmp: images[0].save(
            tmp, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0
        ),
    )


def save_png(frames: Any, path: str | Path, *, columns: int | None = None, scale: int | None = None) -> Path:
    """Write frames as one PNG: a grid of the numbered frames, `columns` wide (default: up to 8)."""
    from PIL import Image

    rgb = frames_to_rgb(frames)
    images = _labelled(rgb, scale or magnification(*rgb.shape[1:3]))
    cols = columns or min(8, len(images))
    rows = math.ceil(len(images) / cols)
    gap = 4
    w, h = images[0].size
    sheet = Image.new("RGB", (cols * w + (cols - 1) * gap, rows * h + (rows - 1) * gap), (60, 60, 60))
    for k, im in enumerate(images):
        sheet.paste(im, ((k % cols) * (w + gap), (k // cols) * (h + gap)))
    return _atomic_save(Path(path), lambda tmp: sheet.save(tmp, format="PNG"))
