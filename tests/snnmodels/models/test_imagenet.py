"""pretrained='imagenet': torchvision ANN state dicts land in the SNN tensor by tensor; stem and head adapted.

No network: the ANN is built by torchvision with random weights (and random BN statistics) and saved locally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor

from snnmodels import ParametricLIFNode
from snnmodels.models import WeightsError, adapt_stem, create_model, fetch_imagenet_state_dict, model_entry

tv_models = pytest.importorskip("torchvision.models")


def _random_ann(arch: str, seed: int = 0) -> dict[str, Tensor]:
    torch.manual_seed(seed)
    ann = tv_models.get_model(arch, weights=None)
    with torch.no_grad():
        for t in ann.state_dict().values():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.1)  # positive: running_var stays valid
            else:
                t.fill_(7)  # num_batches_tracked
    return {k: v.clone() for k, v in ann.state_dict().items()}


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Tensor]]:
    sd = _random_ann("resnet18")
    path = tmp_path_factory.mktemp("ann") / "resnet18.pth"
    torch.save(sd, path)
    return path, sd


@pytest.mark.parametrize("name", ["spiking_resnet18", "sew_resnet18"])
def test_every_ann_tensor_lands_in_the_snn(name: str, resnet18_file: Any) -> None:
    path, ann = resnet18_file
    snn = create_model(name, pretrained="imagenet", ann_state_dict=path)
    state = snn.state_dict()
    for key, value in ann.items():
        assert torch.equal(state[key], value), key
    assert set(snn.ann_transfer.copied) == set(ann)
    assert snn.ann_transfer.adapted == ()
    assert snn.ann_transfer.replaced == ()


def test_stem_and_head_are_adapted(resnet18_file: Any, rng: np.random.Generator) -> None:
    path, ann = resnet18_file
    torch.manual_seed(3)
    snn = create_model("sew_resnet18", pretrained="imagenet", ann_state_dict=path, in_channels=2, num_classes=11)
    state = snn.state_dict()
    assert snn.ann_transfer.adapted == ("conv1.weight",)
    assert snn.ann_transfer.replaced == ("fc.bias", "fc.weight")
    # stem rule: every input channel gets sum(R, G, B kernels) / in_channels
    expected = ann["conv1.weight"].sum(1, keepdim=True).expand(-1, 2, -1, -1) / 2
    torch.testing.assert_close(state["conv1.weight"], expected, rtol=0, atol=0)
    # the head is fresh: right shape, not the ANN's rows
    assert state["fc.weight"].shape == (11, 512)
    assert state["fc.bias"].shape == (11,)
    assert not torch.equal(state["fc.weight"], ann["fc.weight"][:11])
    # everything else is the ANN's
    for key in set(ann) - {"conv1.weight", "fc.weight", "fc.bias"}:
        assert torch.equal(state[key], ann[key]), key
    # the rule's point: a grey input (same value on every channel) gives the ANN's stem response
    grey = torch.from_numpy(rng.random((1, 1, 8, 8), dtype=np.float32))
    ann_out = torch.nn.functional.conv2d(grey.expand(-1, 3, -1, -1), ann["conv1.weight"], stride=2, padding=3)
    snn_out = torch.nn.functional.conv2d(grey.expand(-1, 2, -1, -1), state["conv1.weight"], stride=2, padding=3)
    torch.testing.assert_close(snn_out, ann_out)


def test_adapt_stem_single_channel() -> None:
    w = torch.arange(2 * 3 * 1 * 1, dtype=torch.float64).view(2, 3, 1, 1)
    assert adapt_stem(w, 1).flatten().tolist() == [3.0, 12.0]
    assert torch.equal(adapt_stem(w, 3), w)


def test_vgg_bn_maps_by_index() -> None:
    ann = _random_ann("vgg11_bn")  # in memory: a saved VGG would be 500 MB
    snn = create_model("spiking_vgg11_bn", pretrained="imagenet", ann_state_dict=ann, num_classes=10)
    state = snn.state_dict()
    for key, value in ann.items():
        if not key.startswith("classifier.6."):
            assert torch.equal(state[key], value), key
    assert snn.ann_transfer.replaced == ("classifier.6.bias", "classifier.6.weight")


def test_neuron_parameters_are_snn_only(resnet18_file: Any) -> None:
    path, ann = resnet18_file
    snn = create_model("spiking_resnet18", pretrained="imagenet", ann_state_dict=path, spiking_neuron="plif")
    plif_keys = {f"{n}.w" for n, m in snn.named_modules() if isinstance(m, ParametricLIFNode)}
    assert plif_keys
    assert set(snn.ann_transfer.snn_only) == plif_keys
    assert torch.equal(snn.state_dict()["layer1.0.conv1.weight"], ann["layer1.0.conv1.weight"])


def test_unmapped_and_missing_tensors_are_listed(resnet18_file: Any) -> None:
    _, ann = resnet18_file
    broken = dict(ann)
    del broken["layer2.0.downsample.1.running_var"]
    broken["layer5.0.conv1.weight"] = torch.zeros(1)
    with pytest.raises(WeightsError) as err:
        create_model("spiking_resnet18", pretrained="imagenet", ann_state_dict=broken)
    text = str(err.value)
    assert "ANN tensors with no SNN target: ['layer5.0.conv1.weight']" in text
    assert "SNN tensors with no ANN source: ['layer2.0.downsample.1.running_var']" in text
    wrong_arch = _random_ann("resnet34")
    with pytest.raises(WeightsError, match=r"ANN tensors with no SNN target: \['layer1.2.bn1.bias'"):
        create_model("spiking_resnet18", pretrained="imagenet", ann_state_dict=wrong_arch)


def test_shape_mismatch_outside_stem_and_head_is_an_error(resnet18_file: Any) -> None:
    _, ann = resnet18_file
    broken = {**ann, "layer1.0.conv1.weight": torch.zeros(64, 64, 1, 1)}
    with pytest.raises(WeightsError, match=r"layer1.0.conv1.weight: ANN shape \(64, 64, 1, 1\) != SNN shape"):
        create_model("spiking_resnet18", pretrained="imagenet", ann_state_dict=broken)


def test_fetch_uses_torchvision_url_and_hash(monkeypatch: pytest.MonkeyPatch, resnet18_file: Any) -> None:
    _, ann = resnet18_file
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake_load(url: str, **kw: Any) -> dict[str, Tensor]:
        calls.append((url, kw))
        return ann

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", fake_load)
    snn = create_model("sew_resnet18", pretrained="imagenet")
    url = tv_models.ResNet18_Weights.IMAGENET1K_V1.url
    assert calls == [(url, {"progress": False, "check_hash": True, "weights_only": True})]
    assert torch.equal(snn.state_dict()["fc.weight"], ann["fc.weight"])
    fetch_imagenet_state_dict("resnet50", "IMAGENET1K_V2")
    assert calls[-1][0] == tv_models.ResNet50_Weights.IMAGENET1K_V2.url
    with pytest.raises(ValueError, match=r"one of \['imagenet', 'IMAGENET1K_V1', 'IMAGENET1K_V2'\], got 'imagenet21k'"):
        create_model("sew_resnet18", pretrained="imagenet21k")
    with pytest.raises(ValueError, match=r"no IMAGENET1K_V2 weights for resnet18; choose from \['IMAGENET1K_V1'\]"):
        fetch_imagenet_state_dict("resnet18", "IMAGENET1K_V2")


@pytest.mark.parametrize("name", ["spiking_resnext50_32x4d", "sew_wide_resnet50_2", "spiking_vgg16"])
def test_every_ann_family_maps_completely(name: str) -> None:
    # names and shapes only (meta device): no memory, no values
    arch = model_entry(name).imagenet_arch
    with torch.device("meta"):
        ann = tv_models.get_model(arch, weights=None).state_dict()
        snn = create_model(name)
    ours = {k: v.shape for k, v in snn.state_dict().items()}
    assert {k: v.shape for k, v in ann.items()} == ours
