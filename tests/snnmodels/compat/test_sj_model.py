"""SpikingJelly-named model constructors: checkpoints saved by SpikingJelly's models load unchanged into ours and
give the same outputs (float64), with SpikingJelly's keywords and single-step default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import snnmodels
from snnmodels.compat.spikingjelly import functional, monitor, neuron, surrogate
from snnmodels.compat.spikingjelly.model import parametric_lif_net, sew_resnet, spiking_resnet, spiking_vgg
from tests.snnmodels.peers import spikingjelly

PLIF_NETS = ["MNISTNet", "FashionMNISTNet", "NMNISTNet", "CIFAR10Net", "CIFAR10DVSNet", "DVSGestureNet"]


def _sj_model(module: str) -> Any:
    sj = spikingjelly()
    if module != "parametric_lif_net":
        pytest.importorskip("torchvision", reason=f"SpikingJelly's {module} imports torchvision")
    import importlib

    try:
        return importlib.import_module(f"spikingjelly.activation_based.model.{module}"), sj
    except Exception as err:  # its distributed/memopt imports need what this machine may lack
        pytest.skip(f"spikingjelly.activation_based.model.{module} does not import here: {err}")


def _scramble(net: nn.Module) -> None:
    """Give the parameters and BN statistics distinct values, as a trained checkpoint has, such that spikes flow."""
    g = torch.Generator().manual_seed(11)

    def fill(t: torch.Tensor, lo: float, hi: float) -> None:
        t.copy_(torch.rand(t.shape, generator=g, dtype=t.dtype) * (hi - lo) + lo)

    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                fill(m.weight, 1.0, 3.0)
                fill(m.bias, 0.2, 0.8)
                fill(m.running_mean, -0.1, 0.1)
                fill(m.running_var, 0.5, 1.5)
            elif isinstance(m, nn.Linear):
                fill(m.weight, -0.05, 0.15)
                fill(m.bias, 0.0, 0.5)
            elif hasattr(m, "w") and isinstance(m.w, nn.Parameter):
                fill(m.w, -0.5, 0.5)


@pytest.mark.parametrize("name", PLIF_NETS)
def test_plif_net_state_dicts_have_spikingjelly_s_keys(name: str) -> None:
    mod, sj = _sj_model("parametric_lif_net")
    ours = getattr(parametric_lif_net, name)(8, spiking_neuron=neuron.ParametricLIFNode, init_tau=2.0)
    theirs = getattr(mod, name)(8, spiking_neuron=sj.neuron.ParametricLIFNode, init_tau=2.0)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert isinstance(ours, getattr(snnmodels.models, name))
    assert all(getattr(m, "step_mode", "s") == "s" for m in ours.modules())


def test_a_spikingjelly_dvs_gesture_checkpoint_loads_and_gives_the_same_outputs(tmp_path: Path) -> None:
    mod, sj = _sj_model("parametric_lif_net")
    kw_sj = {"init_tau": 2.0, "detach_reset": True, "surrogate_function": sj.surrogate.ATan()}
    theirs = mod.DVSGestureNet(8, spiking_neuron=sj.neuron.ParametricLIFNode, **kw_sj).double()
    _scramble(theirs)
    path = tmp_path / "sj_dvsgesture.pt"
    torch.save(theirs.state_dict(), path)
    kw = {"init_tau": 2.0, "detach_reset": True, "surrogate_function": surrogate.ATan()}
    ours = parametric_lif_net.DVSGestureNet(8, spiking_neuron=neuron.ParametricLIFNode, **kw).double()
    ours.load_state_dict(torch.load(path, weights_only=True))  # strict: every key, unchanged
    sj.functional.set_step_mode(theirs, "m")
    functional.set_step_mode(ours, "m")
    x = torch.rand(3, 2, 2, 128, 128, dtype=torch.float64)
    mon_a, mon_b = (
        monitor.OutputMonitor(ours, neuron.ParametricLIFNode),
        sj.monitor.OutputMonitor(theirs, sj.neuron.ParametricLIFNode),
    )
    for net in (ours, theirs):
        net.eval()
    with torch.no_grad():
        out_a, out_b = ours(x), theirs(x)
    assert out_a.shape == (3, 2, 11)
    torch.testing.assert_close(out_a, out_b, rtol=0, atol=0)
    assert len(mon_a.records) == len(mon_b.records) == 7
    fired = 0.0
    for ra, rb in zip(mon_a.records, mon_b.records, strict=True):
        assert torch.equal(ra, rb)
        fired += float(ra.sum())
    assert fired > 0  # spikes flow: the comparison is not of silent layers
    mon_a.close()
    mon_b.remove_hooks()
    with torch.no_grad():
        ours(x)
    assert len(mon_a.records) == 7  # closed: no more records
    assert not mon_a.is_enable()
    # training step: the same loss and parameter gradients (Dropout masks drawn from the same seed)
    for net in (ours, theirs):
        net.train()
    functional.reset_net(ours)
    sj.functional.reset_net(theirs)
    losses = []
    for net in (ours, theirs):
        torch.manual_seed(4)
        loss = net(x).square().mean()
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    grads_a, grads_b = dict(ours.named_parameters()), dict(theirs.named_parameters())
    for k, p in grads_a.items():
        torch.testing.assert_close(p.grad, grads_b[k].grad, rtol=1e-9, atol=1e-12)


def test_the_dvs_gesture_tutorial_call() -> None:
    net = parametric_lif_net.DVSGestureNet(
        channels=8,
        spiking_neuron=neuron.LIFNode,
        surrogate_function=surrogate.ATan(),
        detach_reset=True,
    )
    lifs = [m for m in net.modules() if isinstance(m, neuron.LIFNode)]
    assert len(lifs) == 7
    assert all(m.detach_reset and isinstance(m.surrogate_function, surrogate.ATan) for m in lifs)
    assert len({id(m.surrogate_function) for m in lifs}) == 7  # every neuron its own copy, as SpikingJelly
    functional.set_step_mode(net, "m")
    assert net(torch.rand(2, 1, 2, 128, 128)).shape == (2, 1, 11)
    functional.reset_net(net)
    assert all(m.v == 0.0 for m in lifs)
    with pytest.raises(TypeError, match="spiking_neuron"):
        parametric_lif_net.DVSGestureNet(8)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "fn", "extra"),
    [("sew_resnet", "sew_resnet18", {"cnf": "ADD"}), ("spiking_resnet", "spiking_resnet18", {})],
)
def test_spikingjelly_resnet_checkpoints_load_and_give_the_same_outputs(
    tmp_path: Path, module: str, fn: str, extra: dict[str, Any]
) -> None:
    mod, sj = _sj_model(module)
    kw = {"num_classes": 10, "detach_reset": True, **extra}
    theirs = getattr(mod, fn)(spiking_neuron=sj.neuron.IFNode, surrogate_function=sj.surrogate.ATan(), **kw)
    ours = getattr({"sew_resnet": sew_resnet, "spiking_resnet": spiking_resnet}[module], fn)(
        spiking_neuron=neuron.IFNode, surrogate_function=surrogate.ATan(), **kw
    )
    torch.save(theirs.state_dict(), tmp_path / "sj.pt")
    ours.load_state_dict(torch.load(tmp_path / "sj.pt", weights_only=True))
    for net, lib in ((ours, functional), (theirs, sj.functional)):
        net.double().eval()
        lib.set_step_mode(net, "m")
    x = torch.rand(2, 1, 3, 32, 32, dtype=torch.float64) * 4
    with torch.no_grad():
        a, b = ours(x), theirs(x)
    assert a.shape == (2, 1, 10)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert a.abs().sum() > 0


def test_spiking_vgg_has_spikingjelly_s_keys() -> None:
    mod, sj = _sj_model("spiking_vgg")
    with torch.device("meta"):  # 130M parameters: compare names and shapes without allocating them
        ours = spiking_vgg.spiking_vgg11_bn(spiking_neuron=neuron.IFNode, num_classes=10)
        theirs = mod.spiking_vgg11_bn(spiking_neuron=sj.neuron.IFNode, num_classes=10)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert ours.features[0].step_mode == "s"


@pytest.mark.slow
@pytest.mark.parametrize("cnf", ["IAND", "AND"])
def test_sew_bottleneck_joins_as_spikingjelly(tmp_path: Path, cnf: str) -> None:
    # SpikingJelly 2.0's Bottleneck joins g(A, S) (the paper: g(S, A)); under IAND the two differ
    mod, sj = _sj_model("sew_resnet")
    kw = {"num_classes": 5, "cnf": cnf, "surrogate_function": None}
    theirs = mod.SEWResNet(
        mod.Bottleneck,
        [1, 1, 1, 1],
        spiking_neuron=sj.neuron.IFNode,
        **{**kw, "surrogate_function": sj.surrogate.ATan()},
    )
    ours = sew_resnet.SEWResNet(
        sew_resnet.Bottleneck,
        [1, 1, 1, 1],
        spiking_neuron=neuron.IFNode,
        **{**kw, "surrogate_function": surrogate.ATan()},
    )
    _scramble(theirs)
    torch.save(theirs.state_dict(), tmp_path / "sj.pt")
    ours.load_state_dict(torch.load(tmp_path / "sj.pt", weights_only=True))
    for net, lib in ((ours, functional), (theirs, sj.functional)):
        net.double().eval()
        lib.set_step_mode(net, "m")
    x = torch.rand(2, 1, 3, 32, 32, dtype=torch.float64) * 4
    with torch.no_grad():
        a, b = ours(x), theirs(x)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert not torch.equal(a, a[:, :, :1].expand_as(a))  # the classes differ: something was computed
    with pytest.raises(TypeError, match="norm_layer"):
        sew_resnet.SEWResNet(sew_resnet.Bottleneck, [1, 1, 1, 1], norm_layer=nn.BatchNorm2d, cnf="ADD",
                             spiking_neuron=neuron.IFNode)  # fmt: skip
