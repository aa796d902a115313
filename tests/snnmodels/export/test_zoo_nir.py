"""Zoo models through NIR and back: spike-identical in float64 (average-pooling variants; NIR has no max pool)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels.export import ExportError, avgpool_variant, from_nir, to_nir
from tests.snnmodels.export.nets import events, last_spiking_rate, lively

nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")

CASES = [
    # name, builder arguments, input shape, steps, batch, weight gain (see `lively`)
    ("nmnist_net", {"channels": 8}, (2, 34, 34), 6, 2, 4.0),  # PLIF net: Conv-BN-PLIF, dropout, voting
    ("sew_resnet18", {"num_classes": 10, "in_channels": 2, "cnf": "ADD"}, (2, 32, 32), 4, 2, 2.0),  # SEW ADD joins
    ("spiking_vgg11_bn", {"num_classes": 10, "in_channels": 2}, (2, 32, 32), 3, 1, 2.0),  # VGG-BN, 1x1 -> 7x7 pool
    ("shd_net", {"hidden": 24}, (1, 1, 700), 8, 2, 2.0),  # 1-D spikes, LinearRecurrent (a cycle), LI readout
    ("shd_mlp", {"hidden": [24, 12]}, (1, 700), 8, 2, 2.0),  # [T, N, C, W] frames, two LIF layers, LI readout
]


def _create(name: str, kwargs: dict[str, Any]) -> nn.Module:
    try:
        from snnmodels.models import create_model, list_models
    except ImportError as err:  # the zoo is written beside this package
        pytest.skip(f"snnmodels.models is not importable yet: {err}")
    if name not in list_models():
        pytest.skip(f"zoo model {name!r} is not registered (known: {list_models()})")
    return create_model(name, **kwargs)


@pytest.mark.parametrize(("name", "kwargs", "shape", "T", "N", "gain"), CASES, ids=[c[0] for c in CASES])
def test_zoo_model_round_trips_through_a_nir_file(
    name: str,
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    T: int,
    N: int,
    gain: float,
    tmp_path: Path,
    rng: np.random.Generator,
) -> None:
    torch.manual_seed(int(rng.integers(1 << 31)))  # the builders initialise with torch's global generator
    model = lively(avgpool_variant(_create(name, kwargs)).double(), gain=gain).eval()
    x = events((T, N, *shape), rng)
    with torch.no_grad():
        want = model(x)
    rate = last_spiking_rate(model, x)
    assert 0.01 < rate < 0.99, f"the last spiking layer of {name} fires at rate {rate}: nothing to compare"
    path = tmp_path / f"{name}.nir"
    nir.write(str(path), to_nir(model, shape), compression=None)  # gzip of 10-100 MB of float64 takes seconds
    got = from_nir(path, dtype=torch.float64)(x)
    # spikes must be identical; the readouts after them (voting = Linear of 1/k, logits) may differ by rounding
    # only, far below the 1/k or weight-sized step that one changed spike would cause
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12, msg=lambda m: f"{name} after NIR: {m}")


def test_zoo_max_pooling_is_refused_with_the_way_out() -> None:
    model = _create("nmnist_net", {"channels": 4})
    with pytest.raises(ExportError, match=r"MaxPool2d 'conv_fc\.3' cannot be exported.*average-pooling variant"):
        to_nir(model, (2, 34, 34))


def test_max_over_time_readout_is_refused_with_the_way_out() -> None:
    model = _create("shd_net", {"hidden": 4, "readout": "max"})
    with pytest.raises(ExportError, match=r"NonSpikingLIFNode 'readout' decodes its membrane over time.*decode=None"):
        to_nir(model, (1, 1, 700))
