"""The one error type of `snnmodels.export`, and the lazy import of its optional dependencies."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ExportError", "import_optional"]


class ExportError(ValueError):
    """A model, module or file cannot be exported or imported as asked; the message names it and says why."""


def import_optional(name: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or raise an ImportError that says which extra installs it."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(
            f"{purpose} needs the {name!r} package; install it with `pip install {name}` "
            "(or the project's `export` extra)"
        ) from err
