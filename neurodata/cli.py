"""`neurodata` command line: a thin layer that calls the library and turns its errors into exit code 1."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from neurodata import integrate
from neurodata.errors import NeurodataError
from neurodata.events import SensorSize, to_dict
from neurodata.testing import moving_bar_events

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Event-camera data preparation.")
log = logging.getLogger("neurodata")


@app.callback()
def _root(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")] = False,
) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the frames written by the demo.")] = Path("cache/demo"),
    samples: Annotated[int, typer.Option(min=1, help="Number of synthetic recordings.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic events.")] = 0,
) -> None:
    """Integrate synthetic moving-bar recordings into frames, offline, and batch them for a DataLoader."""
    try:
        _demo(out, samples, seed)
    except NeurodataError as err:
        typer.secho(str(err), fg="red", err=True)
        raise typer.Exit(code=1) from None


def _demo(out: Path, samples: int, seed: int) -> None:
    import torch

    from neurodata.loading import pad_sequence_collate, padded_sequence_mask

    rng = np.random.default_rng(seed)
    sensor = SensorSize(128, 128)
    recordings = [
        moving_bar_events(
            rng,
            sensor,
            int(rng.integers(50_000, 200_000)),
            duration_us=int(rng.integers(1_000_000, 3_000_000)),
            direction=i % 4,
        )
        for i in range(samples)
    ]
    log.info("generated %d recordings, %d events in all", samples, sum(len(r) for r in recordings))
    h, w = sensor.height, sensor.width
    batch = []
    for i, ev in enumerate(recordings):
        d = to_dict(ev)
        start = time.perf_counter()
        by_number = integrate.integrate_events_by_fixed_frames_number(d, "number", 16, h, w)
        by_time = integrate.integrate_events_by_fixed_frames_number(d, "time", 16, h, w)
        by_duration = integrate.integrate_events_by_fixed_duration(d, 250_000, h, w)
        ms = (time.perf_counter() - start) * 1e3
        torch_frames = integrate.integrate_events_by_fixed_frames_number(
            {k: torch.from_numpy(v.astype(np.int64)) for k, v in d.items()}, "number", 16, h, w
        )
        same = bool(np.array_equal(torch_frames.numpy(), by_number))
        log.info(
            "recording %d: %7d events -> number %s, time %s, duration(250 ms) %s in %.1f ms; "
            "all events counted: %s; torch equals numpy: %s",
            i,
            len(ev),
            tuple(by_number.shape),
            tuple(by_time.shape),
            tuple(by_duration.shape),
            ms,
            by_number.sum() == by_time.sum() == by_duration.sum() == len(ev),
            same,
        )
        batch.append((by_duration, i % 4))
    frames, labels, lengths = pad_sequence_collate(batch)
    mask = padded_sequence_mask(lengths)
    log.info(
        "pad_sequence_collate -> frames %s, labels %s, lengths %s; mask %s with %d real steps",
        tuple(frames.shape),
        labels.tolist(),
        lengths.tolist(),
        tuple(mask.shape),
        int(mask.sum()),
    )
    out.mkdir(parents=True, exist_ok=True)
    target = out / "demo_frames.npz"
    tmp = target.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, frames=frames.numpy().astype(np.uint16), labels=labels.numpy(), lengths=lengths.numpy())
    tmp.replace(target)
    log.info("wrote %s", target)


def main() -> None:
    """Entry point of the `neurodata` console script."""
    app()
