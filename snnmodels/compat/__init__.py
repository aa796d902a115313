"""Peer-named surfaces over snnmodels' core: replace a peer's import prefix with ours and the code runs.

- ``spikingjelly.activation_based`` -> ``snnmodels.compat.spikingjelly``
- ``snntorch`` -> ``snnmodels.compat.snntorch``
- ``pytorch_spiking`` -> ``snnmodels.compat.pytorch_spiking``

Each module here is a thin layer: argument names, defaults (SpikingJelly's single-step neurons among them) and
return types of the peer, computed by the same functions as our own API (no second implementation of a neuron
update or surrogate). The mapping and every deliberate difference are listed in ``docs/compat.md``.
"""
