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


def test_resume_with_more_epochs_continues_the_schedule(tmp_path: Path) -> None:
    """A cosine run of 2 epochs, resumed to 4: the next epochs run at the 4-epoch schedule's rates, never at 0."""
    cfg = CFG.replace(epochs=2, lr=0.01)
    Trainer(tiny_net(), cfg, QuadrantFrames(16, seed=1), None, tmp_path, progress=False).fit()
    longer = Trainer(tiny_net(), cfg.replace(epochs=4), QuadrantFrames(16, seed=1), None, tmp_path, progress=False)
    history = longer.fit(resume=True)
    rates = [h.lr for h in history]
    expect = [0.01 * 0.5 * (1 + np.cos(np.pi * e / 2)) for e in (0, 1)]  # the first run's own schedule
    expect += [0.01 * 0.5 * (1 + np.cos(np.pi * e / 4)) for e in (2, 3)]  # then the stretched one: 0.005, 0.00146
    np.testing.assert_allclose(rates, expect, rtol=1e-12)
    assert min(rates) > 0


def test_the_log_states_both_learning_rates_when_they_differ(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    cfg = CFG.replace(epochs=1, lr=0.02, backbone_lr_scale=0.1, head_prefix="4")  # module 4: the Linear
    with caplog.at_level(logging.INFO, logger="snnmodels.train.loop"):
        history = Trainer(tiny_net(), cfg, QuadrantFrames(16, seed=1), None, None, progress=False).fit()
    assert (history[0].lr, history[0].backbone_lr) == (0.02, pytest.approx(0.002))
    assert "lr head 2.00e-02, backbone 2.00e-03" in caplog.text
    with caplog.at_level(logging.INFO, logger="snnmodels.train.loop"):
        history = Trainer(tiny_net(), cfg.replace(backbone_lr_scale=1.0), QuadrantFrames(16, seed=1), None, None,
                          progress=False).fit()
    assert history[0].backbone_lr is None


def test_head_prefix_is_a_module_name_not_a_string_prefix() -> None:
    from snnmodels.train.loop import in_head

    assert in_head("nodes.1.weight", "nodes.1")
    assert in_head("nodes.1", "nodes.1")
    assert not in_head("nodes.11.weight", "nodes.1")
    net = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(12)])
    trainer = Trainer(net, CFG.replace(freeze_backbone=True, head_prefix="1"), QuadrantFrames(4), None, None,
                      progress=False)
    assert {n for n, p in trainer.model.named_parameters() if p.requires_grad} == {"1.weight", "1.bias"}


def _lively() -> torch.nn.Module:
    """Linear -> LIF whose weights are large enough for the output to spike from the first step."""
    from snnmodels import layers
    from snnmodels.neurons import LIFNode

    torch.manual_seed(0)
    linear = layers.Linear(2 * 8 * 8, 4)
    torch.nn.init.normal_(linear.weight, 0.0, 1.0)
    return torch.nn.Sequential(layers.Flatten(), linear, LIFNode(tau=2.0))


class _Silent(torch.nn.Module):
    """A net whose output layer never fires: its input is scaled to nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.net = tiny_net()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 0.0)


def test_a_silent_output_layer_is_named_with_what_to_try(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="snnmodels.train.loop"):
        Trainer(_Silent(), CFG.replace(epochs=1), QuadrantFrames(32, seed=1), None, None, progress=False).fit()
    last = [n for n, m in tiny_net().named_modules() if n and not list(m.children())][-1]
    assert f"the output layer 'net.{last}' (LIFNode) never spiked in the first 3 training steps" in caplog.text
    assert "lower threshold" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="snnmodels.train.loop"):
        Trainer(_lively(), CFG.replace(epochs=1), QuadrantFrames(32, seed=1), None, None, progress=False).fit()
    assert "output layer" not in caplog.text


def test_cuda_without_a_gpu_and_empty_sets_are_clear_errors() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(ValueError, match=r"device='cuda', but torch finds no CUDA device here; use device='auto'"):
        Trainer(tiny_net(), CFG.replace(device="cuda"), QuadrantFrames(4), None, None, progress=False)
    trainer = Trainer(tiny_net(), CFG, QuadrantFrames(4), QuadrantFrames(0), None, progress=False)
    with pytest.raises(ValueError, match=r"evaluate: the dataset is empty \(0 samples\)"):
        trainer.evaluate()
    with pytest.raises(ValueError, match=r"the training set is empty"):
        Trainer(tiny_net(), CFG, QuadrantFrames(0), None, None, progress=False).fit()


def test_the_curve_has_a_title_whole_epochs_and_room_at_0_and_1(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from snnmodels.train import EpochStats
    from snnmodels.train.plot import history_figure

    history = [EpochStats(e, 2.0 / e, min(1.0, 0.4 * e), 2.2 / e, min(1.0, 0.45 * e)) for e in range(1, 4)]
    fig = history_figure(history, title="run: nmnist_net on n-mnist")
    try:
        loss, acc = fig.axes
        assert fig._suptitle.get_text() == "run: nmnist_net on n-mnist"
        for ax in (loss, acc):
            ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            assert ticks
            assert all(float(t).is_integer() for t in ticks), ticks
        low, high = acc.get_ylim()
        assert low < 0  # accuracy 0 and 1 stay off the frame
        assert high > 1
        assert [line.get_label() for line in acc.get_lines()] == ["train", "val"]
    finally:
        plt.close(fig)
    trainer = Trainer(tiny_net(), CFG.replace(epochs=1), QuadrantFrames(8), QuadrantFrames(8), tmp_path / "r",
                      progress=False, meta={"model": "tiny", "dataset": "quadrants"})
    trainer.fit()
    assert (tmp_path / "r" / "curve.png").stat().st_size > 1000
