"""A root SpikingJelly prepared, used through `neurodata.compat.spikingjelly` and through SpikingJelly itself.

    python scripts/bench_sj_compat.py            # 24 DVS128 Gesture recordings x 12 gestures x 60k events
    python scripts/bench_sj_compat.py --quick    # a smoke run

SpikingJelly first prepares the root from a DVS128-Gesture-format archive written by `neurodata.synth`
(``events_np/``, untimed). Then, for each frame setting in turn, both build it from that root (SpikingJelly
integrates every events_np file into a new npz folder; the compatibility class, on first use, reads events_np
into its event store, then integrates into its frame cache), and both read every train sample through a
DataLoader, per pass. Last, the compatibility class reads SpikingJelly's own frames folder. Reports seconds,
samples/s and the ratios SpikingJelly / neurodata (above 1: neurodata is faster).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from neurodata import synth
from neurodata.compat import spikingjelly as sjc
from neurodata.loading import pad_sequence_collate


def _spikingjelly_class() -> Any:
    if "torchaudio" not in sys.modules:
        try:
            import torchaudio  # noqa: F401
        except ImportError:
            sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    from spikingjelly.datasets.dvs128_gesture import DVS128Gesture

    # the miniature's checksums are not the real archive's: SpikingJelly's MD5 check is skipped
    DVS128Gesture._check_downloaded_files = classmethod(lambda cls, root: None)
    return DVS128Gesture


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _rate(ds: Any, epochs: int) -> list[float]:
    rates = []
    for _ in range(epochs):
        start, n = time.perf_counter(), 0
        for x, _, _ in torch.utils.data.DataLoader(ds, batch_size=16, collate_fn=pad_sequence_collate):
            n += x.shape[0]
        rates.append(n / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small root, one pass: a smoke run")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    recordings, events = (2, 3000) if args.quick else (12, 60_000)
    epochs = 1 if args.quick else args.epochs
    sj_cls = _spikingjelly_class()
    with tempfile.TemporaryDirectory(prefix="bench-sj-compat-") as tmp:
        root = Path(tmp) / "root"
        manifest = synth.make_sample("dvs128-gesture", root, synth.SampleSize(recordings, events), seed=0)
        manifest.unlink()
        sj_cls(str(root), train=True)  # SpikingJelly's events_np, not timed
        print(f"root: {sum(1 for _ in (root / 'events_np').rglob('*.npz'))} samples in events_np")
        print("| setting | SpikingJelly build s | neurodata build s | ratio | SpikingJelly per s | neurodata per s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for params in (
            {"frames_number": 16, "split_by": "number"},
            {"frames_number": 8, "split_by": "time"},
            {"duration": 100_000},
        ):
            kw = {"train": True, "data_type": "frame", **params}
            t_sj, sj = _timed(lambda kw=kw: sj_cls(str(root), **kw))
            # SpikingJelly's folder exists now: build ours on a copy without it, so ours integrates itself
            mine = Path(tmp) / "mine"
            shutil.rmtree(mine, ignore_errors=True)
            shutil.copytree(root / "events_np", mine / "events_np")
            if (root / "events").exists():  # the event store of an earlier setting
                shutil.copytree(root / "events", mine / "events")
            t_nd, nd = _timed(lambda kw=kw, mine=mine: sjc.DVS128Gesture(mine, **kw))
            r_sj, r_nd = _rate(sj, epochs), _rate(nd, epochs)
            shutil.rmtree(root / "events", ignore_errors=True)
            shutil.copytree(mine / "events", root / "events")  # later settings reuse the event store, as a user's would
            name = ", ".join(f"{k}={v}" for k, v in params.items())
            print(
                f"| {name} | {t_sj:.2f} | {t_nd:.2f} | {t_sj / t_nd:.1f} | "
                f"{' / '.join(f'{r:.0f}' for r in r_sj)} | {' / '.join(f'{r:.0f}' for r in r_nd)} |"
            )
        kw = {"train": True, "data_type": "frame", "frames_number": 16, "split_by": "number"}
        t_read, read = _timed(lambda: sjc.DVS128Gesture(root, **kw))
        assert read.loader is not None  # SpikingJelly's folder, read as it is
        rates = " / ".join(f"{r:.0f}" for r in _rate(read, epochs))
        print(f"SpikingJelly's frames_number_16 folder through the compatibility class: {t_read:.2f} s, {rates} per s")


if __name__ == "__main__":
    main()
