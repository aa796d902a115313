"""Tonic's representation transforms (``ToVoxelGrid``, ``ToTimesurface``, ...), re-exported by ``transforms``."""

__all__: list[str] = []
