"""``spikingjelly.activation_based`` under its own names: ``from snnmodels.compat.spikingjelly import neuron``."""
