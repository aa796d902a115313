"""Look at frames: an animated GIF (or a matplotlib window) of `[T, 2, H, W]` frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def raster_rgb(frames: Any) -> np.ndarray:
    """`[T, 1, W]` counts of a 1-D sensor (SHD/SSC) -> `[T, W, T, 3]` uint8: a raster of channel (rows) against
    frame (columns), white on black, drawn one more column per GIF frame."""
    x = np.asarray(frames.detach().cpu() if hasattr(frames, "detach") else frames, dtype=np.float32)
    if x.ndim != 3 or x.shape[1] != 1:
        raise ValueError(f"1-D frames must be [T, 1, W], got shape {x.shape}")
    peak = float(x.max()) or 1.0
    image = np.clip(x[:, 0].T[::-1] / peak * 255.0, 0, 255).astype(np.uint8)  # [W, T], channel 0 at the bottom
    out = np.zeros((x.shape[0], *image.shape, 3), dtype=np.uint8)
    for k in range(x.shape[0]):
        out[k, :, : k + 1] = image[:, : k + 1, None]
    return out


def frames_to_rgb(frames: Any) -> np.ndarray:
    """`[T, 2, H, W]` counts -> `[T, H, W, 3]` uint8: channel 0 (OFF) green, channel 1 (ON) blue, as SpikingJelly.

    `[T, 1, W]` frames of a 1-D sensor become a growing raster (`raster_rgb`).
    """
    x = np.asarray(frames.detach().cpu() if hasattr(frames, "detach") else frames, dtype=np.float32)
    if x.ndim == 3:
        return raster_rgb(x)
    if x.ndim != 4 or x.shape[1] != 2:
        raise ValueError(f"frames must be [T, 2, H, W], got shape {x.shape}")
    peak = float(x.max()) or 1.0
    rgb = np.zeros((x.shape[0], x.shape[2], x.shape[3], 3), dtype=np.uint8)
    rgb[..., 1] = np.clip(x[:, 0] / peak * 255.0, 0, 255)
    rgb[..., 2] = np.clip(x[:, 1] / peak * 255.0, 0, 255)
    return rgb


def play_frame(frames: Any, save_gif_to: str | Path | None = None, *, scale: int = 2, frame_ms: int = 100) -> None:
    """Write frames as an animated GIF to `save_gif_to` (SpikingJelly's name), or show them with matplotlib.

    Args:
        frames: `[T, 2, H, W]` array or tensor (or a 1-D sensor's `[T, 1, W]`).
        scale: integer pixel magnification of the GIF.
        frame_ms: display time of one frame.
    """
    rgb = frames_to_rgb(frames)
    if save_gif_to is None:
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation

        fig, ax = plt.subplots()
        im = ax.imshow(rgb[0])
        anim = FuncAnimation(fig, lambda i: [im.set_data(rgb[i])], frames=len(rgb), interval=frame_ms)
        plt.show()
        del anim
        return
    from PIL import Image

    if scale > 1:
        rgb = rgb.repeat(scale, axis=1).repeat(scale, axis=2)
    images = [Image.fromarray(f) for f in rgb]
    path = Path(save_gif_to)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    tmp.replace(path)
