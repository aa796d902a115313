"""Weights: save -> entry with hash and contract -> download (file://, HTTP with resume) -> verified, safe load."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import snnmodels.models._weights as weights_mod
from neurodata.errors import ChecksumError
from neurodata.spec import FrameSpec
from snnmodels import IFNode
from snnmodels.models import (
    WEIGHTS,
    ContractError,
    InputContract,
    Weights,
    WeightsError,
    create_model,
    get_weights,
    list_weights,
    load_state_dict_file,
    register_weights,
    save_weights,
    weights_root,
)
from snnmodels.registry import Registry
from tests.http_server import FileServer

GESTURE_FRAMES = FrameSpec(frames_number=4, split_by="number")
CONTRACT = InputContract(2, 11, (128, 128), T=4, dataset="dvs128-gesture", frame_spec=GESTURE_FRAMES)


@pytest.fixture
def trained(tmp_path: Path) -> tuple[torch.nn.Module, Weights]:
    """A small DVSGestureNet with non-default parameters, saved as weights."""
    torch.manual_seed(1)
    model = create_model("dvsgesture_net", channels=4, init_tau=3.0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    w = save_weights(
        model,
        tmp_path / "export" / "gesture.pth",
        name="dvsgesture_net.test_v1",
        contract=CONTRACT,
        metrics={"acc@1": 12.5},
        license="CC-BY-4.0",
        meta={"split": "official test", "epochs": 0},
    )
    return model, w


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("NEURODATA_HOME", str(root))
    return root / "weights"


def _x(rng: np.random.Generator) -> torch.Tensor:
    return torch.from_numpy(rng.random((2, 1, 2, 128, 128), dtype=np.float32) * 3)


def test_save_produces_an_entry_with_hash_contract_and_manifest(trained: Any, tmp_path: Path) -> None:
    _, w = trained
    path = tmp_path / "export" / "gesture.pth"
    assert w.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert w.urls == (path.resolve().as_uri(),)
    assert w.model == "dvsgesture_net"
    assert w.model_kwargs["channels"] == 4
    assert w.model_kwargs["init_tau"] == 3.0
    assert w.contract == CONTRACT
    assert w.metrics == {"acc@1": 12.5}
    assert w.license == "CC-BY-4.0"
    manifest = path.with_suffix(".json")
    assert Weights.from_json(manifest) == w
    assert json.loads(manifest.read_text())["contract"]["frame_spec"]["frames_number"] == 4


def test_build_with_weights_from_file_url(trained: Any, cache: Path, rng: np.random.Generator) -> None:
    model, w = trained
    loaded = create_model("dvsgesture_net", weights=w)  # channels=4, init_tau=3 come from the weights
    assert loaded.weights is w
    assert loaded.input_contract == CONTRACT
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    x = _x(rng)
    with torch.no_grad():
        assert torch.equal(loaded.eval()(x), model.eval()(x))
    assert (cache / w.file_name).is_file()
    assert w.file_name.startswith("dvsgesture_net.test_v1-")
    assert weights_root() == cache


def test_registered_weights_by_name(trained: Any, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, w = trained
    monkeypatch.setattr(weights_mod, "WEIGHTS", Registry("weights"))  # leave the real registry untouched
    register_weights(w)
    assert get_weights("dvsgesture_net.test_v1") is w
    assert list_weights("dvsgesture_net") == ["dvsgesture_net.test_v1"]
    assert list_weights("sew_7b_net") == []
    assert create_model("dvsgesture_net", weights="dvsgesture_net.test_v1").weights is w
    with pytest.raises(KeyError, match=r"unknown weights 'dvsgesture_net.test_v2'.*did you mean"):
        get_weights("dvsgesture_net.test_v2")
    with pytest.raises(ValueError, match="already registered"):
        register_weights(w)
    # the shipped registry holds no zoo weights (see docs/models.md), only the NIR paper's graph
    assert [n for n in WEIGHTS.names() if WEIGHTS.get(n).format != "nir"] == []
    assert "nir_paper.nmnist_cnn" in WEIGHTS.names()


def test_model_arguments_are_checked_against_the_weights(trained: Any, cache: Path) -> None:
    _, w = trained
    with pytest.raises(WeightsError, match=r"num_classes=10 but the weights were trained with num_classes=11"):
        create_model("dvsgesture_net", weights=w, num_classes=10)
    with pytest.raises(WeightsError, match=r"in_channels=1 but .* in_channels=2"):
        create_model("dvsgesture_net", weights=w, in_channels=1)
    with pytest.raises(WeightsError, match=r"channels=8 but .* channels=4"):
        create_model("dvsgesture_net", weights=w, channels=8)
    with pytest.raises(WeightsError, match=r"are for model 'dvsgesture_net', not 'cifar10dvs_net'"):
        create_model("cifar10dvs_net", weights=w)
    assert create_model("dvsgesture_net", weights=w, num_classes=11, channels=4).num_classes == 11


def test_wrong_sha256_is_refused(trained: Any, cache: Path) -> None:
    _, w = trained
    bad = Weights.from_dict({**w.to_dict(), "sha256": "0" * 64})
    with pytest.raises(ChecksumError, match=r"sha256 expected 0{64}, got [0-9a-f]{64}"):
        bad.get_state_dict()
    assert not (cache / bad.file_name).exists()  # moved aside as .corrupt, never used
    assert (cache / (bad.file_name + ".corrupt")).exists()
    with pytest.raises(ValueError, match="sha256 must be 64 hex digits"):
        Weights.from_dict({**w.to_dict(), "sha256": "abc"})


def test_truncated_http_download_is_resumed(trained: Any, cache: Path, http_server: FileServer, tmp_path: Path) -> None:
    model, w = trained
    data = (tmp_path / "export" / "gesture.pth").read_bytes()
    http_server.files["/w/gesture.pth"] = data
    http_server.faults.drop_after["/w/gesture.pth"] = (len(data) // 3, 1)
    remote = Weights.from_dict({**w.to_dict(), "urls": [f"{http_server.url}/w/gesture.pth"]})
    state = remote.get_state_dict(backoff=0.0)
    assert http_server.requests[0] == ("/w/gesture.pth", None)
    path, resumed = http_server.requests[1]
    assert path == "/w/gesture.pth"
    assert resumed is not None
    assert 0 < int(resumed.removeprefix("bytes=").rstrip("-")) <= len(data) // 3
    for k, v in model.state_dict().items():
        assert torch.equal(state[k], v)
    # a second use hits the verified cache: no request
    n = len(http_server.requests)
    remote.get_state_dict()
    assert len(http_server.requests) == n


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


def test_pickle_that_runs_code_is_refused(tmp_path: Path, cache: Path, trained: Any) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"conv_fc.0.weight": torch.zeros(1), "payload": _Evil(marker)}, path)
    with pytest.raises(WeightsError, match=r"refused to load.*could run code"):
        load_state_dict_file(path)
    assert not marker.exists()
    _, w = trained
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    evil = Weights.from_dict({**w.to_dict(), "sha256": sha, "urls": [path.as_uri()]})
    with pytest.raises(WeightsError, match="refused to load"):
        create_model("dvsgesture_net", weights=evil)
    assert not marker.exists()


def test_non_state_dict_files_are_refused(tmp_path: Path) -> None:
    torch.save({"model": {"w": torch.zeros(1)}, "epoch": 3}, tmp_path / "ckpt.pth")
    with pytest.raises(WeightsError, match=r"expected a flat state dict.*'model', 'epoch'"):
        load_state_dict_file(tmp_path / "ckpt.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(WeightsError, match=r"refused to load|not a readable torch weights file"):
        load_state_dict_file(tmp_path / "junk.pth")


def test_weights_that_do_not_fit_the_architecture(tmp_path: Path, cache: Path, trained: Any) -> None:
    _, w = trained
    other = create_model("dvsgesture_net", channels=4)
    state = {k: v for k, v in other.state_dict().items() if not k.startswith("conv_fc.0.")}
    torch.save(state, tmp_path / "partial.pth")
    sha = hashlib.sha256((tmp_path / "partial.pth").read_bytes()).hexdigest()
    partial = Weights.from_dict({**w.to_dict(), "sha256": sha, "urls": [(tmp_path / "partial.pth").as_uri()]})
    with pytest.raises(WeightsError, match=r"do not fit dvsgesture_net: missing \['conv_fc.0.weight'\]"):
        create_model("dvsgesture_net", weights=partial)
    torch.save({**other.state_dict(), "conv_fc.0.weight": torch.zeros(5, 2, 3, 3)}, tmp_path / "reshaped.pth")
    sha = hashlib.sha256((tmp_path / "reshaped.pth").read_bytes()).hexdigest()
    reshaped = Weights.from_dict({**w.to_dict(), "sha256": sha, "urls": [(tmp_path / "reshaped.pth").as_uri()]})
    with pytest.raises(WeightsError, match=r"conv_fc.0.weight: file \(5, 2, 3, 3\), model \(4, 2, 3, 3\)"):
        create_model("dvsgesture_net", weights=reshaped)


def test_input_contract_mismatch_is_reported(trained: Any, cache: Path) -> None:
    _, w = trained
    model = create_model("dvsgesture_net", weights=w)
    contract = model.input_contract
    contract.check(frame_spec=GESTURE_FRAMES, dataset="dvs128-gesture", T=4)  # the training data: fine
    contract.check_input(torch.zeros(4, 1, 2, 128, 128))
    other = FrameSpec(frames_number=16, split_by="time", orientation="cifar10dvs")
    with pytest.raises(ContractError) as err:
        contract.check(frame_spec=other, dataset="cifar10-dvs", what="weights 'dvsgesture_net.test_v1'")
    text = str(err.value)
    assert "weights 'dvsgesture_net.test_v1'" in text
    assert "dataset: expected 'dvs128-gesture', got 'cifar10-dvs'" in text
    assert "frame_spec.frames_number: expected 4, got 16" in text
    assert "frame_spec.split_by: expected 'number', got 'time'" in text
    assert "frame_spec.orientation: expected 'default', got 'cifar10dvs'" in text
    with pytest.raises(ContractError, match=r"T: expected 4, got 2\n  in_channels: expected 2, got 3"):
        contract.check_input(torch.zeros(2, 1, 3, 128, 128))
    with pytest.raises(ContractError, match=r"input_size: expected \(128, 128\), got \(64, 64\)"):
        contract.check_input(torch.zeros(4, 1, 2, 64, 64))
    static = InputContract(3, 10, (32, 32), T=8, dataset="cifar10")
    with pytest.raises(ContractError, match="expected static images"):
        static.check(frame_spec=GESTURE_FRAMES)


def test_contract_validation() -> None:
    with pytest.raises(ValueError, match=r"T=8 differs from frame_spec.frames_number=4"):
        InputContract(2, 11, (128, 128), T=8, frame_spec=GESTURE_FRAMES)
    with pytest.raises(ValueError, match="classes has 2 names but num_classes=3"):
        InputContract(2, 3, (8, 8), classes=("a", "b"))
    with pytest.raises(ValueError, match=r"in_channels must be a positive integer, got 0"):
        InputContract(0, 3, (8, 8))
    assert InputContract.from_dict(CONTRACT.to_dict()) == CONTRACT


def test_save_checks_the_contract_against_the_model(tmp_path: Path) -> None:
    model = create_model("dvsgesture_net", channels=4)
    with pytest.raises(WeightsError, match=r"contract.num_classes=10 but the model has num_classes=11"):
        save_weights(model, tmp_path / "w.pth", name="x.v1", contract=InputContract(2, 10, (128, 128)))
    with pytest.raises(WeightsError, match="needs model_name="):
        save_weights(torch.nn.Linear(2, 2), tmp_path / "w.pth", name="x.v1", contract=CONTRACT)

    class MyIF(IFNode):
        pass

    custom = create_model("sew_7b_net", spiking_neuron=MyIF)
    assert custom.model_kwargs is None
    contract = InputContract(2, 11, (128, 128))
    with pytest.raises(WeightsError, match=r"no JSON form.*pass model_kwargs="):
        save_weights(custom, tmp_path / "w.pth", name="x.v1", contract=contract)
    w = save_weights(custom, tmp_path / "w.pth", name="x.v1", contract=contract, model_kwargs={"spiking_neuron": "if"})
    assert w.model_kwargs == {"spiking_neuron": "if"}
