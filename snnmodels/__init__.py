"""snnmodels: spiking neurons, a model zoo, training and export (being built; see the project issues)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
