"""Multi-step layers fold T into the batch; voting; dropout masks per sequence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels import layers
from snnmodels.base import set_step_mode


def _x(rng: np.random.Generator, *shape: int) -> torch.Tensor:
    return torch.from_numpy(rng.normal(size=shape).astype(np.float32))


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        (lambda: layers.Conv2d(2, 3, 3, padding=1), lambda: nn.Conv2d(2, 3, 3, padding=1), (4, 2, 2, 6, 6)),
        (lambda: layers.Conv1d(2, 3, 3), lambda: nn.Conv1d(2, 3, 3), (4, 2, 2, 7)),
        (lambda: layers.MaxPool2d(2), lambda: nn.MaxPool2d(2), (4, 2, 3, 6, 6)),
        (lambda: layers.AvgPool2d(2), lambda: nn.AvgPool2d(2), (4, 2, 3, 6, 6)),
        (lambda: layers.AdaptiveAvgPool2d(1), lambda: nn.AdaptiveAvgPool2d(1), (4, 2, 3, 6, 6)),
        (lambda: layers.BatchNorm2d(3), lambda: nn.BatchNorm2d(3), (4, 2, 3, 5, 5)),
        (lambda: layers.BatchNorm1d(3), lambda: nn.BatchNorm1d(3), (4, 2, 3)),
        (lambda: layers.Linear(5, 3), lambda: nn.Linear(5, 3), (4, 2, 5)),
    ],
)
def test_folded_layers_equal_torch_on_t_times_n(ours, theirs, shape, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    a = ours()
    torch.manual_seed(0)
    b = theirs()
    b.load_state_dict(a.state_dict())
    x = _x(rng, *shape)
    want = b(x.flatten(0, 1))
    got = a(x)
    assert got.shape[:2] == shape[:2]
    torch.testing.assert_close(got.flatten(0, 1), want)
    set_step_mode(a, "s")
    torch.testing.assert_close(a(x[0]), b(x[0]))


def test_flatten_and_voting(rng: np.random.Generator) -> None:
    x = _x(rng, 3, 2, 4, 5, 5)
    assert layers.Flatten()(x).shape == (3, 2, 100)
    assert layers.Flatten(step_mode="s")(x[0]).shape == (2, 100)
    v = torch.arange(12.0).view(1, 1, 12)
    assert layers.VotingLayer(4)(v).tolist() == [[[1.5, 5.5, 9.5]]]
    assert layers.VotingLayer(4, step_mode="s")(v[0]).tolist() == [[1.5, 5.5, 9.5]]
    with pytest.raises(ValueError, match="voting_size"):
        layers.VotingLayer(0)


def test_dropout_one_mask_per_sequence() -> None:
    torch.manual_seed(0)
    d = layers.Dropout(0.5)
    y = d(torch.ones(5, 3, 40))
    assert torch.equal(y, y[0].expand_as(y))  # same mask at every step
    assert set(y.unique().tolist()) == {0.0, 2.0}
    d.eval()
    assert torch.equal(d(torch.ones(5, 3, 40)), torch.ones(5, 3, 40))
    s = layers.Dropout(0.5, step_mode="s")
    a, b = s(torch.ones(3, 40)), s(torch.ones(3, 40))
    assert torch.equal(a, b)
    s.reset()
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        layers.Dropout(1.0)


def test_seq_to_ann_wrapper(rng: np.random.Generator) -> None:
    body = nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU())
    w = layers.SeqToANN(body)
    x = _x(rng, 3, 2, 2, 4, 4)
    torch.testing.assert_close(w(x), body(x.flatten(0, 1)).view(3, 2, 2, 4, 4))
