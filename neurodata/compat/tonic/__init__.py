"""``tonic`` under its own names: ``import neurodata.compat.tonic as tonic``."""
