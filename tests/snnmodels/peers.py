"""Import the peer libraries for parity tests (installed --no-deps beside our torch), or skip with the reason."""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

import pytest


def spikingjelly() -> Any:
    """``spikingjelly.activation_based`` (2.x) with neuron, surrogate, functional, layer and monitor loaded.

    Its monitor module imports ``torch.utils.tensorboard``, which needs the tensorboard package; when that is
    missing a stub module stands in (the monitors we compare never write summaries).
    """
    pytest.importorskip("spikingjelly", reason="spikingjelly not installed (pip install --no-deps spikingjelly)")
    stubbed = importlib.util.find_spec("tensorboard") is None and "torch.utils.tensorboard" not in sys.modules
    if stubbed:
        stub = types.ModuleType("torch.utils.tensorboard")
        stub.SummaryWriter = object  # type: ignore[attr-defined]
        sys.modules["torch.utils.tensorboard"] = stub
    import spikingjelly.activation_based.functional
    import spikingjelly.activation_based.layer
    import spikingjelly.activation_based.monitor
    import spikingjelly.activation_based.neuron
    import spikingjelly.activation_based.surrogate

    if stubbed:  # spikingjelly keeps its reference; nobody else may see the stand-in
        del sys.modules["torch.utils.tensorboard"]
    return spikingjelly.activation_based


def snntorch() -> Any:
    """``snntorch`` (1.0) with ``snntorch.functional`` loaded."""
    pytest.importorskip("snntorch", reason="snntorch not installed (pip install --no-deps snntorch==1.0.0)")
    import snntorch
    import snntorch.functional

    return snntorch


def pytorch_spiking() -> Any:
    """``pytorch_spiking`` (0.1)."""
    return pytest.importorskip(
        "pytorch_spiking", reason="pytorch-spiking not installed (pip install --no-deps pytorch-spiking==0.1.0)"
    )
