"""The training loop: it learns, resumes bit for bit, ignores padding, and matches torchrun's result."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import neurodata as nd
from snnmodels.train import TrainConfig, Trainer, load_checkpoint, mean_over_time
from tests.conftest import REPO
from tests.snnmodels.train.tiny import QuadrantFrames, tiny_net

CFG = TrainConfig(epochs=4, batch_size=8, lr=0.05, optimizer="adam", scheduler="cosine", seed=3)


def test_short_run_lowers_the_loss_and_beats_chance(tmp_path: Path) -> None:
    trainer = Trainer(
        tiny_net(),
        CFG.replace(epochs=6),
        QuadrantFrames(96, seed=1),
        QuadrantFrames(48, seed=2),
        tmp_path,
        collate_fn=nd.pad_sequence_collate,
        num_classes=4,
        progress=False,
    )
    history = trainer.fit()
    assert history[-1].train_loss < history[0].train_loss
    result = trainer.evaluate()
    assert result.top1 > 0.6  # chance is 0.25
    assert result.confusion.sum() == 48
    assert result.confusion.trace() == round(result.top1 * 48)
    assert result.top5 == 1.0  # 4 classes: top-5 always holds the label
    assert (tmp_path / "curve.png").stat().st_size > 1000
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("epoch,train_loss,train_acc,val_loss")
    assert load_checkpoint(tmp_path / "best.pt")["best"] == max(h.val_acc for h in history)


class _Interrupt(Exception):
    pass


class _Breaking(QuadrantFrames):
    """Raises after `limit` items: an interruption in the middle of an epoch."""

    def __init__(self, *a: object, limit: int, **kw: object) -> None:
        super().__init__(*a, **kw)  # type: ignore[arg-type]
        self.limit, self.calls = limit, 0

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        self.calls += 1
        if self.calls > self.limit:
            raise _Interrupt
        return super().__getitem__(i)


def test_resume_after_interruption_is_bit_identical(tmp_path: Path) -> None:
    cfg = CFG.replace(epochs=3)
    full = Trainer(
        tiny_net(dropout=0.2),
        cfg,
        QuadrantFrames(40, seed=1),
        QuadrantFrames(16, seed=2),
        tmp_path / "full",
        collate_fn=nd.pad_sequence_collate,
        progress=False,
    )
    full.fit()
    broken = _Breaking(40, seed=1, limit=40 + 20)  # dies in the middle of epoch 2
    with pytest.raises(_Interrupt):
        Trainer(
            tiny_net(dropout=0.2),
            cfg,
            broken,
            QuadrantFrames(16, seed=2),
            tmp_path / "cut",
            collate_fn=nd.pad_sequence_collate,
            progress=False,
        ).fit()
    assert load_checkpoint(tmp_path / "cut" / "last.pt")["epoch"] == 1
    resumed = Trainer(
        tiny_net(seed=99, dropout=0.2),
        cfg,
        QuadrantFrames(40, seed=1),
        QuadrantFrames(16, seed=2),
        tmp_path / "cut",
        collate_fn=nd.pad_sequence_collate,
        progress=False,
    )
    resumed.fit(resume=True)
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert [h.train_loss for h in resumed.history] == [h.train_loss for h in full.history]


def test_padded_batches_give_the_per_sample_loss() -> None:
    ds = QuadrantFrames(6, seed=4, variable=True, steps=6)
    trainer = Trainer(tiny_net(), CFG, ds, collate_fn=nd.pad_sequence_collate, progress=False)
    x, y, lengths = nd.pad_sequence_collate([ds[i] for i in range(len(ds))])
    assert len(set(lengths.tolist())) > 1
    batch_loss, _ = trainer._loss(trainer._forward(trainer.model, x, lengths), y, lengths)
    singles = []
    for i in range(len(ds)):
        xi = torch.as_tensor(ds[i][0])[None]
        out = trainer._forward(trainer.model, xi, None)
        singles.append(trainer._loss(out, y[i : i + 1], None)[0])
    torch.testing.assert_close(batch_loss, torch.stack(singles).mean())


def test_mean_over_time_ignores_padding() -> None:
    out = torch.tensor([[[1.0], [2.0]], [[3.0], [99.0]]])  # [T=2, B=2, C=1]; sample 1 has one real step
    assert mean_over_time(out, torch.tensor([2, 1])).flatten().tolist() == [2.0, 2.0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_torchrun_two_processes_match_one(tmp_path: Path) -> None:
    script = Path(__file__).with_name("ddp_script.py")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
        str(script),
        str(tmp_path / "ddp"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    single = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "one")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert single.returncode == 0, single.stderr[-3000:]
    a = load_checkpoint(tmp_path / "ddp" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "one" / "last.pt")["model"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
    initial = tiny_net(seed=1).state_dict()
    assert any(not torch.equal(a[k], initial[k]) for k in a)  # training did move the weights


def _linear_net() -> torch.nn.Module:
    """A linear readout of the frames: the test is about the data path, so nothing may be silent."""
    from snnmodels import layers

    torch.manual_seed(0)
    return torch.nn.Sequential(layers.Flatten(), layers.Linear(2 * 34 * 34, 10))


def test_on_the_fly_integration_trains_like_a_frame_cache(tmp_path: Path) -> None:
    from neurodata import NMNIST, synth
    from neurodata.loading import EventsToFrames, pack_events_collate

    synth.make_sample("n-mnist", tmp_path, synth.SampleSize(samples_per_class=2, events_per_sample=500))
    events = NMNIST(tmp_path, train=True, progress=False)
    frames = NMNIST(tmp_path, train=True, data_type="frame", frames_number=5, split_by="number", progress=False)
    cfg = CFG.replace(epochs=2, batch_size=5, optimizer="sgd", momentum=0.0, scheduler="none", lr=0.1)
    on_the_fly = Trainer(_linear_net(), cfg, events, collate_fn=pack_events_collate,
                         batch_fn=EventsToFrames(34, 34, frames_number=5, split_by="number"), progress=False)
    cached = Trainer(_linear_net(), cfg, frames, collate_fn=nd.pad_sequence_collate, progress=False)
    history_a, history_b = on_the_fly.fit(), cached.fit()
    assert history_a[-1].train_loss != history_a[0].train_loss  # it trained
    assert [h.train_loss for h in history_a] == [h.train_loss for h in history_b]
    for a, b in zip(on_the_fly.model.state_dict().values(), cached.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
