"""``spikingjelly.datasets`` under its own names: ``from neurodata.compat.spikingjelly import dvs128_gesture``."""
