"""Plots: what each figure shows (read back from its artists), files written, shapes refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

mpl = pytest.importorskip("matplotlib", reason="matplotlib not installed (the 'dev' extra has it)")
mpl.use("Agg")

from snnmodels import visualizing as V  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> object:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_raster_ticks_are_the_spike_times_and_rates_are_the_means(tmp_path: Path) -> None:
    s = torch.zeros(6, 3)
    s[[0, 2, 5], 0] = 1
    s[1, 2] = 1
    fig, ax = V.plot_1d_spikes(s, "title", "t", "neuron", dpi=50)
    rows = list(ax.collections)
    assert [sorted(seg[0][0] for seg in c.get_segments()) for c in rows] == [[0.0, 2.0, 5.0], [], [1.0]]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["0.50", "0.00", "0.17"]
    out = tmp_path / "sub" / "raster.png"
    V.plot_1d_spikes(s.numpy(), "title", "t", "neuron", plot_firing_rate=False, dpi=50, path=out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_heatmap_feature_map_bars_and_membrane(tmp_path: Path) -> None:
    v = torch.arange(12.0).view(4, 3)
    _, ax = V.plot_2d_heatmap(v, "v", "t", "neuron", dpi=50)
    np.testing.assert_array_equal(ax.images[0].get_array(), v.numpy().T)  # neurons along y
    maps = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3)
    _, ax = V.plot_2d_feature_map(maps, 1, 2, 2, "maps", dpi=50)
    canvas = ax.images[0].get_array()
    assert canvas.shape == (4, 10)
    np.testing.assert_array_equal(canvas[1:3, 1:4], maps[0])
    np.testing.assert_array_equal(canvas[1:3, 6:9], maps[1])
    _, ax3 = V.plot_2d_bar_in_3d(v, "bars", "neuron", "t", "v", dpi=50, path=tmp_path / "bars.pdf")
    assert (tmp_path / "bars.pdf").read_bytes()[:4] == b"%PDF"
    assert len(ax3.patches) == 12
    _fig, ax0, ax1 = V.plot_one_neuron_v_s(torch.tensor([0.2, 0.9, 0.0]), torch.tensor([0.0, 1.0, 0.0]), dpi=50)
    np.testing.assert_array_equal(ax0.lines[0].get_ydata(), np.array([0.2, 0.9, 0.0], dtype=np.float32))
    assert [seg[0][0] for seg in ax1.collections[0].get_segments()] == [1.0]


def test_bad_shapes_are_named() -> None:
    with pytest.raises(
        ValueError, match=r"plot_1d_spikes takes \[T, N\] spikes, a 2D array, got a 1D array of shape \(3,\)"
    ):
        V.plot_1d_spikes(np.zeros(3), "", "", "")
    with pytest.raises(ValueError, match=r"nrows·ncols = 2·2 = 4 must equal C = 3"):
        V.plot_2d_feature_map(np.zeros((3, 2, 2)), 2, 2, 1, "")
    with pytest.raises(ValueError, match="must have the same length"):
        V.plot_one_neuron_v_s(np.zeros(3), np.zeros(4))
