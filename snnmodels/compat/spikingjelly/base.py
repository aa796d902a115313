"""SpikingJelly's ``base``: `StepModule` (step-mode contract) and `MemoryModule` (named state, reset values).

A `MemoryModule` keeps its state in registered *memories* (``register_memory('v', 0.0)``), reachable as
attributes; `reset` puts every memory back to its registered value (a float stays a float, as SpikingJelly's
``v == 0.0`` after ``reset_net``). ``forward`` dispatches on ``step_mode`` to ``single_step_forward`` /
``multi_step_forward``; modules that define ``single_step_functional_forward(inputs, states)`` get the explicit-
state ``functional_forward`` too. These classes subclass our own `snnmodels.base.StepModule` / `MemoryModule`, so
`snnmodels.reset_net` and `snnmodels.set_step_mode` reach them, and so does this package's `functional`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels import base as core

__all__ = [
    "MemoryModule",
    "MultiStepModule",
    "SingleStepModule",
    "StepModule",
    "extract_memories",
    "load_memories",
    "memories",
    "named_memories",
    "to_functional_forward",
]

States = tuple[object, ...]


class StepModule:
    """Mixin for modules with a ``step_mode``; ``supported_step_mode()`` lists the modes it accepts."""

    def supported_step_mode(self) -> tuple[str, ...]:
        """The step modes this module accepts."""
        return ("s", "m")

    @property
    def step_mode(self) -> str:
        """'s' (one step, [N, ...]) or 'm' (a sequence, [T, N, ...])."""
        return self._step_mode

    @step_mode.setter
    def step_mode(self, value: str) -> None:
        if value not in self.supported_step_mode():
            raise ValueError(
                f"{type(self).__name__}.step_mode can only be {self.supported_step_mode()} "
                f"('s': [N, ...] per call, 'm': [T, N, ...] per call), got {value!r}"
            )
        self._step_mode = value


class SingleStepModule(StepModule):
    """A module that only runs single steps."""

    def supported_step_mode(self) -> tuple[str, ...]:
        return ("s",)


class MultiStepModule(StepModule):
    """A module that only runs whole sequences."""

    def supported_step_mode(self) -> tuple[str, ...]:
        return ("m",)


class MemoryModule(core.MemoryModule, StepModule):
    """A stateful module: memories, reset values, step-mode dispatch (default 's')."""

    def __init__(self) -> None:
        nn.Module.__init__(self)
        self._memories: dict[str, Any] = {}
        self._memories_rv: dict[str, Any] = {}
        self._step_mode = "s"

    # --- explicit-state forward -----------------------------------------------------------------------------

    def materialize_states(self, inputs: tuple[Tensor, ...], states: States, step_mode: str) -> States:
        """States ready for one call (e.g. a float ``v`` broadcast to the input's shape); no side effects."""
        return states

    def single_step_functional_forward(
        self, inputs: tuple[Tensor, ...], states: States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], States]:
        """One step with explicit state: ``(outputs, new_states)``; must not touch the module's memories."""
        raise NotImplementedError(f"{self._get_name()} does not implement single_step_functional_forward")

    def multi_step_functional_forward(
        self, inputs: tuple[Tensor, ...], states: States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], States]:
        """T steps of `single_step_functional_forward`, outputs stacked along time."""
        steps = []
        for t in range(inputs[0].shape[0]):
            outputs, states = self.single_step_functional_forward(tuple(x[t] for x in inputs), states, **kwargs)
            steps.append(outputs)
        return tuple(torch.stack(seq) for seq in zip(*steps, strict=True)), states

    def functional_forward(
        self, inputs: tuple[Tensor, ...], states: States, **kwargs: Any
    ) -> tuple[tuple[Tensor, ...], States]:
        """The explicit-state forward of the current step mode."""
        states = self.materialize_states(inputs, states, self.step_mode)
        if self.step_mode == "s":
            return self.single_step_functional_forward(inputs, states, **kwargs)
        return self.multi_step_functional_forward(inputs, states, **kwargs)

    def _store(self, states: States) -> None:
        for name, value in zip(list(self._memories), states, strict=True):
            self._memories[name] = value

    def single_step_forward(self, x: Tensor, *args: Any, **kwargs: Any) -> Any:
        """One step from the stored memories, which it updates."""
        inputs = (x, *args)
        states = self.materialize_states(inputs, tuple(self._memories.values()), "s")
        outputs, states = self.single_step_functional_forward(inputs, states, **kwargs)
        self._store(states)
        return outputs[0] if len(outputs) == 1 else outputs

    def multi_step_forward(self, x_seq: Tensor, *args: Any, **kwargs: Any) -> Any:
        """A whole sequence [T, N, ...] from the stored memories, which it updates."""
        inputs = (x_seq, *args)
        states = self.materialize_states(inputs, tuple(self._memories.values()), "m")
        outputs, states = self.multi_step_functional_forward(inputs, states, **kwargs)
        self._store(states)
        return outputs[0] if len(outputs) == 1 else outputs

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.step_mode == "s":
            return self.single_step_forward(*args, **kwargs)
        return self.multi_step_forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return f"step_mode={self.step_mode}"

    # --- memories -------------------------------------------------------------------------------------------

    def register_memory(self, name: str, value: Any) -> None:
        """Add state ``name`` with initial (and reset) value ``value``."""
        if hasattr(self, name):
            raise AttributeError(f"{type(self).__name__}.{name} is already an attribute; pick another memory name")
        self._memories[name] = value
        self.set_reset_value(name, value)

    def set_reset_value(self, name: str, value: Any) -> None:
        """The value `reset` gives memory ``name`` (copied)."""
        self._memories_rv[name] = copy.deepcopy(value)

    def get_reset_value(self, name: str) -> Any:
        """The reset value of memory ``name``."""
        if name not in self._memories:
            raise KeyError(f"{name} is not a memory of {type(self).__name__}; memories: {list(self._memories)}")
        if name not in self._memories_rv:
            raise KeyError(f"{name} has no reset value; call set_reset_value({name!r}, value) first")
        return self._memories_rv[name]

    def reset(self) -> None:
        """Every memory back to its reset value (a float reset value is restored as the float itself)."""
        for key, cur in self._memories.items():
            rv = self._memories_rv[key]
            if (
                isinstance(cur, Tensor)
                and isinstance(rv, Tensor)
                and (cur.shape, cur.dtype, cur.device)
                == (
                    rv.shape,
                    rv.dtype,
                    rv.device,
                )
            ):
                self._memories[key] = rv.detach().clone()
            elif isinstance(rv, int | float):
                self._memories[key] = rv
            else:
                self._memories[key] = copy.deepcopy(rv)

    def memories(self) -> Iterator[Any]:
        """The memories' current values."""
        yield from self._memories.values()

    def named_memories(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of every memory."""
        yield from self._memories.items()

    def detach(self) -> None:
        """Cut every tensor memory from the autograd graph (truncated BPTT)."""
        for key, value in self._memories.items():
            if isinstance(value, Tensor):
                self._memories[key] = value.detach()

    def __getattr__(self, name: str) -> Any:
        memories = self.__dict__.get("_memories")
        if memories is not None and name in memories:
            return memories[name]
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        memories = self.__dict__.get("_memories")
        if memories is not None and name in memories:
            memories[name] = value
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in self.__dict__.get("_memories", {}):
            del self._memories[name]
            del self._memories_rv[name]
        else:
            super().__delattr__(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._memories))

    def __getstate__(self) -> dict[str, Any]:
        # state inside an autograd graph cannot be deep-copied or pickled; keep its values, not its graph
        state = self.__dict__.copy()
        state["_memories"] = {
            k: v.detach() if isinstance(v, Tensor) and v.grad_fn is not None else v for k, v in self._memories.items()
        }
        return state

    def _apply(self, fn: Callable[[Tensor], Tensor], *args: Any, **kwargs: Any) -> MemoryModule:
        for store in (self._memories, self._memories_rv):
            for key, value in store.items():
                if isinstance(value, Tensor):
                    store[key] = fn(value)
        return super()._apply(fn, *args, **kwargs)

    def _replicate_for_data_parallel(self) -> MemoryModule:
        replica = super()._replicate_for_data_parallel()
        replica._memories = self._memories.copy()
        return replica


def named_memories(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, value) of every memory inside ``module``, in module order."""
    if isinstance(module, MemoryModule):
        for name, value in module.named_memories():
            yield (f"{prefix}.{name}" if prefix else name), value
    for child_name, child in module.named_children():
        yield from named_memories(child, f"{prefix}.{child_name}" if prefix else child_name)


def memories(module: nn.Module) -> Iterator[Any]:
    """The values of `named_memories`."""
    for _, value in named_memories(module):
        yield value


def extract_memories(module: nn.Module) -> list[Any]:
    """All memory values inside ``module``, as a list (the order `load_memories` takes)."""
    return list(memories(module))


def load_memories(module: nn.Module, memory_list: list[Any]) -> None:
    """Set every memory inside ``module`` from ``memory_list`` (as `extract_memories` returned it)."""
    named = list(named_memories(module))
    if len(named) != len(memory_list):
        raise ValueError(
            f"Memory length mismatch: the model has {len(named)} memories but the list holds {len(memory_list)}"
        )
    for (name, _), value in zip(named, memory_list, strict=True):
        *path, leaf = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, leaf, value)


def to_functional_forward(
    module: nn.Module, fn: Callable[..., Any] | None = None
) -> Callable[..., tuple[tuple[Tensor, ...], States]]:
    """A pure ``f(inputs, states, **kw) -> (outputs, new_states)`` for ``module``, states in `extract_memories`
    order; the module's own memories are left as they were.

    A single `MemoryModule` with an explicit-state forward uses it; a plain ``nn.Sequential`` chains its children
    (each child's outputs are the next one's arguments, keyword arguments go to the first) and hands each stateful
    child its slice of the states; anything else (or a custom ``fn``) runs with the states loaded and then put
    back.
    """
    count = len(extract_memories(module))

    def check(states: States) -> None:
        if len(states) != count:
            raise ValueError(f"{type(module).__name__} expected {count} states, but got {len(states)}.")

    alone = isinstance(module, MemoryModule) and sum(1 for _ in _memory_modules(module)) == 1
    if fn is None and alone and _has_functional(module):  # type: ignore[arg-type]

        def direct(inputs: tuple[Tensor, ...], states: States, **kwargs: Any) -> tuple[tuple[Tensor, ...], States]:
            check(states)
            return module.functional_forward(inputs, states, **kwargs)  # type: ignore[operator]

        return direct
    plain_sequential = isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward
    forward: Callable[..., Any] = module.forward if fn is None else fn
    if fn is None and plain_sequential:
        children = list(module.children())
        counts = [len(c._memories) if isinstance(c, MemoryModule) and _has_functional(c) else 0 for c in children]
        if sum(counts) == count:

            def chained(inputs: tuple[Tensor, ...], states: States, **kwargs: Any) -> tuple[tuple[Tensor, ...], States]:
                check(states)
                outputs, new, offset = inputs, [], 0
                for i, (child, n) in enumerate(zip(children, counts, strict=True)):
                    kw = kwargs if i == 0 else {}
                    if n:
                        outputs, child_states = child.functional_forward(outputs, states[offset : offset + n], **kw)
                        new.extend(child_states)
                        offset += n
                    else:
                        outputs = _as_tuple(child(*outputs, **kw))
                return outputs, tuple(new)

            return chained

        def forward(*inputs: Any, **kwargs: Any) -> Any:
            outputs: tuple[Any, ...] = inputs
            for i, child in enumerate(children):
                outputs = _as_tuple(child(*outputs, **(kwargs if i == 0 else {})))
            return outputs[0] if len(outputs) == 1 else outputs

    def loaded(inputs: tuple[Tensor, ...], states: States, **kwargs: Any) -> tuple[tuple[Tensor, ...], States]:
        check(states)
        saved = extract_memories(module)
        load_memories(module, list(states))
        try:
            outputs = _as_tuple(forward(*inputs, **kwargs))
            return outputs, tuple(extract_memories(module))
        finally:
            load_memories(module, saved)

    return loaded


def _as_tuple(out: Any) -> tuple[Any, ...]:
    return tuple(out) if isinstance(out, tuple | list) else (out,)


def _memory_modules(module: nn.Module) -> Iterator[MemoryModule]:
    return (m for m in module.modules() if isinstance(m, MemoryModule))


def _has_functional(module: MemoryModule) -> bool:
    own = type(module)
    return (
        own.functional_forward is not MemoryModule.functional_forward
        or own.single_step_functional_forward is not MemoryModule.single_step_functional_forward
        or (
            module.step_mode == "m"
            and own.multi_step_functional_forward is not MemoryModule.multi_step_functional_forward
        )
    )
