"""SpikingJelly's ``visualizing`` (imported there as ``from spikingjelly import visualizing``): the same functions
and arguments, from `snnmodels.visualizing`, which adds ``path=`` to save the figure."""

from snnmodels.visualizing import (
    plot_1d_spikes,
    plot_2d_bar_in_3d,
    plot_2d_feature_map,
    plot_2d_heatmap,
    plot_one_neuron_v_s,
)

__all__ = ["plot_1d_spikes", "plot_2d_bar_in_3d", "plot_2d_feature_map", "plot_2d_heatmap", "plot_one_neuron_v_s"]
