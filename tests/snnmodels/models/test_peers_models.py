"""Parity with SpikingJelly 2.x's model zoo: same state dict names and shapes, same outputs in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels.models import create_model, list_models, model_entry
from tests.snnmodels.peers import spikingjelly

pytestmark = pytest.mark.peers


@pytest.fixture(autouse=True)
def _seeded_init(rng: np.random.Generator) -> None:
    """Our builders initialise with torch's global generator: seed it per test, or a draw that leaves a net silent
    fails one run in a few (the `_same_outputs` check that something spiked)."""
    torch.manual_seed(int(rng.integers(1 << 31)))


def _zoo() -> Any:
    sj = spikingjelly()
    pytest.importorskip("torchvision", reason="SpikingJelly's model zoo imports torchvision")
    from spikingjelly.activation_based.model import parametric_lif_net, sew_resnet, spiking_resnet, spiking_vgg

    return sj, {"spiking": spiking_resnet, "sew": sew_resnet, "vgg": spiking_vgg, "plif": parametric_lif_net}


def _theirs(name: str, neuron: str = "if", **kw: Any) -> nn.Module:
    """SpikingJelly's model for our registry ``name``, with IF (or PLIF) neurons, ATan, detach_reset; built on the
    meta device (no memory, no initialisation: the parity tests load our values into it)."""
    sj, zoo = _zoo()
    cls = {"if": sj.neuron.IFNode, "plif": sj.neuron.ParametricLIFNode}[neuron]
    nkw = {"spiking_neuron": cls, "surrogate_function": sj.surrogate.ATan(), "detach_reset": True}
    if neuron == "plif":
        nkw["init_tau"] = 2.0
    family = model_entry(name).family
    if family == "plif_net":
        sj_cls = {
            "mnist_net": "MNISTNet",
            "fashion_mnist_net": "FashionMNISTNet",
            "nmnist_net": "NMNISTNet",
            "cifar10_net": "CIFAR10Net",
            "cifar10dvs_net": "CIFAR10DVSNet",
            "dvsgesture_net": "DVSGestureNet",
        }[name]
        with torch.device("meta"):
            net = getattr(zoo["plif"], sj_cls)(**kw, **nkw)
    else:
        module = {"spiking_resnet": zoo["spiking"], "sew_resnet": zoo["sew"], "spiking_vgg": zoo["vgg"]}[family]
        with torch.device("meta"):
            net = getattr(module, name)(**kw, **nkw)
    sj.functional.set_step_mode(net, "m")
    return net


def _randomize(model: nn.Module, rng: np.random.Generator) -> None:
    """Random BN statistics and affine parameters (biased towards firing), hidden Linear layers scaled to fire about
    half the time, random PLIF time constants: in eval mode every layer then does something, even after AND joins."""
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))

    def uniform(t: torch.Tensor, lo: float, hi: float) -> None:
        t.copy_(torch.rand(t.shape, generator=gen, dtype=t.dtype) * (hi - lo) + lo)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                uniform(m.running_mean, -0.2, 0.2)
                uniform(m.running_var, 0.5, 1.5)
                uniform(m.weight, 0.5, 1.5)
                uniform(m.bias, 0.5, 1.1)
            elif isinstance(m, nn.Linear) and m.out_features > 11:  # hidden and voting layers
                m.weight.mul_(2 / m.in_features**0.5 / m.weight.std())  # rescaled, not redrawn: 100M in VGG
                uniform(m.bias, 0.3, 0.9)
            elif hasattr(m, "w") and isinstance(m.w, nn.Parameter):  # PLIF: tau between ~1.6 and ~3
                uniform(m.w, -0.7, 0.5)


def _same_outputs(ours: nn.Module, theirs: nn.Module, x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    sj, _ = _zoo()
    ours = ours.double()
    _randomize(ours, rng)
    theirs = theirs.to_empty(device="cpu")  # built on the meta device: every value comes from ours
    theirs.load_state_dict(ours.state_dict())  # strict: every name matches
    theirs = theirs.double()
    ours.eval(), theirs.eval()
    with torch.no_grad():
        a = ours(x)
        b = theirs(x)
    sj.functional.reset_net(theirs)
    assert a.shape == b.shape
    assert torch.equal(a, b)
    assert a.std(dim=1).sum() > 0, "the output does not depend on the input: nothing spiked"
    return a


def _x(rng: np.random.Generator, c: int, size: int, t: int = 4, n: int = 2) -> torch.Tensor:
    return torch.from_numpy(rng.uniform(0, 3, (t, n, c, size, size)))


def test_spiking_resnet18(rng: np.random.Generator) -> None:
    ours = create_model("spiking_resnet18", num_classes=10)
    _same_outputs(ours, _theirs("spiking_resnet18", num_classes=10), _x(rng, 3, 64), rng)


@pytest.mark.parametrize("cnf", ["ADD", "AND", "IAND"])
def test_sew_resnet18(cnf: str, rng: np.random.Generator) -> None:
    ours = create_model("sew_resnet18", cnf=cnf, num_classes=10)
    _same_outputs(ours, _theirs("sew_resnet18", cnf=cnf, num_classes=10), _x(rng, 3, 64), rng)


@pytest.mark.parametrize("cnf", ["ADD", "AND"])
def test_sew_resnet50_bottleneck(cnf: str, rng: np.random.Generator) -> None:
    ours = create_model("sew_resnet50", cnf=cnf, num_classes=10)
    _same_outputs(ours, _theirs("sew_resnet50", cnf=cnf, num_classes=10), _x(rng, 3, 32), rng)


def test_sew_bottleneck_iand_follows_the_paper(rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """SpikingJelly 2.0's Bottleneck calls sew_function(out, identity), i.e. IAND = A·(1 - S); the paper and its code
    (and SpikingJelly's BasicBlock) use S·(1 - A). With the arguments put back in order the outputs are equal."""
    _, zoo = _zoo()
    sew = zoo["sew"]
    original = sew.sew_function
    ours = create_model("sew_resnet50", cnf="IAND", num_classes=10)
    theirs = _theirs("sew_resnet50", cnf="IAND", num_classes=10)
    monkeypatch.setattr(sew.Bottleneck, "forward", _paper_order(sew.Bottleneck.forward, sew, original))
    _same_outputs(ours, theirs, _x(rng, 3, 32), rng)


def _paper_order(forward: Any, module: Any, original: Any) -> Any:
    def patched(self: Any, x: torch.Tensor) -> torch.Tensor:
        module.sew_function = lambda out, identity, cnf: original(identity, out, cnf)
        try:
            return forward(self, x)
        finally:
            module.sew_function = original

    return patched


def test_spiking_vgg11_bn(rng: np.random.Generator) -> None:
    ours = create_model("spiking_vgg11_bn", num_classes=10)
    _same_outputs(ours, _theirs("spiking_vgg11_bn", num_classes=10), _x(rng, 3, 32), rng)


def test_dvsgesture_net_plif(rng: np.random.Generator) -> None:
    ours = create_model("dvsgesture_net", channels=16)
    theirs = _theirs("dvsgesture_net", neuron="plif", channels=16)
    y = _same_outputs(ours, theirs, _x(rng, 2, 128, t=4), rng)
    assert y.shape == (4, 2, 11)


def test_gradients_match_in_training_mode(rng: np.random.Generator) -> None:
    ours = create_model("sew_resnet18", cnf="ADD", num_classes=10).double()
    theirs = _theirs("sew_resnet18", cnf="ADD", num_classes=10).to_empty(device="cpu")
    theirs.load_state_dict(ours.state_dict())
    theirs = theirs.double()
    x = _x(rng, 3, 32)
    grads = []
    for m in (ours, theirs):
        xi = x.clone().requires_grad_()
        y = m(xi)
        (g,) = torch.autograd.grad((y * torch.arange(10, dtype=y.dtype)).sum(), xi)
        grads.append((y.detach(), g))
    assert torch.equal(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=1e-9, atol=1e-12)


# SpikingJelly's zoo has no SEW DVS nets and no SHD/SSC nets ('heidelberg'): those are checked against their papers
@pytest.mark.parametrize("name", [n for n in list_models() if model_entry(n).family not in ("sew_dvs", "heidelberg")])
def test_same_state_dict_names_and_shapes(name: str) -> None:
    """Every ANN-derived and PLIF model: SpikingJelly's state dict loads into ours and back (meta device)."""
    neuron = "plif" if model_entry(name).family == "plif_net" else "if"
    with torch.device("meta"):
        ours = create_model(name, spiking_neuron=neuron)
    theirs = _theirs(name, neuron=neuron)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
