"""Every registered model: builds, runs forward + backward at T=2, no hidden state between calls, parameter counts."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from snnmodels import IFNode, Leaky, LIFNode, ParametricLIFNode, reset_net, set_step_mode
from snnmodels.functional.surrogate import ATan
from snnmodels.models import (
    NEURONS,
    DVSGestureNet,
    InputContract,
    SEWResNet,
    create_model,
    list_models,
    model_entry,
    register_model,
)

# more than 40M parameters: each still runs forward + backward, at 10 classes and 32x32, in 1-2.5 s on 2 cores
BIG = {n for n in list_models() if any(k in n for k in ("resnet101", "resnet152", "resnext101", "wide_resnet", "vgg"))}


def _small_kwargs(name: str) -> dict[str, Any]:
    """ImageNet-sized models at 10 classes (and 32x32 input below); the others at their own contract."""
    return {"num_classes": 10} if model_entry(name).imagenet_arch else {}


def _input(model: nn.Module, name: str, rng: np.random.Generator) -> Tensor:
    c = model.input_contract
    size = (32, 32) if model_entry(name).imagenet_arch else c.input_size
    return torch.from_numpy(rng.random((2, 1, c.in_channels, *size), dtype=np.float32) * 2)


def _membranes(model: nn.Module) -> list[Tensor]:
    return [m.v.detach().clone() for m in model.modules() if isinstance(getattr(m, "v", None), Tensor)]


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in BIG else n for n in list_models()])
def test_forward_backward_and_no_state_between_calls(name: str, rng: np.random.Generator) -> None:
    model = create_model(name, **_small_kwargs(name))
    x = _input(model, name, rng).requires_grad_()
    torch.manual_seed(0)  # dropout masks
    y = model(x)
    assert y.shape == (2, 1, model.num_classes)
    y.sum().backward()
    assert x.grad is not None
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    v1 = _membranes(model)
    assert v1, "the model has no IF/LIF/PLIF neurons"
    with torch.no_grad():
        torch.manual_seed(0)
        y2 = model(x)
    # same input, same output and same final membranes: a multi-step call starts from rest every time
    assert torch.equal(y.detach(), y2)
    for a, b in zip(v1, _membranes(model), strict=True):
        assert torch.equal(a, b)


def test_registry_lists_every_required_architecture() -> None:
    names = set(list_models())
    for depth in ("18", "34", "50", "101", "152"):
        assert {f"spiking_resnet{depth}", f"sew_resnet{depth}"} <= names
    for tail in ("resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2", "wide_resnet101_2"):
        assert {f"spiking_{tail}", f"sew_{tail}"} <= names
    for depth in ("11", "13", "16", "19"):
        assert {f"spiking_vgg{depth}", f"spiking_vgg{depth}_bn"} <= names
    assert {"mnist_net", "fashion_mnist_net", "nmnist_net", "cifar10_net", "cifar10dvs_net", "dvsgesture_net"} <= names
    assert {"sew_7b_net", "sew_wide_7b_net"} <= names
    assert list_models("sew_resnet1*") == ["sew_resnet101", "sew_resnet152", "sew_resnet18"]


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(KeyError, match=r"unknown model 'sew_resnet19'.*did you mean.*sew_resnet18"):
        create_model("sew_resnet19")


def test_duplicate_registration_is_an_error() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_model("sew_resnet18", family="x", contract=InputContract(1, 1, (1, 1)), default_neuron=("if", {}))(
            lambda: nn.Identity()
        )


@pytest.mark.parametrize("name", list_models())
def test_every_entry_documents_its_input_contract(name: str) -> None:
    entry = model_entry(name)
    text = entry.describe()
    c = entry.contract
    assert name in text
    assert f"{c.in_channels}x{c.input_size[0]}x{c.input_size[1]}" in text
    assert c.T is not None
    assert entry.reference
    assert entry.notes
    if c.dataset in ("dvs128-gesture", "cifar10-dvs", "n-mnist"):
        assert c.frame_spec is not None
        assert c.frame_spec.frames_number == c.T
    assert entry.default_neuron[0] in NEURONS


# --- parameter counts (built on the meta device: no memory, no init cost) -------------------------------------------


def _n_params(name: str, **kw: Any) -> int:
    with torch.device("meta"):
        model = create_model(name, spiking_neuron="if", **kw)  # IF: no neuron parameters
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", [n for n in list_models() if model_entry(n).imagenet_arch])
def test_parameter_count_equals_torchvision(name: str) -> None:
    tv_models = pytest.importorskip("torchvision.models")
    arch = model_entry(name).imagenet_arch
    expected = tv_models.get_model_weights(arch).IMAGENET1K_V1.meta["num_params"]
    assert _n_params(name) == expected
    with torch.device("meta"):
        tv = tv_models.get_model(arch, weights=None, num_classes=7)
    assert _n_params(name, num_classes=7) == sum(p.numel() for p in tv.parameters())


def _plif_count(stages: tuple[int, ...], ch: int, hidden: int, c_in: int, classes: int, size: int) -> int:
    """PLIF paper nets in closed form (convs without bias, BN affine, two Linear with bias, one w per PLIF)."""
    n_conv = sum(stages)
    conv = 9 * ch * (c_in + ch * (n_conv - 1)) + 2 * ch * n_conv
    feat = ch * (size >> len(stages)) ** 2
    fc = feat * hidden + hidden + hidden * classes * 10 + classes * 10
    return conv + fc + n_conv + 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mnist_net", _plif_count((1, 1), 128, 2048, 1, 10, 28)),
        ("fashion_mnist_net", _plif_count((1, 1), 128, 2048, 1, 10, 28)),
        ("nmnist_net", _plif_count((1, 1), 128, 2048, 2, 10, 34)),
        ("cifar10_net", _plif_count((3, 3), 256, 2048, 3, 10, 32)),
        ("cifar10dvs_net", _plif_count((1, 1, 1, 1), 128, 512, 2, 10, 128)),
        ("dvsgesture_net", _plif_count((1,) * 5, 128, 512, 2, 11, 128)),
        ("dvsgesture_net", 1_698_933),  # the same, as SpikingJelly 2.0.0 counts it (tests/.../test_peers_models)
    ],
)
def test_parameter_count_plif_nets(name: str, expected: int) -> None:
    with torch.device("meta"):
        model = create_model(name)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_parameter_count_sew_dvs_nets() -> None:
    # 7B-Net: Conv1x1(2->32)+BN, 7 blocks of 2 x (Conv3x3 32->32 + BN), Linear(32 -> 11); one w per PLIF neuron
    seven_b = (2 * 32 + 64) + 7 * 2 * (9 * 32 * 32 + 64) + (32 * 11 + 11) + (1 + 7 * 2)
    assert seven_b == 130_426  # "0.13M parameters" in the SEW paper
    wide = (2 * 64 + 128) + 4 * 2 * (9 * 64 * 64 + 128) + (64 * 128 + 256) + 3 * 2 * (9 * 128 * 128 + 256)
    wide += 128 * 10 + 10 + (1 + 4 * 2 + 1 + 3 * 2)
    for name, expected in (("sew_7b_net", seven_b), ("sew_wide_7b_net", wide)):
        with torch.device("meta"):
            model = create_model(name)
        assert sum(p.numel() for p in model.parameters()) == expected


# --- arguments --------------------------------------------------------------------------------------------------------


def test_neuron_by_name_class_and_keyword_arguments() -> None:
    m = create_model("sew_7b_net", spiking_neuron="lif", tau=3.0, surrogate_function="sigmoid")
    lifs = [n for n in m.modules() if isinstance(n, LIFNode)]
    assert len(lifs) == 1 + 7 * 2
    assert all(n.tau == 3.0 for n in lifs)
    assert len({id(n) for n in lifs}) == len(lifs)  # one fresh neuron per position
    m = create_model("sew_7b_net", spiking_neuron=IFNode, v_threshold=0.5, surrogate_function=ATan(3.0))
    ifs = [n for n in m.modules() if isinstance(n, IFNode)]
    assert ifs
    assert all(n.v_threshold == 0.5 and n.surrogate_function == ATan(3.0) for n in ifs)
    # the default neuron takes the default keywords, updated by the caller's
    m = create_model("dvsgesture_net", channels=8, init_tau=4.0)
    plifs = [n for n in m.modules() if isinstance(n, ParametricLIFNode)]
    assert plifs
    assert all(n.tau == pytest.approx(4.0) and n.detach_reset for n in plifs)


def test_leaky_neuron_returns_spikes_in_multi_step(rng: np.random.Generator) -> None:
    m = create_model("sew_7b_net", spiking_neuron="leaky", beta=0.5)
    assert all(n.init_hidden and n.step_mode == "m" for n in m.modules() if isinstance(n, Leaky))
    y = m(torch.from_numpy(rng.random((2, 1, 2, 128, 128), dtype=np.float32)))
    assert y.shape == (2, 1, 11)
    with pytest.raises(ValueError, match="init_hidden=True and output=False"):
        create_model("sew_7b_net", spiking_neuron="leaky", beta=0.5, output=True)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(KeyError, match=r"unknown neuron 'lfi'.*'lif'"):
        create_model("sew_7b_net", spiking_neuron="lfi")
    with pytest.raises(ValueError, match=r"step_mode='s'.*set_step_mode"):
        create_model("sew_7b_net", step_mode="s")
    with pytest.raises(TypeError, match="tau"):
        create_model("sew_resnet18", tau=2.0)  # IF has no tau: the neuron's own error, at build time
    with pytest.raises(ValueError, match=r"cnf .* must be one of \['ADD', 'AND', 'IAND'\], got 'OR'"):
        create_model("sew_resnet18", cnf="OR")
    with pytest.raises(ValueError, match=r"input_size=\(64, 64\) is too small for 7 2x2 max-pools; need >= 128"):
        create_model("sew_7b_net", input_size=64)
    with pytest.raises(ValueError, match="no ImageNet ANN counterpart"):
        create_model("dvsgesture_net", pretrained="imagenet")


@pytest.mark.parametrize("cnf", ["ADD", "AND", "IAND"])
def test_sew_cnf_reaches_every_block(cnf: str) -> None:
    with torch.device("meta"):
        m = create_model("sew_resnet50", cnf=cnf)
    assert isinstance(m, SEWResNet)
    assert m.cnf == cnf
    blocks = [b for b in m.modules() if hasattr(b, "downsample")]
    assert blocks
    assert all(b.cnf == cnf for b in blocks)


def test_zero_init_residual_makes_sew_blocks_identities() -> None:
    m = create_model("sew_resnet18", cnf="AND", zero_init_residual=True)
    bn = m.layer1[0].bn2
    assert torch.all(bn.weight == 0)
    assert torch.all(bn.bias == 1)
    m = create_model("spiking_resnet18", zero_init_residual=True)
    assert torch.all(m.layer1[0].bn2.weight == 0)
    assert torch.all(m.layer1[0].bn2.bias == 0)


def test_input_size_sizes_the_classifier(rng: np.random.Generator) -> None:
    m = create_model("dvsgesture_net", channels=4, input_size=(64, 96), num_classes=3)
    assert isinstance(m, DVSGestureNet)
    assert m.input_contract.input_size == (64, 96)
    assert m.input_contract.classes == ()  # the gesture names no longer apply to 3 classes
    y = m(torch.from_numpy(rng.random((3, 2, 2, 64, 96), dtype=np.float32)))
    assert y.shape == (3, 2, 3)


def test_single_step_mode_matches_multi_step(rng: np.random.Generator) -> None:
    m = create_model("sew_7b_net", cnf="IAND").eval()
    x = torch.from_numpy(rng.random((3, 2, 2, 128, 128), dtype=np.float32) * 3)
    with torch.no_grad():
        y_multi = m(x)
        set_step_mode(m, "s")
        reset_net(m)
        y_single = torch.stack([m(x[t]) for t in range(3)])
    torch.testing.assert_close(y_single, y_multi)


def test_models_pickle(rng: np.random.Generator) -> None:
    m = create_model("dvsgesture_net", channels=4).eval()
    x = torch.from_numpy(rng.random((2, 1, 2, 128, 128), dtype=np.float32))
    clone = pickle.loads(pickle.dumps(m))
    with torch.no_grad():
        assert torch.equal(clone(x), m(x))
