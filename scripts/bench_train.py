"""The main job end to end: SpikingJelly's DVS128 Gesture training script against ours, on the same data.

    python scripts/bench_train.py            # T=16, batch 8, 16 channels, 4 recordings per split (48 train samples)
    python scripts/bench_train.py --quick    # a smoke run (T=4, batch 4, 4 channels, 1 recording per split)

Both sides train `DVSGestureNet` (5 x conv3x3-BN-LIF-maxpool, FC 512, FC 110, voting to 11; LIF tau=2 with the
ATan surrogate and detached reset, as SpikingJelly's ``activation_based.examples.classify_dvsg``) with Adam
(lr 1e-3), cosine annealing over the epochs run and the MSE of the firing rate against the one-hot label, on
frames of a miniature DVS128 Gesture archive written by `neurodata.synth` (``frames_number=T``,
``split_by='number'``):

- SpikingJelly 2.0.0: its `DVS128Gesture`, a `DataLoader` as its script builds it (``drop_last=True``,
  ``pin_memory=True``, ``--sj-workers`` processes), ``parametric_lif_net.DVSGestureNet`` in multi-step mode and
  its script's loop (``zero_grad``, ``net(frame.transpose(0, 1)).mean(0)``, ``F.mse_loss``, ``reset_net``);
- ours: `neurodata.datasets.DVS128Gesture`, `snnmodels.models.dvsgesture_net` and `snnmodels.train.Trainer`
  (``loss='mse_rate'``, `neurodata.pad_sequence_collate`, ``--workers`` processes).

Same initial weights (our state dict is loaded into SpikingJelly's net), same data order: SpikingJelly's loader
gets a sampler that visits the samples in the order our trainer's does (matched by content, since the two
datasets number samples differently), and our labels are renumbered to SpikingJelly's (its DatasetFolder sorts
class folders as strings, so class '10' is label 2). Both seed torch the same way before the first epoch, so
the dropout masks agree too. With all that equal, the training loss after each epoch must agree to float
tolerance: the fidelity check of the whole loop. Nothing else of SpikingJelly's is changed.

Each implementation prepares its cache in one process and trains in a fresh one (epoch 1 is cold: the cache
on disk, nothing read yet; epoch 2 is warm). Peak memory is that process's peak resident set (VmHWM; the
memory of SpikingJelly's loader workers comes on top and is not counted), and, from one more process per side
running one epoch under tracemalloc with the data loaded in that process, the peak of numpy and Python
allocations: the data pipeline's memory (torch's tensors, ours recycled activations included, are invisible
to tracemalloc; on CUDA, torch's allocator peak is reported too).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
import types
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neurodata import synth

NUM_CLASSES = 11
FULL = {"T": 16, "batch": 8, "channels": 16, "recordings": 4, "events": 60_000, "epochs": 2}
QUICK = {"T": 4, "batch": 4, "channels": 4, "recordings": 1, "events": 4_000, "epochs": 2}


# --------------------------------------------------------------------------------------------------------------
# the two datasets


def _quiet_spikingjelly() -> None:
    """Import what SpikingJelly's datasets package needs (torchaudio stubbed: it serves one audio set only)."""
    if "torchaudio" not in sys.modules:
        try:
            import torchaudio  # noqa: F401
        except ImportError:
            sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    logging.getLogger("spikingjelly").setLevel(logging.WARNING)
    with contextlib.suppress(ImportError):
        from loguru import logger

        logger.remove()
        logger.add(sys.stderr, level="WARNING")


def sj_dataset(root: Path, T: int, train: bool = True) -> Any:
    """SpikingJelly's DVS128Gesture over the extracted archive in ``root/extract`` (its checksum check skipped:
    it knows only IBM's file)."""
    _quiet_spikingjelly()
    from spikingjelly.datasets.dvs128_gesture import DVS128Gesture

    class Gesture(DVS128Gesture):  # type: ignore[misc, valid-type]
        def _check_downloaded_files(self, download_root: Path) -> None:
            pass

    (root / "download").mkdir(parents=True, exist_ok=True)
    return Gesture(str(root), train=train, data_type="frame", frames_number=T, split_by="number")


class ToLabels:
    """``target_transform`` renumbering our labels (class - 1) to another numbering (a picklable lookup)."""

    def __init__(self, table: list[int]) -> None:
        self.table = table

    def __call__(self, label: int) -> int:
        return self.table[int(label)]


def our_dataset(root: Path, T: int, train: bool = True, table: list[int] | None = None) -> Any:
    """Our DVS128Gesture over ``root/download``; ``table`` renumbers the labels."""
    from neurodata.datasets import DVS128Gesture

    return DVS128Gesture(
        root,
        train=train,
        data_type="frame",
        frames_number=T,
        split_by="number",
        target_transform=None if table is None else ToLabels(table),
        progress=False,
    )


def sample_keys(dataset: Any) -> list[tuple[str, int]]:
    """(sha1 of the float32 frames, label) of every sample, to match samples across implementations."""
    keys = []
    for i in range(len(dataset)):
        frames, label = dataset[i]
        arr = frames.numpy() if isinstance(frames, torch.Tensor) else frames
        keys.append((hashlib.sha1(arr.astype("float32", copy=False).tobytes()).hexdigest(), int(label)))
    return keys


def our_epoch_orders(n: int, seed: int, epochs: int) -> list[list[int]]:
    """The sample order of each epoch of our Trainer (a DistributedSampler of one replica, seeded by seed+epoch)."""
    sampler = torch.utils.data.DistributedSampler(range(n), num_replicas=1, rank=0, shuffle=True, seed=seed)
    orders = []
    for e in range(epochs):
        sampler.set_epoch(e)
        orders.append(list(sampler))
    return orders


def match(ours: list[tuple[str, int]], sj: list[tuple[str, int]]) -> tuple[list[int], list[int]]:
    """(SpikingJelly's index of each of our samples, our label -> SpikingJelly's label); ValueError on a mismatch."""
    where = {h: i for i, (h, _) in enumerate(sj)}
    if len(where) != len(sj) or len(ours) != len(sj):
        raise ValueError(f"cannot match samples: {len(ours)} ours, {len(sj)} SpikingJelly's, {len(where)} distinct")
    missing = [i for i, (h, _) in enumerate(ours) if h not in where]
    if missing:
        raise ValueError(
            f"{len(missing)} of our samples have frames SpikingJelly's dataset does not (first {missing[0]})"
        )
    index = [where[h] for h, _ in ours]
    table: dict[int, int] = {}
    for (_, ours_label), j in zip(ours, index, strict=True):
        if table.setdefault(ours_label, sj[j][1]) != sj[j][1]:
            raise ValueError(f"our label {ours_label} maps to two SpikingJelly labels")
    return index, [table.get(k, k) for k in range(NUM_CLASSES)]


# --------------------------------------------------------------------------------------------------------------
# training: each returns per-epoch {seconds, samples, loss, acc}


def _initial_net(cfg: dict[str, Any]) -> torch.nn.Module:
    from snnmodels.models import create_model

    torch.manual_seed(cfg["seed"])
    net = create_model(
        "dvsgesture_net",
        channels=cfg["channels"],
        spiking_neuron="lif",
        tau=2.0,
        surrogate_function="atan",
        detach_reset=True,
    )
    gain = cfg.get("init_gain", 1.0)
    if gain != 1.0:  # louder classifier weights, so that a tiny net's output layer fires from the first step
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.Linear):
                    m.weight.mul_(gain)
    return net


def train_spikingjelly(
    root: Path, cfg: dict[str, Any], state: dict[str, Any], orders: list[list[int]]
) -> tuple[list[dict], dict[str, Any]]:
    """SpikingJelly's script's training loop, with our initial weights and data order; (epochs, final state)."""
    _quiet_spikingjelly()
    from spikingjelly.activation_based import functional, neuron, surrogate
    from spikingjelly.activation_based.model import parametric_lif_net

    class Order(torch.utils.data.Sampler):
        def __init__(self) -> None:
            self.epoch = 0

        def __iter__(self) -> Any:
            self.epoch += 1
            return iter(orders[(self.epoch - 1) % len(orders)])

        def __len__(self) -> int:
            return len(orders[0])

    device = cfg["device"]
    net = parametric_lif_net.DVSGestureNet(
        channels=cfg["channels"],
        spiking_neuron=neuron.LIFNode,
        surrogate_function=surrogate.ATan(),
        detach_reset=True,
    )
    functional.set_step_mode(net, "m")
    if cfg.get("sj_backend", "torch") != "torch":
        functional.set_backend(net, cfg["sj_backend"], instance=neuron.LIFNode)
    net.load_state_dict(state)
    net.to(device)
    train_set = sj_dataset(root, cfg["T"])
    loader = torch.utils.data.DataLoader(
        train_set,
        batch_size=cfg["batch"],
        sampler=Order(),
        drop_last=True,
        num_workers=cfg["sj_workers"],
        pin_memory=True,
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, cfg["epochs"])
    torch.manual_seed(cfg["seed"])
    out = []
    for _ in range(cfg["epochs"]):
        start = time.perf_counter()
        net.train()
        loss_sum, correct, samples = 0.0, 0.0, 0
        for frame, label in loader:
            optimizer.zero_grad()
            frame = frame.to(device).transpose(0, 1)  # [N, T, C, H, W] -> [T, N, C, H, W]
            label = label.to(device)
            label_onehot = F.one_hot(label, NUM_CLASSES).float()
            out_fr = net(frame).mean(0)
            loss = F.mse_loss(out_fr, label_onehot)
            loss.backward()
            optimizer.step()
            samples += label.numel()
            loss_sum += loss.item() * label.numel()
            correct += (out_fr.argmax(1) == label).float().sum().item()
            functional.reset_net(net)
        seconds = time.perf_counter() - start
        lr_scheduler.step()
        out.append({"seconds": seconds, "samples": samples, "loss": loss_sum / samples, "acc": correct / samples})
    return out, net.state_dict()


def train_ours(
    root: Path, cfg: dict[str, Any], state: dict[str, Any], table: list[int]
) -> tuple[list[dict], dict[str, Any]]:
    """Our dataset, model and Trainer doing the same job; (epochs, final state)."""
    from neurodata import pad_sequence_collate
    from snnmodels.train import TrainConfig, Trainer

    net = _initial_net(cfg)
    net.load_state_dict(state)
    config = TrainConfig(
        epochs=cfg["epochs"],
        batch_size=cfg["batch"],
        lr=cfg["lr"],
        optimizer="adam",
        scheduler="cosine",
        loss="mse_rate",
        seed=cfg["seed"],
        num_workers=cfg["workers"],
        device=cfg["device"],
    )
    train_set = our_dataset(root, cfg["T"], table=table)
    trainer = Trainer(net, config, train_set, collate_fn=pad_sequence_collate, progress=False)
    n = len(train_set)
    epochs = [{"seconds": s.seconds, "samples": n, "loss": s.train_loss, "acc": s.train_acc} for s in trainer.fit()]
    return epochs, net.state_dict()


# --------------------------------------------------------------------------------------------------------------
# processes


def _vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(task: str, work: Path) -> None:
    """Run one step in this (fresh) process; the result goes to ``work/<task>.json``."""
    cfg = json.loads((work / "config.json").read_text())
    warnings.filterwarnings("ignore", message=".*pin_memory.*")
    root = work / ("sj" if "-sj" in task else "ours")
    result: dict[str, Any] = {}
    if task.startswith("prepare"):
        start = time.perf_counter()
        sets = [(sj_dataset if "-sj" in task else our_dataset)(root, cfg["T"], train=t) for t in (True, False)]
        result["seconds"] = time.perf_counter() - start
        result["keys"] = sample_keys(sets[0])
    else:
        state = torch.load(work / "init.pt", weights_only=True)
        traced = task.endswith("-traced")
        if traced:  # loading in this process for both sides, so that tracemalloc sees it
            cfg["epochs"], cfg["sj_workers"], cfg["workers"] = 1, 0, 0
            tracemalloc.start()
        if device_cuda := cfg["device"].startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        base = _vm_kib("VmRSS")
        if "-sj" in task:
            epochs, final = train_spikingjelly(root, cfg, state, cfg["sj_orders"])
        else:
            epochs, final = train_ours(root, cfg, state, cfg["table"])
        result = {"epochs": epochs, "rss_peak_mib": _vm_kib("VmHWM") / 1024, "rss_before_mib": base / 1024}
        if not traced:
            torch.save({k: v.cpu() for k, v in final.items()}, work / f"{task}.pt")
        if traced:
            result["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        if device_cuda:
            result["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    (work / f"{task}.json").write_text(json.dumps(result))


def run_child(task: str, work: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", task, "--work", str(work)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{task} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads((work / f"{task}.json").read_text())


def setup(work: Path, cfg: dict[str, Any]) -> None:
    """Write the archive (ours in ``ours/download``, SpikingJelly's extracted under ``sj/extract``) and the
    initial weights."""
    size = synth.SampleSize(
        samples_per_class=cfg["recordings"], events_per_sample=cfg["events"], duration_us=cfg["duration_us"]
    )
    synth.make_sample("dvs128-gesture", work / "ours", size, seed=cfg["seed"])
    with tarfile.open(work / "ours" / "download" / "DvsGesture.tar.gz") as tar:
        tar.extractall(work / "sj" / "extract", filter="data")
    torch.save(_initial_net(cfg).state_dict(), work / "init.pt")


def align(work: Path, cfg: dict[str, Any], ours_keys: list, sj_keys: list) -> None:
    """Give SpikingJelly's side our data order and our side SpikingJelly's label numbers (in config.json)."""
    index, table = match(ours_keys, sj_keys)
    orders = our_epoch_orders(len(ours_keys), cfg["seed"], cfg["epochs"])
    cfg["sj_orders"] = [[index[i] for i in order] for order in orders]
    cfg["table"] = table
    (work / "config.json").write_text(json.dumps(cfg))


def weight_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> tuple[float, float]:
    """(largest |a - b| over every parameter and buffer, largest |b|): how far the two trained nets are apart."""
    if a.keys() != b.keys():
        raise ValueError(f"state dicts differ in keys: {sorted(a.keys() ^ b.keys())}")
    diff = max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].numel())
    return diff, max(float(b[k].double().abs().max()) for k in b if b[k].numel())


def check_losses(ours: list[dict], sj: list[dict], rtol: float) -> list[str]:
    """Disagreements between the two sides' per-epoch training losses (empty when they agree)."""
    bad = []
    for e, (a, b) in enumerate(zip(ours, sj, strict=True)):
        if abs(a["loss"] - b["loss"]) > rtol * max(abs(b["loss"]), 1e-12):
            bad.append(f"epoch {e + 1}: ours {a['loss']!r}, SpikingJelly {b['loss']!r}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run on a tiny configuration")
    for name, default in FULL.items():
        parser.add_argument(f"--{name}", type=int, default=None, help=f"(default {default}, quick {QUICK[name]})")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0, help="our DataLoader worker processes (default 0)")
    parser.add_argument("--sj-workers", type=int, default=2, help="SpikingJelly's DataLoader workers (its -j; 2)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k] (both sides)")
    parser.add_argument("--sj-backend", default="torch", help="SpikingJelly's LIF backend: torch or cupy (CUDA)")
    parser.add_argument("--init-gain", type=float, default=1.0, help="scale the initial Linear weights (default 1)")
    parser.add_argument("--rtol", type=float, default=1e-5, help="loss agreement required (relative)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the tracemalloc processes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help="work in this (new) directory and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.work)
        return 0

    base = QUICK if args.quick else FULL
    cfg: dict[str, Any] = {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in base.items()}
    cfg.update(
        lr=args.lr,
        seed=args.seed,
        workers=args.workers,
        sj_workers=args.sj_workers,
        device=args.device,
        sj_backend=args.sj_backend,
        init_gain=args.init_gain,
        duration_us=1_500_000,
    )
    n_train = cfg["recordings"] * 12
    if n_train % cfg["batch"]:
        print(
            f"note: {n_train} training samples are not a multiple of batch {cfg['batch']}: SpikingJelly drops the last"
        )
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; "
        f"T={cfg['T']}, batch {cfg['batch']}, channels {cfg['channels']}, {n_train} training samples "
        f"({cfg['recordings']} recordings x 12 gestures, ~{cfg['events']:,} events each), {cfg['epochs']} epochs; "
        f"DataLoader workers: ours {cfg['workers']}, SpikingJelly {cfg['sj_workers']}",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        if args.work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_train_")))
        else:
            work = args.work
            work.mkdir(parents=True)
        setup(work, cfg)
        (work / "config.json").write_text(json.dumps(cfg))
        prep = {side: run_child(f"prepare-{side}", work) for side in ("ours", "sj")}
        align(work, cfg, prep["ours"]["keys"], prep["sj"]["keys"])
        runs = {side: run_child(f"train-{side}", work) for side in ("ours", "sj")}
        finals = [torch.load(work / f"train-{side}.pt", weights_only=True) for side in ("ours", "sj")]
        diff, scale = weight_difference(*finals)
        if not args.no_tracemalloc:
            for side in ("ours", "sj"):
                runs[side]["tracemalloc_peak_mib"] = run_child(f"train-{side}-traced", work)["tracemalloc_peak_mib"]
    names = {"ours": "ours (neurodata + snnmodels Trainer)", "sj": "SpikingJelly 2.0.0 (classify_dvsg loop)"}
    rate = {s: [e["samples"] / e["seconds"] for e in r["epochs"]] for s, r in runs.items()}
    print(
        "\n| implementation | prepare s | samples/s epoch 1 (cold) | samples/s epoch 2 (warm) "
        "| peak RSS MiB (main process) | numpy+Python peak MiB (tracemalloc, 1 epoch, no workers) "
        "| train loss epoch 1 | train loss epoch 2 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for side in ("ours", "sj"):
        r, ep = runs[side], runs[side]["epochs"]
        tm = r.get("tracemalloc_peak_mib")
        warm = f"{rate[side][1]:.1f}" if len(ep) > 1 else "-"
        print(
            f"| {names[side]} | {prep[side]['seconds']:.1f} | {rate[side][0]:.1f} | {warm} | {r['rss_peak_mib']:,.0f} "
            f"| {'-' if tm is None else f'{tm:,.1f}'} | {ep[0]['loss']:.8f} | "
            f"{ep[1]['loss'] if len(ep) > 1 else float('nan'):.8f} |"
        )
    ratios = " / ".join(f"{a / b:.2f}x" for a, b in zip(rate["ours"], rate["sj"], strict=True))
    mem = runs["sj"]["rss_peak_mib"] / runs["ours"]["rss_peak_mib"]
    print(f"\nours / SpikingJelly samples/s (epoch 1 / 2): {ratios}; SpikingJelly's peak RSS / ours: {mem:.2f}x")
    bad = check_losses(runs["ours"]["epochs"], runs["sj"]["epochs"], args.rtol)
    if diff > args.rtol * scale:
        bad.append(f"trained weights differ by up to {diff:.3g} (largest weight {scale:.3g})")
    silent = all(abs(e["loss"] - 1 / NUM_CLASSES) < 1e-7 for r in runs.values() for e in r["epochs"])
    print(
        f"trained weights and BN statistics: largest |ours - SpikingJelly| = {diff:.3g} (largest value {scale:.3g})"
        + ("; the output layer never fired (loss 1/11): the weights carry the check" if silent else "")
    )
    verdict = "holds" if not bad else "FAILS: " + "; ".join(bad)
    print(f"loss equality (rtol {args.rtol:g}): {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"config": cfg, "prepare": prep, "runs": runs}, default=str, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
