"""Benchmark spiking neurons: ours (snnmodels) against SpikingJelly and snnTorch, forward + backward.

Two cases, as in shared/reference/peer-baseline.md section 3:

- ``lif_layer``: one multi-step LIF layer on [T, B, C, H, W] = [16, 32, 128, 32, 32], backward of spikes.sum();
- ``dvsgesture_net``: SpikingJelly's DVSGestureNet (5x conv3x3-BN-LIF-maxpool, FC 512, FC 110, voting to 11)
  with 32 channels, T=16, batch 4, 2x128x128 input, train mode, MSE loss on the mean output, backward.

Each implementation is timed twice over:

- round-robin in one process (round r times each once, in rotating order), so that slow spells of a shared
  machine hit all alike and the per-round ratios are fair; state one implementation leaves behind (a heap full
  of freed memory, warm pages, thread pools) is there for the next;
- alone, in a fresh process per implementation, so nothing another one did can help or hurt it.

Every round is reported, not only the median, with two counts that do not depend on the machine's load beside
each time: minor page faults (``getrusage``; each is a fresh 4 KiB page the kernel zeroes, 1-30 µs on a VM) and,
from one extra profiled call, the tensors of 1 MiB or more the call allocates. The CPU time of the process per
call over the wall time says how much of the spread is the machine (busy < 1: the threads waited for a core).
The first call (cold: fresh memory, lazy initialisation) is reported apart. Peak memory comes from one more
subprocess per implementation and case, over two forward+backward calls after the inputs exist: the peak
resident set (VmHWM, reset just before) minus the resident set before the first call on the CPU, or
``torch.cuda.max_memory_allocated`` minus the memory allocated before on CUDA.

    python scripts/bench_neuron.py                        # full run, CPU (and CUDA too when a GPU is present)
    python scripts/bench_neuron.py --quick                # smoke run on small shapes
    python scripts/bench_neuron.py --case lif_layer --rounds 5 --json lif.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
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
from snnmodels.functional.surrogate import ATan

IMPLS = ("ours", "ours-atan", "spikingjelly", "snntorch")
# ours-atan: our LIF with an explicit surrogate_function=ATan() (SpikingJelly's tutorials' choice), to show that
# the argument's type picks no slower path; the layer case only (the net case compares defaults)
TARGETS = {"lif_layer": 1.5}  # SpikingJelly's time / ours, forward + backward, in every round
CASE_IMPLS = {"lif_layer": IMPLS, "dvsgesture_net": ("ours", "spikingjelly", "snntorch")}
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
    if impl in ("ours", "ours-atan"):
        node = LIFNode(tau=2.0) if impl == "ours" else LIFNode(tau=2.0, surrogate_function=ATan())

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
    module = {"spikingjelly": "spikingjelly.activation_based", "snntorch": "snntorch"}.get(impl, "snnmodels")
    try:
        __import__(module)
    except ImportError as err:
        return f"not installed ({err.name})"
    return None


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _usage() -> tuple[int, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_minflt, r.ru_utime + r.ru_stime


def _timed(step: Callable[[], None], device: str) -> dict[str, float]:
    """One call: wall ms, minor page faults, and CPU ms of the whole process (all its threads)."""
    _sync(device)
    f0, c0 = _usage()
    t0 = time.perf_counter()
    step()
    _sync(device)
    wall = time.perf_counter() - t0
    f1, c1 = _usage()
    return {"ms": wall * 1e3, "faults": f1 - f0, "cpu_ms": (c1 - c0) * 1e3}


def _allocations(step: Callable[[], None]) -> dict[str, float]:
    """Tensors of >= 1 MiB that one call allocates: the operators whose own allocations, net of their own frees,
    reach 1 MiB, from torch's profiler (its CPU allocator; memory torch does not allocate is not counted)."""
    from torch.profiler import ProfilerActivity, profile

    with (
        contextlib.redirect_stdout(io.StringIO()),
        profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof,
    ):
        step()
    sizes = [e.self_cpu_memory_usage for e in prof.events() if e.self_cpu_memory_usage >= 1 << 20]
    return {"count": len(sizes), "mib": sum(sizes) / 2**20}


def time_round_robin(
    case: str, cfg: dict[str, Any], impls: list[str], device: str, rounds: int
) -> dict[str, dict[str, Any]]:
    """Per implementation: the cold first call and ``rounds`` calls, interleaved with the others'."""
    steps = {impl: BUILD[case](impl, cfg, device) for impl in impls}
    out: dict[str, dict[str, Any]] = {
        impl: {"cold": _timed(step, device), "rounds": []} for impl, step in steps.items()
    }
    for r in range(rounds):
        order = impls[r % len(impls) :] + impls[: r % len(impls)]
        for impl in order:
            out[impl]["rounds"].append(_timed(steps[impl], device))
    return out


def time_child(case: str, impl: str, quick: bool, device: str, rounds: int) -> None:
    """Run in a fresh process: one implementation alone; print its cold call, rounds and allocations as JSON."""
    cfg = (QUICK if quick else FULL)[case]
    step = BUILD[case](impl, cfg, device)
    res: dict[str, Any] = {"cold": _timed(step, device), "rounds": [_timed(step, device) for _ in range(rounds)]}
    res["allocations"] = _allocations(step) if device == "cpu" else None
    print(json.dumps(res))


def time_isolated(case: str, impl: str, quick: bool, device: str, rounds: int) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, "--time-child", case, impl, "--device", device, "--rounds", str(rounds)]
    done = subprocess.run(cmd + (["--quick"] if quick else []), capture_output=True, text=True, check=False)
    if done.returncode:
        print(f"{impl} alone failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


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


# --------------------------------------------------------------------------------------------------------------
# report


def _summary(res: dict[str, Any], threads: int) -> dict[str, float]:
    ms = [r["ms"] for r in res["rounds"]]
    busy = [r["cpu_ms"] / (r["ms"] * threads) for r in res["rounds"]]
    return {
        "median_ms": statistics.median(ms),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "spread": max(ms) / min(ms),
        "faults": statistics.median(r["faults"] for r in res["rounds"]),
        "busy": statistics.median(busy),
    }


def _fmt_ms(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:.2f}"


def print_case(
    title: str, by_mode: dict[str, dict[str, Any]], mem: dict[str, float | None], threads: int, target: float | None
) -> None:
    """One table per case: a row per implementation and process mode, then the per-round ratios and, with a
    ``target``, whether SpikingJelly takes at least that many times our time in every round."""
    print(f"\n### {title}\n")
    print(
        "| impl | process | cold ms (faults) | every round, ms | median ms | max/min | faults/call | busy "
        "| allocs >= 1 MiB/call | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode, results in by_mode.items():
        for impl, res in results.items():
            if res is None:
                continue
            sm = _summary(res, threads)
            cold = res["cold"]
            alloc = res.get("allocations")
            alloc_s = f"{alloc['count']} ({alloc['mib']:,.0f} MiB)" if alloc else "-"
            m = mem.get(impl)
            print(
                f"| {impl} | {mode} | {_fmt_ms(cold['ms'])} ({cold['faults']:,}) | "
                f"{' '.join(_fmt_ms(r['ms']) for r in res['rounds'])} | {_fmt_ms(sm['median_ms'])} | "
                f"{sm['spread']:.2f} | {sm['faults']:,.0f} | {sm['busy']:.2f} | {alloc_s} | "
                f"{'-' if m is None else f'{m:,.0f}'} |"
            )
    rr = by_mode.get("round-robin", {})
    alone = by_mode.get("alone", {})
    for impl in [i for i in IMPLS if i != "ours"]:
        parts = []
        if "ours" in rr and impl in rr:
            per = [p["ms"] / o["ms"] for p, o in zip(rr[impl]["rounds"], rr["ours"]["rounds"], strict=True)]
            parts.append(f"round-robin, per round {' '.join(f'{r:.2f}' for r in per)} (min {min(per):.2f}x)")
        if alone.get("ours") and alone.get(impl):
            o, p = _summary(alone["ours"], threads), _summary(alone[impl], threads)
            parts.append(
                f"alone, medians {p['median_ms'] / o['median_ms']:.2f}x, its fastest over our slowest "
                f"{p['min_ms'] / o['max_ms']:.2f}x"
            )
        if mem.get("ours") and mem.get(impl):
            parts.append(f"peak memory {mem[impl] / mem['ours']:.2f}x")  # type: ignore[operator]
        if parts:
            print(f"\n{impl} / ours: " + "; ".join(parts))
    sj = "spikingjelly"
    if target is not None and rr.get(sj) and rr.get("ours"):
        worst = [min(p["ms"] / o["ms"] for p, o in zip(rr[sj]["rounds"], rr["ours"]["rounds"], strict=True))]
        if alone.get(sj) and alone.get("ours"):
            worst.append(_summary(alone[sj], threads)["min_ms"] / _summary(alone["ours"], threads)["max_ms"])
        mem_ok = mem.get("ours") is None or mem.get(sj) is None or mem["ours"] <= mem[sj]  # type: ignore[operator]
        verdict = "met" if min(worst) >= target and mem_ok else "NOT met"
        print(
            f"\ntarget: SpikingJelly >= {target}x our time in every round (worst {min(worst):.2f}x) and no more peak "
            f"memory ({'unmeasured' if mem.get('ours') is None else ('yes' if mem_ok else 'no')}): {verdict}"
        )


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
    parser.add_argument(
        "--mode",
        choices=["both", "round-robin", "alone"],
        default="both",
        help="round-robin in this process, each implementation alone in a fresh process, or both (default)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the per-implementation memory subprocesses")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--memory-child", nargs=2, metavar=("CASE", "IMPL"), help=argparse.SUPPRESS)
    parser.add_argument("--time-child", nargs=2, metavar=("CASE", "IMPL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    rounds = args.rounds or (2 if args.quick else 7)
    child_device = "cuda" if args.device == "cuda" else "cpu"
    if args.memory_child:
        memory_child(*args.memory_child, args.quick, child_device)
        return 0
    if args.time_child:
        time_child(*args.time_child, args.quick, child_device, rounds)
        return 0
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) if args.device == "auto" else [args.device]
    configs = QUICK if args.quick else FULL
    missing = {impl: why for impl in IMPLS if (why := _available(impl))}
    impls = [impl for impl in IMPLS if impl not in missing]
    threads = torch.get_num_threads()
    results: dict[str, Any] = {
        "torch": torch.__version__,
        "threads": threads,
        "rounds": rounds,
        "quick": args.quick,
        "missing": missing,
        "cases": {},
    }
    print(
        f"torch {torch.__version__}, {threads} threads, {rounds} rounds"
        + (f"; skipped: {missing}" if missing else "")
        + "\nbusy = process CPU time / (wall time x threads), median over rounds; faults = minor page faults"
    )
    for device in devices:
        for case in args.case or CASES:
            cfg = configs[case]
            here = [impl for impl in impls if impl in CASE_IMPLS[case]]
            by_mode: dict[str, dict[str, Any]] = {}
            if args.mode in ("both", "alone"):
                by_mode["alone"] = {impl: time_isolated(case, impl, args.quick, device, rounds) for impl in here}
            if args.mode in ("both", "round-robin"):
                by_mode["round-robin"] = time_round_robin(case, cfg, here, device, rounds)
            mem = {impl: (None if args.no_memory else measure_memory(case, impl, args.quick, device)) for impl in here}
            results["cases"][f"{device}/{case}"] = {"config": cfg, "results": by_mode, "peak_mib": mem}
            print_case(f"{case} on {device}: {cfg}", by_mode, mem, threads, TARGETS.get(case))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
