"""pytorch-spiking style layers on (batch, steps, neurons) tensors: `SpikingActivation` and `Lowpass`.

Unlike the rest of snnmodels these keep pytorch-spiking's batch-first layout and its units: ``dt`` is the
length of a step in seconds, spikes have height 1/dt, ``tau`` is in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

__all__ = ["Lowpass", "SpikingActivation", "TemporalAvgPool", "spiking_activation"]


def spiking_activation(
    x: Tensor,
    activation: Callable[[Tensor], Tensor],
    dt: float = 0.001,
    initial_state: Tensor | None = None,
    spiking_aware_training: bool = True,
    return_sequences: bool = True,
    training: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Spiking version of ``activation`` on x [batch, steps, neurons]; output n/dt per step for n spikes.

    Each neuron integrates ``activation(x)·dt`` and emits floor(voltage) spikes per step, keeping the fraction.
    Gradients are those of ``activation`` (spikes forward, rates backward). With ``training`` and not
    ``spiking_aware_training`` the output is ``activation(x)`` itself. ``initial_state`` [batch, neurons] in
    [0, 1) defaults to uniform noise (drawn from ``generator``); it is not modified.
    """
    rate_in = x if return_sequences else x[:, -1]
    if training and not spiking_aware_training:
        return activation(rate_in)
    if initial_state is None:
        initial_state = torch.rand(x.shape[0], x.shape[2], dtype=x.dtype, device=x.device, generator=generator)
    with torch.no_grad():
        rates = activation(x.to(initial_state.dtype)) * dt
        voltage = initial_state.clone()
        spikes = torch.empty_like(rates) if return_sequences else None
        n = torch.zeros_like(voltage)
        for i in range(x.shape[1]):
            voltage += rates[:, i]
            torch.floor(voltage, out=n)
            voltage -= n
            if spikes is not None:
                spikes[:, i] = n
        out = (spikes if spikes is not None else n) / dt
    base = activation(rate_in)
    return base + (out.to(base.dtype) - base).detach()  # value of the spikes, gradient of the activation


class SpikingActivation(nn.Module):
    """Module form of `spiking_activation` (pytorch-spiking's ``SpikingActivation``).

    Args:
        activation: the rate function to turn into spikes (e.g. ``torch.relu``).
        dt: seconds per step.
        initial_state: initial voltages [batch, neurons] in [0, 1); uniform random if None.
        spiking_aware_training: spike in the forward pass during training too (else only in eval).
        return_sequences: return all steps [batch, steps, neurons] (default) or the last [batch, neurons].
    """

    def __init__(
        self,
        activation: Callable[[Tensor], Tensor],
        dt: float = 0.001,
        initial_state: Tensor | None = None,
        spiking_aware_training: bool = True,
        return_sequences: bool = True,
    ) -> None:
        super().__init__()
        self.activation = activation
        self.dt = dt
        self.initial_state = initial_state
        self.spiking_aware_training = spiking_aware_training
        self.return_sequences = return_sequences

    def forward(self, x: Tensor) -> Tensor:
        return spiking_activation(
            x,
            self.activation,
            self.dt,
            self.initial_state,
            self.spiking_aware_training,
            self.return_sequences,
            self.training,
        )


class Lowpass(nn.Module):
    """First-order lowpass filter over steps (pytorch-spiking's ``Lowpass``) on [batch, steps, units].

    level[t] = (1 - s)·x[t] + s·level[t-1], with s = sigmoid(smoothing_var), smoothing_var starting at
    ``smoothing_init`` = logit(exp(-dt/tau)). The initial level and the smoothing are trainable. With
    ``apply_during_training=False`` the layer passes its input through while training.
    """

    def __init__(
        self,
        tau: float,
        units: int,
        dt: float = 0.001,
        apply_during_training: bool = True,
        initial_level: Tensor | None = None,
        return_sequences: bool = True,
    ) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f"tau must be a positive number of seconds, got {tau!r}")
        self.tau, self.units, self.dt = tau, units, dt
        self.apply_during_training = apply_during_training
        self.return_sequences = return_sequences
        self.initial_level = initial_level
        smoothing = math.exp(-dt / tau)
        self.smoothing_init = math.log(smoothing / (1 - smoothing))  # the logit that smoothing_var starts at
        self.level_var = nn.Parameter(torch.zeros(1, units) if initial_level is None else initial_level.clone())
        self.smoothing_var = nn.Parameter(torch.full((1, units), self.smoothing_init))

    def forward(self, x: Tensor) -> Tensor:
        if self.training and not self.apply_during_training:
            return x if self.return_sequences else x[:, -1]
        s = torch.sigmoid(self.smoothing_var)
        x = x.to(self.smoothing_var.dtype)
        level = self.level_var
        levels = torch.empty_like(x) if self.return_sequences else None
        for i in range(x.shape[1]):
            level = (1 - s) * x[:, i] + s * level
            if levels is not None:
                levels[:, i] = level
        return levels if levels is not None else level


class TemporalAvgPool(nn.Module):
    """The mean over axis ``dim`` (default 1, the steps of [batch, steps, ...]): a rate readout of spikes."""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=self.dim)
