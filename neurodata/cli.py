"""`neurodata` command line: a thin layer over the library; every user mistake is one line and exit status 1.

NAME is a registered dataset (``neurodata list``), a folder of your own recordings (see
`neurodata.datasets.EventFolder`) or, for ``info`` and ``show``, a single event file. Global options
(``-q``) may come before or after the verb. torch is imported only by the commands that build frames.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from neurodata.clitools import (
    CommandGroup,
    FolderOptions,
    SplitOptions,
    UsageError,
    check_folder,
    open_dataset,
    resolve,
)

app = typer.Typer(
    cls=CommandGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Event-camera datasets: fetch, verify, prepare, look at; your own recordings too.",
)
log = logging.getLogger("neurodata")

DEFAULT_HOME = Path(os.environ.get("NEURODATA_HOME", "cache"))
# typer reads the annotations at runtime on Python 3.10, hence Optional[...] (noqa: UP045 below)
RootOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--root", help="A built-in dataset's folder (default: $NEURODATA_HOME/NAME, else cache/NAME)."),
]
CacheOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--cache", help="Where event stores and frames go (default: the root; for a folder of recordings "
                 "$NEURODATA_HOME/folders/...)."),
]
NameArg = Annotated[str, typer.Argument(help="Dataset name (see `neurodata list`) or a folder of your recordings.")]
LabelsOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--labels", help="Folder only: CSV/JSON of file,label[,start,stop[,split]] (default: sub-folders)."),
]
SensorOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--sensor", help="Folder only: WIDTHxHEIGHT (default: from the file headers, else the events)."),
]
ClassesOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--classes", help="Folder only: class names in label order, comma-separated."),
]
FormatOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--format", help="Folder only: force one event format (default: told from each file)."),
]
SchemeOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--split-scheme", help="Datasets without an official split: 'random' (or 'first100', CIFAR10-DVS)."),
]
RatioOption = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--train-ratio", help="Datasets without an official split: share of each class in train."),
]
SeedOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--split-seed", help="Datasets without an official split: seed of the partition."),
]


@app.callback()
def _main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors; no progress bars.")] = False,
) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    logging.getLogger().setLevel(logging.WARNING if quiet else logging.INFO)
    os.environ["NEURODATA_QUIET"] = "1" if quiet else ""


def _progress() -> bool:
    return not os.environ.get("NEURODATA_QUIET")


def _root(name: str, root: Path | None) -> Path:
    return check_folder(root if root is not None else DEFAULT_HOME / name)


def _builtin(name: str, verb: str) -> Any:
    kind, what = resolve(name)
    if kind != "dataset":
        raise UsageError(f"`neurodata {verb}` takes a dataset name (see `neurodata list`); {name} is a {kind}")
    return what


@app.command("list")
def list_() -> None:
    """List the datasets."""
    from neurodata.datasets import DATASETS

    for name in DATASETS.names():
        cls = DATASETS.get(name)
        split = "train/test" if cls.splits != ("all",) else "no official split"
        typer.echo(
            f"{name:16s} {cls.__name__:14s} {cls.sensor.width}x{cls.sensor.height}, {len(cls.classes)} classes, {split}"
        )
    typer.echo("(or a folder of your own recordings: `neurodata info FOLDER`)")


@app.command()
def info(
    name: Annotated[str, typer.Argument(help="Dataset name, a folder of your recordings, or one event file.")],
    labels: LabelsOption = None,
    classes: ClassesOption = None,
    format: FormatOption = None,
) -> None:
    """Describe a dataset (sensor, classes, files), a folder of recordings, or one event file."""
    kind, what = resolve(name)
    if kind == "file":
        from neurodata.report import describe_file

        typer.echo(str(describe_file(what, format)))
        return
    if kind == "folder":
        _folder_info(what, FolderOptions(labels, None, classes, format))
        return
    cls = what
    typer.echo(f"{cls.name}: {cls.__name__} ({(cls.__doc__ or '').strip().splitlines()[0]})")
    typer.echo(f"sensor {cls.sensor.width}x{cls.sensor.height}, splits {', '.join(cls.splits)}")
    if cls.splits == ("all",):
        typer.echo("no official split: train/test come from --split-scheme, --train-ratio and --split-seed")
    typer.echo("classes: " + ", ".join(f"{i}={c}" for i, c in enumerate(cls.classes)))
    for r in cls.resources:
        typer.echo(f"file {r.filename}: md5 {r.md5}" + (f", mirrors: {', '.join(r.urls)}" if r.urls else ", manual"))
    if cls.tree_layout:
        typer.echo(f"or an extracted tree under ROOT/extract or ROOT: {cls.tree_layout}")


def _folder_info(folder: Path, options: FolderOptions) -> None:
    from collections import Counter

    from neurodata.datasets.folder import scan_folder

    kw = options.kwargs()
    scan = scan_folder(folder, labels=kw.get("labels"), classes=kw.get("classes"), format=kw.get("format"))
    counts = Counter(scan.labels)
    typer.echo(f"{folder}: a folder of {len({r.file for r in scan.rows})} recordings, {len(scan.rows)} samples")
    typer.echo("classes: " + ", ".join(f"{i}={c} ({counts.get(i, 0)})" for i, c in enumerate(scan.classes)))
    typer.echo("splits: " + ("train, test (its own)" if scan.splits != ("all",) else "none of its own (partitioned)"))
    typer.echo("formats: " + ", ".join(f"{f} ({n})" for f, n in sorted(Counter(scan.formats.values()).items())))
    if scan.ignored:
        typer.echo(f"skipped (outside any class folder): {', '.join(scan.ignored)}")


@app.command()
def download(name: NameArg, root: RootOption = None) -> None:
    """Download NAME's raw files (resuming, verified), or say where to put files that need a browser."""
    kind, what = resolve(name)
    if kind == "folder":
        typer.echo(f"nothing to download: {what} is a folder of your own recordings")
        return
    cls = _builtin(name, "download")
    r = _root(cls.name, root)
    source = cls.locate(r)
    if source.kind == "tree":
        typer.echo(f"nothing to download: the extracted tree at {source.path} is used")
        return
    for p in cls.download(r, progress=_progress()):
        log.info("ok %s", p)


@app.command()
def verify(
    name: NameArg,
    root: RootOption = None,
    labels: LabelsOption = None,
    classes: ClassesOption = None,
    format: FormatOption = None,
    caches: Annotated[bool, typer.Option("--cache", help="Check every stored sample of the event stores and frame "
                                         "caches instead, and rebuild only the damaged files.")] = False,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="With --cache: where the caches were put "  # noqa: UP045
                                                      "(prepare's --cache; default: the root).")] = None,
) -> None:
    """Check NAME's downloaded files against their checksums (never moving or deleting them).

    For an extracted tree or a folder of recordings: check that every file is there and of a known format.
    With --cache: check the caches sample by sample and repair them.
    """
    kind, what = resolve(name)
    if caches and kind not in ("folder", "file"):
        report = what.verify_cache(_root(what.name, root), progress=_progress(), cache_dir=cache_dir)
        for line in report.lines():
            typer.echo(line)
        if not report.ok:
            raise typer.Exit(code=1)
        return
    if kind in ("folder", "file"):
        from neurodata.datasets.folder import scan_folder
        from neurodata.io import sniff_format

        if kind == "file":
            typer.echo(f"ok {what} ({sniff_format(what) if format is None else format})")
            return
        kw = FolderOptions(labels, None, classes, format).kwargs()
        scan = scan_folder(what, labels=kw.get("labels"), classes=kw.get("classes"), format=kw.get("format"))
        typer.echo(f"ok {what}: {len(scan.formats)} recordings of known formats, {len(scan.classes)} classes")
        return
    cls = what
    r = _root(cls.name, root)
    source = cls.locate(r)
    if source.kind == "tree":
        typer.echo(f"ok {source.path} (an extracted tree; there are no archives whose checksums could be checked)")
        return
    for p in cls.verify(r):
        typer.echo(f"ok {p}")


@app.command()
def prepare(
    name: NameArg,
    root: RootOption = None,
    cache: CacheOption = None,
    frames: Annotated[Optional[int], typer.Option(help="Frames per sample (with --split-by).")] = None,  # noqa: UP045
    split_by: Annotated[str, typer.Option(help="'number' or 'time' (with --frames).")] = "number",
    duration: Annotated[Optional[int], typer.Option(help="Frame length in µs, instead of --frames.")] = None,  # noqa: UP045
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Worker processes (default: 1; the vectorized code is fastest in one process)."),
    ] = None,
    download: Annotated[bool, typer.Option("--download/--no-download", help="Fetch missing files first.")] = False,
    labels: LabelsOption = None,
    sensor: SensorOption = None,
    classes: ClassesOption = None,
    format: FormatOption = None,
    split_scheme: SchemeOption = None,
    train_ratio: RatioOption = None,
    split_seed: SeedOption = None,
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
    start = time.perf_counter()
    frame_kw: dict[str, Any] = {}
    if frames is not None or duration is not None or representation is not None:
        frame_kw = {"data_type": "frame", "frames_number": frames, "split_by": split_by if frames else None,
                    "duration": duration, "representation": representation}
    split = SplitOptions(split_scheme, train_ratio, split_seed)
    common = {"root": root, "cache": cache, "default_home": DEFAULT_HOME, "split": split,
              "folder": FolderOptions(labels, sensor, classes, format), "download": download, "workers": workers,
              "progress": _progress()}
    ds = open_dataset(name, **common, **frame_kw)
    what = f"frame cache {ds.spec.key()} ({ds.spec.describe()})" if ds.spec else "event store"
    log.info("%r: %s ready in %.1f s under %s", ds, what, time.perf_counter() - start, ds.cache_root)
    if split.given:
        sizes = [len(open_dataset(name, **common, **frame_kw, train=t)) for t in (True, False)]
        log.info("train/test partition (%s): %d / %d samples", ", ".join(split.given), *sizes)
    elif ds.splits == ("all",):
        log.info("no official split: training partitions it by --train-ratio and --split-seed (see --help)")


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Dataset name, a folder of your recordings, or one event file.")],
    index: Annotated[int, typer.Argument(help="Sample index (train then test); not for a file.")] = 0,
    root: RootOption = None,
    cache: CacheOption = None,
    gif: Annotated[Optional[Path], typer.Option(help="Write an animated GIF here.")] = None,  # noqa: UP045
    png: Annotated[Optional[Path], typer.Option(help="Write a PNG grid of the frames here.")] = None,  # noqa: UP045
    frames: Annotated[int, typer.Option(help="Frames (equal event counts each).")] = 16,
    labels: LabelsOption = None,
    sensor: SensorOption = None,
    classes: ClassesOption = None,
    format: FormatOption = None,
) -> None:
    """Picture a sample of NAME, or a whole event file: an animated GIF (--gif) and/or a PNG grid (--png).

    Without --gif or --png, writes sample.gif.
    """
    from neurodata.show import play_frame, save_png

    kind, what = resolve(name)
    if kind == "file":
        x, title = _file_frames(what, frames, format, sensor), f"{what}"
    else:
        ds = open_dataset(name, root=root, cache=cache, default_home=DEFAULT_HOME,
                          folder=FolderOptions(labels, sensor, classes, format), data_type="frame",
                          frames_number=frames, split_by="number", progress=_progress())
        if not -len(ds) <= index < len(ds):
            raise UsageError(f"INDEX {index} is out of range: {name} has {len(ds)} samples (0..{len(ds) - 1})")
        x, label = ds[index]
        title = f"sample {index} (label {label} {ds.classes[label]})"
    if gif is None and png is None:
        gif = Path("sample.gif")
    if gif is not None:
        play_frame(x, gif)
        log.info("%s -> %s", title, gif)
    if png is not None:
        save_png(x, png)
        log.info("%s -> %s", title, png)


def _file_frames(path: Path, frames: int, format: str | None, sensor: str | None) -> Any:
    from neurodata.clitools import parse_sensor
    from neurodata.integrate import integrate_events_by_fixed_frames_number
    from neurodata.io import read_events, sniff_format
    from neurodata.io.probe import header_sensor

    fmt = format or sniff_format(path)
    ev = read_events(path, format=fmt)
    if sensor is not None:
        w, h = parse_sensor(sensor)
    elif (stated := header_sensor(path, fmt)) is not None:
        w, h = stated.width, stated.height
    else:
        w, h = (int(ev["x"].max()) + 1, int(ev["y"].max()) + 1) if ev.size else (1, 1)
    if fmt == "aedat2" and (w, h) == (128, 128) and ev.size and int(ev["y"].max()) < h:
        # jAER's DVS128 addresses count y upwards from the bottom row: draw them the way jAER shows them
        ev["y"] = h - 1 - ev["y"]
    return integrate_events_by_fixed_frames_number(ev, "number", frames, h, w)


@app.command("make-sample")
def make_sample(
    name: Annotated[str, typer.Argument(help="Dataset name, or 'folder' for a folder of recordings of your own.")],
    root: RootOption = None,
    samples_per_class: Annotated[int, typer.Option(help="Samples per class (recordings per split for gestures).")] = 4,
    events_per_sample: Annotated[int, typer.Option(help="Mean events per sample.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a miniature NAME dataset in the real archive formats (for demos, tests and benchmarks)."""
    from neurodata import synth

    size = synth.SampleSize(samples_per_class, events_per_sample)
    if name == "folder":
        folder = synth.make_folder_sample(_root(name, root), size, seed=seed)
        log.info("wrote a folder of recordings: %s", folder)
        return
    cls = _builtin(name, "make-sample")
    manifest = synth.make_sample(cls.name, _root(cls.name, root), size, seed=seed)
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
    _demo(check_folder(out, "--out"), seed)


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
