"""Time our frame integrators against SpikingJelly, Tonic, a naive numpy recipe and a numba loop, in one run.

    python scripts/bench_integrate.py            # the full table (about two minutes on 2 cores)
    python scripts/bench_integrate.py --quick    # small sizes, a smoke run
    python scripts/bench_integrate.py --only 1e+07   # the cases whose label contains that text
    python scripts/bench_integrate.py --representations   # voxel grids, time surfaces, stacked histograms

Prints one markdown table of median milliseconds (events/s in brackets) and ratios: a ratio above 1 means
the other implementation takes that many times longer than ours (`ours` = default call, coordinates and
sort order validated). numba is the yardstick of a compiled per-event loop and lives only here.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import neurodata as nd
from neurodata.testing import random_events

T_FRAMES = 16


def _median_ms(fn: Callable[[], Any], repeats: int) -> float:
    """Median ms per call over `repeats` samples; calls under 5 ms are timed in batches of ~5 ms per sample."""
    fn()  # warm-up (page faults, numba compile, caches)
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    batch = max(1, int(5e-3 / max(once, 1e-7)))  # one timer read per ~5 ms: sub-0.1 ms calls stop being noise
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - start) / batch)
    return statistics.median(times) * 1e3


def _load_peers() -> dict[str, Any]:
    peers: dict[str, Any] = {}
    try:
        if "torchaudio" not in sys.modules:  # spikingjelly.datasets imports it for one audio dataset
            try:
                import torchaudio  # noqa: F401
            except ImportError:
                sys.modules["torchaudio"] = types.ModuleType("torchaudio")
        from spikingjelly.datasets import utils as sj

        peers["sj"] = sj
    except ImportError as err:
        print(f"# SpikingJelly unavailable: {err}")
    try:
        import tonic.transforms as tt

        peers["tonic"] = tt
    except ImportError as err:
        print(f"# Tonic unavailable: {err}")
    try:
        import numba

        peers["numba"] = numba
    except ImportError as err:
        print(f"# numba unavailable: {err}")
    return peers


def _numba_kernel(numba: Any) -> Callable[..., np.ndarray]:
    """The yardstick: a compiled per-event loop over window index ranges (no per-event division)."""

    @numba.njit(cache=False)
    def count(x, y, p, starts, stops, h, w):  # type: ignore[no-untyped-def]
        hw = h * w
        out = np.zeros((len(starts), 2 * hw), dtype=np.float32)
        for j in range(len(starts)):
            row = out[j]
            for i in range(starts[j], stops[j]):
                row[(hw if p[i] != 0 else 0) + y[i] * w + x[i]] += 1.0
        return out.reshape(len(starts), 2, h, w)

    return count


def _np_ref(ev: dict, mode: str, m: int, step: int, h: int, w: int) -> np.ndarray:
    """The literal vectorized recipe: a per-event frame index, then one bincount."""
    n = len(ev["x"])
    if mode == "number":
        j = np.minimum(np.arange(n) // step, m - 1)
    else:
        j = np.minimum((ev["t"] - ev["t"][0]) // step, m - 1)
    key = ((j * 2 + (ev["p"] != 0)) * h + ev["y"].astype(np.int64)) * w + ev["x"]
    return np.bincount(key, minlength=m * 2 * h * w).reshape(m, 2, h, w).astype(np.float32)


def _impls(mode: str, ev: dict, ev64: dict, tonic_ev: np.ndarray, h: int, w: int, m: int, peers: dict) -> dict:
    """The callables to time for one mode, all computing the same frames."""
    n = len(ev["x"])
    span = int(ev["t"][-1] - ev["t"][0])
    duration = max(1, -(-span // m))
    split = nd.split
    if mode == "duration":
        impls = {
            "ours": lambda: nd.integrate_events_by_fixed_duration(ev, duration, h, w),
            "ours (validate=False)": lambda: nd.integrate_events_by_fixed_duration(ev, duration, h, w, validate=False),
        }
        windows = lambda: split.segments_by_duration(ev["t"], duration)  # noqa: E731
        m_eff, step = split.duration_frames_count(ev["t"], duration), duration
        tonic_kw: dict[str, Any] = {"time_window": duration, "include_incomplete": True}
    else:
        impls = {
            "ours": lambda: nd.integrate_events_by_fixed_frames_number(ev, mode, m, h, w),
            "ours (validate=False)": lambda: nd.integrate_events_by_fixed_frames_number(
                ev, mode, m, h, w, validate=False
            ),
        }
        if mode == "number":
            windows = lambda: split.segments_by_number(n, m)  # noqa: E731
            m_eff, step, tonic_kw = m, n // m, {"event_count": n // m}
        else:
            windows = lambda: split.segments_by_time(ev["t"], m)  # noqa: E731
            m_eff, step, tonic_kw = m, span // m, {"n_time_bins": m}
    if "sj" in peers:
        sj = peers["sj"]
        if mode == "duration":
            impls["SpikingJelly"] = lambda: sj.integrate_events_by_fixed_duration(ev64, duration, h, w)
        else:
            impls["SpikingJelly"] = lambda: sj.integrate_events_by_fixed_frames_number(ev64, mode, m, h, w)
    if "tonic" in peers:
        to_frame = peers["tonic"].ToFrame(sensor_size=(w, h, 2), **tonic_kw)
        impls["Tonic ToFrame"] = lambda: to_frame(tonic_ev)
    impls["numpy recipe"] = lambda: _np_ref(ev, mode, m_eff, step, h, w)
    if "kernel" in peers:
        kern = peers["kernel"]
        impls["numba loop"] = lambda: kern(ev["x"], ev["y"], ev["p"], *windows(), h, w)
    return impls


def bench_case(label: str, ev_struct: np.ndarray, h: int, w: int, m: int, peers: dict, repeats: int) -> list[dict]:
    ev = nd.to_dict(ev_struct)
    ev64 = {k: v.astype(np.int64) for k, v in ev.items()}  # SpikingJelly's own loaders give int64
    n = len(ev_struct)
    tonic_ev = np.empty(n, dtype=[("x", "<i2"), ("y", "<i2"), ("p", "<i2"), ("t", "<i8")])
    for k in ("x", "y", "p", "t"):
        tonic_ev[k] = ev[k]
    rows = []
    for mode in ("number", "time", "duration"):
        impls = _impls(mode, ev, ev64, tonic_ev, h, w, m, peers)
        reference = impls["ours"]()
        # the yardsticks must compute the same frames, or the timing compares different work
        for name in ("numpy recipe", "numba loop", "SpikingJelly"):
            if name in impls:
                with contextlib.suppress(IndexError):  # SpikingJelly's empty-window crash
                    np.testing.assert_array_equal(impls[name](), reference)
        row: dict[str, Any] = {"case": label, "mode": mode, "n": n}
        for name, fn in impls.items():
            try:
                row[name] = _median_ms(fn, repeats if n < 5_000_000 or name != "Tonic ToFrame" else 2)
            except IndexError as err:
                row[name] = f"IndexError: {err}"
        rows.append(row)
        print(f"# done {label} {mode}", file=sys.stderr, flush=True)
    return rows


def _fmt(ms: Any, n: int) -> str:
    if not isinstance(ms, float):
        return str(ms)
    rate = n / (ms / 1e3)
    unit = f"{rate / 1e6:.0f} M" if rate >= 1e6 else f"{rate / 1e3:.0f} k"
    return f"{ms:.3g} ({unit}/s)" if ms >= 0.01 else f"{ms:.4f} ({unit}/s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    parser.add_argument(
        "--representations", action="store_true", help="time the representations instead (bench_representations.py)"
    )
    args = parser.parse_args()
    if args.representations:
        import bench_representations

        bench_representations.main(sys.argv[1:])
        return
    peers = _load_peers()
    if "numba" in peers:
        peers["kernel"] = _numba_kernel(peers["numba"])
    rng = np.random.default_rng(0)
    sizes = [10**5] if args.quick else [10**5, 10**6, 10**7]
    cases = []
    for name, sensor in (("dvs128", nd.SensorSize(128, 128)), ("nmnist34", nd.SensorSize(34, 34))):
        for n in sizes:
            cases.append((f"{name} N={n:.0e}", random_events(rng, sensor, n, duration_us=6_000_000), sensor, 16))
    cases.append(
        (
            "DVS-Gesture-like sample (500k ev / 6 s), T=16",
            random_events(rng, nd.SensorSize(128, 128), 500_000, duration_us=6_000_000),
            nd.SensorSize(128, 128),
            16,
        )
    )
    cases.append(
        (
            "N-MNIST-like sample (4.5k ev / 300 ms), T=20",
            random_events(rng, nd.SensorSize(34, 34), 4_500, duration_us=300_000),
            nd.SensorSize(34, 34),
            20,
        )
    )
    rows = []
    for label, ev, sensor, m in (c for c in cases if args.only in c[0]):
        rows += bench_case(label, ev, sensor.height, sensor.width, m, peers, args.repeats)

    names = ["ours", "ours (validate=False)", "SpikingJelly", "Tonic ToFrame", "numpy recipe", "numba loop"]
    names = [k for k in names if any(k in r for r in rows)]
    ratio_of = [k for k in ("SpikingJelly", "Tonic ToFrame", "numpy recipe", "numba loop") if k in names]
    print(f"\nmachine: {os.cpu_count()} cores, numpy {np.__version__}; median of {args.repeats} runs, ms")
    header = ["case", "mode", *names, *[f"{k} / ours" for k in ratio_of]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        cells = [r["case"], r["mode"], *[_fmt(r.get(k, "-"), r["n"]) for k in names]]
        for k in ratio_of:
            v = r.get(k)
            cells.append(f"{v / r['ours']:.2f}x" if isinstance(v, float) else "-")
        print("| " + " | ".join(cells) + " |")
    if not args.only:
        _torch_section(args.quick)


def _torch_section(quick: bool) -> None:
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rng = np.random.default_rng(1)
    print("\nbatched torch integrator (`integrate_events_batch`, split_by='number')")
    print("| device | batch | events/sample | T | ms | events/s |")
    print("|---|---|---|---|---|---|")
    for device in devices:
        for b, n, sensor, m in ((64, 4_500, nd.SensorSize(34, 34), 20), (16, 500_000, nd.SensorSize(128, 128), 16)):
            if quick and n > 10_000:
                continue
            evs = [random_events(rng, sensor, n, duration_us=300_000) for _ in range(b)]
            packed = {
                k: torch.from_numpy(np.concatenate([e[k] for e in evs]).astype(np.int64)).to(device)
                for k in ("t", "x", "y", "p")
            }
            lengths = torch.full((b,), n, device=device)

            def run(
                packed: dict = packed,
                lengths: torch.Tensor = lengths,
                sensor: Any = sensor,
                m: int = m,
                device: str = device,
            ) -> None:
                nd.integrate_events_batch(
                    packed, lengths, sensor.height, sensor.width, frames_num=m, split_by="number", validate=False
                )
                if device == "cuda":
                    torch.cuda.synchronize()

            ms = _median_ms(run, 5)
            print(
                f"| {device} ({torch.cuda.get_device_name() if device == 'cuda' else 'torch'}) | {b} | {n} | {m} "
                f"| {ms:.3g} | {b * n / (ms / 1e3):.3g} |"
            )


if __name__ == "__main__":
    main()
