"""Spiking ResNet and SEW-ResNet (Fang et al., NeurIPS 2021, arXiv 2102.04159): torchvision's ResNets with spikes.

Both keep torchvision's module names and parameter shapes (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ``fc``...), so parameter counts equal torchvision's and ``pretrained='imagenet'`` maps
ANN tensors one to one; neurons are extra modules (``sn1``, ``sn2``, ``downsample_sn``) as in SpikingJelly.

- Spiking ResNet: a residual block adds the residual current to the shortcut and spikes the sum,
  ``sn(bn(conv(...)) + shortcut(x))``.
- SEW-ResNet: the residual branch spikes first, then an element-wise function joins the spikes,
  ``g(S, A)`` with S the shortcut spikes (``downsample_sn(downsample(x))`` when the shape changes) and
  A = ``sn(bn(conv(...)))``: ADD ``S + A``, AND ``S·A``, IAND ``S·(1 - A)``. ADD outputs can exceed 1.

These are ImageNet topologies (7x7 stride-2 stem and max-pool, four stages): on 128x128 DVS frames they are
large for the data (SEW issue #14: ~85% on DVS128 Gesture vs ~98% for the 7B-Net); see `snnmodels.models.sew_dvs`.
Input [T, N, C, H, W] (any H, W >= 32 keep layer4 at least 1x1), output [T, N, num_classes].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from snnmodels.layers import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d
from snnmodels.models._builder import NeuronFactory, build_model
from snnmodels.models._registry import register_model
from snnmodels.models._weights import InputContract

__all__ = [
    "CNF",
    "BasicBlock",
    "Bottleneck",
    "SEWResNet",
    "SpikingResNet",
    "sew_function",
    "sew_resnet18",
    "sew_resnet34",
    "sew_resnet50",
    "sew_resnet101",
    "sew_resnet152",
    "sew_resnext50_32x4d",
    "sew_resnext101_32x8d",
    "sew_wide_resnet50_2",
    "sew_wide_resnet101_2",
    "spiking_resnet18",
    "spiking_resnet34",
    "spiking_resnet50",
    "spiking_resnet101",
    "spiking_resnet152",
    "spiking_resnext50_32x4d",
    "spiking_resnext101_32x8d",
    "spiking_wide_resnet50_2",
    "spiking_wide_resnet101_2",
]

CNF = ("ADD", "AND", "IAND")


def check_cnf(cnf: str) -> str:
    """``cnf`` if it is a SEW connect function, else a ValueError listing the choices."""
    if cnf not in CNF:
        raise ValueError(f"cnf (SEW connect function) must be one of {list(CNF)}, got {cnf!r}")
    return cnf


def sew_function(identity: Tensor, out: Tensor, cnf: str) -> Tensor:
    """SEW's g(S, A): S = shortcut spikes ``identity``, A = residual spikes ``out``; same shapes in and out."""
    if cnf == "ADD":
        return identity + out
    if cnf == "AND":
        return identity * out
    if cnf == "IAND":
        return identity * (1.0 - out)  # (NOT A) AND S, as in the paper and its code, for every block type
    raise ValueError(f"cnf must be one of {list(CNF)}, got {cnf!r}")


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> Conv2d:
    """3x3 convolution, padding = dilation, no bias (multi-step)."""
    return Conv2d(
        in_planes, out_planes, 3, stride=stride, padding=dilation, groups=groups, bias=False, dilation=dilation
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> Conv2d:
    """1x1 convolution, no bias (multi-step)."""
    return Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class _Residual(nn.Module):
    """The join shared by both block types: spiking ResNet (``cnf`` None) or SEW (``cnf`` set)."""

    downsample: nn.Module | None
    cnf: str | None
    #: SEW join g(S, A) ("paper", ours) or g(A, S) ("spikingjelly": SpikingJelly 2.0's Bottleneck, where only
    #: IAND differs); `snnmodels.compat.spikingjelly`'s constructors set it so that its checkpoints compute the same
    join_order: str = "paper"

    def _shortcut_neuron(self, neuron: NeuronFactory) -> None:
        if self.downsample is not None and self.cnf is not None:
            self.downsample_sn = neuron()

    def _join(self, x: Tensor, current: Tensor, last_sn: nn.Module) -> Tensor:
        if self.cnf is None:  # spiking ResNet: add currents, then spike
            identity = x if self.downsample is None else self.downsample(x)
            return last_sn(current + identity)
        identity = x if self.downsample is None else self.downsample_sn(self.downsample(x))
        spikes = last_sn(current)
        if self.join_order == "spikingjelly":
            return sew_function(spikes, identity, self.cnf)
        return sew_function(identity, spikes, self.cnf)

    def extra_repr(self) -> str:
        return "" if self.cnf is None else f"cnf={self.cnf}"


class BasicBlock(_Residual):
    """Two 3x3 conv-BN layers; torchvision's BasicBlock with neurons ``sn1``, ``sn2`` (and SEW's ``downsample_sn``)."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        *,
        neuron: NeuronFactory,
        cnf: str | None = None,
    ) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(
                f"BasicBlock needs groups=1 and base_width=64, got groups={groups}, base_width={base_width}"
            )
        if dilation > 1:
            raise ValueError(f"BasicBlock does not support dilation > 1, got dilation={dilation}")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = BatchNorm2d(planes)
        self.sn1 = neuron()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = BatchNorm2d(planes)
        self.sn2 = neuron()
        self.downsample = downsample
        self.stride = stride
        self.cnf = cnf
        self._shortcut_neuron(neuron)

    def last_bn(self) -> BatchNorm2d:
        """The BN before the join (zero-initialised by ``zero_init_residual``)."""
        return self.bn2

    def forward(self, x: Tensor) -> Tensor:
        out = self.sn1(self.bn1(self.conv1(x)))
        return self._join(x, self.bn2(self.conv2(out)), self.sn2)


class Bottleneck(_Residual):
    """1x1 - 3x3 (stride here, ResNet v1.5) - 1x1 conv-BN layers with neurons ``sn1``..``sn3``; expansion 4."""

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        *,
        neuron: NeuronFactory,
        cnf: str | None = None,
    ) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = BatchNorm2d(width)
        self.sn1 = neuron()
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = BatchNorm2d(width)
        self.sn2 = neuron()
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = BatchNorm2d(planes * self.expansion)
        self.sn3 = neuron()
        self.downsample = downsample
        self.stride = stride
        self.cnf = cnf
        self._shortcut_neuron(neuron)

    def last_bn(self) -> BatchNorm2d:
        """The BN before the join (zero-initialised by ``zero_init_residual``)."""
        return self.bn3

    def forward(self, x: Tensor) -> Tensor:
        out = self.sn1(self.bn1(self.conv1(x)))
        out = self.sn2(self.bn2(self.conv2(out)))
        return self._join(x, self.bn3(self.conv3(out)), self.sn3)


class SpikingResNet(nn.Module):
    """Spiking ResNet: torchvision's ResNet with a spiking neuron after every BN of the main path.

    Args:
        block: `BasicBlock` or `Bottleneck`.
        layers: blocks per stage, e.g. (2, 2, 2, 2) for ResNet-18.
        num_classes: outputs of ``fc``.
        in_channels: input channels of the stem conv.
        groups, width_per_group: ResNeXt / wide-ResNet widths.
        replace_stride_with_dilation: three bools, as torchvision.
        zero_init_residual: zero the last BN weight of every block (and, for SEW AND, set its bias to 1 so the
            block starts as the identity, as in the SEW paper's code).
        neuron: makes each spiking neuron.

    Input [T, N, in_channels, H, W]; output [T, N, num_classes].
    """

    stem_key = "conv1.weight"
    head_keys = ("fc.weight", "fc.bias")
    _cnf: str | None = None

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: Sequence[int],
        *,
        num_classes: int = 1000,
        in_channels: int = 3,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: Sequence[bool] | None = None,
        zero_init_residual: bool = False,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__()
        dilate = list(replace_stride_with_dilation or (False, False, False))
        if len(dilate) != 3:
            raise ValueError(
                f"replace_stride_with_dilation must be None or 3 bools, got {replace_stride_with_dilation!r}"
            )
        self.num_classes, self.in_channels = num_classes, in_channels
        self.inplanes, self.dilation = 64, 1
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = Conv2d(in_channels, self.inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(self.inplanes)
        self.sn1 = neuron()
        self.maxpool = MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1, False, neuron)
        self.layer2 = self._make_layer(block, 128, layers[1], 2, dilate[0], neuron)
        self.layer3 = self._make_layer(block, 256, layers[2], 2, dilate[1], neuron)
        self.layer4 = self._make_layer(block, 512, layers[3], 2, dilate[2], neuron)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.flatten = Flatten(1)
        self.fc = Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock | Bottleneck):
                    nn.init.constant_(m.last_bn().weight, 0)
                    if m.cnf == "AND":  # A must start at 1 for S·A to pass S through
                        nn.init.constant_(m.last_bn().bias, 1)

    def _make_layer(
        self,
        block: type[BasicBlock | Bottleneck],
        planes: int,
        blocks: int,
        stride: int,
        dilate: bool,
        neuron: NeuronFactory,
    ) -> nn.Sequential:
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                BatchNorm2d(planes * block.expansion),
            )
        common = {"groups": self.groups, "base_width": self.base_width, "neuron": neuron, "cnf": self._cnf}
        out = [block(self.inplanes, planes, stride, downsample, dilation=previous_dilation, **common)]
        self.inplanes = planes * block.expansion
        out += [block(self.inplanes, planes, dilation=self.dilation, **common) for _ in range(1, blocks)]
        return nn.Sequential(*out)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.sn1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


class SEWResNet(SpikingResNet):
    """SEW-ResNet: `SpikingResNet` whose blocks join spikes with ``cnf`` ('ADD', 'AND' or 'IAND').

    Args:
        cnf: the connect function (validated here, not at the first forward).
        block, layers, num_classes, in_channels, groups, width_per_group, replace_stride_with_dilation,
            zero_init_residual, neuron: as `SpikingResNet`.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: Sequence[int],
        *,
        cnf: str = "ADD",
        num_classes: int = 1000,
        in_channels: int = 3,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: Sequence[bool] | None = None,
        zero_init_residual: bool = False,
        neuron: NeuronFactory,
    ) -> None:
        self._cnf = check_cnf(cnf)  # read by _make_layer inside SpikingResNet.__init__, so set first
        super().__init__(
            block,
            layers,
            num_classes=num_classes,
            in_channels=in_channels,
            groups=groups,
            width_per_group=width_per_group,
            replace_stride_with_dilation=replace_stride_with_dilation,
            zero_init_residual=zero_init_residual,
            neuron=neuron,
        )

    @property
    def cnf(self) -> str:
        """The connect function of every block."""
        return self._cnf  # type: ignore[return-value]


# --- registry -----------------------------------------------------------------------------------------------------

_ARCHS: dict[str, dict[str, Any]] = {
    "resnet18": {"block": BasicBlock, "layers": (2, 2, 2, 2)},
    "resnet34": {"block": BasicBlock, "layers": (3, 4, 6, 3)},
    "resnet50": {"block": Bottleneck, "layers": (3, 4, 6, 3)},
    "resnet101": {"block": Bottleneck, "layers": (3, 4, 23, 3)},
    "resnet152": {"block": Bottleneck, "layers": (3, 8, 36, 3)},
    "resnext50_32x4d": {"block": Bottleneck, "layers": (3, 4, 6, 3), "groups": 32, "width_per_group": 4},
    "resnext101_32x8d": {"block": Bottleneck, "layers": (3, 4, 23, 3), "groups": 32, "width_per_group": 8},
    "wide_resnet50_2": {"block": Bottleneck, "layers": (3, 4, 6, 3), "width_per_group": 128},
    "wide_resnet101_2": {"block": Bottleneck, "layers": (3, 4, 23, 3), "width_per_group": 128},
}

IMAGENET_CONTRACT = InputContract(in_channels=3, num_classes=1000, input_size=(224, 224), T=4, dataset="imagenet")
IMAGENET_NEURON = ("if", {"surrogate_function": "atan", "detach_reset": True})
_SPIKING_REF = "SpikingJelly 2.x model.spiking_resnet (torchvision ResNet, ReLU -> spiking neuron)"
_SEW_REF = "Fang et al., NeurIPS 2021 (SEW-ResNet); SpikingJelly 2.x model.sew_resnet"
# ImageNet top-1 at T=4 with IF neurons, from the SEW paper's tables
_SPIKING_ACC = {"resnet18": 62.32, "resnet34": 61.86, "resnet50": 57.66, "resnet101": 31.79, "resnet152": 10.03}
_SEW_ACC = {"resnet18": 63.18, "resnet34": 67.04, "resnet50": 67.78, "resnet101": 68.76, "resnet152": 69.26}
_MIN_INPUT = "input H, W >= 32 (layer4 is 1x1 at 32x32)"


def _register(prefix: str, arch: str) -> Any:
    spiking = prefix == "spiking_"
    acc = (_SPIKING_ACC if spiking else _SEW_ACC).get(arch)
    reported = f"ImageNet top-1 {acc}% at T=4 (SEW paper); " if acc is not None else ""
    sj_note = "" if spiking else "; Bottleneck IAND is S·(1-A) as in the paper (SpikingJelly 2.0 swaps S and A)"
    return register_model(
        prefix + arch,
        family="spiking_resnet" if spiking else "sew_resnet",
        contract=IMAGENET_CONTRACT,
        default_neuron=IMAGENET_NEURON,
        imagenet_arch=arch,
        reference=_SPIKING_REF if spiking else _SEW_REF,
        notes=reported + _MIN_INPUT + sj_note,
    )


def _build(name: str, arch: str, kwargs: dict[str, Any]) -> Any:
    cls = SpikingResNet if name.startswith("spiking_") else SEWResNet
    return build_model(name, cls, _ARCHS[arch], kwargs)


@_register("spiking_", "resnet18")
def spiking_resnet18(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNet-18 (11.7M parameters at 1000 classes); ``kwargs`` as `snnmodels.models.create_model`."""
    return _build("spiking_resnet18", "resnet18", kwargs)


@_register("spiking_", "resnet34")
def spiking_resnet34(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNet-34 (21.8M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_resnet34", "resnet34", kwargs)


@_register("spiking_", "resnet50")
def spiking_resnet50(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNet-50 (25.6M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_resnet50", "resnet50", kwargs)


@_register("spiking_", "resnet101")
def spiking_resnet101(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNet-101 (44.5M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_resnet101", "resnet101", kwargs)


@_register("spiking_", "resnet152")
def spiking_resnet152(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNet-152 (60.2M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_resnet152", "resnet152", kwargs)


@_register("spiking_", "resnext50_32x4d")
def spiking_resnext50_32x4d(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNeXt-50 32x4d (25.0M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_resnext50_32x4d", "resnext50_32x4d", kwargs)


@_register("spiking_", "resnext101_32x8d")
def spiking_resnext101_32x8d(**kwargs: Any) -> SpikingResNet:
    """Spiking ResNeXt-101 32x8d (88.8M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_resnext101_32x8d", "resnext101_32x8d", kwargs)


@_register("spiking_", "wide_resnet50_2")
def spiking_wide_resnet50_2(**kwargs: Any) -> SpikingResNet:
    """Spiking Wide ResNet-50-2 (68.9M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_wide_resnet50_2", "wide_resnet50_2", kwargs)


@_register("spiking_", "wide_resnet101_2")
def spiking_wide_resnet101_2(**kwargs: Any) -> SpikingResNet:
    """Spiking Wide ResNet-101-2 (126.9M parameters); ``kwargs`` as `create_model`."""
    return _build("spiking_wide_resnet101_2", "wide_resnet101_2", kwargs)


@_register("sew_", "resnet18")
def sew_resnet18(**kwargs: Any) -> SEWResNet:
    """SEW-ResNet-18; ``cnf`` ('ADD' default, 'AND', 'IAND') and other ``kwargs`` as `create_model`."""
    return _build("sew_resnet18", "resnet18", kwargs)


@_register("sew_", "resnet34")
def sew_resnet34(**kwargs: Any) -> SEWResNet:
    """SEW-ResNet-34; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_resnet34", "resnet34", kwargs)


@_register("sew_", "resnet50")
def sew_resnet50(**kwargs: Any) -> SEWResNet:
    """SEW-ResNet-50; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_resnet50", "resnet50", kwargs)


@_register("sew_", "resnet101")
def sew_resnet101(**kwargs: Any) -> SEWResNet:
    """SEW-ResNet-101; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_resnet101", "resnet101", kwargs)


@_register("sew_", "resnet152")
def sew_resnet152(**kwargs: Any) -> SEWResNet:
    """SEW-ResNet-152; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_resnet152", "resnet152", kwargs)


@_register("sew_", "resnext50_32x4d")
def sew_resnext50_32x4d(**kwargs: Any) -> SEWResNet:
    """SEW-ResNeXt-50 32x4d; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_resnext50_32x4d", "resnext50_32x4d", kwargs)


@_register("sew_", "resnext101_32x8d")
def sew_resnext101_32x8d(**kwargs: Any) -> SEWResNet:
    """SEW-ResNeXt-101 32x8d; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_resnext101_32x8d", "resnext101_32x8d", kwargs)


@_register("sew_", "wide_resnet50_2")
def sew_wide_resnet50_2(**kwargs: Any) -> SEWResNet:
    """SEW Wide ResNet-50-2; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_wide_resnet50_2", "wide_resnet50_2", kwargs)


@_register("sew_", "wide_resnet101_2")
def sew_wide_resnet101_2(**kwargs: Any) -> SEWResNet:
    """SEW Wide ResNet-101-2; ``cnf`` and other ``kwargs`` as `sew_resnet18`."""
    return _build("sew_wide_resnet101_2", "wide_resnet101_2", kwargs)
