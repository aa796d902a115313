"""ANN -> SNN conversion: rate coding converges to the ANN, every mode against SpikingJelly 2.0 (float64), the
converted net as a normal model of ours (step modes, training, pickling, NIR and ONNX), and every refusal."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from snnmodels import IFNode, reset_net, set_step_mode
from snnmodels.ann2snn import (
    ConversionError,
    ScaledIF,
    TimeFolded,
    balance_scale,
    convert,
    quantile,
    rate_coding_error,
    repeat_input,
)
from snnmodels.export import ExportError, from_nir, to_nir
from tests.snnmodels.peers import spikingjelly


def _cnn() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
        nn.Flatten(), nn.Linear(54, 10), nn.ReLU(), nn.Linear(10, 3),
    ).double()  # fmt: skip
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):  # non-trivial statistics, so that folding them matters
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    return net.eval()


class Functional(nn.Module):
    """ReLUs as functions, a view on x.size(0), a residual sum and a concatenation."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 8 * 8 + 3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(x))
        h = torch.relu(h + self.conv(x) * 0.5)
        flat = h.view(h.size(0), -1)
        pooled = h.mean((2, 3))
        return self.fc(torch.cat([flat, pooled], dim=1)).relu()


def _data(n: int = 48) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


@torch.no_grad()
def test_rate_converges_to_the_ann_as_T_grows() -> None:
    ann = _cnn()
    x = _data()
    snn = convert(ann, [x[:16], x[16:32], x[32:]], "max")
    want = ann(x)
    errors = [float((snn(repeat_input(x, T)).mean(0) - want).abs().max()) for T in (8, 64, 512)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.02 * float(want.abs().max())
    # BatchNorm was folded, each ReLU became a ScaledIF in its place
    kinds = {name: type(m).__name__ for name, m in snn.named_children()}
    assert kinds == {"0": "Conv2d", "2": "ScaledIF", "3": "AvgPool2d", "4": "Conv2d", "6": "ScaledIF",
                     "7": "Flatten", "8": "Linear", "9": "ScaledIF", "10": "Linear"}  # fmt: skip


@torch.no_grad()
def test_scale_is_the_statistic_with_momentum() -> None:
    ann = nn.Sequential(nn.Linear(3, 5), nn.ReLU()).double().eval()
    batches = [torch.randn(7, 3, dtype=torch.float64) for _ in range(3)]
    for mode in ("max", "99%", 0.5):
        snn = convert(ann, batches, mode, momentum=0.3)
        acts = [ann(b) for b in batches]
        stat = {"max": lambda a: a.max(), "99%": lambda a: torch.quantile(a, 0.99), 0.5: lambda a: a.max() * 0.5}
        s = stat[mode](acts[0])
        for a in acts[1:]:
            s = 0.7 * s + 0.3 * stat[mode](a)
        assert snn.get_submodule("1").scale == pytest.approx(float(s), rel=1e-15)


def test_quantile_equals_torch_quantile() -> None:
    g = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        for n in (1, 5, 1000, 65537):
            x = torch.randn(n, generator=g, dtype=dtype).relu()
            for q in (0.0, 0.5, 0.99, 0.999, 1.0):
                assert quantile(x, q).item() == torch.quantile(x, q).item()


@torch.no_grad()
def test_functional_relus_views_and_concatenation_convert() -> None:
    torch.manual_seed(0)
    ann = Functional().double().eval()
    x = _data(32)
    snn = convert(ann, [x], "max")
    assert sum(isinstance(m, ScaledIF) for m in snn.modules()) == 3
    assert any(isinstance(m, TimeFolded) for m in snn.modules())  # the view, the mean and the cat
    out = snn(repeat_input(x, 400)).mean(0)
    assert float((out - ann(x)).abs().max()) < 0.05 * float(ann(x).abs().max())
    # single-step mode: the same spikes, one step per call
    multi = snn(repeat_input(x, 10))
    set_step_mode(snn, "s")
    reset_net(snn)  # the multi-step call left its last state in the neurons
    single = torch.stack([snn(x) for _ in range(10)])
    torch.testing.assert_close(single, multi, rtol=0, atol=0)


@torch.no_grad()
def test_threshold_balancing_trades_clipping_against_resolution() -> None:
    # a thin tail: 0.1% of the activations are 20x the rest; at T=8 the max wastes almost every step on them
    g = torch.Generator().manual_seed(0)
    a = torch.rand(10000, generator=g, dtype=torch.float64)
    a[:10] *= 20
    chosen = balance_scale(a, float(a.max()), 8)
    assert chosen < float(a.max()) / 5
    assert rate_coding_error(a, chosen, 8) < rate_coding_error(a, float(a.max()), 8)
    # a hand-computed error: a = 0.5, scale 1, T = 4 -> floor(2)/4 = 0.5, no error; T = 3 -> 1/3
    assert rate_coding_error(torch.tensor([0.5], dtype=torch.float64), 1.0, 3) == pytest.approx((0.5 - 1 / 3) ** 2)
    ann = _cnn()
    x = _data()
    balanced = convert(ann, [x], "max", balance_T=4)
    plain = convert(ann, [x], "max")
    scales = [
        (m.scale, plain.get_submodule(name).scale) for name, m in balanced.named_modules() if isinstance(m, ScaledIF)
    ]
    assert all(b <= p for b, p in scales)  # every candidate is at most the max
    assert any(b < p for b, p in scales)


def test_converted_net_trains_pickles_and_exports(tmp_path: Path) -> None:
    ann = _cnn()
    x = _data(16)
    snn = convert(ann, [x], "99.9%").train()
    opt = torch.optim.SGD(snn.parameters(), lr=0.1)
    before = [p.detach().clone() for p in snn.parameters()]
    loss = F.cross_entropy(snn(repeat_input(x, 8)).mean(0), torch.arange(16) % 3)
    loss.backward()
    opt.step()
    assert all(torch.isfinite(p.grad).all() for p in snn.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, snn.parameters(), strict=True))
    clone = pickle.loads(pickle.dumps(snn.eval()))
    xs = repeat_input(x, 12)
    torch.testing.assert_close(clone(xs), snn(xs), rtol=0, atol=0)
    # NIR: a soft-reset IF is a recurrent subgraph; the imported net gives the same outputs
    back = from_nir(to_nir(snn, (1, 8, 8)), dtype=torch.float64, fire_at_threshold=True)
    with torch.no_grad():
        torch.testing.assert_close(back(xs), snn(xs), rtol=0, atol=0)


def test_soft_reset_if_round_trips_through_nir() -> None:
    nir = pytest.importorskip("nir")
    net = nn.Sequential(nn.Linear(5, 6), IFNode(v_threshold=0.7, v_reset=None)).double()
    g = to_nir(net, (5,))
    sub = g.nodes["1"]
    assert isinstance(sub, nir.NIRGraph)
    assert {type(n).__name__ for n in sub.nodes.values()} == {"Input", "I", "Threshold", "Scale", "Output"}
    assert ("reset", "integrator") in sub.edges
    x = torch.rand(40, 3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 1.5
    with torch.no_grad():
        want = net(x)
        got = from_nir(g, dtype=torch.float64, fire_at_threshold=True)(x)
    assert 0.1 < float(want.mean()) < 0.9
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_time_folded_calls_are_refused_by_nir_with_the_reason() -> None:
    ann = Functional().double().eval()
    snn = convert(ann, [_data(8)], "max")
    # the view on x.size(0) runs time-folded: to_nir names it
    with pytest.raises(ExportError, match=r"'(size|view)_time_folded'"):
        to_nir(snn, (1, 8, 8))
    with pytest.raises(ExportError, match=r"runs a tensor function over the batch with time folded in"):
        to_nir(nn.Sequential(TimeFolded(torch.exp, False, (True,))), (3,))


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(3, 3), Gate())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)


class Gate(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.relu() if x.sum() > 0 else x


def test_bad_input_is_named() -> None:
    x = [torch.rand(4, 3)]
    with pytest.raises(ConversionError, match=r"cannot trace Untraceable with torch.fx in its submodule 'inner.1'"):
        convert(Untraceable(), x)
    with pytest.raises(ConversionError, match=r"GELU '1' has no IF-neuron equivalent"):
        convert(nn.Sequential(nn.Linear(3, 3), nn.GELU()), x)
    with pytest.raises(ConversionError, match=r"the function silu .* has no IF-neuron equivalent"):
        convert(nn.Sequential(nn.Linear(3, 3), _Lambda(F.silu)), x)
    with pytest.raises(ConversionError, match=r"the calibration dataloader given to convert\(Sequential\) yielded"):
        convert(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), [])
    with pytest.raises(ValueError, match=r"mode '99.9' is not a conversion mode; use 'max', a percentile"):
        convert(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), x, "99.9")
    with pytest.raises(ConversionError, match="cannot find the model input in a calibration batch of type str"):
        convert(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), ["abc"])


class _Lambda(nn.Module):
    def __init__(self, fn: object) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)  # type: ignore[operator]


# ---------------------------------------------------------------------------------------------------------------
# parity with SpikingJelly 2.0


@pytest.mark.peers
@pytest.mark.parametrize("mode", ["max", "99.9%", 0.5, 1 / 3])
def test_outputs_match_spikingjelly_per_mode(mode: str | float) -> None:
    spikingjelly()
    from spikingjelly.activation_based import ann2snn as sj_ann2snn
    from spikingjelly.activation_based import functional as sj_f

    ann = _cnn()
    x = _data()
    loader = [x[:16], x[16:32], x[32:]]
    theirs = sj_ann2snn.Converter(sj_ann2snn.RateCodingRecipe(dataloader=loader, mode=mode)).convert(ann)
    # SpikingJelly stores each scale as a float32 tensor; with the same dtype the spikes agree to the bit
    ours = convert(ann, loader, mode, scale_dtype=torch.float32)
    sj_f.reset_net(theirs)
    with torch.no_grad():
        want = torch.stack([theirs(x) for _ in range(24)])
        got = ours(repeat_input(x, 24))
    assert want.abs().sum() > 0
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_converted_net_runs_in_the_trainer() -> None:
    from torch.utils.data import TensorDataset

    from snnmodels.train import TrainConfig, Trainer

    ann = _cnn().float()
    x = _data(24).float()
    snn = convert(ann, [x], "max")
    frames = x.unsqueeze(1).expand(24, 6, 1, 8, 8).contiguous()  # [N, T, C, H, W], as a DataLoader gives
    data = TensorDataset(frames, torch.arange(24) % 3)
    before = [p.detach().clone() for p in snn.parameters()]
    trainer = Trainer(snn, TrainConfig(epochs=1, batch_size=8, device="cpu"), data, data, progress=False)
    (stats,) = trainer.fit()
    assert math.isfinite(stats.train_loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, snn.parameters(), strict=True))
    assert 0.0 <= trainer.evaluate().top1 <= 1.0
