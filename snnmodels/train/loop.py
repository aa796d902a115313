"""`Trainer`: a plain PyTorch loop for multi-step spiking nets, with exact resume and torchrun support.

Batches are ``(x, y)`` or ``(x, y, lengths)`` with x `[B, T, ...]` (what `neurodata.pad_sequence_collate`
gives); the model sees `[T, B, ...]` and returns `[T, B, C]` (or `[B, C]`). Padding never counts: the default
loss averages each sample's output over its own `lengths` steps, and `snnmodels.functional` losses get the
mask. Neuron state is reset before every batch. The data order of an epoch depends only on (seed, epoch), and
the RNG states travel in the checkpoint, so a resumed run continues bit for bit (on CPU, deterministic mode).
"""

from __future__ import annotations

import csv
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from snnmodels.base import reset_net
from snnmodels.neurons import NonSpikingLIFNode
from snnmodels.train import distributed as dist
from snnmodels.train.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_model_state,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from snnmodels.train.config import TrainConfig
from snnmodels.train.plot import plot_history

__all__ = ["EpochStats", "EvalResult", "Trainer", "mean_over_time", "plot_history", "seed_everything", "time_mask"]

log = logging.getLogger(__name__)
_RESUMABLE = ("model", "optimizer", "scheduler", "scaler", "rng", "epoch", "best", "history")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def time_mask(lengths: Tensor, steps: int) -> Tensor:
    """Bool `[T, B]`: True on each sample's real steps (``t < lengths[b]``)."""
    return torch.arange(steps, device=lengths.device)[:, None] < lengths[None, :]


def mean_over_time(out: Tensor, lengths: Tensor | None) -> Tensor:
    """`[T, B, C]` -> `[B, C]`: the mean over each sample's real steps (all T when `lengths` is None)."""
    if out.dim() == 2:
        return out
    if lengths is None:
        return out.mean(0)
    mask = time_mask(lengths, out.shape[0]).to(out.dtype)
    return (out * mask[..., None]).sum(0) / lengths.clamp(min=1).to(out.dtype)[:, None]


@dataclass
class EpochStats:
    """What one epoch measured."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None = None
    val_acc: float | None = None
    val_top5: float | None = None
    lr: float = 0.0
    seconds: float = 0.0
    backbone_lr: float | None = None  # when the pretrained layers learn at another rate than the head (lr)


@dataclass
class EvalResult:
    """Loss, top-1/top-5 accuracy and the confusion matrix (rows: true class, columns: predicted)."""

    loss: float
    top1: float
    top5: float
    confusion: np.ndarray
    predictions: np.ndarray = field(repr=False)


def _split_batch(batch: Sequence[Any]) -> tuple[Tensor, Tensor, Tensor | None]:
    if len(batch) == 3:
        x, y, lengths = batch
        return torch.as_tensor(x), torch.as_tensor(y), torch.as_tensor(lengths)
    x, y = batch
    return torch.as_tensor(x), torch.as_tensor(y), None


class Trainer:
    """Train and evaluate `model` on map-style datasets.

    Args:
        model: multi-step network, `[T, B, ...]` -> `[T, B, C]`.
        config: the recipe.
        train_set / val_set: datasets of ``(frames [T, ...], label)``.
        out_dir: where ``last.pt``, ``best.pt``, ``log.csv`` and ``curve.png`` go (None: nothing is written).
        collate_fn: batches samples (e.g. `neurodata.pad_sequence_collate` for variable lengths).
        batch_fn: ``batch_fn(batch, device) -> (x [B, T, ...], y, lengths)`` run on each collated batch before
            the model (e.g. `neurodata.loading.EventsToFrames` to integrate events on the GPU).
        num_classes: for the confusion matrix (default: the model's output width).
        progress: tqdm bars.
        meta: extra entries saved in every checkpoint (e.g. how to rebuild the model, the frame contract).
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        train_set: Dataset,
        val_set: Dataset | None = None,
        out_dir: str | Path | None = None,
        *,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        batch_fn: Callable[[Any, torch.device], Sequence[Any]] | None = None,
        num_classes: int | None = None,
        progress: bool = True,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.collate_fn = collate_fn
        self.batch_fn = batch_fn
        self.num_classes = num_classes
        self.progress = progress
        self.meta = dict(meta or {})
        self.ctx = dist.context()
        self.device = torch.device(_pick_device(config.device, self.ctx.local_rank))
        seed_everything(config.seed)
        self.model = model.to(self.device)
        if config.freeze_backbone:
            for name, p in self.model.named_parameters():
                p.requires_grad_(in_head(name, config.head_prefix))
        if self.ctx.world_size > 1 and config.sync_bn:
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        self.train_set, self.val_set = train_set, val_set
        if config.batch_size % self.ctx.world_size:
            raise ValueError(f"batch_size {config.batch_size} must be divisible by the {self.ctx.world_size} processes")
        self.sampler = DistributedSampler(
            train_set,
            num_replicas=self.ctx.world_size,
            rank=self.ctx.rank,
            shuffle=True,
            seed=config.seed,
            drop_last=False,
        )
        self.loader = DataLoader(
            train_set,
            batch_size=config.batch_size // self.ctx.world_size,
            sampler=self.sampler,
            num_workers=config.num_workers,
            collate_fn=collate_fn,
        )
        self.net = dist.wrap(self.model, self.ctx, self.device)
        self.optimizer = _optimizer(self.model, config)
        self.scheduler = _scheduler(self.optimizer, config)
        self.scaler = torch.amp.GradScaler("cuda", enabled=config.amp == "fp16" and self.device.type == "cuda")
        self.loss_fn = _loss(config)
        self.epoch = 0  # epochs completed
        self.best: float = -math.inf
        self.history: list[EpochStats] = []
        self._watch = _OutputWatch(self.model, WATCH_STEPS)

    # ------------------------------------------------------------------ steps

    def _autocast(self) -> Any:
        if self.device.type != "cuda" or self.config.amp == "none":
            return torch.autocast("cpu", enabled=False)
        return torch.autocast("cuda", dtype=torch.float16 if self.config.amp == "fp16" else torch.bfloat16)

    def _forward(self, net: nn.Module, x: Tensor, lengths: Tensor | None) -> Tensor:
        reset_net(net)
        x = x.to(self.device, non_blocking=True).float().transpose(0, 1)  # [B, T, ...] -> [T, B, ...]
        with self._autocast():
            return net(x)

    def _loss(self, out: Tensor, y: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor]:
        out = out.float()
        if isinstance(self.loss_fn, str):
            logits = mean_over_time(out, lengths)
            return F.cross_entropy(logits, y, label_smoothing=self.config.label_smoothing), logits
        mask = None if lengths is None or out.dim() == 2 else time_mask(lengths, out.shape[0])
        return self.loss_fn(out, y, mask), mean_over_time(out, lengths)

    def train_epoch(self) -> tuple[float, float]:
        """One pass over the training set; returns (mean loss, accuracy) on this process's share."""
        self.net.train()
        self.sampler.set_epoch(self.epoch)
        total, correct, loss_sum = 0, 0, 0.0
        # an iterator, not the loader: tqdm.auto's bar calls iter() on an iterable when it is built and again when
        # it is iterated, which made every epoch start its loader (and its worker processes) twice and draw the
        # torch seed of an unused iterator, so dropout masks depended on the progress bar
        bar = tqdm(
            iter(self.loader),
            total=len(self.loader),
            desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
            leave=False,
            disable=not (self.progress and self.ctx.is_main),
        )
        for batch in bar:
            x, y, lengths = _split_batch(batch if self.batch_fn is None else self.batch_fn(batch, self.device))
            y = y.to(self.device)
            lengths = None if lengths is None else lengths.to(self.device)
            out = self._forward(self.net, x, lengths)
            self._watch.see(out, lengths)
            loss, logits = self._loss(out, y, lengths)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if self.config.grad_clip > 0:
                self.scaler.unscale_(self.optimizer)
                nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            n = len(y)
            total += n
            loss_sum += float(loss.detach()) * n
            correct += int((logits.argmax(1) == y).sum())
            bar.set_postfix(loss=f"{loss_sum / total:.4f}", acc=f"{correct / total:.3f}")
        self._watch.finish()
        return loss_sum / max(total, 1), correct / max(total, 1)

    @torch.no_grad()
    def evaluate(self, dataset: Dataset | None = None) -> EvalResult:
        """Loss, top-1/top-5 and confusion matrix of the unwrapped model on `dataset` (default: val_set)."""
        dataset = dataset if dataset is not None else self.val_set
        if dataset is None:
            raise ValueError("evaluate needs a dataset: pass one or give the Trainer a val_set")
        if hasattr(dataset, "__len__") and len(dataset) == 0:
            raise ValueError("evaluate: the dataset is empty (0 samples); check its split")
        self.model.eval()
        loader = DataLoader(
            dataset,
            batch_size=self.config.batch_size,
            shuffle=False,
            num_workers=self.config.num_workers,
            collate_fn=self.collate_fn,
        )
        losses, preds, targets, top5 = [], [], [], 0
        for batch in loader:
            x, y, lengths = _split_batch(batch if self.batch_fn is None else self.batch_fn(batch, self.device))
            y = y.to(self.device)
            lengths = None if lengths is None else lengths.to(self.device)
            out = self._forward(self.model, x, lengths)
            loss, logits = self._loss(out, y, lengths)
            losses.append(float(loss) * len(y))
            preds.append(logits.argmax(1).cpu())
            targets.append(y.cpu())
            k = min(5, logits.shape[1])
            top5 += int((logits.topk(k, 1).indices == y[:, None]).any(1).sum())
        p, t = torch.cat(preds).numpy(), torch.cat(targets).numpy()
        c = self.num_classes or int(max(p.max(initial=0), t.max(initial=0)) + 1)
        confusion = np.zeros((c, c), dtype=np.int64)
        np.add.at(confusion, (t, p), 1)
        n = max(len(t), 1)
        return EvalResult(sum(losses) / n, float((p == t).mean()) if len(t) else 0.0, top5 / n, confusion, p)

    # ------------------------------------------------------------------ the run

    def fit(self, resume: bool = False) -> list[EpochStats]:
        """Train for `config.epochs` (continuing from ``out_dir/last.pt`` with `resume`); return the history."""
        if hasattr(self.train_set, "__len__") and len(self.train_set) == 0:
            raise ValueError("the training set is empty (0 samples); check the dataset's split")
        if resume:
            self.load(self._ckpt("last"))
            self._continue_schedule()
        previous = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(self.config.deterministic)
        try:
            while self.epoch < self.config.epochs:
                start = time.perf_counter()
                train_loss, train_acc = self.train_epoch()
                lr, backbone_lr = self._learning_rates()
                self.scheduler.step()
                self.epoch += 1
                stats = EpochStats(self.epoch, train_loss, train_acc, lr=lr, backbone_lr=backbone_lr)
                if self.val_set is not None and self.ctx.is_main:
                    ev = self.evaluate()
                    stats.val_loss, stats.val_acc, stats.val_top5 = ev.loss, ev.top1, ev.top5
                stats.seconds = time.perf_counter() - start
                self.history.append(stats)
                self._log(stats)
                self._save(stats)
                dist.barrier(self.ctx)
        finally:
            torch.use_deterministic_algorithms(previous)
        return self.history

    def _log(self, s: EpochStats) -> None:
        if not self.ctx.is_main:
            return
        val = f", val loss {s.val_loss:.4f} acc {s.val_acc:.3f}" if s.val_loss is not None else ""
        rates = f"lr {s.lr:.2e}" if s.backbone_lr is None else f"lr head {s.lr:.2e}, backbone {s.backbone_lr:.2e}"
        log.info(
            "epoch %d/%d: train loss %.4f acc %.3f%s (%s, %.1f s)",
            s.epoch,
            self.config.epochs,
            s.train_loss,
            s.train_acc,
            val,
            rates,
            s.seconds,
        )
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / "log.csv"
        row = {k: ("" if v is None else v) for k, v in vars(s).items()}
        new = not path.exists() or s.epoch == 1
        with path.open("w" if new else "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        _tensorboard(self.out_dir, s)
        net = self.meta.get("model") or self.meta.get("nir_source") or type(self.model).__name__
        what = f"{net} on {self.meta['dataset']}" if self.meta.get("dataset") else str(net)
        plot_history(self.history, self.out_dir / "curve.png", title=f"{self.out_dir.name}: {what}" if what else
                     self.out_dir.name)

    def _learning_rates(self) -> tuple[float, float | None]:
        """(head lr, backbone lr or None): the rates of this epoch; the backbone's only when it differs."""
        rates = [float(g["lr"]) for g in self.optimizer.param_groups]
        if len(rates) == 2 and not math.isclose(rates[0], rates[1]):
            return rates[1], rates[0]  # `_optimizer` puts the backbone group first
        return rates[-1], None

    def _continue_schedule(self) -> None:
        """After `load`: the learning rate of the next epoch under this config's schedule.

        The optimizer's saved rate is the one set after the last saved epoch, for the saved total of epochs; a
        resumed run with more epochs continues the schedule stretched to the new total instead (a cosine that had
        reached 0 at the old end goes on from its value at this epoch of the longer run). With the same config this
        is the rate the scheduler had set, bit for bit.
        """
        for group, base, factor in zip(
            self.optimizer.param_groups, self.scheduler.base_lrs, self.scheduler.lr_lambdas, strict=True
        ):
            group["lr"] = base * factor(self.epoch)
        self.scheduler._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]  # type: ignore[attr-defined]

    def _ckpt(self, which: str) -> Path:
        if self.out_dir is None:
            raise ValueError("checkpoints need an out_dir")
        return self.out_dir / f"{which}.pt"

    def state(self) -> dict[str, Any]:
        """Everything `load` needs to continue exactly."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": rng_state(),
            "epoch": self.epoch,
            "best": self.best,
            "history": [vars(s) for s in self.history],
            "config": self.config.to_dict(),
            "meta": self.meta,
        }

    def _save(self, s: EpochStats) -> None:
        if not self.ctx.is_main or self.out_dir is None:
            return
        state = self.state()
        save_checkpoint(self._ckpt("last"), state)
        metric = s.val_acc if s.val_acc is not None else s.train_acc
        if metric > self.best:
            self.best = metric
            state["best"] = metric
            save_checkpoint(self._ckpt("best"), state)

    def load(self, path: str | Path) -> None:
        """Restore a checkpoint written by this class (model, optimizer, scheduler, scaler, RNG, epoch)."""
        ckpt = load_checkpoint(path, map_location=self.device, require=_RESUMABLE)
        load_model_state(self.model, ckpt["model"], path)
        try:
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.scheduler.load_state_dict(ckpt["scheduler"])
            self.scaler.load_state_dict(ckpt["scaler"])
            set_rng_state(ckpt["rng"])
            self.epoch, self.best = int(ckpt["epoch"]), float(ckpt["best"])
            self.history = [EpochStats(**h) for h in ckpt["history"]]
        except (ValueError, KeyError, TypeError, RuntimeError, IndexError) as err:
            raise CheckpointError(
                f"checkpoint {path} cannot resume this run: its optimizer, scheduler, RNG or history state does "
                f"not fit ({type(err).__name__}: {' '.join(str(err).split())[:200]}); resume with the config it "
                "was written with, or start a new run"
            ) from None
        log.info("resumed from %s after epoch %d", path, self.epoch)


def _pick_device(name: str, local_rank: int) -> str:
    if name == "auto":
        return f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"TrainConfig.device={name!r}, but torch finds no CUDA device here; use device='auto' (CUDA when "
            "present) or 'cpu'"
        )
    return name


def in_head(name: str, prefix: str) -> bool:
    """Whether parameter `name` belongs to the module `prefix` (``'nodes.1'`` holds ``'nodes.1.weight'``, not
    ``'nodes.11.weight'``)."""
    return not prefix or name == prefix or name.startswith(prefix + ".")


# the first steps of a run are watched: an output layer that never spikes (or always does) cannot learn
WATCH_STEPS = 3


class _OutputWatch:
    """Logs a warning when the model's output stays all zero (or all one) over the first `steps` training steps
    (or the whole first epoch, when it has fewer)."""

    def __init__(self, model: nn.Module, steps: int) -> None:
        self.model, self.steps = model, steps
        self.seen = 0
        self.done = False
        self.any_nonzero = self.any_below_one = False
        self.binary = True

    def see(self, out: Tensor, lengths: Tensor | None) -> None:
        if self.done:
            return
        o = out.detach()
        if lengths is not None and o.dim() == 3:
            o = o[time_mask(lengths, o.shape[0])]  # real steps only: padding is zero by construction
        self.binary &= bool(((o == 0) | (o == 1)).all())
        self.any_nonzero |= bool((o != 0).any())
        self.any_below_one |= bool((o != 1).any())
        self.seen += 1
        if self.seen >= self.steps:
            self.finish()

    def finish(self) -> None:
        """Report now (at the latest at the end of the first epoch)."""
        if self.done or not self.seen:
            return
        self.done = True
        if self.binary and not (self.any_nonzero and self.any_below_one):
            what = "never spiked" if not self.any_nonzero else "spiked at every step for every class"
            if not self.any_nonzero and isinstance(_last_leaf(self.model), NonSpikingLIFNode):
                what = "stayed at zero (no spike reached it)"  # a leaky-integrator readout cannot spike itself
            log.warning(
                "the output layer %s %s in the first %d training steps: the loss sits at chance level until it "
                "does, and only surrogate gradients can change that. If the loss does not fall, try: a larger input "
                "(frames of counts, not 0/1), a lower threshold or a larger learning rate; for an imported NIR "
                "graph, the dt it was made for (from_nir(dt=...), `--dt`; Sinabs graphs need dt=1)",
                output_layer_name(self.model),
                what,
                self.seen,
            )


def _last_leaf(model: nn.Module) -> nn.Module | None:
    leaves = [m for n, m in model.named_modules() if n and not any(True for _ in m.children())]
    return leaves[-1] if leaves else None


def output_layer_name(model: nn.Module) -> str:
    """The layer whose output the model returns: the node before a NIR graph's Output, else the last leaf module."""
    if type(model).__name__ == "NIRNetwork" and getattr(model, "outputs", None):
        pred = model.preds[model.outputs[0]]  # type: ignore[attr-defined, index]
        if pred:
            node = model.nodes[pred[0]]  # type: ignore[index]
            return f"{model.names[pred[0]]!r} ({type(node).__name__})"  # type: ignore[attr-defined, index]
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(True for _ in m.children())]
    if not leaves:
        return type(model).__name__
    name, m = leaves[-1]
    return f"{name!r} ({type(m).__name__})"


def _optimizer(model: nn.Module, c: TrainConfig) -> torch.optim.Optimizer:
    head = [p for n, p in model.named_parameters() if p.requires_grad and in_head(n, c.head_prefix)]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not in_head(n, c.head_prefix)]
    groups = [
        g for g in ({"params": body, "lr": c.lr * c.backbone_lr_scale}, {"params": head, "lr": c.lr}) if g["params"]
    ]
    if not groups:
        raise ValueError("no trainable parameters (is freeze_backbone set with a head_prefix that matches nothing?)")
    if c.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
    if c.optimizer == "adam":
        return torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay)
    return torch.optim.AdamW(groups, lr=c.lr, weight_decay=c.weight_decay)


def _scheduler(opt: torch.optim.Optimizer, c: TrainConfig) -> torch.optim.lr_scheduler.LRScheduler:
    warm = c.warmup_epochs

    def factor(epoch: int) -> float:
        if epoch < warm:
            return 0.01 + 0.99 * epoch / warm
        e = epoch - warm
        if c.scheduler == "cosine":
            return 0.5 * (1 + math.cos(math.pi * e / max(c.epochs - warm, 1)))
        if c.scheduler == "step":
            return c.gamma ** (e // c.step_size)
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _loss(c: TrainConfig) -> Any:
    if c.loss == "ce":
        return "ce"
    from snnmodels.functional import LOSSES

    return LOSSES.get(c.loss)()


def _tensorboard(out_dir: Path, s: EpochStats) -> None:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return
    with SummaryWriter(str(out_dir / "tensorboard")) as w:
        for k, v in vars(s).items():
            if isinstance(v, float):
                w.add_scalar(k, v, s.epoch)
