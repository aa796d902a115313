"""Peer-named surfaces over neurodata's core: replace a peer's import prefix with ours and the code runs.

- ``spikingjelly.datasets`` -> ``neurodata.compat.spikingjelly``
- ``tonic`` -> ``neurodata.compat.tonic``

Each module here is a thin layer: argument names, defaults and return types of the peer, computed by the same
functions as our own API (no second implementation). The mapping and every deliberate difference are listed in
``docs/compat.md``.
"""
