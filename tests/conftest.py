"""Shared fixtures: a per-test seeded rng, hypothesis profiles, the CUDA device when there is one."""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tests.http_server import FileServer

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("NEURODATA_HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's node id: reproducible, different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def cuda_device() -> str:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine; the CUDA path runs where one is present")
    return "cuda"


@pytest.fixture
def http_server() -> Iterator[FileServer]:
    """A file server on 127.0.0.1 (random port) with fault injection; see tests/http_server.py."""
    with FileServer() as server:
        yield server


_LOOPBACK = {"localhost", "127.0.0.1", "::1", "", None}


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never leave this machine: resolving any host but loopback fails at once."""
    real = socket.getaddrinfo

    def guarded(host: object, *args: object, **kwargs: object) -> object:
        if host not in _LOOPBACK and not str(host).startswith("127."):
            raise OSError(f"tests may not reach {host!r}: only 127.0.0.1 is allowed")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
