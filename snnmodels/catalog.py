"""The names of the model zoo, known without importing torch (for a fast ``snnmodels list-models``).

`tests/snnmodels/test_cli.py` checks that this list equals the registry (`snnmodels.list_models()`), so a
model registered without its name here fails the tests.
"""

from __future__ import annotations

import fnmatch

MODEL_NAMES: tuple[str, ...] = (
    "cifar10_net",
    "cifar10dvs_net",
    "dvsgesture_net",
    "fashion_mnist_net",
    "mnist_net",
    "nmnist_net",
    "sew_7b_net",
    "sew_resnet101",
    "sew_resnet152",
    "sew_resnet18",
    "sew_resnet34",
    "sew_resnet50",
    "sew_resnext101_32x8d",
    "sew_resnext50_32x4d",
    "sew_wide_7b_net",
    "sew_wide_resnet101_2",
    "sew_wide_resnet50_2",
    "shd_mlp",
    "shd_net",
    "spiking_resnet101",
    "spiking_resnet152",
    "spiking_resnet18",
    "spiking_resnet34",
    "spiking_resnet50",
    "spiking_resnext101_32x8d",
    "spiking_resnext50_32x4d",
    "spiking_vgg11",
    "spiking_vgg11_bn",
    "spiking_vgg13",
    "spiking_vgg13_bn",
    "spiking_vgg16",
    "spiking_vgg16_bn",
    "spiking_vgg19",
    "spiking_vgg19_bn",
    "spiking_wide_resnet101_2",
    "spiking_wide_resnet50_2",
    "ssc_mlp",
    "ssc_net",
)


def model_names(pattern: str | None = None) -> list[str]:
    """The zoo's names, sorted; `pattern` is a shell-style filter such as ``'sew_*'``."""
    names = sorted(MODEL_NAMES)
    return names if pattern is None else [n for n in names if fnmatch.fnmatchcase(n, pattern)]
