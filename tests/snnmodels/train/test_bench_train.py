"""The whole training loop against SpikingJelly's: same archive, weights and data order give the same losses and
the same trained weights, to the bit (scripts/bench_train.py's fidelity check, on a tiny configuration; not timed)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from tests.peers import spikingjelly_datasets

REPO = Path(__file__).resolve().parents[3]

TINY = {
    "T": 4,
    "batch": 4,
    "channels": 4,
    "recordings": 1,  # 12 training samples: 3 batches an epoch
    "events": 2_000,
    "epochs": 2,
    "duration_us": 1_500_000,
    "lr": 1e-3,
    "seed": 0,
    "workers": 0,
    "sj_workers": 0,
    "device": "cpu",
    "init_gain": 5.0,  # so that the output layer fires from the first step and the loss is not a constant
}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_train", REPO / "scripts" / "bench_train.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.peers
@pytest.mark.slow
def test_training_loop_matches_spikingjellys_to_the_bit(tmp_path: Path) -> None:
    spikingjelly_datasets()  # skips with the reason when SpikingJelly or torchvision is missing
    bt = _bench()
    cfg: dict[str, Any] = dict(TINY)
    bt.setup(tmp_path, cfg)
    state = torch.load(tmp_path / "init.pt", weights_only=True)
    ours_keys = bt.sample_keys(bt.our_dataset(tmp_path / "ours", cfg["T"]))
    sj_keys = bt.sample_keys(bt.sj_dataset(tmp_path / "sj", cfg["T"]))
    bt.align(tmp_path, cfg, ours_keys, sj_keys)
    # SpikingJelly's DatasetFolder numbers class folders as strings: '10' (other gestures) is its label 2
    assert cfg["table"] == [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 2]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pin_memory.*")  # SpikingJelly's loader pins; no GPU here
        sj_epochs, sj_final = bt.train_spikingjelly(tmp_path / "sj", cfg, state, cfg["sj_orders"])
    ours_epochs, ours_final = bt.train_ours(tmp_path / "ours", cfg, state, cfg["table"])

    sj_losses = [e["loss"] for e in sj_epochs]
    assert [e["loss"] for e in ours_epochs] == sj_losses
    assert [e["acc"] for e in ours_epochs] == [e["acc"] for e in sj_epochs]
    assert all(abs(v - 1 / 11) > 1e-3 for v in sj_losses), "the output layer must fire for the check to mean much"
    assert sj_losses[0] != sj_losses[1]
    diff, _ = bt.weight_difference(ours_final, sj_final)
    assert diff == 0.0
    moved, _ = bt.weight_difference(ours_final, state)
    assert moved > 1e-4  # and training did change them


def test_sample_matching_and_label_table() -> None:
    bt = _bench()
    ours = [("a", 0), ("b", 10), ("c", 2)]
    sj = [("c", 3), ("a", 0), ("b", 2)]
    index, table = bt.match(ours, sj)
    assert index == [1, 2, 0]
    assert table[:3] == [0, 1, 3]
    assert table[10] == 2
    with pytest.raises(ValueError, match="frames SpikingJelly's dataset does not"):
        bt.match([("z", 0), ("a", 0), ("b", 2)], sj)
    orders = bt.our_epoch_orders(12, seed=0, epochs=2)
    assert sorted(orders[0]) == list(range(12))
    assert orders[0] != orders[1]


def test_an_epoch_starts_its_loader_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # tqdm.auto's bar used to call iter() on the DataLoader when built and again when iterated: two loader
    # iterators (and worker start-ups) per epoch, and an extra draw from torch's generator that shifted dropout
    from snnmodels.train import TrainConfig, Trainer

    starts = []
    real_iter = torch.utils.data.DataLoader.__iter__

    def counting_iter(self: torch.utils.data.DataLoader) -> Any:
        starts.append(1)
        return real_iter(self)

    monkeypatch.setattr(torch.utils.data.DataLoader, "__iter__", counting_iter)
    data = [(torch.rand(3, 4), i % 2) for i in range(8)]
    net = torch.nn.Sequential(torch.nn.Linear(4, 2))
    trainer = Trainer(net, TrainConfig(epochs=2, batch_size=4, device="cpu"), data, progress=True)
    trainer.fit()
    assert len(starts) == 2
