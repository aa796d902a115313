"""The toolbox on real data (scikit-learn's 8x8 digits), with the experiments of scripts/toolbox_digits.py at the
sizes docs/toolbox.md reports: conversion within 1 point of the ANN, STDP features far above chance, and a
recurrent spiking net above 80% on the digits read row by row."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("sklearn", reason="scikit-learn not installed (the 'dev' extra has it)")

from scripts.toolbox_digits import (
    RecurrentLIF,
    accuracy_vs_T,
    digits,
    sequential,
    stdp_readout,
    train_cnn,
)
from snnmodels.ann2snn import convert

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data() -> tuple[torch.Tensor, ...]:
    torch.set_num_threads(1)
    return digits()


def test_the_split_is_the_bundled_dataset(data: tuple[torch.Tensor, ...]) -> None:
    x_tr, y_tr, _x_te, y_te = data
    assert (len(y_tr), len(y_te)) == (1257, 540)
    assert x_tr.shape[1:] == (8, 8)
    assert float(x_tr.max()) == 1.0
    assert torch.bincount(y_te).tolist() == [54, 55, 53, 55, 54, 55, 54, 54, 52, 54]


def test_converted_cnn_within_one_point_of_the_ann(data: tuple[torch.Tensor, ...]) -> None:
    x_tr, y_tr, x_te, y_te = data
    ann = train_cnn(x_tr, y_tr)
    with torch.no_grad():
        ann_acc = float((ann(x_te.unsqueeze(1)).argmax(1) == y_te).float().mean())
    assert ann_acc > 0.97
    loader = [x_tr[i : i + 128].unsqueeze(1) for i in range(0, len(y_tr), 128)]
    for mode in ("max", "99.9%"):
        acc = accuracy_vs_T(convert(ann, loader, mode), x_te, y_te, 64)
        assert acc.max() >= ann_acc - 0.01, f"mode {mode}: best {acc.max():.4f} vs ANN {ann_acc:.4f}"
        assert acc[0] < acc[-1]  # it is the spikes that carry the answer: one step is not enough


def test_stdp_features_far_above_chance(data: tuple[torch.Tensor, ...]) -> None:
    acc = stdp_readout(*data, learn=True, epochs=1)
    assert acc > 0.7  # chance is 0.1


def test_recurrent_spiking_net_on_sequential_digits(data: tuple[torch.Tensor, ...]) -> None:
    torch.manual_seed(0)
    assert sequential(*data, RecurrentLIF(), epochs=20) > 0.8
