"""The SHD/SSC nets (`shd_net`, `shd_mlp`, `ssc_net`, `ssc_mlp`): layouts, counts, a hand-written reference of the
recurrent net, the head fine-tuning finds, the datasets' class order, and learning on synthetic 1-D spikes.

The NIR round trips are in tests/snnmodels/export/test_zoo_nir.py, ONNX in test_onnx.py, every CLI verb on the
SHD/SSC miniatures in tests/snnmodels/test_cli.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor

from neurodata.datasets import DATASETS
from snnmodels import LIFNode, NonSpikingLIFNode
from snnmodels.models import RecurrentSNN, SpikingMLP, create_model, model_entry
from snnmodels.train import TrainConfig, Trainer
from snnmodels.train.finetune import head_name, num_outputs, replace_head
from tests.snnmodels.export.nets import events, lively

NAMES = ["shd_net", "shd_mlp", "ssc_net", "ssc_mlp"]


@pytest.mark.parametrize("name", NAMES)
def test_every_frame_layout_gives_the_same_output(name: str, rng: np.random.Generator) -> None:
    model = lively(create_model(name, hidden=16).double(), gain=2.0)
    x = events((6, 3, 1, 1, 700), rng)  # [T, N, C, H, W] as the zoo's contract says
    with torch.no_grad():
        y = model(x)
        assert y.shape == (6, 3, model_entry(name).contract.num_classes)
        assert y.abs().sum() > 0
        for layout in (x[:, :, :, 0], x[:, :, 0, 0]):  # [T, N, 1, 700] (a neurodata batch), [T, N, 700]
            assert torch.equal(model(layout), y)


def test_max_readout_is_the_maximum_over_time_of_the_membranes(rng: np.random.Generator) -> None:
    torch.manual_seed(3)
    mean = lively(create_model("shd_net", hidden=16).double(), gain=2.0)
    best = create_model("shd_net", hidden=16, readout="max").double()
    best.load_state_dict(mean.state_dict())  # the readout mode changes no parameter
    x = events((6, 3, 1, 700), rng)
    with torch.no_grad():
        membranes = mean(x)
        assert torch.equal(best(x), membranes.amax(0))  # [N, C]: the trainer takes a 2-D output as the logits


def _reference_rsnn(model: RecurrentSNN, x: Tensor) -> tuple[Tensor, Tensor]:
    """The recurrent net written out: LIF (tau 2, threshold 1, reset to 0) and a leaky integrator, per step."""
    w_in, rc, w_out = model.features[1].weight, model.features[2].rc.weight, model.fc.weight
    h = w_in.shape[0]
    w_x, w_rec = rc[:, :h], rc[:, h:]
    T, N = x.shape[:2]
    s = x.reshape(T, N, -1)
    v, z, u = x.new_zeros(N, h), x.new_zeros(N, h), x.new_zeros(N, w_out.shape[0])
    spikes, out = [], []
    for t in range(T):
        v = v + ((s[t] @ w_in.T) @ w_x.T + z @ w_rec.T - v) / 2.0
        z = (v >= 1.0).to(x.dtype)
        v = v * (1.0 - z)
        u = u + (z @ w_out.T - u) / 2.0
        spikes.append(z)
        out.append(u)
    return torch.stack(out), torch.stack(spikes)


def test_recurrent_net_equals_the_equations_written_out(rng: np.random.Generator) -> None:
    torch.manual_seed(0)
    model = create_model("shd_net", hidden=12).double()
    h = 12
    assert torch.equal(model.features[2].rc.weight[:, :h], torch.eye(h, dtype=torch.float64))  # the papers' net
    with torch.no_grad():
        model.features[1].weight.normal_(0.0, 0.4)
        model.features[2].rc.weight[:, h:].normal_(0.0, 0.6)  # a loop strong enough to matter
        model.fc.weight.normal_(0.0, 0.5)
    x = events((20, 3, 1, 700), rng, p=0.05)
    with torch.no_grad():
        want, spikes = _reference_rsnn(model, x)
        got = model(x)
    assert 0.05 < float(spikes.mean()) < 0.95
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    with torch.no_grad():  # and without the loop the spikes change: the recurrence is used
        model.features[2].rc.weight[:, h:].zero_()
        assert not torch.allclose(model(x), got)


def _count(name: str, **kw: Any) -> int:
    with torch.device("meta"):
        model = create_model(name, spiking_neuron="if", **kw)
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_by_hand() -> None:
    # no biases; a recurrent layer of h has W_in [h, n_in] and LinearRecurrent's rc [h, 2h] (W_x, W_rec)
    assert _count("shd_mlp") == 700 * 128 + 128 * 20 == 92_160
    assert _count("shd_net") == 700 * 128 + 128 * 256 + 128 * 20 == 124_928
    assert _count("ssc_mlp") == 700 * 128 + 128 * 35 == 94_080
    assert _count("ssc_net") == 700 * 128 + 128 * 256 + 128 * 35 == 126_848
    assert _count("shd_mlp", hidden=[64, 32]) == 700 * 64 + 64 * 32 + 32 * 20
    assert _count("shd_net", hidden=[64, 32]) == 700 * 64 + 64 * 128 + 64 * 32 + 32 * 64 + 32 * 20
    assert _count("shd_net", in_channels=2, input_size=(1, 350), num_classes=5, hidden=8) == 700 * 8 + 8 * 16 + 8 * 5


@pytest.mark.parametrize(("name", "dataset"), [("shd_net", "shd"), ("shd_mlp", "shd"), ("ssc_net", "ssc"),
                                               ("ssc_mlp", "ssc")])  # fmt: skip
def test_contract_is_the_datasets(name: str, dataset: str) -> None:
    c, cls = model_entry(name).contract, DATASETS.get(dataset)
    assert c.dataset == dataset
    assert c.classes == tuple(cls.classes)  # label order, as neurodata hands the labels out
    assert (c.in_channels, c.input_size) == (1, (1, cls.sensor.width))
    assert cls.sensor.is_1d
    assert c.frame_spec is not None
    assert c.frame_spec.frames_number == c.T


@pytest.mark.parametrize("name", ["shd_net", "shd_mlp"])
def test_head_is_the_readout_linear_and_can_be_replaced(name: str, rng: np.random.Generator) -> None:
    model = create_model(name, hidden=8)
    assert head_name(model) == "fc"  # not LinearRecurrent's rc, which comes before it
    assert num_outputs(model) == 20
    body = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("fc.")}
    replace_head(model, 5, seed=0)
    assert model.fc.weight.shape == (5, 8)
    assert model.num_classes == 5
    assert model(torch.from_numpy(rng.random((4, 2, 1, 700), dtype=np.float32))).shape == (4, 2, 5)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in body.items())


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match=r"hidden must be a positive integer or a list of them.*got 0"):
        create_model("shd_net", hidden=0)
    with pytest.raises(ValueError, match=r"input_size must be \(H, W\), e.g. \(1, 700\).*got 700"):
        create_model("shd_mlp", input_size=700)
    with pytest.raises(ValueError, match=r"readout must be one of \['mean', 'max'\], got 'sum'"):
        create_model("shd_net", readout="sum")
    with pytest.raises(ValueError, match="tau must be > 1"):
        create_model("shd_net", readout_tau=1.0)


def test_neurons_and_readout() -> None:
    model = create_model("shd_net", hidden=8, tau=3.0)
    lifs = [m for m in model.modules() if isinstance(m, LIFNode)]
    assert len(lifs) == 1
    assert lifs[0].tau == 3.0
    assert lifs[0].step_mode == "s"  # inside the loop, one step per call
    assert isinstance(model.readout, NonSpikingLIFNode)
    assert isinstance(create_model("ssc_mlp"), SpikingMLP)


# --- learning -----------------------------------------------------------------------------------------------------


def _bands(n: int, rng: np.random.Generator, classes: int, T: int = 8) -> list[tuple[Tensor, int]]:
    """Frames [T, 1, 700]: each class fires a band of 60 channels at random times (rate 0.3), 1% noise spikes."""
    y = rng.integers(0, classes, n)
    x = (rng.random((n, T, 1, 700)) < 0.01).astype(np.float32)
    for i, c in enumerate(y):
        band = slice(140 * int(c), 140 * int(c) + 60)
        x[i, :, 0, band] = np.maximum(x[i, :, 0, band], rng.random((T, 60)) < 0.3)
    return [(torch.from_numpy(a), int(b)) for a, b in zip(x, y, strict=True)]


@pytest.mark.parametrize("name", ["shd_mlp", "shd_net"])
def test_learns_which_channels_fire(name: str) -> None:
    rng = np.random.default_rng(0)
    train, test = _bands(100, rng, 5), _bands(100, rng, 5)
    torch.manual_seed(0)
    model = create_model(name, num_classes=5, hidden=16)
    trainer = Trainer(model, TrainConfig(epochs=3, batch_size=20, lr=1e-2, device="cpu"), train, test, None,
                      progress=False)  # fmt: skip
    trainer.fit()
    assert trainer.evaluate().top1 >= 0.8  # chance: 0.2


def test_a_silent_start_names_the_readout_without_calling_it_spiking(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    silent = [(torch.zeros(4, 1, 700), i % 5) for i in range(20)]  # no input spike: nothing reaches the readout
    with caplog.at_level(logging.WARNING, logger="snnmodels.train.loop"):
        Trainer(create_model("shd_mlp", num_classes=5, hidden=4), TrainConfig(epochs=1, batch_size=4, device="cpu"),
                silent, None, None, progress=False).fit()  # fmt: skip
    assert "the output layer 'readout' (NonSpikingLIFNode) stayed at zero (no spike reached it)" in caplog.text
