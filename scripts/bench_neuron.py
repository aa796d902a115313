"""Benchmark spiking neurons: ours (snnmodels) against SpikingJelly and snnTorch, forward + backward.

Two cases, as in shared/reference/peer-baseline.md section 3:

- ``lif_layer``: one multi-step LIF layer on [T, B, C, H, W] = [16, 32, 128, 32, 32], backward of spikes.sum();
- ``dvsgesture_net``: SpikingJelly's DVSGestureNet (5x conv3x3-BN-LIF-maxpool, FC 512, FC 110, voting to 11)
  with 32 channels, T=16, batch 4, 2x128x128 input, train mode, MSE loss on the mean output, backward.

Implementations run round-robin in one process (round r times each once, in rotating order) so that slow spells
of a shared machine hit all alike; medians and ratios come from the same run. Peak memory comes from one
subprocess per implementation and case, over two forward+backward calls after the inputs exist: the peak
resident set (VmHWM, reset just before) minus the resident set before the first call on the CPU, or
``torch.cuda.max_memory_allocated`` minus the memory allocated before on CUDA.

    python scripts/bench_neuron.py            # full run, CPU (and CUDA too when a GPU is present)
    python scripts/bench_neuron.py --quick    # smoke run on small shapes
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snnmodels import LIFNode, layers

IMPLS = ("ours", "spikingjelly", "snntorch")
CASES = ("lif_layer", "dvsgesture_net")
FULL = {"lif_layer": {"shape": (16, 32, 128, 32, 32)}, "dvsgesture_net": {"T": 16, "B": 4, "size": 128, "ch": 32}}
QUICK = {"lif_layer": {"shape": (4, 4, 16, 16, 16)}, "dvsgesture_net": {"T": 4, "B": 1, "size": 64, "ch": 8}}


# --------------------------------------------------------------------------------------------------------------
# models


def _dvsg_ours(ch: int, size: int) -> nn.Module:
    conv: list[nn.Module] = []
    for i in range(5):
        conv += [
            layers.Conv2d(2 if i == 0 else ch, ch, 3, padding=1, bias=False),
            layers.BatchNorm2d(ch),
            LIFNode(),
            layers.MaxPool2d(2, 2),
        ]
    side = size // 32
    return nn.Sequential(
        *conv,
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Linear(ch * side * side, 512),
        LIFNode(),
        layers.Dropout(0.5),
        layers.Linear(512, 110),
        LIFNode(),
        layers.VotingLayer(10),
    )


def _dvsg_sj(ch: int, size: int) -> nn.Module:
    from spikingjelly.activation_based import functional, layer, neuron
    from spikingjelly.activation_based.model import parametric_lif_net

    if size == 128:
        net = parametric_lif_net.DVSGestureNet(channels=ch, spiking_neuron=neuron.LIFNode)
    else:  # the zoo model is fixed to 128x128; same layers for the quick run's smaller input
        conv: list[nn.Module] = []
        for i in range(5):
            conv += [
                layer.Conv2d(2 if i == 0 else ch, ch, 3, padding=1, bias=False),
                layer.BatchNorm2d(ch),
                neuron.LIFNode(),
                layer.MaxPool2d(2, 2),
            ]
        side = size // 32
        net = nn.Sequential(
            *conv,
            layer.Flatten(),
            layer.Dropout(0.5),
            layer.Linear(ch * side * side, 512),
            neuron.LIFNode(),
            layer.Dropout(0.5),
            layer.Linear(512, 110),
            neuron.LIFNode(),
            layer.VotingLayer(10),
        )
    functional.set_step_mode(net, "m")
    return net


class _SnnTorchNet(nn.Module):
    """The same layers with snn.Leaky, stepped over T in Python (how snnTorch models are written)."""

    def __init__(self, ch: int, size: int) -> None:
        super().__init__()
        import snntorch as snn

        conv: list[nn.Module] = []
        for i in range(5):
            conv += [
                nn.Conv2d(2 if i == 0 else ch, ch, 3, padding=1, bias=False),
                nn.BatchNorm2d(ch),
                snn.Leaky(beta=0.5, init_hidden=True),
                nn.MaxPool2d(2, 2),
            ]
        side = size // 32
        self.body = nn.Sequential(
            *conv,
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(ch * side * side, 512),
            snn.Leaky(beta=0.5, init_hidden=True),
            nn.Dropout(0.5),
            nn.Linear(512, 110),
            snn.Leaky(beta=0.5, init_hidden=True),
        )
        self.leaky = snn.Leaky

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for m in self.body.modules():
            if isinstance(m, self.leaky):
                m.reset_mem()
        out = torch.stack([self.body(x[t]) for t in range(x.shape[0])])
        return F.avg_pool1d(out.flatten(0, 1).unsqueeze(1), 10, 10).view(x.shape[0], x.shape[1], -1)


# --------------------------------------------------------------------------------------------------------------
# cases: each returns a zero-argument callable doing one forward + backward


def _lif_layer(impl: str, cfg: dict[str, Any], device: str) -> Callable[[], None]:
    g = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(*cfg["shape"], generator=g, device=device).mul_(0.6).add_(0.5).requires_grad_()
    if impl == "ours":
        node = LIFNode(tau=2.0)

        def run() -> None:
            node(x).sum().backward()
    elif impl == "spikingjelly":
        from spikingjelly.activation_based import neuron

        sj_node = neuron.LIFNode(tau=2.0, step_mode="m")

        def run() -> None:
            sj_node.reset()
            sj_node(x).sum().backward()
    else:
        import snntorch as snn

        leaky = snn.Leaky(beta=0.5)  # the same decay per step as tau=2

        def run() -> None:
            leaky.reset_mem()  # else snnTorch continues from the membrane of the previous (freed) graph
            mem = None
            spikes = []
            for t in range(x.shape[0]):
                spk, mem = leaky(x[t], mem)
                spikes.append(spk)
            torch.stack(spikes).sum().backward()

    def step() -> None:
        x.grad = None
        run()

    return step


def _dvsgesture_net(impl: str, cfg: dict[str, Any], device: str) -> Callable[[], None]:
    torch.manual_seed(0)
    T, B, size, ch = cfg["T"], cfg["B"], cfg["size"], cfg["ch"]
    net = {"ours": _dvsg_ours, "spikingjelly": _dvsg_sj, "snntorch": _SnnTorchNet}[impl](ch, size).to(device)
    net.train()
    g = torch.Generator(device=device).manual_seed(0)
    x = (torch.rand(T, B, 2, size, size, generator=g, device=device) < 0.1).float()
    y = F.one_hot(torch.arange(B, device=device) % 11, 11).float()
    reset = None
    if impl == "spikingjelly":
        from spikingjelly.activation_based import functional

        reset = functional.reset_net

    def step() -> None:
        net.zero_grad(set_to_none=True)
        if reset is not None:
            reset(net)
        F.mse_loss(net(x).mean(0), y).backward()

    return step


BUILD = {"lif_layer": _lif_layer, "dvsgesture_net": _dvsgesture_net}


def _available(impl: str) -> str | None:
    module = {"ours": "snnmodels", "spikingjelly": "spikingjelly.activation_based", "snntorch": "snntorch"}[impl]
    try:
        __import__(module)
    except ImportError as err:
        return f"not installed ({err.name})"
    return None


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_case(case: str, cfg: dict[str, Any], impls: list[str], device: str, rounds: int) -> dict[str, list[float]]:
    """Seconds per forward+backward, ``rounds`` samples per implementation after one warm-up each."""
    steps = {impl: BUILD[case](impl, cfg, device) for impl in impls}
    for step in steps.values():
        step()
    _sync(device)
    times: dict[str, list[float]] = {impl: [] for impl in impls}
    for r in range(rounds):
        order = impls[r % len(impls) :] + impls[: r % len(impls)]
        for impl in order:
            _sync(device)
            t0 = time.perf_counter()
            steps[impl]()
            _sync(device)
            times[impl].append(time.perf_counter() - t0)
    return times


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_rss_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_now_and_peak() -> tuple[int, int]:
    """(current, peak) resident set in KiB. ru_maxrss is a fallback only: Linux carries it over fork and exec, so
    in a child of a big process it starts at the parent's peak."""
    now, peak = _status_kib("VmRSS"), _status_kib("VmHWM")
    if now is None or peak is None:
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss, maxrss
    return now, peak


def memory_child(case: str, impl: str, quick: bool, device: str) -> None:
    """Run in a fresh process: print the peak memory of two forward+backward calls as JSON."""
    cfg = (QUICK if quick else FULL)[case]
    step = BUILD[case](impl, cfg, device)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        step()
        step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        _reset_rss_peak()
        base, _ = _rss_now_and_peak()
        step()
        step()
        peak = (_rss_now_and_peak()[1] - base) * 1024
    print(json.dumps({"peak_bytes": peak}))


def measure_memory(case: str, impl: str, quick: bool, device: str) -> float | None:
    cmd = [sys.executable, __file__, "--memory-child", case, impl, "--device", device] + (["--quick"] if quick else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_bytes"] / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 2 rounds: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per implementation (default 7, quick 2)")
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="auto: CPU, then CUDA as well when a GPU is present",
    )
    parser.add_argument("--case", choices=CASES, action="append", help="run only these cases")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-implementation memory subprocesses")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--memory-child", nargs=2, metavar=("CASE", "IMPL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        memory_child(*args.memory_child, args.quick, "cuda" if args.device == "cuda" else "cpu")
        return 0
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) if args.device == "auto" else [args.device]
    rounds = args.rounds or (2 if args.quick else 7)
    configs = QUICK if args.quick else FULL
    missing = {impl: why for impl in IMPLS if (why := _available(impl))}
    impls = [impl for impl in IMPLS if impl not in missing]
    results: dict[str, Any] = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "rounds": rounds,
        "quick": args.quick,
        "missing": missing,
        "cases": {},
    }
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {rounds} rounds"
        + (f"; skipped: {missing}" if missing else "")
    )
    for device in devices:
        for case in args.case or CASES:
            cfg = configs[case]
            times = time_case(case, cfg, impls, device, rounds)
            med = {impl: statistics.median(v) * 1e3 for impl, v in times.items()}
            mem = {impl: (None if args.no_memory else measure_memory(case, impl, args.quick, device)) for impl in impls}
            results["cases"][f"{device}/{case}"] = {"config": cfg, "ms": times, "median_ms": med, "peak_mib": mem}
            print(f"\n### {case} on {device}: {cfg}\n")
            print("| impl | median ms fwd+bwd | time / ours | peak memory MiB | memory / ours |")
            print("|---|---|---|---|---|")
            for impl in impls:
                m = mem[impl]
                mem_ratio = f"{m / mem['ours']:.2f}x" if m is not None and mem.get("ours") else "-"
                print(
                    f"| {impl} | {med[impl]:,.0f} | {med[impl] / med['ours']:.2f}x | "
                    f"{'-' if m is None else f'{m:,.0f}'} | {mem_ratio} |"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
