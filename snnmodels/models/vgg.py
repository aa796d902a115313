"""Spiking VGG-11/13/16/19 with and without batch norm: torchvision's VGG with spiking neurons for ReLUs.

Module indices follow torchvision (``features.{i}``, ``classifier.{0,3,6}``), so parameter counts equal torchvision's
and ``pretrained='imagenet'`` maps every tensor by name. ``AdaptiveAvgPool2d((7, 7))`` feeds a 4096-4096-classes
classifier with neurons after the first two Linear layers and dropout (one mask per sequence) after them.
Input [T, N, C, H, W] with H, W >= 32 (five 2x2 max-pools); output [T, N, num_classes].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from snnmodels.layers import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d
from snnmodels.models._builder import NeuronFactory, build_model
from snnmodels.models._registry import register_model
from snnmodels.models.resnet import IMAGENET_CONTRACT, IMAGENET_NEURON

__all__ = [
    "VGG_CONFIGS",
    "SpikingVGG",
    "spiking_vgg11",
    "spiking_vgg11_bn",
    "spiking_vgg13",
    "spiking_vgg13_bn",
    "spiking_vgg16",
    "spiking_vgg16_bn",
    "spiking_vgg19",
    "spiking_vgg19_bn",
]

# torchvision's configurations A, B, D, E: conv widths, "M" = 2x2 max-pool
VGG_CONFIGS: dict[str, tuple[int | str, ...]] = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}


class SpikingVGG(nn.Module):
    """Spiking VGG.

    Args:
        cfg: conv widths and "M" (max-pool), e.g. ``VGG_CONFIGS['A']``.
        batch_norm: a BatchNorm2d after every conv.
        num_classes: outputs of the last Linear.
        in_channels: input channels of the first conv.
        dropout: dropout probability in the classifier.
        init_weights: torchvision's initialisation (Kaiming convs, N(0, 0.01) Linear).
        neuron: makes each spiking neuron.
    """

    stem_key = "features.0.weight"
    head_keys = ("classifier.6.weight", "classifier.6.bias")

    def __init__(
        self,
        cfg: Sequence[int | str],
        *,
        batch_norm: bool = False,
        num_classes: int = 1000,
        in_channels: int = 3,
        dropout: float = 0.5,
        init_weights: bool = True,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__()
        self.num_classes, self.in_channels = num_classes, in_channels
        feats: list[nn.Module] = []
        c = in_channels
        for v in cfg:
            if v == "M":
                feats.append(MaxPool2d(2, 2))
                continue
            feats.append(Conv2d(c, int(v), 3, padding=1))
            if batch_norm:
                feats.append(BatchNorm2d(int(v)))
            feats.append(neuron())
            c = int(v)
        self.features = nn.Sequential(*feats)
        self.avgpool = AdaptiveAvgPool2d((7, 7))
        self.flatten = Flatten(1)
        self.classifier = nn.Sequential(
            Linear(512 * 7 * 7, 4096),
            neuron(),
            Dropout(dropout),
            Linear(4096, 4096),
            neuron(),
            Dropout(dropout),
            Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


_CFG = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}
_REF = "torchvision VGG (Simonyan & Zisserman, 2015) with ReLU -> spiking neuron; SpikingJelly 2.x model.spiking_vgg"


def _register(arch: str) -> Any:
    return register_model(
        "spiking_" + arch,
        family="spiking_vgg",
        contract=IMAGENET_CONTRACT,
        default_neuron=IMAGENET_NEURON,
        imagenet_arch=arch,
        reference=_REF,
        notes="input H, W >= 32 (five 2x2 max-pools); ~130-144M parameters, most in classifier.0 (25088x4096)",
    )


def _build(arch: str, kwargs: dict[str, Any]) -> SpikingVGG:
    base = arch.removesuffix("_bn")
    fixed = {"cfg": VGG_CONFIGS[_CFG[base]], "batch_norm": arch.endswith("_bn")}
    return build_model("spiking_" + arch, SpikingVGG, fixed, kwargs)


@_register("vgg11")
def spiking_vgg11(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-11 (configuration A); ``kwargs`` as `snnmodels.models.create_model`."""
    return _build("vgg11", kwargs)


@_register("vgg11_bn")
def spiking_vgg11_bn(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-11 with batch norm; ``kwargs`` as `create_model`."""
    return _build("vgg11_bn", kwargs)


@_register("vgg13")
def spiking_vgg13(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-13 (configuration B); ``kwargs`` as `create_model`."""
    return _build("vgg13", kwargs)


@_register("vgg13_bn")
def spiking_vgg13_bn(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-13 with batch norm; ``kwargs`` as `create_model`."""
    return _build("vgg13_bn", kwargs)


@_register("vgg16")
def spiking_vgg16(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-16 (configuration D); ``kwargs`` as `create_model`."""
    return _build("vgg16", kwargs)


@_register("vgg16_bn")
def spiking_vgg16_bn(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-16 with batch norm; ``kwargs`` as `create_model`."""
    return _build("vgg16_bn", kwargs)


@_register("vgg19")
def spiking_vgg19(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-19 (configuration E); ``kwargs`` as `create_model`."""
    return _build("vgg19", kwargs)


@_register("vgg19_bn")
def spiking_vgg19_bn(**kwargs: Any) -> SpikingVGG:
    """Spiking VGG-19 with batch norm; ``kwargs`` as `create_model`."""
    return _build("vgg19_bn", kwargs)
