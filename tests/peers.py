"""Import the peer libraries (installed --no-deps by `make test`) for parity tests, or skip with the reason."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest


def spikingjelly_utils() -> Any:
    """`spikingjelly.datasets.utils` (2.x); its package imports torchaudio for one audio dataset, stubbed here."""
    return spikingjelly_datasets().utils


def spikingjelly_datasets() -> Any:
    """The `spikingjelly.datasets` package (2.x): its dataset classes, `utils` and `transform`.

    torchvision is needed (its DatasetFolder); torchaudio, imported for one audio dataset only, is stubbed.
    """
    pytest.importorskip("spikingjelly", reason="spikingjelly not installed (make test installs it --no-deps)")
    pytest.importorskip("torchvision", reason="spikingjelly.datasets needs torchvision (the dev extra)")
    if "torchaudio" not in sys.modules:
        try:
            import torchaudio  # noqa: F401
        except ImportError:
            sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    import spikingjelly.datasets
    import spikingjelly.datasets.transform
    import spikingjelly.datasets.utils

    return spikingjelly.datasets


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
