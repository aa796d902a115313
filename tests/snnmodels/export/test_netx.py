"""to_netx: the published lava-dl netx layout, and the file run by an independent fixed-point CUBA simulator.

lava-dl 0.6 needs Python < 3.11, numpy < 2 and torch 2.3, so it cannot be installed beside our stack; the layout is
checked against its ``netx/hdf5.py`` reader (keys, string encoding, weight orientation) and the numbers against
``netx_reference.simulate``, written from slayer's fixed-point dynamics.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from torch import Tensor, nn

from snnmodels import IFNode, Leaky, LIFNode, layers
from snnmodels.export import ExportError, read_netx, to_netx
from tests.snnmodels.export import netx_reference
from tests.snnmodels.export.nets import SEWBlock, events, firing_rate

pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8); to_netx converts through NIR")

THRESHOLD = 65 / 64  # a multiple of 1/64 that v (a multiple of 1/32 here) never equals: no ties between >= and >


def _grid_net(neuron: type[nn.Module] = IFNode, **neuron_kw: object) -> nn.Sequential:
    """Conv(stride 2)-neuron-Conv-neuron-Flatten-Linear-neuron with weights on the 8-bit grid (multiples of 1/32)."""
    kw = {"v_threshold": THRESHOLD, **neuron_kw}
    net = nn.Sequential(
        layers.Conv2d(2, 8, 3, stride=2, padding=1, bias=False),
        neuron(**kw),
        layers.Conv2d(8, 8, 3, padding=1),
        neuron(**kw),
        layers.Flatten(),
        layers.Linear(8 * 4 * 4, 10, bias=False),
        neuron(**kw),
    ).double()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                m.weight.copy_(torch.randint(-24, 32, m.weight.shape, generator=g) / 32)
                if m.bias is not None:
                    m.bias.copy_(torch.randint(-4, 4, m.bias.shape, generator=g) / 32)
    return net


def test_if_net_file_runs_like_our_model(tmp_path: Path, rng: np.random.Generator) -> None:
    model = _grid_net()
    result = to_netx(model, tmp_path / "if.net", (2, 8, 8), T=20)
    assert result.max_rounding == 0.0
    assert result.layers[0] == "input (2, 8, 8)"
    assert result.layers[3] == "flatten 4"
    x = events((20, 3, 2, 8, 8), rng)
    want = model(x).detach()
    assert 0.05 < firing_rate(want) < 0.95
    got = netx_reference.simulate(result.path, x).double()
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_layout_matches_the_published_format(tmp_path: Path) -> None:
    path = to_netx(_grid_net(), tmp_path / "if.net", (2, 8, 8), T=20).path
    layers_ = read_netx(path)
    assert [layer["type"] for layer in layers_] == ["input", "conv", "conv", "flatten", "dense"]
    conv, conv2, _, dense = layers_[1:]
    assert conv["shape"].tolist() == [8, 4, 4]
    assert conv["inChannels"] == 2
    assert conv["outChannels"] == 8
    assert conv["kernelSize"].tolist() == [3, 3]
    assert conv["stride"].tolist() == [2, 2]
    assert conv["padding"].tolist() == [1, 1]
    assert conv["dilation"].tolist() == [1, 1]
    assert conv["groups"] == 1
    assert conv["weight"].shape == (8, 2, 3, 3)
    assert "bias" not in conv
    assert "bias" in conv2
    assert dense["inFeatures"] == 128
    assert dense["outFeatures"] == 10
    assert dense["weight"].shape == (10, 128)
    assert conv["neuron"] == {
        "type": "CUBA",
        "iDecay": 4096,
        "vDecay": 0,
        "vThMant": 65,
        "refDelay": 1,
        "gradedSpike": False,
    }
    with h5py.File(path) as f:
        # lava-dl's NetDict reads 'type' as a (1,) array of bytes and casts weights and biases to int
        assert f["layer/1/type"].shape == (1,)
        assert f["layer/1/type"][0] == b"conv"
        assert f["layer/1/neuron/type"][0] == b"CUBA"
        assert np.array_equal(f["layer/1/weight"][()], f["layer/1/weight"][()].astype(int))
        assert f["simulation/Ts"][()] == 1
        assert f["simulation/tSample"][()] == 20


def test_lif_and_leaky_decays(tmp_path: Path) -> None:
    lif = to_netx(_grid_net(LIFNode, tau=2.0, decay_input=False), tmp_path / "lif.net", (2, 8, 8)).path
    assert [layer["neuron"]["vDecay"] for layer in read_netx(lif)[1:] if "neuron" in layer] == [2048] * 3
    leaky = nn.Sequential(
        layers.Linear(4, 3, bias=False),
        Leaky(beta=0.75, threshold=0.5, reset_mechanism="zero", init_hidden=True, step_mode="m"),
    )
    with torch.no_grad():
        leaky[0].weight.fill_(0.25)
    (dense,) = read_netx(to_netx(leaky, tmp_path / "leaky.net", (4,)).path)[1:]
    assert dense["neuron"]["vDecay"] == 1024
    assert dense["neuron"]["vThMant"] == 32
    assert np.all(dense["weight"] == 16)


def test_weights_off_the_grid_are_refused_or_rounded(tmp_path: Path) -> None:
    model = _grid_net()
    with torch.no_grad():
        model[0].weight[0, 0, 0, 0] += 0.01
    with pytest.raises(ExportError, match=r"weights of layer '0' are off the grid .* quantize=True"):
        to_netx(model, tmp_path / "off.net", (2, 8, 8))
    result = to_netx(model, tmp_path / "off.net", (2, 8, 8), quantize=True)
    assert result.max_rounding == pytest.approx(0.01)


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.sn, self.block = layers.Conv2d(2, 4, 1, bias=False), IFNode(), SEWBlock(4)

    def forward(self, x: Tensor) -> Tensor:
        return self.block(self.sn(self.conv(x)))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (_Residual(), "a residual connection"),
        (nn.Sequential(layers.Conv2d(2, 4, 3), IFNode(), layers.AvgPool2d(2)), r"AvgPool2d\) has no netx layer"),
        (nn.Sequential(layers.Linear(128, 4), LIFNode(tau=2.0)), r"decay_input=True"),
        (nn.Sequential(layers.Linear(128, 4), LIFNode(tau=3.0, decay_input=False)), "vDecay = 4096·dt/tau"),
        (nn.Sequential(layers.Linear(128, 4), IFNode(v_reset=0.5)), "resets to 0.5"),
        (nn.Sequential(layers.Linear(128, 4), IFNode(), layers.Linear(4, 2)), "last layer"),
        (nn.Sequential(layers.Linear(128, 4), IFNode(v_threshold=0.3)), r"vThMant = 64·v_threshold"),
    ],
    ids=["residual", "pooling", "decay-input", "tau-3", "reset", "no-neuron", "threshold"],
)
def test_what_does_not_fit_is_named(model: nn.Module, message: str, tmp_path: Path) -> None:
    shape = (128,) if isinstance(model[0] if isinstance(model, nn.Sequential) else None, layers.Linear) else (2, 8, 8)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                m.weight.fill_(1 / 32)
                if m.bias is not None:
                    m.bias.zero_()
    with pytest.raises(ExportError, match=message):
        to_netx(model, tmp_path / "x.net", shape)


def test_read_netx_rejects_broken_files(tmp_path: Path) -> None:
    path = to_netx(_grid_net(), tmp_path / "ok.net", (2, 8, 8)).path
    with h5py.File(path, "a") as f:
        del f["layer/4/inFeatures"]
    with pytest.raises(ExportError, match=r"dense layer 4 lacks \['inFeatures'\]"):
        read_netx(path)
    path = to_netx(_grid_net(), tmp_path / "ok2.net", (2, 8, 8)).path
    with h5py.File(path, "a") as f:
        f["layer/1/weight"][0, 0, 0, 0] = 300
    with pytest.raises(ExportError, match="not 8-bit mantissas"):
        read_netx(path)
    path = to_netx(_grid_net(), tmp_path / "ok3.net", (2, 8, 8)).path
    with h5py.File(path, "a") as f:
        del f["layer/2/shape"]
        f["layer/2/shape"] = np.array([8, 5, 5])
    with pytest.raises(ExportError, match=r"conv layer 2 maps \(8, 4, 4\) to \(8, 5, 5\)"):
        read_netx(path)


def test_lava_dl_loads_the_file_when_installed(tmp_path: Path) -> None:
    hdf5 = pytest.importorskip(
        "lava.lib.dl.netx.hdf5", reason="lava-dl is not installable here (it needs Python < 3.11, numpy < 2)"
    )
    path = to_netx(_grid_net(), tmp_path / "if.net", (2, 8, 8)).path
    net = hdf5.Network(net_config=str(path))
    assert len(net) == 3
