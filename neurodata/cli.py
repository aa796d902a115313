"""`neurodata` command line: a thin layer that calls the library and turns its errors into exit code 1."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from neurodata.errors import NeurodataError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Event-camera datasets: fetch, verify, prepare.")
log = logging.getLogger("neurodata")

DEFAULT_HOME = Path(os.environ.get("NEURODATA_HOME", "cache"))
RootOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at runtime on Python 3.10
    typer.Option("--root", help="The dataset's folder (default: $NEURODATA_HOME/NAME, else cache/NAME)."),
]
NameArg = Annotated[str, typer.Argument(help="Dataset name; see `neurodata list`.")]


def _root(name: str, root: Path | None) -> Path:
    return root if root is not None else DEFAULT_HOME / name


def _fail(err: Exception) -> typer.Exit:
    typer.secho(f"error: {err}", fg="red", err=True)
    return typer.Exit(code=1)


@app.callback()
def _main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors; no progress bars.")] = False,
) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    os.environ["NEURODATA_QUIET"] = "1" if quiet else ""


def _progress() -> bool:
    return not os.environ.get("NEURODATA_QUIET")


@app.command("list")
def list_() -> None:
    """List the datasets."""
    from neurodata.datasets import DATASETS

    for name in DATASETS.names():
        cls = DATASETS.get(name)
        typer.echo(f"{name:16s} {cls.__name__:14s} {cls.sensor.width}x{cls.sensor.height}, {len(cls.classes)} classes")


@app.command()
def info(name: NameArg) -> None:
    """Show a dataset's sensor, classes, files and checksums."""
    from neurodata.datasets import get_dataset

    try:
        cls = get_dataset(name)
    except NeurodataError as err:
        raise _fail(err) from None
    typer.echo(f"{cls.name}: {cls.__name__} ({(cls.__doc__ or '').strip().splitlines()[0]})")
    typer.echo(f"sensor {cls.sensor.width}x{cls.sensor.height}, splits {', '.join(cls.splits)}")
    typer.echo("classes: " + ", ".join(f"{i}={c}" for i, c in enumerate(cls.classes)))
    for r in cls.resources:
        typer.echo(f"file {r.filename}: md5 {r.md5}" + (f", mirrors: {', '.join(r.urls)}" if r.urls else ", manual"))


@app.command()
def download(name: NameArg, root: RootOption = None) -> None:
    """Download NAME's raw files (resuming, verified), or say where to put files that need a browser."""
    from neurodata.datasets import get_dataset

    try:
        paths = get_dataset(name).download(_root(name, root), progress=_progress())
    except NeurodataError as err:
        raise _fail(err) from None
    for p in paths:
        log.info("ok %s", p)


@app.command()
def verify(
    name: NameArg,
    root: RootOption = None,
    cache: Annotated[
        bool, typer.Option("--cache", help="Check every stored sample of the caches instead; rebuild damaged files.")
    ] = False,
) -> None:
    """Check NAME's downloaded files against their checksums (with --cache: its caches, repairing them)."""
    from neurodata.datasets import get_dataset

    try:
        if cache:
            report = get_dataset(name).verify_cache(_root(name, root), progress=_progress())
            lines = report.lines()
        else:
            lines = [f"ok {p}" for p in get_dataset(name).verify(_root(name, root))]
    except NeurodataError as err:
        raise _fail(err) from None
    for line in lines:
        typer.echo(line)
    if cache and not report.ok:
        raise typer.Exit(code=1)


@app.command()
def prepare(
    name: NameArg,
    root: RootOption = None,
    frames: Annotated[Optional[int], typer.Option(help="Frames per sample (with --split-by).")] = None,  # noqa: UP045
    split_by: Annotated[str, typer.Option(help="'number' or 'time' (with --frames).")] = "number",
    duration: Annotated[Optional[int], typer.Option(help="Frame length in µs, instead of --frames.")] = None,  # noqa: UP045
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Worker processes (default: 1; the vectorized code is fastest in one process)."),
    ] = None,
    download: Annotated[bool, typer.Option("--download/--no-download", help="Fetch missing files first.")] = False,
    representation: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--repr",
            help="A representation and its parameters, NAME[:key=value,...] (voxel_grid, time_surface, "
            "averaged_time_surface, bina_rep, stacked_histogram, counts, sparse_counts); Tonic window keys "
            "(time_window, event_count, n_time_bins, n_event_bins, overlap, include_incomplete) give its "
            "windows, e.g. 'time_surface:tau=5000,time_window=50000'; or use --frames/--duration.",
        ),
    ] = None,
) -> None:
    """Decode NAME once into an event store and, with --frames, --duration or --repr, build its frame cache."""
    from neurodata.datasets import get_dataset

    r = _root(name, root)
    try:
        cls = get_dataset(name)
        start = time.perf_counter()
        if frames is None and duration is None and representation is None:
            stores = cls.prepare_events(r, download=download, workers=workers or 1, progress=_progress())
            log.info(
                "event stores ready in %.1f s: %s", time.perf_counter() - start, ", ".join(map(str, stores.values()))
            )
            return
        ds = cls(
            r,
            None,
            "frame",
            frames,
            split_by if frames is not None else None,
            duration,
            download=download,
            workers=workers,
            progress=_progress(),
            representation=representation,
        )
    except (NeurodataError, ValueError) as err:
        raise _fail(err) from None
    assert ds.spec is not None
    log.info("%r ready in %.1f s; cache key %s", ds, time.perf_counter() - start, ds.spec.key())


@app.command()
def show(
    name: NameArg,
    index: Annotated[int, typer.Argument(help="Sample index (train then test).")],
    root: RootOption = None,
    gif: Annotated[Path, typer.Option(help="Where to write the GIF.")] = Path("sample.gif"),
    frames: Annotated[int, typer.Option(help="Frames in the GIF.")] = 16,
) -> None:
    """Write a GIF of sample INDEX of NAME (frames_number=FRAMES, split_by='number')."""
    from neurodata.datasets import get_dataset
    from neurodata.show import play_frame

    try:
        ds = get_dataset(name)(_root(name, root), None, "frame", frames, "number", progress=_progress())
        x, label = ds[index]
    except (NeurodataError, IndexError, ValueError) as err:
        raise _fail(err) from None
    play_frame(x, gif)
    log.info("sample %d (label %d %s) -> %s", index, label, ds.classes[label], gif)


@app.command("make-sample")
def make_sample(
    name: NameArg,
    root: RootOption = None,
    samples_per_class: Annotated[int, typer.Option(help="Samples per class (recordings per split for gestures).")] = 4,
    events_per_sample: Annotated[int, typer.Option(help="Mean events per sample.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a miniature NAME dataset in the real archive formats (for demos, tests and benchmarks)."""
    from neurodata import synth

    try:
        manifest = synth.make_sample(
            name, _root(name, root), synth.SampleSize(samples_per_class, events_per_sample), seed=seed
        )
    except (NeurodataError, ValueError) as err:
        raise _fail(err) from None
    files = [r["filename"] for r in json.loads(manifest.read_text())["resources"]]
    log.info("wrote %s and %s", ", ".join(files), manifest)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the miniature dataset, its caches and the GIF.")] = Path(
        "cache/demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the miniature dataset.")] = 0,
) -> None:
    """The whole data path offline: miniature DVS128 Gesture archive -> frame cache -> DataLoader -> GIF."""
    try:
        _demo(out, seed)
    except NeurodataError as err:
        raise _fail(err) from None


def _demo(out: Path, seed: int) -> None:
    import torch

    from neurodata import synth
    from neurodata.datasets import DVS128Gesture
    from neurodata.loading import pad_sequence_collate, padded_sequence_mask
    from neurodata.show import play_frame

    root = out / "dvs128-gesture"
    start = time.perf_counter()
    if not (root / "download" / "sample.json").exists():
        synth.make_sample("dvs128-gesture", root, seed=seed)
    log.info("miniature DVS128 Gesture archive in %s", root / "download")
    fixed = DVS128Gesture(
        root, train=True, data_type="frame", frames_number=16, split_by="number", progress=_progress()
    )
    log.info("%r", fixed)
    variable = DVS128Gesture(root, train=False, data_type="frame", duration=50_000, progress=_progress())
    log.info("%r", variable)
    loader = torch.utils.data.DataLoader(variable, batch_size=8, shuffle=False, collate_fn=pad_sequence_collate)
    seen = 0
    for x, y, lengths in loader:
        mask = padded_sequence_mask(lengths)
        seen += len(y)
        log.info(
            "batch frames %s, labels %s, lengths %s, mask %s",
            tuple(x.shape),
            y.tolist(),
            lengths.tolist(),
            tuple(mask.shape),
        )
    frames, label = fixed[0]
    gif = out / "sample.gif"
    play_frame(frames, gif)
    log.info(
        "%d test samples batched; GIF of train sample 0 (%s) -> %s; %.1f s in all",
        seen,
        DVS128Gesture.classes[label],
        gif,
        time.perf_counter() - start,
    )


def main() -> None:
    """Entry point of the `neurodata` console script."""
    app()
