"""SpikingJelly's ``activation_based.ann2snn`` (the ``Converter`` of its documentation and of 2.0) over
`snnmodels.ann2snn`.

``Converter(dataloader, device=None, mode='Max', momentum=0.1, fuse_flag=True)(ann)`` returns the spiking
``GraphModule`` in single-step mode, as SpikingJelly's: call it once per time step and `reset_net` between
samples. SpikingJelly 2.0's ``Converter(RateCodingRecipe(dataloader, mode, momentum, fuse_flag)).convert(ann)``
works too. Each ReLU becomes a `ScaledIF` (``scaler0``, ``if_node``, ``scaler1``: SpikingJelly's
VoltageScaler-IFNode-VoltageScaler triple) in the ReLU's place; the scales are float32 buffers, as
SpikingJelly's ``torch.tensor(scale)``, so a float64 network converts to the same spikes.

Deliberate differences (docs/compat.md): Linear followed by BatchNorm1d is folded too; ``F.relu`` and
``torch.relu`` calls are converted, not only ``nn.ReLU`` modules; a GELU/SiLU/sigmoid/tanh raises instead of
being left as an analog activation inside the spiking net.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
from torch import nn

from snnmodels.ann2snn import (
    ActivationStats,
    Rescale,
    calibrate,
    fuse_batchnorm,
    insert_observers,
    make_multistep,
    replace_relus,
    trace,
)
from snnmodels.ann2snn.modules import ScaledIF
from snnmodels.base import StepMode, set_step_mode

__all__ = ["Converter", "RateCodingRecipe", "VoltageHook", "VoltageScaler"]


class VoltageHook(ActivationStats):
    """Placed after a ReLU: records the scale of its activations ('Max', '99.9%' or a fraction 0 < k <= 1)."""

    def __init__(self, scale: float = 1.0, momentum: float = 0.1, mode: str | float = "Max") -> None:
        super().__init__(mode, momentum)
        self.scale = torch.tensor(scale)


class VoltageScaler(Rescale):
    """Scales the current by ``scale`` (a float32 buffer, as SpikingJelly's)."""

    def __init__(self, scale: float = 1.0, step_mode: StepMode = "s") -> None:
        super().__init__(torch.tensor(scale), step_mode)


@dataclass
class RateCodingRecipe:
    """SpikingJelly 2.0's rate-coding recipe: the settings of the classic conversion."""

    dataloader: Iterable[Any]
    mode: str | float = "Max"
    momentum: float = 0.1
    fuse_flag: bool = True
    neuron_factory: Callable[[float], nn.Module] | None = None


class Converter(nn.Module):
    """Convert a ReLU ANN to an SNN of soft-reset IF neurons; see the module docstring."""

    def __init__(
        self,
        dataloader: Iterable[Any] | RateCodingRecipe,
        device: torch.device | str | None = None,
        mode: str | float = "Max",
        momentum: float = 0.1,
        fuse_flag: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(dataloader, RateCodingRecipe):
            recipe = dataloader
        else:
            recipe = RateCodingRecipe(dataloader, mode, momentum, fuse_flag)
        self.recipe = recipe
        self.device = device
        self.mode, self.momentum, self.fuse_flag = recipe.mode, recipe.momentum, recipe.fuse_flag
        self.dataloader = recipe.dataloader

    def forward(self, ann: nn.Module) -> torch.fx.GraphModule:
        """The converted network (single-step mode)."""
        param = next(iter(ann.parameters()), None)
        device = self.device if self.device is not None else (param.device if param is not None else "cpu")
        gm = trace(ann).to(device)
        gm = self.fuse(gm, self.fuse_flag)
        gm = self.set_voltagehook(gm, self.mode, self.momentum)
        calibrate(gm, self.dataloader, device, who=type(ann).__name__)
        gm = replace_relus(gm, neuron=self.recipe.neuron_factory, scale_dtype=torch.get_default_dtype())
        gm = make_multistep(gm, keep=(ScaledIF,))
        set_step_mode(gm, "s")
        return gm.to(device)

    def convert(self, ann: nn.Module) -> torch.fx.GraphModule:
        """SpikingJelly 2.0's name for calling the converter."""
        return self(ann)

    @staticmethod
    def fuse(fx_model: torch.fx.GraphModule, fuse_flag: bool = True) -> torch.fx.GraphModule:
        """Fold BatchNorm into the Conv (or Linear) before it."""
        return fuse_batchnorm(fx_model) if fuse_flag else fx_model

    @staticmethod
    def set_voltagehook(
        fx_model: torch.fx.GraphModule, mode: str | float = "Max", momentum: float = 0.1
    ) -> torch.fx.GraphModule:
        """Put a VoltageHook after every ReLU."""
        return insert_observers(fx_model, mode, momentum)

    @staticmethod
    def replace_by_ifnode(fx_model: torch.fx.GraphModule) -> torch.fx.GraphModule:
        """Replace every ReLU and its calibrated VoltageHook by scaler-IF-scaler (single-step)."""
        return replace_relus(fx_model, scale_dtype=torch.get_default_dtype(), step_mode="s")
