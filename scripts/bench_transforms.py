"""Time Tonic 1.7's event transforms against ours on identical events, in one run, round-robin.

    python scripts/bench_transforms.py                  # DVS-Gesture-sized sample (500k events, 128x128)
    python scripts/bench_transforms.py --events 2e6     # a longer stream
    python scripts/bench_transforms.py --quick          # 20k events, a smoke run (the per-event loops of Tonic
                                                        # take seconds at full size)
    python scripts/bench_transforms.py --only Denoise   # the rows whose name contains that text

Both sides get the same Tonic-layout structured array (x, y int16, t int64, p bool) and, for random
transforms, the same ``np.random.seed`` before each call; ``ours`` is `neurodata.compat.tonic.transforms`
(the thin layer over `neurodata.functional`). Each round times every implementation of a case once, in
alternating order, so slow spells of a shared machine hit both; the table shows median ms per call and
the ratio Tonic / ours (above 1: Tonic takes that many times longer). Tonic's Python loops (Denoise,
RefractoryPeriod, Decimation) get fewer rounds at full size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import neurodata.compat.tonic.transforms as ours

SENSOR = (128, 128, 2)
LOOPS = {"Denoise", "RefractoryPeriod", "Decimation", "EventDownsampling"}  # Tonic runs a Python loop


def dvs_like(n: int, seed: int = 0) -> np.ndarray:
    """`n` events over 6 s of a 128x128 sensor: a moving blob (70%) and uniform noise, Poisson arrivals."""
    r = np.random.default_rng(seed)
    ev = np.zeros(n, dtype=[("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])
    t = np.sort(r.integers(0, 6_000_000, n))
    blob = r.random(n) < 0.7
    cx = 64 + 40 * np.sin(t / 1e6)
    x = np.where(blob, cx + r.normal(0, 6, n), r.integers(0, 128, n))
    y = np.where(blob, 64 + r.normal(0, 6, n), r.integers(0, 128, n))
    ev["x"], ev["y"] = np.clip(x, 0, 127), np.clip(y, 0, 127)
    ev["t"], ev["p"] = t, r.random(n) < 0.5
    return ev


def cases() -> list[tuple[str, Callable[[Any], Any]]]:
    s = SENSOR
    return [
        ("CenterCrop", lambda T: T.CenterCrop(sensor_size=s, size=96)),
        ("RandomCrop", lambda T: T.RandomCrop(sensor_size=s, target_size=(96, 96))),
        ("CropTime", lambda T: T.CropTime(min=1_000_000, max=5_000_000)),
        ("Decimation", lambda T: T.Decimation(n=4)),
        ("Denoise", lambda T: T.Denoise(filter_time=5000)),
        ("Downsample", lambda T: T.Downsample(time_factor=0.001, spatial_factor=0.25)),
        ("DropEvent", lambda T: T.DropEvent(p=0.2)),
        ("DropEventByArea", lambda T: T.DropEventByArea(sensor_size=s, area_ratio=0.3)),
        ("DropEventByTime", lambda T: T.DropEventByTime(duration_ratio=0.3)),
        ("DropPixel(coordinates)", lambda T: T.DropPixel(coordinates=[(i, i) for i in range(0, 128, 4)])),
        ("DropPixel(hot_pixel_frequency)", lambda T: T.DropPixel(hot_pixel_frequency=50)),
        (
            "EventDownsampling(integrator, dt=10 ms)",
            lambda T: T.EventDownsampling(s, (32, 32), "integrator", dt=10.0, noise_threshold=2),
        ),
        (
            "EventDownsampling(integrator, dt=0.5 ms)",
            lambda T: T.EventDownsampling(s, (20, 15), "integrator", dt=0.5, noise_threshold=3),
        ),
        (
            "EventDownsampling(differentiator)",
            lambda T: T.EventDownsampling(
                s, (20, 15), "differentiator", dt=5.0, noise_threshold=2, differentiator_time_bins=2
            ),
        ),
        ("MergePolarities", lambda T: T.MergePolarities()),
        ("RandomDropPixel", lambda T: T.RandomDropPixel(p=0.1, sensor_size=s)),
        ("RandomFlipLR", lambda T: T.RandomFlipLR(sensor_size=s, p=1.0)),
        ("RandomFlipPolarity", lambda T: T.RandomFlipPolarity(p=1.0)),
        ("RandomTimeReversal", lambda T: T.RandomTimeReversal(p=1.0)),
        ("RefractoryPeriod", lambda T: T.RefractoryPeriod(delta=1000)),
        ("SpatialJitter", lambda T: T.SpatialJitter(sensor_size=s, var_x=2, var_y=2, clip_outliers=True)),
        ("TimeAlignment", lambda T: T.TimeAlignment()),
        ("TimeJitter", lambda T: T.TimeJitter(std=100, sort_timestamps=True)),
        ("TimeSkew", lambda T: T.TimeSkew(coefficient=1.1, offset=5)),
        ("UniformNoise", lambda T: T.UniformNoise(sensor_size=s, n=10_000)),
        ("ToFrame(n_time_bins=16)", lambda T: T.ToFrame(sensor_size=s, n_time_bins=16)),
        ("ToFrame(event_count)", lambda T: T.ToFrame(sensor_size=s, event_count=30_000)),
        ("ToFrame(time_window)", lambda T: T.ToFrame(sensor_size=s, time_window=400_000)),
    ]


def round_robin(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each function; each round calls every one once, order rotating."""
    names = list(fns)
    for f in fns.values():
        f()  # warm-up
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            fns[n]()
            times[n].append(time.perf_counter() - start)
    return {n: statistics.median(v) for n, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=float, default=5e5)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    import tonic
    import tonic.transforms as theirs

    n = 20_000 if args.quick else int(args.events)
    ev = dvs_like(n)
    print(f"# {n:,} events, sensor {SENSOR}; tonic {tonic.__version__}, numpy {np.__version__}")
    print("| transform | Tonic ms | ours ms | Tonic / ours |")
    print("|---|---|---|---|")
    ratios = []
    for name, make in cases():
        if args.only not in name:
            continue
        t_tf, o_tf = make(theirs), make(ours)

        def call(tf: Any) -> Callable[[], Any]:
            def run() -> Any:
                np.random.seed(0)
                return tf(ev)  # neither side modifies its input

            return run

        loop = any(name.startswith(k) for k in LOOPS)
        rounds = 3 if loop and n > 100_000 else args.rounds
        med = round_robin({"tonic": call(t_tf), "ours": call(o_tf)}, rounds)
        ratio = med["tonic"] / med["ours"]
        ratios.append(ratio)
        print(f"| {name} | {med['tonic'] * 1e3:,.3g} | {med['ours'] * 1e3:,.3g} | {ratio:.2f}x |")
    if ratios:
        print(f"\n# geometric mean Tonic / ours: {float(np.exp(np.mean(np.log(ratios)))):.2f}x over {len(ratios)}")


if __name__ == "__main__":
    main()
