"""Import the peer libraries (installed --no-deps by `make test`) for parity tests, or skip with the reason."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest


def spikingjelly_utils() -> Any:
    """`spikingjelly.datasets.utils` (2.x); its package imports torchaudio for one audio dataset, stubbed here."""
    pytest.importorskip("spikingjelly", reason="spikingjelly not installed (make test installs it --no-deps)")
    if "torchaudio" not in sys.modules:
        try:
            import torchaudio  # noqa: F401
        except ImportError:
            sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    from spikingjelly.datasets import utils

    return utils


def tonic_transforms() -> Any:
    """`tonic.transforms` (1.7)."""
    pytest.importorskip("tonic", reason="tonic not installed (make test installs it --no-deps)")
    import tonic.transforms

    return tonic.transforms


def tonic() -> Any:
    """The `tonic` package (1.7), with `tonic.functional` and `tonic.slicers` imported."""
    pytest.importorskip("tonic", reason="tonic not installed (make test installs it --no-deps)")
    import tonic
    import tonic.functional
    import tonic.slicers
    import tonic.transforms

    return tonic
