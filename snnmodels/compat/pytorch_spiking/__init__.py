"""``pytorch_spiking`` under its own names: ``import snnmodels.compat.pytorch_spiking as pytorch_spiking``."""
