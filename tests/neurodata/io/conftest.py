"""Fixtures for the raw-format tests: the shared real recordings and the peer readers."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings
from pathlib import Path

import pytest

# the repository's sibling folder shared/data (real third-party recordings, see its PROVENANCE.md)
SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """`shared/data/real`, or skip when the shared folder is not beside the repository."""
    real = SHARED_DATA / "real"
    if not real.is_dir():
        pytest.skip(f"real recordings not available: {SHARED_DATA.resolve()} is absent")
    return real


class _Stub(types.ModuleType):
    """A module whose every attribute is a dummy class (enough for annotations and `from x import y`)."""

    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {})


@pytest.fixture(scope="session")
def sj_datasets() -> types.ModuleType:
    """`spikingjelly.datasets` (2.0.0), importable without torchaudio/h5py/matplotlib.

    Its package `__init__` imports every dataset module, and those import packages the readers
    under test never use; missing ones are stubbed for the import only, then removed again so
    that no other test sees a fake module.
    """
    if importlib.util.find_spec("spikingjelly") is None:
        pytest.skip("spikingjelly is not installed (make test installs it with --no-deps)")
    stubbed = []
    for name in ("torchaudio", "h5py", "matplotlib", "matplotlib.pyplot"):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = _Stub(name)
            stubbed.append(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # third-party import-time deprecations are not ours
            module = importlib.import_module("spikingjelly.datasets")
            importlib.import_module("spikingjelly.datasets.cifar10_dvs")
    except ImportError as err:
        pytest.skip(f"spikingjelly.datasets does not import here: {err}")
    finally:
        for name in stubbed:
            sys.modules.pop(name, None)
    return module


@pytest.fixture(scope="session")
def tonic_io() -> types.ModuleType:
    """`tonic/io.py` (1.7.0) loaded on its own: it needs only numpy, while `import tonic` pulls in
    every dataset module and their dependencies (h5py, requests, ...)."""
    spec = importlib.util.find_spec("tonic")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("tonic is not installed (make test installs it with --no-deps)")
    path = Path(next(iter(spec.submodule_search_locations))) / "io.py"
    io_spec = importlib.util.spec_from_file_location("_tonic_io_under_test", path)
    assert io_spec is not None
    assert io_spec.loader is not None
    module = importlib.util.module_from_spec(io_spec)
    io_spec.loader.exec_module(module)
    return module
