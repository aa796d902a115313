"""The PLIF paper's networks (Fang et al., ICCV 2021, arXiv 2007.05785), as in SpikingJelly's parametric_lif_net.

Each is ``conv_fc``: stages of {Conv3x3 (no bias) - BN - neuron} x k + MaxPool2d(2), then Flatten - Dropout -
Linear(hidden) - neuron - Dropout - Linear(num_classes x 10) - neuron - VotingLayer(10): every class is the mean
spike of its 10 output neurons. Indices inside ``conv_fc`` match SpikingJelly's, so state dicts are interchangeable.

The flattened size depends on the input size (``input_size``, default the paper's); input [T, N, C, H, W], output
[T, N, num_classes] (vote counts in [0, 1] per step; average over T for the rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from neurodata.spec import FrameSpec
from snnmodels.layers import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, VotingLayer
from snnmodels.models._builder import NeuronFactory, build_model
from snnmodels.models._registry import register_model
from snnmodels.models._weights import InputContract

__all__ = [
    "CIFAR10DVSNet",
    "CIFAR10Net",
    "DVSGestureNet",
    "FashionMNISTNet",
    "MNISTNet",
    "NMNISTNet",
    "PLIFNet",
    "cifar10_net",
    "cifar10dvs_net",
    "dvsgesture_net",
    "fashion_mnist_net",
    "mnist_net",
    "nmnist_net",
]


def spatial_after_pools(input_size: int | Sequence[int], pools: int, what: str) -> tuple[int, int]:
    """(H, W) after ``pools`` 2x2 max-pools (floor); a ValueError when that reaches 0."""
    h, w = (input_size, input_size) if isinstance(input_size, int) else (int(input_size[0]), int(input_size[1]))
    out = (h >> pools, w >> pools)
    if min(out) < 1:
        raise ValueError(f"{what}: input_size={(h, w)} is too small for {pools} 2x2 max-pools; need >= {1 << pools}")
    return out


class PLIFNet(nn.Module):
    """Conv stages + two-layer spiking classifier + voting head (the shared shape of the PLIF paper's nets).

    Args:
        stages: convs per stage (each stage ends with a 2x2 max-pool), e.g. (1, 1) for MNIST, (3, 3) for CIFAR-10.
        channels: width of every conv.
        hidden: width of the first Linear layer.
        in_channels: input channels.
        num_classes: classes; the last Linear has num_classes x voting_size neurons.
        input_size: (H, W) or one int, to size the first Linear layer.
        voting_size: output neurons per class.
        dropout: probability of both dropout layers (one mask per sequence).
        neuron: makes each spiking neuron.
    """

    def __init__(
        self,
        stages: Sequence[int],
        *,
        channels: int,
        hidden: int,
        in_channels: int,
        num_classes: int,
        input_size: int | Sequence[int],
        voting_size: int = 10,
        dropout: float = 0.5,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__()
        self.num_classes, self.in_channels = num_classes, in_channels
        h, w = spatial_after_pools(input_size, len(stages), type(self).__name__)
        body: list[nn.Module] = []
        c = in_channels
        for convs in stages:
            for _ in range(convs):
                body += [Conv2d(c, channels, 3, padding=1, bias=False), BatchNorm2d(channels), neuron()]
                c = channels
            body.append(MaxPool2d(2, 2))
        self.conv_fc = nn.Sequential(
            *body,
            Flatten(1),
            Dropout(dropout),
            Linear(channels * h * w, hidden),
            neuron(),
            Dropout(dropout),
            Linear(hidden, num_classes * voting_size),
            neuron(),
            VotingLayer(voting_size),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_fc(x)


class MNISTNet(PLIFNet):
    """MNIST: 2 x {Conv(channels)-BN-neuron-MaxPool}, FC 2048, FC 100, voting to 10; 1x28x28 input."""

    def __init__(
        self,
        channels: int = 128,
        *,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int | Sequence[int] = 28,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            (1, 1),
            channels=channels,
            hidden=2048,
            in_channels=in_channels,
            num_classes=num_classes,
            input_size=input_size,
            neuron=neuron,
        )


class FashionMNISTNet(MNISTNet):
    """Fashion-MNIST: the same network as `MNISTNet`."""


class NMNISTNet(MNISTNet):
    """N-MNIST: `MNISTNet` on 2x34x34 event frames (the first Linear takes channels x 8 x 8)."""

    def __init__(
        self,
        channels: int = 128,
        *,
        in_channels: int = 2,
        num_classes: int = 10,
        input_size: int | Sequence[int] = 34,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            channels, in_channels=in_channels, num_classes=num_classes, input_size=input_size, neuron=neuron
        )


class CIFAR10Net(PLIFNet):
    """CIFAR-10: 2 x {3 x Conv(channels)-BN-neuron, MaxPool}, FC 2048, FC 100, voting to 10; 3x32x32 input."""

    def __init__(
        self,
        channels: int = 256,
        *,
        in_channels: int = 3,
        num_classes: int = 10,
        input_size: int | Sequence[int] = 32,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            (3, 3),
            channels=channels,
            hidden=2048,
            in_channels=in_channels,
            num_classes=num_classes,
            input_size=input_size,
            neuron=neuron,
        )


class CIFAR10DVSNet(PLIFNet):
    """CIFAR10-DVS: 4 x {Conv(channels)-BN-neuron-MaxPool}, FC 512, FC 100, voting to 10; 2x128x128 frames."""

    def __init__(
        self,
        channels: int = 128,
        *,
        in_channels: int = 2,
        num_classes: int = 10,
        input_size: int | Sequence[int] = 128,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            (1, 1, 1, 1),
            channels=channels,
            hidden=512,
            in_channels=in_channels,
            num_classes=num_classes,
            input_size=input_size,
            neuron=neuron,
        )


class DVSGestureNet(PLIFNet):
    """DVS128 Gesture: 5 x {Conv(channels)-BN-neuron-MaxPool}, FC 512, FC 110, voting to 11; 2x128x128 frames."""

    def __init__(
        self,
        channels: int = 128,
        *,
        in_channels: int = 2,
        num_classes: int = 11,
        input_size: int | Sequence[int] = 128,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            (1, 1, 1, 1, 1),
            channels=channels,
            hidden=512,
            in_channels=in_channels,
            num_classes=num_classes,
            input_size=input_size,
            neuron=neuron,
        )


# --- registry -----------------------------------------------------------------------------------------------------

PLIF_NEURON = ("plif", {"init_tau": 2.0, "detach_reset": True, "surrogate_function": "atan"})
_REF = "Fang et al., ICCV 2021 (PLIF), arXiv 2007.05785; SpikingJelly 2.x model.parametric_lif_net"
_GESTURES = (
    "hand clapping",
    "right hand wave",
    "left hand wave",
    "right arm clockwise",
    "right arm counter-clockwise",
    "left arm clockwise",
    "left arm counter-clockwise",
    "arm roll",
    "air drums",
    "air guitar",
    "other gestures",
)
_CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_DIGITS = tuple(str(d) for d in range(10))


def _frames(T: int, orientation: str = "default") -> FrameSpec:
    # SpikingJelly's integrate-to-frames with split_by='number', as the paper's runs
    return FrameSpec(frames_number=T, split_by="number", orientation=orientation)


def _register(name: str, contract: InputContract, notes: str) -> Any:
    return register_model(
        name, family="plif_net", contract=contract, default_neuron=PLIF_NEURON, reference=_REF, notes=notes
    )


def _acc(a: float, b: float, t: int) -> str:
    return f"paper: {a}% max test accuracy (acc-A), {b}% at best validation (acc-B), PLIF, T={t}"


@_register(
    "mnist_net",
    InputContract(1, 10, (28, 28), T=8, dataset="mnist", classes=_DIGITS),
    _acc(99.72, 99.63, 8) + "; static images repeated T times",
)
def mnist_net(**kwargs: Any) -> MNISTNet:
    """PLIF `MNISTNet`; ``channels`` (128), ``input_size`` and other ``kwargs`` as `snnmodels.models.create_model`."""
    return build_model("mnist_net", MNISTNet, {}, kwargs)


@_register(
    "fashion_mnist_net",
    InputContract(1, 10, (28, 28), T=8, dataset="fashion-mnist"),
    _acc(94.38, 93.85, 8) + "; static images repeated T times",
)
def fashion_mnist_net(**kwargs: Any) -> FashionMNISTNet:
    """PLIF `FashionMNISTNet`; ``kwargs`` as `mnist_net`."""
    return build_model("fashion_mnist_net", FashionMNISTNet, {}, kwargs)


@_register(
    "nmnist_net",
    InputContract(2, 10, (34, 34), T=10, dataset="n-mnist", frame_spec=_frames(10), classes=_DIGITS),
    _acc(99.61, 99.57, 10),
)
def nmnist_net(**kwargs: Any) -> NMNISTNet:
    """PLIF `NMNISTNet`; ``kwargs`` as `mnist_net`."""
    return build_model("nmnist_net", NMNISTNet, {}, kwargs)


@_register(
    "cifar10_net",
    InputContract(3, 10, (32, 32), T=8, dataset="cifar10", classes=_CIFAR10),
    _acc(93.50, 92.58, 8) + "; static images repeated T times",
)
def cifar10_net(**kwargs: Any) -> CIFAR10Net:
    """PLIF `CIFAR10Net`; ``channels`` (256) and other ``kwargs`` as `mnist_net`."""
    return build_model("cifar10_net", CIFAR10Net, {}, kwargs)


@_register(
    "cifar10dvs_net",
    InputContract(
        2, 10, (128, 128), T=20, dataset="cifar10-dvs", frame_spec=_frames(20, "cifar10dvs"), classes=_CIFAR10
    ),
    _acc(74.80, 69.00, 20) + "; no official split (paper: 9:1 random split)",
)
def cifar10dvs_net(**kwargs: Any) -> CIFAR10DVSNet:
    """PLIF `CIFAR10DVSNet`; ``kwargs`` as `mnist_net`."""
    return build_model("cifar10dvs_net", CIFAR10DVSNet, {}, kwargs)


@_register(
    "dvsgesture_net",
    InputContract(2, 11, (128, 128), T=20, dataset="dvs128-gesture", frame_spec=_frames(20), classes=_GESTURES),
    _acc(97.57, 96.53, 20) + "; SpikingJelly tutorial (LIF, T=16, 64 epochs): 93.75%",
)
def dvsgesture_net(**kwargs: Any) -> DVSGestureNet:
    """PLIF `DVSGestureNet`; ``kwargs`` as `mnist_net`."""
    return build_model("dvsgesture_net", DVSGestureNet, {}, kwargs)
