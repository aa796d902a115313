"""Benchmark the toolbox against SpikingJelly 2.0: conversion calibration, encoders and STDP updates.

Cases (each ours vs SpikingJelly on identical inputs, float32, CPU unless --device says otherwise):

- ``calibrate_max`` / ``calibrate_99.9%``: convert a 3-block CNN (Conv-BN-ReLU-AvgPool x3, Linear) on B batches
  of [64, 3, 32, 32]; SpikingJelly's ``Converter(RateCodingRecipe(...)).convert``, ours ``convert`` (the
  percentile case is where a selection beats ``torch.quantile``'s sort);
- ``poisson`` / ``latency`` / ``weighted_phase``: encode [128, 1, 28, 28] into T = 32 steps (SpikingJelly's
  encoders are called once per step, as its tutorials do; ours return the whole train in one call);
- ``stdp_linear`` / ``stdp_conv2d``: one ``STDPLearner.step`` after a multi-step forward of T = 8 steps
  (Linear 784 -> 256 on batch 32; Conv2d 16 -> 32, 3x3, padding 1 on [32, 16, 28, 28]); only the step is timed.

Implementations run round-robin (round r runs each case's implementations once, in rotating order), so that a
busy spell of a shared machine hits both alike; medians and the ratio SpikingJelly / ours come from one run.

    python scripts/bench_toolbox.py             # full sizes
    python scripts/bench_toolbox.py --quick     # smoke run on small sizes
    python scripts/bench_toolbox.py --json out.json --threads 1   # one intra-op thread (a busy machine)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snnmodels import IFNode, layers, reset_net
from snnmodels import encoding as E
from snnmodels.ann2snn import convert
from snnmodels.learning import STDPLearner


def _spikingjelly() -> types.ModuleType:
    if importlib.util.find_spec("tensorboard") is None and "torch.utils.tensorboard" not in sys.modules:
        stub = types.ModuleType("torch.utils.tensorboard")  # SpikingJelly's monitor imports it; we write no logs
        stub.SummaryWriter = object  # type: ignore[attr-defined]
        sys.modules["torch.utils.tensorboard"] = stub
    import spikingjelly.activation_based as sj
    import spikingjelly.activation_based.ann2snn
    import spikingjelly.activation_based.encoding
    import spikingjelly.activation_based.learning
    import spikingjelly.activation_based.neuron  # noqa: F401

    return sj


Case = dict[str, Callable[[], object]]


def calibration_cases(sj: types.ModuleType, quick: bool, device: str) -> dict[str, Case]:
    torch.manual_seed(0)
    c, hw, batches = (8, 16, 2) if quick else (32, 32, 8)
    blocks: list[nn.Module] = []
    ch = 3
    for out in (c, 2 * c, 4 * c):
        blocks += [nn.Conv2d(ch, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.AvgPool2d(2)]
        ch = out
    ann = nn.Sequential(*blocks, nn.Flatten(), nn.Linear(ch * (hw // 8) ** 2, 10)).to(device).eval()
    loader = [torch.rand(64, 3, hw, hw, device=device) for _ in range(batches)]
    cases = {}
    for mode in ("max", "99.9%"):

        def theirs(mode: str = mode) -> object:
            recipe = sj.ann2snn.RateCodingRecipe(dataloader=loader, mode=mode)
            return sj.ann2snn.Converter(recipe, device=device).convert(ann)

        def ours(mode: str = mode) -> object:
            return convert(ann, loader, mode, device=device)

        cases[f"calibrate_{mode}"] = {"spikingjelly": theirs, "ours": ours}
    return cases


def encoder_cases(sj: types.ModuleType, quick: bool, device: str) -> dict[str, Case]:
    T, n = (8, 16) if quick else (32, 128)
    x = torch.rand(n, 1, 28, 28, device=device)
    xp = x * (1 - 2**-8)
    enc = sj.encoding

    def loop(encoder: nn.Module, v: torch.Tensor, steps: int) -> torch.Tensor:
        sj.functional.reset_net(encoder)
        return torch.stack([encoder(v) for _ in range(steps)])

    poisson, latency, phase = enc.PoissonEncoder(), enc.LatencyEncoder(T), enc.WeightedPhaseEncoder(8)
    return {
        "poisson": {"spikingjelly": lambda: loop(poisson, x, T), "ours": lambda: E.poisson_spikes(x, T)},
        "latency": {"spikingjelly": lambda: loop(latency, x, T), "ours": lambda: E.latency_spikes(x, T)},
        "weighted_phase": {"spikingjelly": lambda: loop(phase, xp, 8), "ours": lambda: E.weighted_phase_spikes(xp, 8)},
    }


def _stdp_step(
    net: nn.Module, learner: nn.Module, x: torch.Tensor, reset: Callable[[nn.Module], None]
) -> Callable[[], float]:
    def run() -> float:
        learner.reset()  # type: ignore[operator]
        reset(net)
        with torch.no_grad():
            net(x)
        t0 = time.perf_counter()
        learner.step(on_grad=False)  # type: ignore[operator]
        return time.perf_counter() - t0  # only the update is timed

    return run


def stdp_cases(sj: types.ModuleType, quick: bool, device: str) -> dict[str, Case]:
    T, n = (4, 4) if quick else (8, 32)
    cases = {}
    for kind in ("linear", "conv2d"):
        torch.manual_seed(0)
        if kind == "linear":
            shape, make_t = (784,), lambda: sj.layer.Linear(784, 256, bias=False, step_mode="m")
            make_o = lambda: layers.Linear(784, 256, bias=False)  # noqa: E731
        else:
            hw = 14 if quick else 28
            shape = (16, hw, hw)
            make_t = lambda: sj.layer.Conv2d(16, 32, 3, padding=1, bias=False, step_mode="m")  # noqa: E731
            make_o = lambda: layers.Conv2d(16, 32, 3, padding=1, bias=False)  # noqa: E731
        x = (torch.rand(T, n, *shape, device=device) > 0.7).float()
        net_t = nn.Sequential(make_t(), sj.neuron.IFNode(v_threshold=0.5, step_mode="m")).to(device)
        net_o = nn.Sequential(make_o(), IFNode(v_threshold=0.5)).to(device)
        net_o.load_state_dict(net_t.state_dict())
        learner_t = sj.learning.STDPLearner("m", net_t[0], net_t[1], 2.0, 2.0)
        learner_o = STDPLearner(net_o[0], net_o[1], 2.0, 2.0)

        cases[f"stdp_{kind}"] = {
            "spikingjelly": _stdp_step(net_t, learner_t, x, sj.functional.reset_net),
            "ours": _stdp_step(net_o, learner_o, x, reset_net),
        }
    return cases


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run(cases: dict[str, Case], rounds: int, device: str) -> dict[str, dict[str, float]]:
    """Median seconds per implementation and case, round-robin."""
    times: dict[str, dict[str, list[float]]] = {c: {k: [] for k in impls} for c, impls in cases.items()}
    for impls in cases.values():  # warm-up
        for fn in impls.values():
            fn()
    for r in range(rounds):
        for case, impls in cases.items():
            names = list(impls)
            for name in names[r % len(names) :] + names[: r % len(names)]:
                _sync(device)
                t0 = time.perf_counter()
                out = impls[name]()
                _sync(device)
                elapsed = time.perf_counter() - t0
                times[case][name].append(out if isinstance(out, float) else elapsed)
    return {c: {k: statistics.median(v) for k, v in d.items()} for c, d in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few rounds (a smoke run)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    ap.add_argument("--json", type=Path, default=None, help="also write the medians and ratios here")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sj = _spikingjelly()
    rounds = args.rounds or (3 if args.quick else 15)
    cases = {
        **calibration_cases(sj, args.quick, args.device),
        **encoder_cases(sj, args.quick, args.device),
        **stdp_cases(sj, args.quick, args.device),
    }
    medians = run(cases, rounds, args.device)
    print(f"| case | SpikingJelly 2.0 (ms) | ours (ms) | SpikingJelly / ours |  ({args.device}, {rounds} rounds)")
    print("| --- | --- | --- | --- |")
    result = {}
    for case, m in medians.items():
        ratio = m["spikingjelly"] / m["ours"]
        result[case] = {**m, "ratio": ratio}
        print(f"| {case} | {1e3 * m['spikingjelly']:.2f} | {1e3 * m['ours']:.2f} | {ratio:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
