"""to_nir: round trips of hand-built nets (float64, spike for spike), the neuron contract, and every refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from snnmodels import IFNode, Leaky, LeakyParallel, LIFNode, ParametricLIFNode, layers, set_step_mode
from snnmodels.export import ExportError, avgpool_variant, from_nir, to_nir
from tests.snnmodels.export.nets import MixedNet, SEWBlock, events, firing_rate, lively

nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")


def _round_trip(model: nn.Module, input_shape: tuple[int, ...], x: Tensor, tmp_path: Path, **kw: object) -> Tensor:
    """Export, write, read and import ``model``; return the imported network's output on x."""
    path = tmp_path / "net.nir"
    nir.write(str(path), to_nir(model, input_shape))
    return from_nir(path, dtype=torch.float64, **kw)(x)  # type: ignore[arg-type]


def test_mixed_net_round_trips_spike_for_spike(tmp_path: Path, rng: np.random.Generator) -> None:
    model = lively(MixedNet().double(), gain=2.0).eval()
    x = events((12, 3, 2, 8, 8), rng)
    with torch.no_grad():
        want = model(x)
    got = _round_trip(model, (2, 8, 8), x, tmp_path)
    assert 0.05 < firing_rate(want) < 0.95
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_graph_structure_of_the_mixed_net() -> None:
    g = to_nir(lively(MixedNet().double()), (2, 8, 8))
    kinds = {k: type(v).__name__ for k, v in g.nodes.items()}
    # BatchNorms are folded away; the SEW join is two edges into the pool after the block
    assert "stem_1" not in kinds
    assert "block_bn1" not in kinds
    assert "bn_fc" not in kinds
    assert kinds["stem_0"] == "Conv2d"
    assert kinds["stem_2"] == "IF"
    assert kinds["pool1"] == "SumPool2d"
    assert kinds["block_sn1"] == kinds["block_sn2"] == "LIF"
    assert kinds["sn_fc"] == "LIF"
    assert kinds["sn_out"] == "LIF"
    assert kinds["pool2"] == "AvgPool2d"
    assert kinds["vote"] == "Linear"
    assert kinds["fc2"] == "Linear"
    assert {("pool1", "pool2"), ("block_sn2", "pool2")} <= set(g.edges)
    assert g.metadata["dt"] == 1e-4


def test_neuron_contract() -> None:
    dt = 1e-3
    model = nn.Sequential(
        layers.Linear(3, 4),
        IFNode(v_threshold=0.5, v_reset=-0.1),
        layers.Linear(4, 4),
        LIFNode(tau=4.0, decay_input=True, v_threshold=0.7, v_reset=0.2),
        layers.Linear(4, 4),
        LIFNode(tau=4.0, decay_input=False),
        layers.Linear(4, 4),
        ParametricLIFNode(init_tau=3.0),
        layers.Linear(4, 4),
        Leaky(beta=0.75, threshold=0.875, reset_mechanism="zero", init_hidden=True, step_mode="m"),
        layers.Linear(4, 4),
        Leaky(beta=0.5, reset_mechanism="none", graded_spikes_factor=2.0, init_hidden=True, step_mode="m"),
    )
    g = to_nir(model, (3,), dt=dt)
    n = g.nodes
    assert type(n["1"]).__name__ == "IF"
    np.testing.assert_array_equal(n["1"].r, np.full(4, 1 / dt))
    np.testing.assert_array_equal(n["1"].v_reset, np.full(4, -0.1))
    lif_di, lif_nodi, plif, leaky = n["3"], n["5"], n["7"], n["9"]
    np.testing.assert_allclose(lif_di.tau, 4 * dt)
    np.testing.assert_array_equal(lif_di.r, np.ones(4))
    np.testing.assert_array_equal(lif_di.v_leak, np.full(4, 0.2))
    np.testing.assert_array_equal(lif_di.v_threshold, np.full(4, 0.7))
    np.testing.assert_array_equal(lif_nodi.r, np.full(4, 4.0))
    np.testing.assert_allclose(plif.tau, 3 * dt, rtol=1e-6)
    np.testing.assert_allclose(leaky.tau, dt / 0.25)
    np.testing.assert_allclose(leaky.r, 4.0)
    np.testing.assert_array_equal(leaky.v_threshold, np.full(4, 0.875))
    # reset 'none': a leaky integrator, a threshold, then the graded spike factor
    assert [type(n[k]).__name__ for k in ("11", "11_threshold", "11_scale")] == ["LI", "Threshold", "Scale"]
    assert ("11", "11_threshold") in g.edges
    assert ("11_scale", "output") in g.edges


@pytest.mark.parametrize("reset", ["zero", "none"])
def test_leaky_round_trips(reset: str, tmp_path: Path, rng: np.random.Generator) -> None:
    beta = torch.tensor([0.0, 0.3, 0.9, 0.95], dtype=torch.float64)
    model = nn.Sequential(
        layers.Linear(5, 4),
        Leaky(beta=beta, threshold=0.6, reset_mechanism=reset, init_hidden=True, step_mode="m"),
    ).double()
    lively(model)
    x = events((20, 3, 5), rng)
    want = model(x).detach()
    assert 0.05 < firing_rate(want) < 0.95
    torch.testing.assert_close(_round_trip(model, (5,), x, tmp_path), want, rtol=0, atol=0)


def test_leaky_tuple_output_is_indexed(rng: np.random.Generator) -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = layers.Linear(5, 4)
            self.lif = Leaky(beta=0.8, reset_mechanism="zero", step_mode="m")

        def forward(self, x: Tensor) -> Tensor:
            spk, _mem = self.lif(self.fc(x))
            return spk

    model = lively(Net().double())
    x = events((10, 2, 5), rng)
    torch.testing.assert_close(from_nir(to_nir(model, (5,)), dtype=torch.float64)(x), model(x).detach(), rtol=0, atol=0)


def test_ties_follow_the_firing_rule() -> None:
    # inputs of 0.25 reach the threshold 1.0 exactly: ours (v >= 1) fires at the 4th step, NIR's rule (v > 1) at the 5th
    model = nn.Sequential(layers.Linear(1, 1, bias=False), IFNode()).double()
    with torch.no_grad():
        model[0].weight.fill_(0.25)
    x = torch.ones(8, 1, 1, dtype=torch.float64)
    ours = model(x).flatten().tolist()
    g = to_nir(model, (1,))
    assert ours == [0, 0, 0, 1, 0, 0, 0, 1]
    assert from_nir(g, dtype=torch.float64)(x).flatten().tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    assert from_nir(g, dtype=torch.float64, fire_at_threshold=True)(x).flatten().tolist() == ours


def test_standalone_and_grouped_normalisation_round_trips(tmp_path: Path, rng: np.random.Generator) -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = layers.Conv2d(4, 4, 3, padding=1, groups=2)
            self.sn = IFNode()
            self.bn = layers.BatchNorm2d(4)  # after a neuron: nothing to fold into
            self.sn2 = IFNode()
            self.flat = layers.Flatten()
            self.bn1d = layers.BatchNorm1d(64)
            self.sn3 = IFNode()

        def forward(self, x: Tensor) -> Tensor:
            return self.sn3(self.bn1d(self.flat(self.sn2(self.bn(self.sn(self.conv(x)))))))

    model = lively(Net().double()).eval()
    x = events((10, 2, 4, 4, 4), rng)
    want = model(x).detach()
    assert 0.05 < firing_rate(want) < 0.95
    torch.testing.assert_close(_round_trip(model, (4, 4, 4), x, tmp_path), want, rtol=0, atol=0)


def test_uneven_adaptive_pool_folds_into_the_linear(tmp_path: Path, rng: np.random.Generator) -> None:
    model = nn.Sequential(
        layers.Conv2d(2, 4, 3, padding=1),
        IFNode(),
        layers.AdaptiveAvgPool2d((3, 3)),  # 5x5 -> 3x3: overlapping windows of unequal size
        layers.Flatten(),
        layers.Linear(36, 10),
        IFNode(),
    ).double()
    lively(model)
    g = to_nir(model, (2, 5, 5))
    assert g.nodes["4"].weight.shape == (10, 100)  # over the 4x5x5 values before the pool
    x = events((10, 2, 2, 5, 5), rng)
    want = model(x).detach()
    assert 0.05 < firing_rate(want) < 0.95
    torch.testing.assert_close(_round_trip(model, (2, 5, 5), x, tmp_path), want, rtol=0, atol=0)


def test_model_is_not_changed() -> None:
    model = MixedNet().double().train()
    set_step_mode(model, "s")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    to_nir(model, (2, 8, 8))
    assert model.training
    assert all(m.step_mode == "s" for m in model.modules() if hasattr(m, "step_mode"))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_scaling_by_a_number_is_a_scale_node(rng: np.random.Generator) -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc, self.sn = layers.Linear(3, 3), IFNode()

        def forward(self, x: Tensor) -> Tensor:
            return 0.5 * self.sn(self.fc(x)) + self.fc(x) * 2

    model = lively(Net().double())
    x = events((6, 2, 3), rng)
    g = to_nir(model, (3,))
    assert sorted(type(v).__name__ for v in g.nodes.values()).count("Scale") == 2
    torch.testing.assert_close(from_nir(g, dtype=torch.float64)(x), model(x).detach())


def test_avgpool_variant_makes_maxpool_nets_exportable() -> None:
    model = nn.Sequential(layers.Conv2d(2, 4, 3), IFNode(), layers.MaxPool2d(3, 2, 1), layers.Flatten())
    with pytest.raises(ExportError, match=r"MaxPool2d '2'.*average-pooling variant"):
        to_nir(model, (2, 9, 9))
    variant = avgpool_variant(model)
    assert type(model[2]) is layers.MaxPool2d
    assert type(variant[2]) is layers.AvgPool2d
    assert variant[2].kernel_size == 3
    assert variant[2].stride == 2
    assert variant[2].padding == 1
    assert type(to_nir(variant, (2, 9, 9)).nodes["2"]).__name__ == "AvgPool2d"


class _Join(nn.Module):
    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op
        self.fc, self.sn = layers.Linear(3, 3), IFNode()

    def forward(self, x: Tensor) -> Tensor:
        y = self.sn(self.fc(x))
        if self.op == "and":
            return x * y
        if self.op == "iand":
            return x * (1.0 - y)
        if self.op == "mean":
            return y.mean(0)
        if self.op == "cat":
            return torch.cat((x, y), -1)
        if self.op == "const":
            return y + 1.0
        if self.op == "twice":
            return y + y
        return y[..., :2]


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ("and", "multiplies two tensors"),
        ("iand", "function sub has no NIR equivalent"),  # x * (1 - y)
        ("mean", r"\.mean\(\) has no NIR equivalent \(a readout over time"),
        ("cat", "function cat has no NIR equivalent"),
        ("const", "adds a constant"),
        ("twice", "one tensor appears twice"),
        ("slice", "indexes or slices"),
    ],
)
def test_functions_without_nir_equivalent_are_named(op: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        to_nir(_Join(op), (3,))


@pytest.mark.parametrize(
    ("module", "shape", "message"),
    [
        (LIFNode(v_reset=None), (3,), r"LIFNode '1' uses a soft reset"),
        (Leaky(beta=0.5, init_hidden=True, step_mode="m"), (3,), "reset_mechanism='subtract'"),
        (nn.ReLU(), (3,), r"cannot export ReLU '1' to NIR: no converter for it; supported: \["),
        (LeakyParallel(3, 3), (3,), "LeakyParallel '1' cannot be exported to NIR: its membrane"),
        (nn.Flatten(), (3,), "merges the time or batch dimension"),
    ],
)
def test_modules_without_nir_equivalent_are_named(module: nn.Module, shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(ExportError, match=message):
        to_nir(nn.Sequential(layers.Linear(3, 3), module), shape)


class _GatedLIF(LIFNode):
    """An unregistered neuron subclass holding a child module (as neurons holding a surrogate module do)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = nn.Linear(3, 3)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x * self.gate(x).sigmoid())


class _Stateful(nn.Module):
    """A plain module with children whose forward loops over time (fx cannot trace it)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x: Tensor) -> Tensor:
        return torch.stack([self.fc(step) for step in x])


def test_an_unregistered_neuron_subclass_is_named_not_traced() -> None:
    net = nn.Sequential(layers.Linear(3, 3), nn.Sequential(nn.Identity(), _GatedLIF()))
    assert net(torch.ones(4, 2, 3)).shape == (4, 2, 3)  # it runs; it only has no NIR converter
    with pytest.raises(
        ExportError,
        match=r"cannot export _GatedLIF '1\.1' to NIR: no converter for it \(it subclasses snnmodels\.neurons\.LIFNode",
    ):
        to_nir(net, (3,))
    # a child module that is no neuron is traced into as before, and names the model it cannot trace
    with pytest.raises(ExportError, match=r"cannot trace Sequential with torch\.fx"):
        to_nir(nn.Sequential(layers.Linear(3, 3), _Stateful()), (3,))


def test_pooling_and_normalisation_refusals() -> None:
    with pytest.raises(ExportError, match="ceil_mode"):
        to_nir(nn.Sequential(layers.AvgPool2d(2, ceil_mode=True)), (1, 5, 5))
    with pytest.raises(ExportError, match="count_include_pad=False"):
        to_nir(nn.Sequential(layers.AvgPool2d(2, padding=1, count_include_pad=False)), (1, 4, 4))
    with pytest.raises(ExportError, match="divides by 3"):
        to_nir(nn.Sequential(layers.AvgPool2d(2, divisor_override=3)), (1, 4, 4))
    with pytest.raises(ExportError, match="unequal size"):
        to_nir(nn.Sequential(layers.AdaptiveAvgPool2d(3)), (1, 5, 5))
    bn = layers.BatchNorm2d(2, track_running_stats=False)
    with pytest.raises(ExportError, match="track_running_stats=False"):
        to_nir(nn.Sequential(layers.Conv2d(1, 2, 1), bn), (1, 4, 4))


def test_untraceable_and_shape_mixing_models() -> None:
    class DataDependent(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return x if x.sum() > 0 else -x

    with pytest.raises(ExportError, match=r"cannot trace DataDependent with torch\.fx"):
        to_nir(DataDependent(), (3,))

    class FoldsTime(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x: Tensor) -> Tensor:
            return self.fc(x.sum(0, keepdim=True))

    with pytest.raises(ExportError, match="sum"):
        to_nir(FoldsTime(), (3,))
    with pytest.raises(ExportError, match=r"example input of shape \(2, 1, 4\)"):
        to_nir(nn.Sequential(layers.Linear(3, 3)), (4,))


def test_sew_block_with_zoo_style_join(tmp_path: Path, rng: np.random.Generator) -> None:
    model = lively(nn.Sequential(layers.Conv2d(2, 4, 1, bias=False), IFNode(), SEWBlock(4)).double()).eval()
    x = events((10, 2, 2, 6, 6), rng)
    want = model(x).detach()
    assert firing_rate(want) > 0.05
    torch.testing.assert_close(_round_trip(model, (2, 6, 6), x, tmp_path), want, rtol=0, atol=0)


def test_a_single_module_exports() -> None:
    g = to_nir(layers.Linear(3, 2), (3,))
    assert [type(n).__name__ for n in g.nodes.values()] == ["Input", "Affine", "Output"]
