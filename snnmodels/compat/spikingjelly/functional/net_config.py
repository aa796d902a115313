"""Whole-network helpers: `reset_net`, `set_step_mode`, `set_backend`, `detach_net`.

`reset_net` calls ``reset()`` on every module inside the network that has a callable ``reset`` (as SpikingJelly
does, plain ``nn.Module``s included, with a warning for those that are not a ``MemoryModule``). It records, per
network and weakly, the modules it reset (``_RESET_MODULE_CACHE``, as SpikingJelly names it), but walks the
network on every call: a module swapped in after the first reset is reset too (and the stale record dropped),
where SpikingJelly's cache keeps resetting the module that was replaced until ``invalidate_reset_cache``.
"""

from __future__ import annotations

import logging
from typing import Any
from weakref import ReferenceType, WeakKeyDictionary, ref

from torch import nn

from snnmodels import base as core
from snnmodels.compat.spikingjelly import base

__all__ = [
    "collect_reset_modules",
    "detach_net",
    "invalidate_reset_cache",
    "reset_collected_modules",
    "reset_net",
    "set_backend",
    "set_step_mode",
]

logger = logging.getLogger("snnmodels.compat.spikingjelly")

_RESET_MODULE_CACHE: WeakKeyDictionary[nn.Module, tuple[ReferenceType[nn.Module], ...]] = WeakKeyDictionary()

_MEMORY = (base.MemoryModule, core.MemoryModule)
_STEP = (base.StepModule, core.StepModule)


def collect_reset_modules(net: nn.Module) -> tuple[nn.Module, ...]:
    """Every module inside ``net`` (``net`` first) with a callable ``reset``, in ``net.modules()`` order."""
    return tuple(m for m in net.modules() if callable(getattr(m, "reset", None)))


def reset_collected_modules(modules: tuple[nn.Module, ...]) -> None:
    """Call ``reset()`` on each module (a warning for modules that are not a ``MemoryModule``)."""
    for m in modules:
        if not isinstance(m, _MEMORY):
            logger.warning(
                "reset_net: calling reset() of %s, which is not spikingjelly.activation_based.base.MemoryModule "
                "(snnmodels.compat.spikingjelly.base.MemoryModule)",
                type(m).__name__,
            )
        m.reset()


def _cacheable(net: nn.Module) -> bool:
    # a module with its own equality could be equal to another network: no entry keyed by it
    cls = type(net)
    return cls.__eq__ is object.__eq__ and cls.__hash__ is object.__hash__


def invalidate_reset_cache(net: nn.Module) -> None:
    """Forget what `reset_net` recorded for ``net`` (a no-op for networks it never saw)."""
    if _cacheable(net):
        _RESET_MODULE_CACHE.pop(net, None)


def reset_net(net: nn.Module) -> None:
    """Reset the state of every module inside ``net`` that has ``reset()`` (``v`` back to ``v_reset`` ...)."""
    modules = collect_reset_modules(net)
    if _cacheable(net):
        cached = _RESET_MODULE_CACHE.get(net)
        if cached is None:
            _RESET_MODULE_CACHE[net] = tuple(ref(m) for m in modules)
        elif tuple(r() for r in cached) != modules:  # modules were swapped since: the record is stale, drop it
            del _RESET_MODULE_CACHE[net]
    reset_collected_modules(modules)


def _keeps_inner_step_mode(m: nn.Module) -> bool:
    # containers whose inner modules run single steps whatever the container's own mode (SpikingJelly's rule)
    from snnmodels.compat.spikingjelly import layer

    return isinstance(m, layer.step_mode_keepers())


def set_step_mode(net: nn.Module, step_mode: str) -> None:
    """Set ``step_mode`` ('s' or 'm') on every module inside ``net`` that has one, except the modules inside
    step-mode containers (`layer.StepModeContainer`, `layer.MultiStepContainer`, ...), which stay single-step."""
    stack = [net]
    while stack:
        m = stack.pop()
        if hasattr(m, "step_mode"):
            if not isinstance(m, _STEP):
                logger.warning(
                    "set_step_mode: %s has step_mode but is not a StepModule; setting it unchecked", type(m).__name__
                )
            m.step_mode = step_mode
        if not _keeps_inner_step_mode(m):
            stack.extend(reversed(tuple(m.children())))


def set_backend(net: nn.Module, backend: str, instance: Any = object) -> None:
    """Record ``backend`` on every neuron of type ``instance`` inside ``net`` (SpikingJelly 0.0.0.0.14's call).

    Our neurons run our kernels whatever the backend, so this only validates the name and sets ``.backend``.
    """
    from snnmodels.compat.spikingjelly.neuron import BACKENDS

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    for m in net.modules():
        if hasattr(m, "backend") and isinstance(m, instance):
            m.backend = backend


def detach_net(net: nn.Module) -> None:
    """Cut the state of every module inside ``net`` that has ``detach()`` from the graph (truncated BPTT)."""
    for m in net.modules():
        if callable(getattr(m, "detach", None)):
            if not isinstance(m, _MEMORY):
                logger.warning("detach_net: calling detach() of %s, which is not a MemoryModule", type(m).__name__)
            m.detach()
