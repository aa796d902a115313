"""Lets our exporters (`snnmodels.export.to_nir`) convert the SpikingJelly-named modules: each is registered with
the converter of the class of ours it subclasses (they keep its attributes), so a network written with them
exports as the same network written with ours."""

from __future__ import annotations

from torch import nn

from snnmodels.export.to_nir import MODULE_CONVERTERS

__all__ = ["register_like"]


def register_like(*classes: type[nn.Module]) -> None:
    """Give each class the NIR converter of its nearest base class that has one (none: leave it out)."""
    for cls in classes:
        base = next((b for b in cls.__mro__[1:] if b in MODULE_CONVERTERS), None)
        if base is not None:
            MODULE_CONVERTERS.setdefault(cls, MODULE_CONVERTERS[base])
