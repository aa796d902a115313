"""Step modes and state: the small contract shared by neurons and layers, and the helpers that walk one model.

A module that has a ``step_mode`` is a `StepModule`: ``"s"`` takes one time step [N, ...] per call, ``"m"`` a
whole sequence [T, N, ...]. A `MemoryModule` also keeps state between single-step calls until `reset()`.
`reset_net` and `set_step_mode` touch only the modules inside the model they are given (no global registry).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from torch import nn

__all__ = ["STEP_MODES", "MemoryModule", "StepMode", "StepModule", "reset_net", "set_step_mode"]

StepMode = Literal["s", "m"]
STEP_MODES: tuple[str, ...] = ("s", "m")


def check_step_mode(step_mode: str) -> StepMode:
    """``step_mode`` if it is 's' or 'm'; a ValueError naming it otherwise."""
    if step_mode not in STEP_MODES:
        raise ValueError(
            f"step_mode must be 's' (single step, [N, ...]) or 'm' (multi-step, [T, N, ...]), got {step_mode!r}"
        )
    return step_mode  # type: ignore[return-value]


class StepModule(nn.Module):
    """A module with a single-step ('s') and a multi-step ('m') mode.

    A container that runs its inner modules one step at a time whatever its own mode (the recurrent containers of
    `snnmodels.recurrent`) sets ``keeps_inner_step_mode = True``: `set_step_mode` then leaves its inside alone.
    """

    keeps_inner_step_mode: ClassVar[bool] = False

    def __init__(self, step_mode: StepMode = "m") -> None:
        super().__init__()
        self.step_mode = check_step_mode(step_mode)

    def extra_repr(self) -> str:
        return f"step_mode={self.step_mode}"


class MemoryModule(StepModule):
    """A `StepModule` with state that single-step calls carry over; `reset` returns it to the initial state."""

    def reset(self) -> None:
        """Forget the state (subclasses clear their own)."""


def reset_net(model: nn.Module) -> None:
    """Reset the state of every `MemoryModule` inside ``model`` (and nothing outside it)."""
    for m in model.modules():
        if isinstance(m, MemoryModule):
            m.reset()


def set_step_mode(model: nn.Module, step_mode: StepMode) -> None:
    """Set ``step_mode`` on every `StepModule` inside ``model``, except inside the containers that keep their inner
    modules single-step (``keeps_inner_step_mode``: a recurrent loop's body always takes one step per call)."""
    check_step_mode(step_mode)
    stack = [model]
    while stack:
        m = stack.pop()
        if isinstance(m, StepModule):
            m.step_mode = step_mode
            if m.keeps_inner_step_mode:
                continue
        stack.extend(m.children())
