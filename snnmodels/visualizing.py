"""Plots of spikes, membranes and feature maps with matplotlib (SpikingJelly's ``visualizing`` functions).

Every function takes numpy arrays or tensors (any device; detached here) with time on the first axis, returns
the figure and its axes, and, given ``path``, writes the figure there (the format from the suffix) and closes
it, so that scripts making many pictures do not pile up open figures. matplotlib is imported on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

__all__ = [
    "plot_1d_spikes",
    "plot_2d_bar_in_3d",
    "plot_2d_feature_map",
    "plot_2d_heatmap",
    "plot_one_neuron_v_s",
    "save_figure",
]


def _array(x: np.ndarray | Tensor, ndim: int, name: str, what: str) -> np.ndarray:
    a = x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
    if a.ndim != ndim:
        raise ValueError(f"{name} takes {what}, a {ndim}D array, got a {a.ndim}D array of shape {a.shape}")
    return a


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # an optional dependency: name the extra that has it
        raise ImportError("plotting needs matplotlib: pip install matplotlib (or the 'dev' extra)") from err
    return plt


def save_figure(fig: Any, path: str | Path | None) -> None:
    """Write ``fig`` to ``path`` (folders created) and close it; nothing if path is None."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    _pyplot().close(fig)


def _integer_ticks(axis: Any, integer: bool) -> None:
    from matplotlib import ticker

    axis.set_major_locator(ticker.MaxNLocator(integer=integer))
    axis.set_minor_locator(ticker.NullLocator())


def plot_2d_heatmap(
    array: np.ndarray | Tensor,
    title: str,
    xlabel: str,
    ylabel: str,
    int_x_ticks: bool = True,
    int_y_ticks: bool = True,
    plot_colorbar: bool = True,
    colorbar_y_label: str = "magnitude",
    x_max: float | None = None,
    figsize: tuple[float, float] = (12, 8),
    dpi: int = 200,
    path: str | Path | None = None,
) -> tuple[Any, Any]:
    """A heat map of ``array`` [T, N] (time along x, neuron along y), e.g. membrane potentials over time.

    ``x_max`` relabels the x extent (e.g. in ms instead of steps). Returns (figure, axes).
    """
    a = _array(array, 2, "plot_2d_heatmap", "[T, N] values")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    extent = None if x_max is None else [-0.5, x_max, a.shape[1] - 0.5, -0.5]
    im = ax.imshow(a.T, aspect="auto", extent=extent)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _integer_ticks(ax.xaxis, int_x_ticks)
    _integer_ticks(ax.yaxis, int_y_ticks)
    if plot_colorbar:
        cbar = fig.colorbar(im, ax=ax)
        cbar.ax.set_ylabel(colorbar_y_label, rotation=90, va="top")
    save_figure(fig, path)
    return fig, ax


def plot_2d_bar_in_3d(
    array: np.ndarray | Tensor,
    title: str,
    xlabel: str,
    ylabel: str,
    zlabel: str,
    int_x_ticks: bool = True,
    int_y_ticks: bool = True,
    int_z_ticks: bool = False,
    figsize: tuple[float, float] = (8, 6),
    dpi: int = 200,
    path: str | Path | None = None,
) -> tuple[Any, Any]:
    """Bars of ``array`` [T, N] in 3-D: one row of bars per neuron (x), over time (y), height z. Returns
    (figure, 3-D axes)."""
    a = _array(array, 2, "plot_2d_bar_in_3d", "[T, N] values")
    plt = _pyplot()
    fig = plt.figure(figsize=figsize, dpi=dpi)
    ax = fig.add_subplot(111, projection="3d")
    ax.set_title(title)
    colors = plt.get_cmap("tab10")
    steps = np.arange(a.shape[0])
    for i in range(a.shape[1]):
        ax.bar(steps, a[:, i], i, zdir="x", color=colors(i % 10), alpha=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_zlabel(zlabel)
    _integer_ticks(ax.xaxis, int_x_ticks)
    _integer_ticks(ax.yaxis, int_y_ticks)
    _integer_ticks(ax.zaxis, int_z_ticks)
    save_figure(fig, path)
    return fig, ax


def plot_1d_spikes(
    spikes: np.ndarray | Tensor,
    title: str,
    xlabel: str,
    ylabel: str,
    int_x_ticks: bool = True,
    int_y_ticks: bool = True,
    plot_firing_rate: bool = True,
    firing_rate_map_title: str = "firing rate",
    figsize: tuple[float, float] = (12, 8),
    dpi: int = 200,
    path: str | Path | None = None,
) -> tuple[Any, Any]:
    """A raster of ``spikes`` [T, N] (0/1): one row of ticks per neuron, and beside it each neuron's firing
    rate (the mean over T). Returns (figure, raster axes)."""
    s = _array(spikes, 2, "plot_1d_spikes", "[T, N] spikes").astype(np.float64)
    plt = _pyplot()
    if plot_firing_rate:
        fig = plt.figure(figsize=figsize, dpi=dpi, layout="tight")
        grid = fig.add_gridspec(1, 5)
        ax = fig.add_subplot(grid[0, 0:4])
        rate_ax = fig.add_subplot(grid[0, 4])
    else:
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    T, N = s.shape
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _integer_ticks(ax.xaxis, int_x_ticks)
    _integer_ticks(ax.yaxis, int_y_ticks)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(-0.5, N - 0.5)
    ax.invert_yaxis()
    colors = plt.get_cmap("tab10")
    steps = np.arange(T)
    for i in range(N):
        ax.eventplot(steps[s[:, i] == 1], lineoffsets=i, colors=[colors(i % 10)])
    if plot_firing_rate:
        rate = s.mean(0, keepdims=True).T  # [N, 1]
        rate_ax.imshow(rate, cmap="magma", aspect="auto", vmin=0.0, vmax=max(float(rate.max()), 1e-12))
        for i, r in enumerate(rate[:, 0]):
            dark = r < 0.7 * rate.max() or rate.max() == rate.min()
            rate_ax.text(0, i, f"{r:.2f}", ha="center", va="center", color="w" if dark else "black")
        rate_ax.get_xaxis().set_visible(False)
        _integer_ticks(rate_ax.yaxis, True)
        rate_ax.set_title(firing_rate_map_title)
    save_figure(fig, path)
    return fig, ax


def plot_2d_feature_map(
    x3d: np.ndarray | Tensor,
    nrows: int,
    ncols: int,
    space: int,
    title: str,
    figsize: tuple[float, float] = (12, 8),
    dpi: int = 200,
    path: str | Path | None = None,
) -> tuple[Any, Any]:
    """The C maps of ``x3d`` [C, H, W] tiled in an nrows x ncols grid with ``space`` pixels between them
    (grey scale; the gaps take the maximum). Returns (figure, axes)."""
    a = _array(x3d, 3, "plot_2d_feature_map", "[C, H, W] maps")
    C, h, w = a.shape
    if nrows * ncols != C:
        raise ValueError(f"plot_2d_feature_map: nrows·ncols = {nrows}·{ncols} = {nrows * ncols} must equal C = {C}")
    if space < 0:
        raise ValueError(f"plot_2d_feature_map: space must be >= 0 pixels, got {space}")
    canvas = np.full(((h + space) * nrows, (w + space) * ncols), a.max(), dtype=np.float64)
    for k in range(C):
        i, j = divmod(k, ncols)
        top, left = space // 2 + i * (h + space), space // 2 + j * (w + space)
        canvas[top : top + h, left : left + w] = a[k]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    ax.set_title(title)
    ax.imshow(canvas, cmap="gray")
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)
    save_figure(fig, path)
    return fig, ax


def plot_one_neuron_v_s(
    v: np.ndarray | Tensor,
    s: np.ndarray | Tensor,
    v_threshold: float = 1.0,
    v_reset: float | None = 0.0,
    title: str = "$V[t]$ and $S[t]$ of the neuron",
    figsize: tuple[float, float] = (12, 8),
    dpi: int = 200,
    path: str | Path | None = None,
) -> tuple[Any, Any, Any]:
    """One neuron's membrane ``v`` [T] with its threshold and reset lines, above its spikes ``s`` [T].
    Returns (figure, membrane axes, spike axes)."""
    va = _array(v, 1, "plot_one_neuron_v_s", "v as [T]")
    sa = _array(s, 1, "plot_one_neuron_v_s", "s as [T]")
    if va.shape != sa.shape:
        raise ValueError(f"plot_one_neuron_v_s: v {va.shape} and s {sa.shape} must have the same length")
    plt = _pyplot()
    fig = plt.figure(figsize=figsize, dpi=dpi)
    grid = fig.add_gridspec(3, 1)
    ax0 = fig.add_subplot(grid[0:2, 0])
    ax1 = fig.add_subplot(grid[2, 0], sharex=ax0)
    T = va.shape[0]
    steps = np.arange(T)
    ax0.set_title(title)
    ax0.plot(steps, va)
    ax0.set_xlim(-0.5, T - 0.5)
    ax0.set_ylabel("voltage")
    ax0.axhline(v_threshold, label="$V_{threshold}$", linestyle="-.", c="r")
    if v_reset is not None:
        ax0.axhline(v_reset, label="$V_{reset}$", linestyle="-.", c="g")
    ax0.legend(frameon=True)
    ax1.eventplot(steps[sa == 1], lineoffsets=0, colors="r")
    ax1.set_xlabel("simulating step")
    ax1.set_ylabel("spike")
    ax1.set_yticks([])
    _integer_ticks(ax1.xaxis, True)
    save_figure(fig, path)
    return fig, ax0, ax1
