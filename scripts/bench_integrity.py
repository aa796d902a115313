"""What checking every stored byte costs: reads of a frame cache and an event store with and without the check.

    python scripts/bench_integrity.py                # 48 DVS128-Gesture-like samples (250k events each)
    python scripts/bench_integrity.py --quick        # a smoke run

Builds a miniature DVS128 Gesture cache (`neurodata.synth`, frames_number=16, split_by='number'), then reads
every sample through `FrameReader.read` and `EventStore.keys` round-robin: once as shipped (each sample's
bytes checked against their xxh3-64 digest) and once with the same reads unchecked, and reports
the ratio of the two in the same run (load-independent), the bytes checked per sample, and the time of the
open-time check of the tables. Also times the digest alone against zlib.crc32 on the same bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from neurodata import store, synth
from neurodata.cache import EventStore, FrameReader
from neurodata.datasets import DVS128Gesture


def _pass(read: list, n: int) -> float:
    start = time.perf_counter()
    for f in read:
        for i in range(n):
            f(i)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--recordings", type=int, default=2, help="recordings per split")
    parser.add_argument("--events-per-sample", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    size = synth.SampleSize(samples_per_class=1 if args.quick else args.recordings,
                            events_per_sample=20_000 if args.quick else args.events_per_sample, duration_us=6_000_000)
    with tempfile.TemporaryDirectory(prefix="bench_integrity_") as tmp:
        root = Path(tmp)
        synth.make_sample("dvs128-gesture", root, size, seed=0)
        ds = DVS128Gesture(root, train=True, data_type="frame", frames_number=16, split_by="number", progress=False)
        frames: FrameReader = ds._frames[0]  # type: ignore[index]
        events: EventStore = ds._events[0]
        n = len(frames)
        out = np.zeros((16, 2, 128, 128), np.float32)
        reads = {
            "frames": lambda i: frames.read(i, out=out),
            "events (keys)": lambda i: events.keys(i, with_t=False),
        }
        checked_raw = store.SampleFile.raw

        def unchecked_raw(self: store.SampleFile, i: int) -> np.ndarray:  # the same read, no digest
            start, length = (int(v) for v in self.spans[i])
            return np.frombuffer(os.pread(self._descriptor(), length, len(store.MAGIC) + start), dtype=np.uint8)

        times: dict[str, dict[str, list[float]]] = {k: {"checked": [], "unchecked": []} for k in reads}
        for _ in range(args.rounds):
            for what, read in reads.items():
                store.SampleFile.raw = checked_raw  # type: ignore[method-assign]
                times[what]["checked"].append(_pass([read], n))
                store.SampleFile.raw = unchecked_raw  # type: ignore[method-assign]
                times[what]["unchecked"].append(_pass([read], n))
        store.SampleFile.raw = checked_raw  # type: ignore[method-assign]
        print(f"{n} train samples, {size.events_per_sample} events each; {args.rounds} rounds, medians")
        for what in reads:
            c, u = np.median(times[what]["checked"]) / n, np.median(times[what]["unchecked"]) / n
            f = frames._file if what == "frames" else events._file
            nbytes = int(f.spans[:, 1].mean())
            print(f"{what}: {c * 1e3:.3f} ms per sample checked, {u * 1e3:.3f} ms with the digest skipped: "
                  f"checking costs {100 * (c - u) / u:+.1f}% ({nbytes:,} stored bytes per sample)")
        blob = bytes(frames._file.raw(0))
        rounds = 2000
        t0 = time.perf_counter()
        for _ in range(rounds):
            store.digest(blob)
        t1 = time.perf_counter()
        for _ in range(rounds):
            zlib.crc32(blob)
        t2 = time.perf_counter()
        print(f"digest of one {len(blob):,}-byte frame sample: xxh3-64 {(t1 - t0) / rounds * 1e6:.1f} µs, "
              f"zlib.crc32 {(t2 - t1) / rounds * 1e6:.1f} µs")
        t0 = time.perf_counter()
        for _ in range(20):
            FrameReader(frames.path).close()
        print(f"opening a frame file (tables checked): {(time.perf_counter() - t0) / 20 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
