"""Cost metrics (`snnmodels.profile`): hand-counted on tiny layers, and equal to NeuroBench 2.3's on the same
models and data (a dense-input spiking conv net, a spiking-input MLP with pruned weights, a ReLU conv net)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels import Leaky, LIFNode, layers
from snnmodels.models import create_model
from snnmodels.profile import profile_model


def test_hand_counted_linear_and_conv() -> None:
    lin = nn.Linear(3, 2, bias=True)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]]))  # column nnz: 1, 0, 2
    x = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])  # spikes: sample 0 -> 1*1 + 1*0 = 1; sample 1 -> 0 + 2
    p = profile_model(lin, x, batch_dim=0)
    assert p.synops == {"effective_macs": 0.0, "effective_acs": 1.5, "dense": 6.0}
    assert p.connection_sparsity == pytest.approx(3 / 6)
    assert p.parameters == 8
    assert p.footprint_bytes == 32
    # a dense input (2.5 is no spike) makes the same products multiply-accumulates
    p = profile_model(lin, x * 2.5, batch_dim=0)
    assert p.synops["effective_macs"] == 1.5
    assert p.synops["effective_acs"] == 0.0

    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    nn.init.ones_(conv.weight)
    img = torch.zeros(1, 1, 4, 4)
    img[0, 0, 0, 0] = 1.0  # a corner pixel reaches the 4 outputs whose 3x3 window covers it
    img[0, 0, 1, 1] = 1.0  # an inner pixel reaches 9
    p = profile_model(conv, img, batch_dim=0)
    assert p.synops["effective_acs"] == 13.0
    # dense: every output counts the in-bounds taps of its window: 4 corners x 4 + 8 edges x 6 + 4 inner x 9
    assert p.synops["dense"] == 4 * 4 + 8 * 6 + 4 * 9


def test_spiking_layers_sparsity_rates_and_state() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(layers.Linear(10, 20), LIFNode(), layers.Linear(20, 5), LIFNode())
    x = torch.rand(6, 4, 10) * 3  # [T, B, 10], dense
    p = profile_model(net, x)
    with torch.no_grad():
        spikes = [net[1](net[0](x))]
        spikes.append(net[3](net[2](spikes[0])))
    for name, s in zip(("1", "3"), spikes, strict=True):
        assert p.firing_rates[name] == pytest.approx(float(s.mean()))
        assert p.layers[name].sparsity == pytest.approx(float((s == 0).float().mean()))
    assert 0 < p.firing_rates["1"] < 1
    assert p.state_bytes_per_sample == (20 + 5) * 4  # one float32 membrane per neuron
    assert p.samples == 4
    # the first Linear sees dense input (MACs); the second sees spikes (ACs)
    assert p.layers["0"].effective_macs == pytest.approx(10 * 20 * 6)  # no zero inputs: every product counts
    assert p.layers["2"].effective_acs == pytest.approx(float(spikes[0].sum()) * 5 / 4)
    assert net.training  # mode restored


def test_dataloader_batches_and_json(tmp_path: Path) -> None:
    net = create_model("nmnist_net", channels=4)
    data = [(torch.rand(2, 3, 2, 34, 34).round(), torch.tensor([0, 1]), torch.tensor([3, 3])) for _ in range(2)]
    p = profile_model(net, data)
    assert p.samples == 4
    out = json.loads(p.write_json(tmp_path / "p.json").read_text())
    assert out["footprint_bytes"] == p.parameter_bytes + p.buffer_bytes
    assert "| conv_fc.0 | Conv2d | connection |" in p.table()
    with pytest.raises(ValueError, match="no data"):
        profile_model(net, [])


# --------------------------------------------------------------------------------------------------------------
# NeuroBench


def _neurobench() -> Any:
    nb = pytest.importorskip("neurobench", reason="neurobench not installed (ci/peers.txt installs it --no-deps)")
    pytest.importorskip("snntorch", reason="neurobench needs snntorch")
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import ConnectionSparsity, Footprint, ParameterCount
    from neurobench.metrics.workload import ActivationSparsity, ActivationSparsityByLayer, SynapticOperations
    from neurobench.models import TorchModel

    nb.run = lambda model, loader, spiking: _run_neurobench(
        Benchmark,
        TorchModel,
        [
            [Footprint, ConnectionSparsity, ParameterCount],
            [ActivationSparsity, ActivationSparsityByLayer, SynapticOperations],
        ],
        model,
        loader,
        spiking,
    )
    return nb


class _BatchFirst(nn.Module):
    """NeuroBench feeds [B, T, ...]; our multi-step nets take [T, B, ...]."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.transpose(0, 1))


def _run_neurobench(
    benchmark: Any, torch_model: Any, metrics: list, net: nn.Module, loader: Any, spiking: tuple
) -> dict[str, Any]:
    model = torch_model(_BatchFirst(net) if spiking else net)
    for cls in spiking:
        model.add_activation_module(cls)
    return benchmark(model, loader, [], [], metrics).run(quiet=True)


def _loader(x: torch.Tensor, batch: int) -> torch.utils.data.DataLoader:
    ds = torch.utils.data.TensorDataset(x, torch.zeros(len(x), dtype=torch.long))
    return torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=False)


def _prune(net: nn.Module, fraction: float, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear | nn.Conv2d):
                m.weight.mul_((torch.rand(m.weight.shape, generator=g) >= fraction).float())


def _compare(ours: Any, theirs: dict[str, Any], names: dict[str, str]) -> None:
    assert ours.footprint_bytes == theirs["Footprint"]
    assert ours.parameters == theirs["ParameterCount"]
    assert round(ours.connection_sparsity, 4) == theirs["ConnectionSparsity"]
    assert ours.activation_sparsity == pytest.approx(theirs["ActivationSparsity"], abs=1e-12)
    by_layer = theirs["ActivationSparsityByLayer"]
    assert {names[k] for k in ours.layers if k in names} == set(by_layer)
    for ours_name, nb_name in names.items():
        assert ours.layers[ours_name].sparsity == pytest.approx(by_layer[nb_name], abs=1e-12)
    syn = theirs["SynapticOperations"]
    assert ours.synops["effective_macs"] == pytest.approx(syn["Effective_MACs"], rel=1e-12)
    assert ours.synops["effective_acs"] == pytest.approx(syn["Effective_ACs"], rel=1e-12)
    assert ours.synops["dense"] == pytest.approx(syn["Dense"], rel=1e-12)


@pytest.mark.peers
def test_dense_input_spiking_conv_net_equals_neurobench(rng: np.random.Generator) -> None:
    nb = _neurobench()
    torch.manual_seed(0)
    net = create_model("nmnist_net", channels=8)  # conv-BN-PLIF x2, FC, PLIF, FC, PLIF, voting
    with torch.no_grad():  # louder than at initialisation, so that every layer fires (as a trained net does)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d | nn.Linear):
                m.weight.mul_(5.0)
    _prune(net, 0.3, seed=1)
    # count frames [B, T, 2, 34, 34] (0, 1, 2, ...): the first conv multiplies, the rest accumulate
    x = torch.from_numpy(rng.poisson(1.0, (6, 4, 2, 34, 34)).astype(np.float32))
    ours = profile_model(net, _loader(x, 3))
    theirs = nb.run(net, _loader(x, 3), (LIFNode.__mro__[1],))
    assert ours.synops["effective_macs"] > 0
    assert ours.synops["effective_acs"] > 0
    spiking = [n for n, lp in ours.layers.items() if lp.kind == "spiking"]
    assert len(spiking) == 4
    assert all(0 < ours.firing_rates[n] < 1 for n in spiking)
    _compare(ours, theirs, {n: n.split(".")[-1] for n in spiking})


@pytest.mark.peers
def test_spiking_input_mlp_equals_neurobench(rng: np.random.Generator) -> None:
    nb = _neurobench()
    torch.manual_seed(0)
    net = nn.Sequential(
        layers.Flatten(),
        layers.Linear(2 * 16 * 16, 64),
        Leaky(beta=0.8, init_hidden=True, step_mode="m"),
        layers.Linear(64, 10),
        Leaky(beta=0.8, init_hidden=True, step_mode="m"),
    )
    _prune(net, 0.5, seed=2)
    x = torch.from_numpy((rng.random((8, 10, 2, 16, 16)) < 0.15).astype(np.float32))  # binary events
    ours = profile_model(net, _loader(x, 4))
    theirs = nb.run(net, _loader(x, 4), (Leaky,))
    assert ours.synops["effective_macs"] == 0.0  # every input is a spike
    assert ours.synops["effective_acs"] > 0
    assert 0.45 < ours.connection_sparsity < 0.55
    _compare(ours, theirs, {"2": "2", "4": "4"})


@pytest.mark.peers
def test_relu_conv_net_equals_neurobench(rng: np.random.Generator) -> None:
    nb = _neurobench()
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(36, 3),
    )
    x = torch.from_numpy(rng.normal(size=(5, 1, 10, 10)).astype(np.float32))
    ours = profile_model(net, _loader(x, 5), transpose=False)
    theirs = nb.run(net, _loader(x, 5), ())
    assert ours.synops["effective_acs"] == 0.0
    assert ours.firing_rates == {}
    _compare(ours, theirs, {"1": "1", "3": "3"})


def test_the_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "profile.md").read_text()
    (block,) = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(block, "docs/profile.md", "exec"), namespace)
    assert json.loads((tmp_path / "profile.json").read_text())["samples"] == 4
