"""``snnmodels.compat.snntorch.functional``: snnTorch's loss, accuracy, quant and probe names over our core."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import snnmodels.compat.snntorch as ours
import snnmodels.compat.snntorch.functional as sf
from snnmodels import functional as core
from snnmodels import monitor
from snnmodels.compat.snntorch.functional import probe, quant
from tests.snnmodels.peers import snntorch

LOSSES = [
    "ce_rate_loss",
    "ce_count_loss",
    "ce_max_membrane_loss",
    "mse_count_loss",
    "mse_membrane_loss",
    "ce_temporal_loss",
    "mse_temporal_loss",
]


def test_the_names_are_our_core_functions() -> None:
    # one implementation: the compat names are the core objects themselves (their parity with snnTorch is pinned
    # case by case in tests/snnmodels/test_peers_functional.py)
    for name in LOSSES:
        assert getattr(sf, name) is getattr(core, name)
        assert getattr(sf.loss, name) is getattr(core, name)
    assert quant.state_quant is core.state_quant
    assert probe.OutputMonitor is monitor.OutputMonitor


@pytest.mark.peers
@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_with_snntorch_defaults_matches(name: str, rng: np.random.Generator) -> None:
    snn = snntorch()
    T, B, C = 7, 5, 4
    spk = torch.from_numpy((rng.random((T, B, C)) < 0.4).astype(np.float32))
    spk[0, :, 0] = 1.0  # every sample fires early on neuron 0
    x = torch.from_numpy(rng.normal(size=(T, B, C)).astype(np.float32)) if "membrane" in name else spk
    targets = torch.from_numpy(rng.integers(0, C, B))
    kw = {"off_target": T - 1} if name == "mse_temporal_loss" else {}  # snnTorch's default -1 hits its clamp bug
    for reduction in ("mean", "none"):
        got = getattr(sf, name)(reduction=reduction, **kw)(x, targets)
        want = getattr(snn.functional, name)(reduction=reduction, **kw)(x, targets)
        torch.testing.assert_close(got, want.reshape(got.shape), rtol=1e-6, atol=1e-6)
        assert got.abs().sum() > 0


def test_weighted_mse_weights_each_sample_by_its_label() -> None:
    # snnTorch multiplies the [B, C] loss by weight[targets] ([B]), which weights column c by sample c's label
    # (and fails unless B == C); the documented meaning, kept here, is one weight per sample
    spk = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])  # T=1, B=2, C=3
    targets = torch.tensor([0, 1])
    w = torch.tensor([2.0, 3.0, 5.0])
    per = sf.mse_count_loss(reduction="none")(spk, targets)  # counts vs [1, 0, 0] and [0, 1, 0]
    assert per.tolist() == [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    weighted = sf.mse_count_loss(weight=w, reduction="none")(spk, targets)
    assert weighted.tolist() == [[0.0, 0.0, 0.0], [0.0, 3.0, 3.0]]
    assert sf.mse_count_loss(weight=w)(spk, targets).item() == pytest.approx(1.0)
    mem = torch.tensor([[[0.5, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    assert sf.mse_membrane_loss(weight=w, reduction="none")(mem, targets).tolist() == [[0.5, 0.0, 0.0], [0.0, 3.0, 0.0]]


@pytest.mark.peers
def test_accuracy_is_a_numpy_float64_equal_to_snntorch(rng: np.random.Generator) -> None:
    snn = snntorch()
    spk = torch.from_numpy((rng.random((9, 8, 6)) < 0.3).astype(np.float32))
    targets = torch.from_numpy(rng.integers(0, 6, 8))
    spk[:, :4] = 0.0
    spk[:, torch.arange(4), targets[:4]] = 1.0  # half the batch right
    for got, want in (
        (sf.accuracy_rate(spk, targets), snn.functional.acc.accuracy_rate(spk, targets)),
        (sf.accuracy_temporal(spk, targets), snn.functional.acc.accuracy_temporal(spk, targets)),
        (
            sf.acc.accuracy_rate(spk, targets % 3, population_code=True, num_classes=3),
            snn.functional.acc.accuracy_rate(spk, targets % 3, population_code=True, num_classes=3),
        ),
    ):
        assert type(got) is np.float64
        assert got == want
        assert got >= 0.5


class _Net(nn.Module):
    def __init__(self, leaky: type) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc1, self.lif1 = nn.Linear(8, 4), leaky(0.5, init_hidden=True)
        self.fc2, self.lif2 = nn.Linear(4, 2), leaky(0.5, init_hidden=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lif2(self.fc2(self.lif1(self.fc1(x))))


@pytest.mark.peers
def test_probes_record_what_snntorch_records() -> None:
    snn = snntorch()
    from snntorch.functional import probe as their_probe

    x = torch.linspace(-1, 3, 24).reshape(3, 8)
    records = []
    for leaky, prb in ((ours.Leaky, probe), (snn.Leaky, their_probe)):
        net = _Net(leaky)
        out_mon = prb.OutputMonitor(net, instance=leaky)
        mem_mon = prb.AttributeMonitor("mem", False, net, instance=leaky)
        with torch.no_grad():
            for t in range(3):
                net(x[t : t + 1])
        records.append((out_mon.monitored_layers, out_mon["lif1"], mem_mon["lif2"]))
    (layers1, out1, mem1), (layers2, out2, mem2) = records
    assert layers1 == layers2 == ["lif1", "lif2"]
    for a, b in zip(out1 + mem1, out2 + mem2, strict=True):
        assert torch.equal(a, b)
    assert torch.cat(out1).sum() > 0
