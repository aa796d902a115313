"""Losses and accuracies: masks for padded batches, documented semantics where snnTorch is broken, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from snnmodels import functional as F
from snnmodels.functional.loss import LOSSES

T, B, C = 9, 4, 6
LENGTHS = [9, 5, 1, 7]

PER_SAMPLE = [  # losses whose reduction='none' output has one row per sample
    ("ce_count_loss", {}),
    ("ce_count_loss", {"population_code": True, "num_classes": 3}),
    ("ce_rate_loss", {}),
    ("ce_rate_loss", {"population_code": True, "num_classes": 2}),
    ("ce_max_membrane_loss", {}),
    ("mse_count_loss", {"correct_rate": 0.8, "incorrect_rate": 0.2}),
    ("mse_count_loss", {"correct_rate": 0.8, "population_code": True, "num_classes": 3}),
    ("mse_membrane_loss", {"on_target": 1.5}),
    ("mse_rate_loss", {}),
    ("mse_rate_loss", {"population_code": True, "num_classes": 3}),
    ("ce_temporal_loss", {}),
    ("mse_temporal_loss", {}),
    ("mse_temporal_loss", {"on_target": 1, "off_target": -2, "tolerance": 1}),
]


def _padded(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.from_numpy((rng.random((T, B, C)) < 0.35).astype(np.float64))
    mask = torch.arange(T)[:, None] < torch.tensor(LENGTHS)[None, :]
    x = x * mask[..., None]  # zero padding, as a collate function leaves it
    return x, mask, torch.from_numpy(rng.integers(0, 2, B))


@pytest.mark.parametrize(("name", "kw"), PER_SAMPLE, ids=[f"{n}-{sorted(k)}" for n, k in PER_SAMPLE])
def test_mask_equals_each_sample_alone(name: str, kw: dict[str, Any], rng: np.random.Generator) -> None:
    x, mask, y = _padded(rng)
    if "membrane" in name:
        x = x + torch.from_numpy(rng.normal(size=x.shape)) * mask[..., None]
    loss = getattr(F, name)(reduction="none", **kw)
    batched = loss(x, y, mask=mask)
    for b, n in enumerate(LENGTHS):
        alone = loss(x[:n, b : b + 1], y[b : b + 1])
        torch.testing.assert_close(batched[b : b + 1], alone, rtol=1e-12, atol=1e-12)


def test_mask_all_true_equals_no_mask(rng: np.random.Generator) -> None:
    x, _, y = _padded(rng)
    full = torch.ones(T, B, dtype=torch.bool)
    for name in LOSSES.names():
        loss = LOSSES.get(name)()
        torch.testing.assert_close(loss(x, y, mask=full), loss(x, y))
    assert F.accuracy_rate(x, y, mask=full) == F.accuracy_rate(x, y)


def test_mse_rate_is_spikingjellys_tutorial_loss_to_the_bit(rng: np.random.Generator) -> None:
    # the classify_dvsg / conv_fashion_mnist tutorials: F.mse_loss(out.mean(0), F.one_hot(y, C).float())
    out = torch.from_numpy(rng.integers(0, 11, (16, 8, 11)) / 10).float()  # voting-layer outputs
    y = torch.from_numpy(rng.integers(0, 11, 8))
    expected = torch.nn.functional.mse_loss(out.mean(0), torch.nn.functional.one_hot(y, 11).float())
    assert F.mse_rate_loss()(out, y).item() == expected.item()
    full = torch.ones(16, 8, dtype=torch.bool)  # what the trainer passes for equal-length batches
    assert F.mse_rate_loss()(out, y, mask=full).item() == expected.item()
    # by hand: one sample, two classes, rates (0.5, 0.25) against label 1
    two = torch.tensor([[[1.0, 0.0]], [[0.0, 0.5]]])
    assert F.mse_rate_loss()(two, torch.tensor([1])).item() == pytest.approx(((0.5 - 0) ** 2 + (0.25 - 1) ** 2) / 2)


def test_mse_temporal_default_targets_label_first_others_last() -> None:
    spk = torch.zeros(4, 1, 2)
    spk[0, 0, 0] = 1.0  # the label's neuron fires at t=0, the other never (counts as the last step, 3)
    assert F.mse_temporal_loss()(spk, torch.tensor([0])).item() == 0.0
    # neuron 1 firing at t=1 is 2 steps early: ((1 - 3) / 4)² averaged over the 2 neurons
    spk[1, 0, 1] = 1.0
    assert F.mse_temporal_loss()(spk, torch.tensor([0])).item() == pytest.approx(0.125)


def test_first_spike_time_and_its_gradient() -> None:
    spk = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]]).view(3, 1, 2).requires_grad_()
    t = F.first_spike_time(spk)
    assert t.tolist() == [[1.0, 2.0]]
    (g,) = torch.autograd.grad(t.sum(), spk)
    assert g.view(3, 2).tolist() == [[0, 0], [-1, 0], [0, -1]]
    assert F.nth_spike_times(spk.detach(), 2).view(2, 2).tolist() == [[1, 2], [2, 2]]


def test_weights_scale_each_sample_by_its_label() -> None:
    spk = torch.zeros(2, 3, 2)
    y = torch.tensor([0, 1, 1])
    w = torch.tensor([1.0, 3.0])
    plain = F.mse_count_loss(reduction="none")(spk, y)
    weighted = F.mse_count_loss(reduction="none", weight=w)(spk, y)
    torch.testing.assert_close(weighted, plain * w[y][:, None])
    assert F.mse_count_loss(weight=w, reduction="sum")(spk, y).dim() == 0


def test_accuracy_with_mask() -> None:
    spk = torch.zeros(3, 2, 2)
    spk[0, :, 0] = 1.0
    spk[1:, :, 1] = 1.0  # neuron 1 wins over all steps, neuron 0 within one step
    mask = torch.tensor([[True, True], [False, True], [False, True]])
    assert F.accuracy_rate(spk, torch.tensor([0, 1]), mask=mask) == 1.0
    assert F.accuracy_rate(spk, torch.tensor([0, 1])) == 0.5
    assert F.accuracy_temporal(spk, torch.tensor([0, 0]), mask=mask) == 1.0


def test_errors_name_the_argument() -> None:
    spk, y = torch.zeros(3, 2, 6), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="reduction"):
        F.ce_count_loss(reduction="avg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="multiple of num_classes"):
        F.ce_count_loss(population_code=True, num_classes=4)(spk, y)
    with pytest.raises(ValueError, match="num_classes must be given"):
        F.ce_count_loss(population_code=True)(spk, y)
    with pytest.raises(ValueError, match="mask must be bool"):
        F.ce_rate_loss()(spk, y, mask=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="correct_rate"):
        F.mse_count_loss(correct_rate=1.5)
    with pytest.raises(ValueError, match="inverse"):
        F.ce_temporal_loss(inverse="log")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="label targets"):
        F.mse_temporal_loss(target_is_time=True, weight=torch.ones(6))
    with pytest.raises(ValueError, match="out of range"):
        F.mse_membrane_loss()(spk, torch.tensor([0, 7]))


def test_state_quant_levels_and_nearest() -> None:
    levels = F.quant_levels(num_bits=2, threshold=1.0, upper_limit=0.5)
    torch.testing.assert_close(levels, torch.tensor([-1.0, -1 / 6, 2 / 3, 1.5]))
    q = F.state_quant(num_bits=2, threshold=1.0, upper_limit=0.5)
    x = torch.tensor([-5.0, -0.4, 0.5, 1.0, 9.0], dtype=torch.float64)
    assert q(x).tolist() == pytest.approx([-1.0, -1 / 6, 2 / 3, 2 / 3, 1.5])
    assert q(x).dtype == torch.float64
    with pytest.raises(ValueError, match="num_bits"):
        F.state_quant(num_bits=0)
