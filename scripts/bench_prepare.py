"""Prepare a DVS128-Gesture-format archive with SpikingJelly and with neurodata, then read both caches.

    python scripts/bench_prepare.py                 # 16 recordings x 12 gestures x 250k events (~50 M events)
    python scripts/bench_prepare.py --quick         # 12 small recordings, a smoke run

Both start from the same DvsGesture.tar.gz (AEDAT 3.1 recordings, labels CSVs, trials files) written by
`neurodata.synth`. SpikingJelly gets it already extracted (its checksum check knows only the real file), so
its time excludes extraction while ours includes it. Reports wall time, disk bytes and DataLoader
samples/s over every sample of both splits, per pass (`--epochs`, default 2: the first pass includes each
reader's start-up, later passes are what every further training epoch sees), and the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tarfile
import tempfile
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from neurodata import synth
from neurodata.datasets import DVS128Gesture
from neurodata.loading import pad_sequence_collate


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _read_all(datasets: list[Any], batch_size: int = 16) -> tuple[float, int]:
    start = time.perf_counter()
    n = 0
    for ds in datasets:
        loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, collate_fn=pad_sequence_collate)
        for x, _, _ in loader:
            n += x.shape[0]
    return time.perf_counter() - start, n


def _read_epochs(datasets: list[Any], epochs: int) -> tuple[list[float], int]:
    """Samples/s of each pass over every sample (the first includes each reader's start-up), and the count."""
    rates, n = [], 0
    for _ in range(epochs):
        secs, n = _read_all(datasets)
        rates.append(n / secs)
    return rates, n


def _spikingjelly(root: Path) -> tuple[float, list[Any]]:
    if "torchaudio" not in sys.modules:
        try:
            import torchaudio  # noqa: F401
        except ImportError:
            sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    import logging

    from spikingjelly.datasets.dvs128_gesture import DVS128Gesture as SJGesture

    logging.getLogger("spikingjelly").setLevel(logging.WARNING)
    try:
        from loguru import logger

        logger.remove()
        logger.add(sys.stderr, level="WARNING")
    except ImportError:
        pass

    class Gesture(SJGesture):  # type: ignore[misc, valid-type]
        # its checksum check knows only IBM's archive; everything after it runs unchanged
        def _check_downloaded_files(self, download_root: Path) -> None:
            pass

    (root / "download").mkdir(exist_ok=True)
    start = time.perf_counter()
    sets = [Gesture(str(root), train=t, data_type="frame", frames_number=16, split_by="number") for t in (True, False)]
    return time.perf_counter() - start, sets


def _ours(root: Path, workers: int | None) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    sets = [
        DVS128Gesture(
            root, train=t, data_type="frame", frames_number=16, split_by="number", workers=workers, progress=False
        )
        for t in (True, False)
    ]
    return time.perf_counter() - start, sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--recordings", type=int, default=8, help="recordings per split")
    parser.add_argument("--events-per-sample", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=None, help="preparation processes (default: the library's)")
    parser.add_argument("--skip-spikingjelly", action="store_true")
    parser.add_argument("--epochs", type=int, default=2, help="read passes over both caches (training reads many)")
    args = parser.parse_args()
    size = synth.SampleSize(
        samples_per_class=6 if args.quick else args.recordings,
        events_per_sample=5_000 if args.quick else args.events_per_sample,
        duration_us=6_000_000,
    )
    with tempfile.TemporaryDirectory(prefix="bench_prepare_") as tmp:
        base = Path(tmp)
        ours_root, sj_root = base / "ours", base / "sj"
        t0 = time.perf_counter()
        synth.make_sample("dvs128-gesture", ours_root, size, seed=0)
        archive = ours_root / "download" / "DvsGesture.tar.gz"
        print(
            f"archive: {2 * size.samples_per_class} recordings, {archive.stat().st_size / 1e6:.1f} MB, "
            f"written in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        sj_root.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(sj_root / "extract", filter="data")

        rows = []
        ours_s, ours_sets = _ours(ours_root, args.workers)
        ours_rates, n = _read_epochs(ours_sets, args.epochs)
        ours_disk = _du(ours_root / "frames")
        ours_events = _du(ours_root / "events")
        rows.append(("neurodata", ours_s, ours_disk, ours_events, ours_rates, n))
        print(f"# neurodata done: {ours_s:.1f} s", flush=True)
        if not args.skip_spikingjelly:
            sj_s, sj_sets = _spikingjelly(sj_root)
            sj_rates, n_sj = _read_epochs(sj_sets, args.epochs)
            sj_disk = _du(sj_root / "frames_number_16_split_by_number")
            rows.append(("SpikingJelly 2.0.0", sj_s, sj_disk, _du(sj_root / "events_np"), sj_rates, n_sj))
        workers = args.workers or "default"
        print(f"\nmachine: {os.cpu_count()} cores; our workers: {workers}; frames_number=16, split_by='number'")
        passes = " / ".join(f"epoch {k + 1}" for k in range(args.epochs))
        print(
            "| implementation | samples | prepare s | frame cache bytes | event store bytes "
            f"| DataLoader samples/s ({passes}) |"
        )
        print("|---|---|---|---|---|---|")
        for name, secs, disk, events, rates, count in rows:
            shown = " / ".join(f"{r:.0f}" for r in rates)
            print(f"| {name} | {count} | {secs:.2f} | {disk:,} | {events:,} | {shown} |")
        if len(rows) == 2:
            (_, o_s, o_d, _, o_r, _), (_, s_s, s_d, _, s_r, _) = rows
            reads = " / ".join(f"{a / b:.1f}x" for a, b in zip(o_r, s_r, strict=True))
            print(
                f"\nratios: preparation {s_s / o_s:.1f}x faster, cache {o_d / s_d:.2f} of SpikingJelly's size "
                f"(1/{s_d / o_d:.1f}), reads {reads} faster ({passes})"
            )
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
