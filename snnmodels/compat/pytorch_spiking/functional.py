"""``pytorch_spiking.functional`` (pytorch-spiking 0.1): ``spiking_activation`` with pytorch-spiking's defaults."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from snnmodels import spiking as _core

__all__ = ["spiking_activation"]


def spiking_activation(
    inputs: Tensor,
    activation: Callable[[Tensor], Tensor],
    dt: float = 0.001,
    initial_state: Tensor | None = None,
    spiking_aware_training: bool = True,
    return_sequences: bool = False,
    training: bool = False,
) -> Tensor:
    """Spikes of ``activation`` on inputs [batch, steps, neurons]: n/dt per step for n spikes; the gradient is
    the activation's. Returns the last step [batch, neurons] unless ``return_sequences`` (the function's default
    in pytorch-spiking is False; the module's is True). See `snnmodels.spiking.spiking_activation`."""
    return _core.spiking_activation(
        inputs, activation, dt, initial_state, spiking_aware_training, return_sequences, training
    )
