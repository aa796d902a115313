"""``snntorch`` under its own names: ``import snnmodels.compat.snntorch as snn``."""
