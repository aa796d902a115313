"""Decode speed of our raw-format readers against SpikingJelly's and Tonic's.

The files are written by our own writers into a temporary folder (so they sit in the page cache)
and every reader gets the same file. Implementations of one file run round-robin (each round runs
each of them once, in rotating order) so that slow spells on a shared machine hit all of them;
the table shows medians, events/s (events in the file / median time) and the ratio of each
median to our EVENT_DTYPE reader's, all from this one run.

SpikingJelly's AEDAT 3.1 reader is a Python loop over events (~1 M events/s): on files of 1e7
events or more it runs once only, without a warm-up, and the output says so.

    .venv/bin/python scripts/bench_decode.py            # 1e6 and 1e7 events, 5 rounds
    .venv/bin/python scripts/bench_decode.py --quick    # 1e4 and 1e5 events, 3 rounds: a smoke run
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurodata.events import SensorSize
from neurodata.io import (
    load_aedat_v3,
    load_ATIS_bin,
    read_aedat2,
    read_aedat31,
    read_atis_bin,
    write_aedat2,
    write_aedat31,
    write_atis_bin,
)
from neurodata.testing import random_events

SJ_SLOW_LIMIT = 10**7  # at or above this many events SpikingJelly's AEDAT 3.1 loop runs once


class _Stub(types.ModuleType):
    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {})


def import_spikingjelly() -> types.ModuleType | None:
    """`spikingjelly.datasets`, with the modules its other datasets import stubbed if missing."""
    if importlib.util.find_spec("spikingjelly") is None:
        return None
    stubbed = []
    for name in ("torchaudio", "h5py", "matplotlib", "matplotlib.pyplot"):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = _Stub(name)
            stubbed.append(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = importlib.import_module("spikingjelly.datasets")
            importlib.import_module("spikingjelly.datasets.cifar10_dvs")
        return module
    except ImportError as err:
        print(f"note: spikingjelly.datasets does not import ({err}); its rows are left out")
        return None
    finally:
        for name in stubbed:
            sys.modules.pop(name, None)


def import_tonic_io() -> types.ModuleType | None:
    """tonic/io.py on its own (it needs only numpy; `import tonic` pulls in every dataset)."""
    spec = importlib.util.find_spec("tonic")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "io.py"
    io_spec = importlib.util.spec_from_file_location("_tonic_io", path)
    if io_spec is None or io_spec.loader is None:
        return None
    module = importlib.util.module_from_spec(io_spec)
    io_spec.loader.exec_module(module)
    return module


@dataclass
class Impl:
    name: str
    run: Callable[[], object]
    rounds: int | None = None  # None: all rounds
    warmup: bool = True
    times: list[float] = field(default_factory=list)


def time_round_robin(impls: list[Impl], rounds: int) -> None:
    for impl in impls:
        if impl.warmup:
            impl.run()
    for r in range(rounds):
        order = impls[r % len(impls) :] + impls[: r % len(impls)]
        for impl in order:
            if impl.rounds is not None and len(impl.times) >= impl.rounds:
                continue
            t0 = time.perf_counter()
            impl.run()
            impl.times.append(time.perf_counter() - t0)


def fmt_rate(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g}"


def fmt_ms(s: float) -> str:
    ms = s * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def tonic_aedat31(tonic: types.ModuleType, path: Path) -> object:
    """Tonic's raw AEDAT reader plus the DVS128 Gesture bit layout (what `read_dvs_ibm` would do
    if it did not crash); it reads every packet as polarity events and ignores the overflow."""
    version, start, _ = tonic.read_aedat_header_from_file(str(path))
    records = tonic.get_aer_events_from_file(str(path), version, start)
    addr = records["address"]
    return (addr >> 17) & 0x7FFF, (addr >> 2) & 0x7FFF, (addr >> 1) & 1, records["timeStamp"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small files and 3 rounds: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per file (default 5, quick 3)")
    args = parser.parse_args()
    sizes = [10**4, 10**5] if args.quick else [10**6, 10**7]
    rounds = args.rounds or (3 if args.quick else 5)

    sj = import_spikingjelly()
    tonic = import_tonic_io()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other jobs share the CPU; ratios come from one run)")
    print(f"peers: spikingjelly {'yes' if sj else 'missing'}, tonic {'yes' if tonic else 'missing'}")
    print(f"rounds: {rounds}, round-robin, median reported\n")

    rows: list[tuple[str, str, float, float, float, str]] = []
    checks: list[str] = []
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="bench_decode_") as tmp:
        for n in sizes:
            # AEDAT 3.1, DVS128 Gesture-like: 128x128, clock starting at ~80 s as in the real recordings,
            # 2048 events per polarity packet and a special packet before every 16th
            gesture = random_events(rng, SensorSize(128, 128), n, duration_us=n, t0=80_048_267)
            path = Path(tmp) / f"gesture_{n}.aedat"
            write_aedat31(path, gesture, packet_events=2048, special_every=16)
            label = f"AEDAT3.1 {n:.0e} ev"
            impls = [
                Impl("neurodata read_aedat31", lambda p=path: read_aedat31(p)),
                Impl("neurodata load_aedat_v3 (dict)", lambda p=path: load_aedat_v3(p)),
            ]
            sj_note = ""
            if sj is not None:
                once = n >= SJ_SLOW_LIMIT
                sj_note = " (once, no warm-up: a Python loop)" if once else ""
                impls.append(
                    Impl(
                        f"spikingjelly load_aedat_v3{sj_note}",
                        lambda p=path, m=sj: m.load_aedat_v3(str(p)),
                        rounds=1 if once else None,
                        warmup=not once,
                    )
                )
            if tonic is not None:
                impls.append(
                    Impl(
                        "tonic raw records + decode (wrong: no overflow, reads specials)",
                        lambda p=path, m=tonic: tonic_aedat31(m, p),
                    )
                )
            time_round_robin(impls, rounds)
            rows += _rows(label, n, impls)
            ours = statistics.median(impls[0].times)
            rate = n / ours
            checks.append(
                f"AEDAT 3.1 {n:.0e}: {fmt_rate(rate)}ev/s on one core (target >= 40 M): "
                f"{'met' if rate >= 40e6 else 'MISSED'}"
            )
            if sj is not None:
                ratio = statistics.median(impls[2].times) / ours
                checks.append(
                    f"AEDAT 3.1 {n:.0e}: {ratio:.1f}x faster than SpikingJelly{sj_note} "
                    f"(target >= 40x): {'met' if ratio >= 40 else 'MISSED'}"
                )

            # ATIS .bin, N-MNIST-like: 34x34 over 9 s, so past 2^23 µs with overflow markers
            nmnist = random_events(rng, SensorSize(34, 34), n, duration_us=9_000_000)
            path = Path(tmp) / f"nmnist_{n}.bin"
            write_atis_bin(path, nmnist)
            markers = path.stat().st_size // 5 - n
            label = f"ATIS .bin {n:.0e} ev ({markers} markers)"
            impls = [
                Impl("neurodata read_atis_bin", lambda p=path: read_atis_bin(p)),
                Impl("neurodata load_ATIS_bin (dict)", lambda p=path: load_ATIS_bin(p)),
            ]
            if sj is not None:
                impls.append(
                    Impl(
                        "spikingjelly load_ATIS_bin (no overflow handling)",
                        lambda p=path, m=sj: m.load_ATIS_bin(str(p)),
                    )
                )
            if tonic is not None:
                dtype = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])
                impls.append(
                    Impl("tonic read_mnist_file", lambda p=path, m=tonic, d=dtype: m.read_mnist_file(str(p), dtype=d))
                )
            time_round_robin(impls, rounds)
            rows += _rows(label, n, impls)
            if sj is not None:
                best = min(statistics.median(impls[0].times), statistics.median(impls[1].times))
                ratio = statistics.median(impls[2].times) / statistics.median(impls[0].times)
                ratio_dict = statistics.median(impls[2].times) / best
                checks.append(
                    f"ATIS {n:.0e}: read_atis_bin {ratio:.2f}x, fastest of ours {ratio_dict:.2f}x faster "
                    f"than SpikingJelly, overflow handling on (target >= 1.2x): "
                    f"{'met' if ratio >= 1.2 else 'MISSED'}"
                )

            # AEDAT 2.0, CIFAR10-DVS-like (not a target; for reference)
            cifar = random_events(rng, SensorSize(128, 128), n, duration_us=n)
            path = Path(tmp) / f"cifar_{n}.aedat"
            write_aedat2(path, cifar, orientation="cifar10dvs")
            # the same work as SpikingJelly's loader: CIFAR10-DVS's axis swap and polarity flip
            impls = [Impl("neurodata read_aedat2", lambda p=path: read_aedat2(p, orientation="cifar10dvs"))]
            if sj is not None:
                impls.append(
                    Impl(
                        "spikingjelly CIFAR10-DVS _load_origin_data",
                        lambda p=path, m=sj: m.cifar10_dvs._load_origin_data(str(p)),
                    )
                )
            time_round_robin(impls, rounds)
            rows += _rows(f"AEDAT2.0 {n:.0e} ev", n, impls)

            # the newer datasets' formats (.dat v1/v2, .mat, .npy, .npz, HDF5 spikes), each against its peers
            from _bench_new_formats import new_format_rows

            rows += new_format_rows(Path(tmp), n, rounds, sj, Impl, time_round_robin, _rows)

    header = ("file", "implementation", "median ms", "events/s", "ratio to ours")
    table = [header] + [(f, i, fmt_ms(t), fmt_rate(r), f"{q:.2f}x") for f, i, t, r, q, _ in rows]
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print("\nratio = median time / median time of our EVENT_DTYPE reader on the same file (> 1: slower)")
    for line in checks:
        print(line)
    return 0


def _rows(label: str, n: int, impls: list[Impl]) -> list[tuple[str, str, float, float, float, str]]:
    ref = statistics.median(impls[0].times)
    out = []
    for impl in impls:
        med = statistics.median(impl.times)
        out.append((label, f"{impl.name} [{len(impl.times)} runs]", med, n / med, med / ref, ""))
    return out


if __name__ == "__main__":
    sys.exit(main())
