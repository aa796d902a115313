"""SEW-ResNets sized for 128x128 DVS frames (Fang et al., NeurIPS 2021, DVS128 Gesture and CIFAR10-DVS nets).

The ImageNet ResNets' 7x7 stride-2 stem, max-pool and four wide stages are too big for DVS data (SEW issue #14:
sew_resnet18 reaches ~85% on DVS128 Gesture, the 7B-Net below 97.92% with 0.13M parameters). These nets keep full
resolution at the input and halve it after every block instead:

- ``sew_7b_net`` (the paper's "7B-Net", DVS128 Gesture): Conv1x1(2->32)-BN-neuron, then 7 x {SEW block(32),
  MaxPool 2}, Flatten, Linear(32 -> 11);
- ``sew_wide_7b_net`` ("Wide-7B-Net", CIFAR10-DVS): 4 x {SEW(64), MaxPool} with a Conv1x1(2->64) stem, then
  Conv1x1(64->128)-BN-neuron and 3 x {SEW(128), MaxPool}, Flatten, Linear(128 -> 10).

A SEW block here is two {Conv3x3-BN-neuron} layers joined to its input by ``cnf`` (see `snnmodels.models.resnet`).
The paper's code returns ``fc(mean over T)``; ours returns ``fc`` at every step [T, N, classes], whose mean over T
is the same number (``fc`` is affine). Input [T, N, C, H, W] with H, W >= 128 (seven 2x2 max-pools).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from neurodata.spec import FrameSpec
from snnmodels.layers import BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d
from snnmodels.models._builder import NeuronFactory, build_model
from snnmodels.models._registry import register_model
from snnmodels.models._weights import InputContract
from snnmodels.models.plif_net import PLIF_NEURON, spatial_after_pools
from snnmodels.models.resnet import check_cnf, sew_function

__all__ = ["SEWBlock", "SEWDVSNet", "sew_7b_net", "sew_wide_7b_net"]


def conv_bn_spike(in_channels: int, out_channels: int, kernel_size: int, neuron: NeuronFactory) -> nn.Sequential:
    """Conv (stride 1, 'same' padding, no bias) - BN - neuron."""
    return nn.Sequential(
        Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        BatchNorm2d(out_channels),
        neuron(),
    )


class SEWBlock(nn.Module):
    """g(x, A) with A = two {Conv3x3-BN-neuron} layers of ``x``; channels in = out."""

    def __init__(self, channels: int, mid_channels: int, cnf: str, neuron: NeuronFactory) -> None:
        super().__init__()
        self.cnf = check_cnf(cnf)
        self.conv = nn.Sequential(
            conv_bn_spike(channels, mid_channels, 3, neuron), conv_bn_spike(mid_channels, channels, 3, neuron)
        )

    def forward(self, x: Tensor) -> Tensor:
        return sew_function(x, self.conv(x), self.cnf)

    def extra_repr(self) -> str:
        return f"cnf={self.cnf}"


class SEWDVSNet(nn.Module):
    """A chain of {[Conv1x1 when the width changes], SEW block, MaxPool 2} stages, then Flatten and Linear.

    Args:
        widths: channels of each stage's SEW block, e.g. ``(32,) * 7``.
        cnf: SEW connect function, 'ADD', 'AND' or 'IAND'.
        in_channels: input channels (2 polarities).
        num_classes: outputs.
        input_size: (H, W) or one int, to size the Linear layer.
        neuron: makes each spiking neuron.
    """

    def __init__(
        self,
        widths: Sequence[int],
        *,
        cnf: str = "ADD",
        in_channels: int = 2,
        num_classes: int = 11,
        input_size: int | Sequence[int] = 128,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__()
        self.num_classes, self.in_channels, self.cnf = num_classes, in_channels, check_cnf(cnf)
        h, w = spatial_after_pools(input_size, len(widths), type(self).__name__)
        body: list[nn.Module] = []
        c = in_channels
        for width in widths:
            if width != c:
                body.append(conv_bn_spike(c, width, 1, neuron))
            body += [SEWBlock(width, width, cnf, neuron), MaxPool2d(2, 2)]
            c = width
        self.features = nn.Sequential(*body)
        self.flatten = Flatten(1)
        self.fc = Linear(c * h * w, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.flatten(self.features(x)))


_REF = "Fang et al., NeurIPS 2021 (SEW-ResNet), code: fangwei123456/Spike-Element-Wise-ResNet {}/smodels.py"


@register_model(
    "sew_7b_net",
    family="sew_dvs",
    contract=InputContract(
        2, 11, (128, 128), T=16, dataset="dvs128-gesture", frame_spec=FrameSpec(frames_number=16, split_by="number")
    ),
    default_neuron=PLIF_NEURON,
    reference=_REF.format("dvsgesture"),
    notes="paper: 97.92% (ADD; IAND 95.49, AND 70.49), T=16 at test (T=12 random crops in training); "
    "0.13M parameters; input H, W >= 128",
)
def sew_7b_net(**kwargs: Any) -> SEWDVSNet:
    """SEW 7B-Net for DVS128 Gesture; ``cnf`` ('ADD'), ``input_size`` and other ``kwargs`` as `create_model`."""
    return build_model("sew_7b_net", SEWDVSNet, {"widths": (32,) * 7}, kwargs)


@register_model(
    "sew_wide_7b_net",
    family="sew_dvs",
    contract=InputContract(
        2,
        10,
        (128, 128),
        T=16,
        dataset="cifar10-dvs",
        frame_spec=FrameSpec(frames_number=16, split_by="number", orientation="cifar10dvs"),
    ),
    default_neuron=PLIF_NEURON,
    reference=_REF.format("cifar10dvs"),
    notes="paper: 74.4% at T=16 (70.2% at T=8), ADD; input H, W >= 128",
)
def sew_wide_7b_net(**kwargs: Any) -> SEWDVSNet:
    """SEW Wide-7B-Net for CIFAR10-DVS; ``kwargs`` as `sew_7b_net`."""
    return build_model("sew_wide_7b_net", SEWDVSNet, {"widths": (64,) * 4 + (128,) * 3}, kwargs)
