"""to_onnx: one step (x, state) -> (y, state), run with onnxruntime over T steps, equals our model to 1e-5."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from snnmodels import IFNode, Leaky, LeakyParallel, LIFNode, ParametricLIFNode, layers
from snnmodels.export import ExportError, run_onnx, to_onnx
from tests.snnmodels.export.nets import SEWBlock, events, firing_rate, last_spiking_rate, lively

onnx = pytest.importorskip("onnx", reason="onnx not installed (pip install onnx)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install onnxruntime)")


class StepNet(nn.Module):
    """What ONNX can take and NIR cannot: max pooling, soft resets, snnTorch's subtract reset."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = layers.Conv2d(2, 8, 3, padding=1)
        self.bn = layers.BatchNorm2d(8)
        self.sn1 = IFNode(v_reset=None)
        self.pool = layers.MaxPool2d(2)
        self.block = SEWBlock(8, neuron=lambda: LIFNode(tau=1.5, v_reset=None))
        self.flat = layers.Flatten()
        self.fc = layers.Linear(8 * 4 * 4, 40)
        self.sn2 = ParametricLIFNode(init_tau=2.5)
        self.fc2 = layers.Linear(40, 20)
        self.sn3 = Leaky(beta=0.8, init_hidden=True, step_mode="m")  # reset_mechanism='subtract'
        self.vote = layers.VotingLayer(2)

    def forward(self, x: Tensor) -> Tensor:
        y = self.block(self.pool(self.sn1(self.bn(self.conv(x)))))
        return self.vote(self.sn3(self.fc2(self.sn2(self.fc(self.flat(y))))))


def _compare(model: nn.Module, path: Path, shape: tuple[int, ...], x: Tensor) -> tuple[Any, float]:
    """Export, then compare onnxruntime with the (float32) model on x; returns (export, max |difference|)."""
    result = to_onnx(model, path, shape, T=x.shape[0])
    with torch.no_grad():
        ours = model.float()(x.float()).numpy()
    theirs = run_onnx(path, x)
    assert theirs.shape == ours.shape
    return result, float(np.abs(theirs - ours).max())


def test_hand_built_net_over_t_steps(tmp_path: Path, rng: np.random.Generator) -> None:
    model = lively(StepNet().double(), gain=2.0).eval()
    x = events((16, 3, 2, 8, 8), rng)
    with torch.no_grad():
        assert 0.05 < firing_rate(model(x)) < 0.95
    result, diff = _compare(model, tmp_path / "step.onnx", (2, 8, 8), x)
    assert diff <= 1e-5
    assert result.max_abs_diff is not None
    assert result.max_abs_diff <= 1e-5
    assert result.neurons == ("sn1", "block.sn1", "block.sn2", "sn2", "sn3")
    assert result.state_shapes == ((8, 8, 8), (8, 4, 4), (8, 4, 4), (40,), (20,))
    assert result.initial_values == (0.0,) * 5


def test_states_are_inputs_and_outputs(tmp_path: Path) -> None:
    model = nn.Sequential(layers.Linear(3, 4), IFNode(v_reset=-0.5), layers.Linear(4, 2), LIFNode(v_reset=0.25))
    result = to_onnx(model, tmp_path / "small.onnx", (3,))
    proto = onnx.load(str(result.path))
    assert [i.name for i in proto.graph.input] == ["x", "state_0", "state_1"]
    assert [o.name for o in proto.graph.output] == ["y", "state_0_out", "state_1_out"]
    meta = json.loads({p.key: p.value for p in proto.metadata_props}["snnmodels.states"])
    assert meta == [
        {"name": "state_0", "neuron": "1", "initial": -0.5, "shape": [4]},
        {"name": "state_1", "neuron": "3", "initial": 0.25, "shape": [2]},
    ]
    # one explicit step: state in, state out
    sess = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    x = np.ones((5, 3), dtype=np.float32)
    y, v0, v1 = sess.run(
        None, {"x": x, "state_0": np.full((5, 4), -0.5, np.float32), "state_1": np.full((5, 2), 0.25, np.float32)}
    )
    assert y.shape == (5, 2)
    assert v0.shape == (5, 4)
    assert v1.shape == (5, 2)


@pytest.mark.parametrize(
    ("name", "kwargs", "shape", "gain"),
    [
        ("nmnist_net", {"channels": 8}, (2, 34, 34), 4.0),  # PLIF, max pooling, dropout, voting
        ("sew_resnet18", {"num_classes": 10, "in_channels": 2}, (2, 32, 32), 2.0),  # SEW ADD, downsample neurons
        ("shd_mlp", {"hidden": 16}, (1, 700), 2.0),  # 1-D spikes, a non-spiking readout (its membrane is a state)
    ],
)
def test_zoo_models_over_t_steps(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], gain: float, tmp_path: Path, rng: np.random.Generator
) -> None:
    try:
        from snnmodels.models import create_model
    except ImportError as err:
        pytest.skip(f"snnmodels.models is not importable yet: {err}")
    torch.manual_seed(int(rng.integers(1 << 31)))
    model = lively(create_model(name, **kwargs), gain=gain).eval()
    x = events((8, 2, *shape), rng)
    assert 0.01 < last_spiking_rate(model, x.float()) < 0.99
    _, diff = _compare(model, tmp_path / f"{name}.onnx", shape, x)
    assert diff <= 1e-5


def test_the_check_reports_disagreement(tmp_path: Path) -> None:
    model = nn.Sequential(layers.Linear(3, 3), IFNode())
    with pytest.raises(ExportError, match="onnxruntime disagrees"):
        to_onnx(model, tmp_path / "m.onnx", (3,), atol=-1.0)  # nothing can be that close


def test_modules_with_hidden_state_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="LeakyParallel '0' keeps state"):
        to_onnx(nn.Sequential(LeakyParallel(3, 3)), tmp_path / "m.onnx", (3,))


def test_a_lone_neuron_exports(tmp_path: Path) -> None:
    result = to_onnx(LIFNode(tau=2.0), tmp_path / "lif.onnx", (3,), T=4)
    assert result.neurons == ("0",)
    assert result.max_abs_diff == 0.0


def test_recurrent_zoo_model_is_refused_naming_the_loop(tmp_path: Path) -> None:
    from snnmodels.models import create_model

    with pytest.raises(ExportError, match=r"LinearRecurrent 'features\.2' keeps state between steps"):
        to_onnx(create_model("shd_net", hidden=4), tmp_path / "m.onnx", (1, 700))
    with pytest.raises(ExportError, match=r"decode='max-mem'\) reduces over time"):
        to_onnx(create_model("shd_mlp", hidden=4, readout="max"), tmp_path / "m.onnx", (1, 700))
