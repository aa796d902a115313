"""What checking every stored byte costs: the digest of a sample against reading it, frame cache and event store.

    python scripts/bench_integrity.py                # 24 DVS128-Gesture-like samples (250k events each)
    python scripts/bench_integrity.py --quick        # a smoke run

Builds a miniature DVS128 Gesture cache (`neurodata.synth`, frames_number=16, split_by='number'), then times,
in the same run, reading every sample (`FrameReader.read`, `EventStore.keys`: the checked reads as shipped)
and the check alone (the xxh3-64 digest of each sample's stored bytes), and reports their ratio: the share
of a read spent checking. Also times the digest against zlib.crc32 on the same bytes, and opening a split
(the check of its tables).
"""

from __future__ import annotations

import argparse
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
        # the check is one digest of the bytes a read fetches: time it alone, against the whole read, in one run
        files = {"frames": frames._file, "events (keys)": events._file}
        stored = {what: [bytes(f.raw(i)) for i in range(n)] for what, f in files.items()}
        read_s: dict[str, list[float]] = {k: [] for k in reads}
        digest_s: dict[str, list[float]] = {k: [] for k in reads}
        for _ in range(args.rounds):
            for what, read in reads.items():
                t = time.perf_counter()
                for i in range(n):
                    read(i)
                read_s[what].append((time.perf_counter() - t) / n)
                t = time.perf_counter()
                for data in stored[what]:
                    store.digest(data)
                digest_s[what].append((time.perf_counter() - t) / n)
        print(f"{n} train samples, {size.events_per_sample} events each; {args.rounds} rounds, medians")
        for what in reads:
            r, d = float(np.median(read_s[what])), float(np.median(digest_s[what]))
            nbytes = int(files[what].spans[:, 1].mean())
            print(f"{what}: a read takes {r * 1e3:.3f} ms per sample, its check (xxh3-64 of {nbytes:,} stored bytes) "
                  f"{d * 1e6:.2f} µs: {100 * d / r:.2f}% of the read")
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
