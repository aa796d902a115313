"""Time our representations against Tonic 1.7, evlib 0.13 and compiled numba loops, in one run.

    python scripts/bench_integrate.py --representations          # the full table
    python scripts/bench_integrate.py --representations --quick  # small sizes, a smoke run
    python scripts/bench_representations.py [--quick] [--only TEXT]   # the same, directly

Implementations are timed in turns (round-robin), so the ratios hold on a loaded machine. Prints one
markdown table of median milliseconds (events/s in brackets) and ratios: a ratio above 1 means
the other implementation takes that many times longer than ours (`ours` = default call: coordinates and
sort order validated, float32 output computed in float64; `ours (float64)` returns float64 as Tonic
does). Every implementation is checked to compute the same values before it is timed.
The numba loops are the yardsticks of a compiled per-event loop and live only here. evlib is given its
own input (a polars DataFrame, built outside the timing) and its long-format output is densified inside.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_integrate import _fmt

import neurodata as nd
from neurodata.integrate import representations as R
from neurodata.spec import Windows
from neurodata.testing import random_events

N_BINS = 10
DT_US = 50_000
TAU_US = 50_000.0


def _peers() -> dict[str, Any]:
    peers: dict[str, Any] = {}
    for name in ("tonic.transforms", "evlib", "polars", "numba"):
        try:
            module = __import__(name, fromlist=["_"])
        except ImportError as err:
            print(f"# {name} unavailable: {err}")
            continue
        peers[name.split(".")[0]] = module
    return peers


def _numba_kernels(numba: Any) -> dict[str, Callable[..., np.ndarray]]:
    @numba.njit(cache=False)
    def voxel(t, x, y, p, n_bins, h, w):  # type: ignore[no-untyped-def]
        hw = h * w
        out = np.zeros((n_bins + 2) * hw)
        t0, span = t[0], t[-1] - t[0]
        for i in range(len(t)):
            tn = n_bins * (t[i] - t0) / span
            k = int(tn)
            d = tn - k
            pol = 1.0 if p[i] != 0 else -1.0
            at = k * hw + y[i] * w + x[i]
            out[at] += pol * (1.0 - d)
            out[at + hw] += pol * d
        return out[: n_bins * hw].reshape(1, n_bins, h, w)

    @numba.njit(cache=False)
    def surface(t, x, y, p, stops, ends, h, w, tau):  # type: ignore[no-untyped-def]
        # our algorithm, compiled: a decaying row, overwritten at each new event
        hw = h * w
        row = np.zeros(2 * hw)
        out = np.empty((len(stops), 2 * hw), dtype=np.float32)
        i = 0
        for j in range(len(stops)):
            if j:
                f = np.exp(-(ends[j] - ends[j - 1]) / tau)
                for q in range(2 * hw):
                    row[q] *= f
            while i < stops[j]:
                row[(hw if p[i] != 0 else 0) + y[i] * w + x[i]] = np.exp(-(ends[j] - t[i]) / tau)
                i += 1
            for q in range(2 * hw):
                out[j, q] = row[q]
        return out.reshape(len(stops), 2, h, w)

    return {"voxel": voxel, "surface": surface}


def _impls(kind: str, ev: dict, tonic_ev: np.ndarray, frame: Any, h: int, w: int, peers: dict) -> dict:
    """The callables to time for one representation, all computing the same values."""
    impls: dict[str, Callable[[], Any]] = {}
    if kind == "voxel grid":
        impls["ours"] = lambda: R.voxel_grid(ev, h, w, N_BINS, convention="tonic")
        impls["ours (validate=False)"] = lambda: R.voxel_grid(ev, h, w, N_BINS, convention="tonic", validate=False)
        impls["ours (float64)"] = lambda: R.voxel_grid(ev, h, w, N_BINS, convention="tonic", dtype=np.float64)
        if "tonic" in peers:
            to_voxel = peers["tonic"].ToVoxelGrid(sensor_size=(w, h, 2), n_time_bins=N_BINS)
            impls["Tonic"] = lambda: to_voxel(tonic_ev)[None, :, 0]
        if "evlib" in peers:
            evlib = peers["evlib"]
            impls["evlib"] = lambda: evlib.densify_voxel_grid(
                evlib.create_voxel_grid(frame, h, w, N_BINS), N_BINS, h, w
            )[None, :, 0]
        if "kernels" in peers:
            kern = peers["kernels"]["voxel"]
            impls["numba loop"] = lambda: kern(ev["t"], ev["x"], ev["y"], ev["p"], N_BINS, h, w)
    elif kind == "time surface":
        rule = Windows(time_window=DT_US, compat="tonic")
        impls["ours"] = lambda: R.time_surface(ev, h, w, TAU_US, windows=rule)
        impls["ours (validate=False)"] = lambda: R.time_surface(ev, h, w, TAU_US, windows=rule, validate=False)
        impls["ours (float64)"] = lambda: R.time_surface(ev, h, w, TAU_US, windows=rule, dtype=np.float64)
        if "tonic" in peers:
            to_surface = peers["tonic"].ToTimesurface(sensor_size=(w, h, 2), dt=DT_US, tau=TAU_US)
            impls["Tonic"] = lambda: to_surface(tonic_ev)
        if "evlib" in peers:
            evlib = peers["evlib"]
            t = ev["t"]
            n_slices = max((int(t[-1] - t[0]) - DT_US) // DT_US + 1, 1)
            impls["evlib"] = lambda: evlib.densify_time_surface(
                evlib.create_time_surface(frame, h, w, DT_US, TAU_US), n_slices, 2, h, w, DT_US, TAU_US, float(t[0])
            )
        if "kernels" in peers:
            kern = peers["kernels"]["surface"]
            b = R.window_bounds(ev["t"], windows=rule)
            impls["numba loop"] = lambda: kern(ev["t"], ev["x"], ev["y"], ev["p"], b.stops, b.ends, h, w, TAU_US)
    elif kind == "stacked histogram":
        t = ev["t"]
        grid = np.arange(int(t[0]) + DT_US, int(t[-1]) + 1, DT_US, dtype=np.int64)
        b = R.Bounds(np.searchsorted(t, grid - DT_US, "left"), np.searchsorted(t, grid, "right"), grid.astype(float))
        impls["ours"] = lambda: R.stacked_histogram(ev, h, w, N_BINS, windows=b)
        impls["ours (validate=False)"] = lambda: R.stacked_histogram(ev, h, w, N_BINS, windows=b, validate=False)
        if "evlib" in peers:
            rs = peers["evlib"].representations_rs
            cols = [ev[k].astype(np.int64) for k in ("t", "x", "y", "p")]
            rows, colmap = np.arange(h, dtype=np.int64), np.arange(w, dtype=np.int64)
            impls["evlib"] = lambda: rs.stacked_histogram_dense(*cols, grid, DT_US, N_BINS, 255, rows, colmap, h, w)
    return impls


def _round_robin(impls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median ms per call of each implementation, timed in turns (one call of each per round), so a change
    in the machine's load hits every implementation alike; calls under 5 ms are timed in batches of ~5 ms."""
    batch = {}
    for name, fn in impls.items():  # warm-up, and the batch size that makes a sample ~5 ms
        fn()
        start = time.perf_counter()
        fn()
        batch[name] = max(1, int(5e-3 / max(time.perf_counter() - start, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(repeats):
        for name, fn in impls.items():
            start = time.perf_counter()
            for _ in range(batch[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / batch[name])
    return {name: statistics.median(v) * 1e3 for name, v in samples.items()}


def bench_case(label: str, ev_struct: np.ndarray, h: int, w: int, peers: dict, repeats: int) -> list[dict]:
    ev = nd.to_dict(ev_struct)
    n = len(ev_struct)
    tonic_ev = np.empty(n, dtype=[("x", "<i2"), ("y", "<i2"), ("p", "<i2"), ("t", "<i8")])
    for k in ("x", "y", "p", "t"):
        tonic_ev[k] = ev[k]
    frame = None
    if "polars" in peers:
        frame = peers["polars"].DataFrame({"t": ev["t"], "x": ev["x"], "y": ev["y"], "polarity": ev["p"]})
    rows = []
    for kind in ("voxel grid", "time surface", "stacked histogram"):
        impls = _impls(kind, ev, tonic_ev, frame, h, w, peers)
        reference = np.asarray((impls.get("ours (float64)") or impls["ours"])(), dtype=np.float64)
        for name, fn in impls.items():  # every contender computes the same values (float32: to its precision)
            got = np.asarray(fn())
            tol = 1e-6 if got.dtype == np.float32 else 1e-9
            np.testing.assert_allclose(got.astype(np.float64), reference, rtol=tol, atol=tol, err_msg=f"{name} {kind}")
        row: dict[str, Any] = {"case": label, "representation": kind, "n": n}
        row.update(_round_robin(impls, repeats if n < 5_000_000 else max(3, repeats // 2)))
        rows.append(row)
        print(f"# done {label} {kind}", file=sys.stderr, flush=True)
    return rows


def _torch_section(quick: bool, repeats: int) -> None:
    import torch

    from neurodata.spec import TimeSurface, VoxelGrid

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rng = np.random.default_rng(1)
    print("\nbatched torch representations (`represent_batch`), B DVS-Gesture-like samples of 128x128")
    print("| device | representation | batch | events/sample | ms | events/s |")
    print("|---|---|---|---|---|---|")
    sensor = nd.SensorSize(128, 128)
    b, n = (4, 20_000) if quick else (16, 500_000)
    evs = [random_events(rng, sensor, n, duration_us=6_000_000) for _ in range(b)]
    for device in devices:
        packed = {k: torch.from_numpy(np.concatenate([e[k] for e in evs]).astype(np.int64)).to(device) for k in "txyp"}
        lengths = torch.full((b,), n)
        for rep, rule in ((VoxelGrid(N_BINS), None), (TimeSurface(TAU_US), Windows(n_time_bins=16))):

            def run(
                packed: dict = packed, rep: Any = rep, rule: Any = rule, device: str = device, lengths: Any = lengths
            ) -> None:
                R.represent_batch(packed, lengths, 128, 128, rep, windows=rule, validate=False)
                if device == "cuda":
                    torch.cuda.synchronize()

            ms = _round_robin({"run": run}, repeats)["run"]
            print(f"| {device} | {rep.kind} | {b} | {n} | {ms:.3g} | {b * n / (ms / 1e3):.3g} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    args, _ = parser.parse_known_args(argv)
    peers = _peers()
    if "numba" in peers:
        peers["kernels"] = _numba_kernels(peers["numba"])
    rng = np.random.default_rng(0)
    sensor = nd.SensorSize(128, 128)
    sizes = [10**5] if args.quick else [10**7]
    cases = [(f"dvs128 N={n:.0e} / 6 s", random_events(rng, sensor, n, duration_us=6_000_000)) for n in sizes]
    gesture = 50_000 if args.quick else 500_000
    cases.append(
        (
            f"DVS-Gesture-like sample ({gesture // 1000}k ev / 6 s)",
            random_events(rng, sensor, gesture, duration_us=6_000_000),
        )
    )
    rows = []
    for label, ev in cases:
        if args.only in label:
            rows += bench_case(label, ev, sensor.height, sensor.width, peers, args.repeats)
    names = ["ours", "ours (validate=False)", "ours (float64)", "Tonic", "evlib", "numba loop"]
    names = [k for k in names if any(k in r for r in rows)]
    ratio_of = [k for k in ("Tonic", "evlib", "numba loop") if k in names]
    print(
        f"\nmachine: {os.cpu_count()} cores, numpy {np.__version__}; median of {args.repeats} runs, ms; "
        f"voxel grid {N_BINS} bins (Tonic's convention), time surface dt={DT_US} us tau={TAU_US:g} us, "
        f"stacked histogram {N_BINS} bins in RVT's {DT_US} us windows"
    )
    header = ["case", "representation", *names, *[f"{k} / ours" for k in ratio_of]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        cells = [r["case"], r["representation"], *[_fmt(r.get(k, "-"), r["n"]) for k in names]]
        cells += [f"{r[k] / r['ours']:.2f}x" if isinstance(r.get(k), float) else "-" for k in ratio_of]
        print("| " + " | ".join(cells) + " |")
    if not args.only:
        _torch_section(args.quick, args.repeats)


if __name__ == "__main__":
    main()
