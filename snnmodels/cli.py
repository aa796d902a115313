"""`snnmodels` command line: the wiring layer where datasets, loaders, models, the trainer and exporters meet.

Every user mistake is one line and exit status 1 (`neurodata.clitools.CommandGroup`, shared with `neurodata`);
every option's default shows in ``--help``; ``-q`` may come after the verb. DATASET is a registered dataset or a
folder of your own recordings. torch is imported only by the commands that need it, so ``--help`` and
``list-models`` start at once.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
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
    one_line,
    open_dataset,
    parse_shape,
)


class _Group(CommandGroup):
    hints = (
        (lambda e: "MaxPool2d" in str(e) and "cannot be exported" in str(e),
         "from the command line: train with `--model-arg avgpool=true`, or export with `--avgpool` (it swaps the "
         "pools, so fine-tune after)"),
    )


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True,
                  help="Spiking networks: train, fine-tune, evaluate, export.")
log = logging.getLogger("snnmodels")

DEFAULT_HOME = Path(os.environ.get("NEURODATA_HOME", "cache"))
SUFFIXES = {"nir": ".nir", "onnx": ".onnx", "netx": ".net"}


@app.callback()
def _main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors; no progress bars.")] = False,
) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    logging.getLogger().setLevel(logging.WARNING if quiet else logging.INFO)
    os.environ["NEURODATA_QUIET"] = "1" if quiet else ""


def _progress() -> bool:
    return not os.environ.get("NEURODATA_QUIET")


def _parse_kv(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--model-arg takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


# ---------------------------------------------------------------------------------------------- data + model


def frame_datasets(
    dataset: str,
    root: Path | None,
    frames: int | None,
    split_by: str,
    duration: int | None,
    downsample: int,
    *,
    cache: Path | None = None,
    split: SplitOptions | None = None,
    folder: FolderOptions | None = None,
    download: bool = False,
) -> tuple[Any, Any, int, tuple[int, int, int]]:
    """(train set, test set, number of classes, frame shape (C, H, W)) of a dataset (or a folder) as frames."""
    from neurodata.transforms import DownsampleFrames

    if frames is None and duration is None:
        raise UsageError("give --frames (with --split-by) or --duration")
    if downsample < 1:
        raise UsageError(f"--downsample must be a positive integer, got {downsample}")
    transform = DownsampleFrames(downsample) if downsample > 1 else None
    common = {"root": root, "cache": cache, "default_home": DEFAULT_HOME, "split": split or SplitOptions(),
              "folder": folder or FolderOptions(),
              "data_type": "frame", "frames_number": frames, "split_by": split_by if frames else None,
              "duration": duration, "transform": transform, "download": download, "progress": _progress()}
    sets = [open_dataset(dataset, train=t, **common) for t in (True, False)]
    for which, ds in zip(("train", "test"), sets, strict=True):
        if len(ds) == 0:
            raise UsageError(f"{dataset}: the {which} split is empty; check the dataset's files and split options")
    sensor = sets[0].sensor
    h, w = sensor.height, sensor.width
    if h // downsample < 1 or w // downsample < 1:
        raise UsageError(f"--downsample {downsample} leaves nothing of the {w}x{h} sensor")
    channels = 1 if sensor.is_1d else 2  # a 1-D sensor's frames are [T, 1, W] (neurodata.events.one_d_frames)
    return sets[0], sets[1], len(sets[0].classes), (channels, h // downsample, w // downsample)


def _data_meta(dataset: str, root: Path | None, cache: Path | None, split: SplitOptions, folder: FolderOptions,
               downsample: int, spec: Any) -> dict[str, Any]:
    """What `evaluate` needs to open the same test split again."""
    return {"dataset": dataset, "root": None if root is None else str(root), "cache": None if cache is None else
            str(cache), "split": split.kwargs(), "folder": {k: None if v is None else str(v) for k, v in
            vars(folder).items()}, "downsample": downsample, "frame_spec": spec.to_dict()}


def build_model(name: str, num_classes: int, shape: tuple[int, ...], extra: dict[str, Any]) -> Any:
    """A zoo model for `num_classes` and frames of `shape`; ``avgpool=True`` in `extra` swaps MaxPool for AvgPool.

    A model name or an argument that does not fit is a `UsageError` naming the ``--model-arg`` and what is known.
    """
    from snnmodels.catalog import model_names
    from snnmodels.models import create_model

    if name not in model_names():
        close = difflib.get_close_matches(name, model_names(), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UsageError(f"--model {name!r} is not in the zoo; {hint}see `snnmodels list-models`")
    kw = dict(extra)
    avg = kw.pop("avgpool", False)
    if not isinstance(avg, bool):
        raise UsageError(f"--model-arg avgpool={avg!r}: give true or false")
    kw.setdefault("in_channels", shape[0])
    kw.setdefault("num_classes", num_classes)
    try:
        try:
            model = create_model(name, **({} if "input_size" in kw else {"input_size": shape[1:]}), **kw)
        except TypeError as err:
            if "input_size" in kw or "input_size" not in str(err):
                raise
            model = create_model(name, **kw)  # a model sized by its own pooling, without input_size
    except (TypeError, ValueError, RuntimeError, IndexError, KeyError) as err:
        raise UsageError(_model_arg_message(name, extra, err) + _one_d_hint(name, shape)) from None
    if avg:
        from snnmodels.export import avgpool_variant

        model = avgpool_variant(model)
    return model


def _one_d_hint(name: str, shape: tuple[int, ...]) -> str:
    """For frames of one row (SHD/SSC's 700 channels): the zoo models made for them, when `name` is not one."""
    from snnmodels.catalog import model_names
    from snnmodels.models import model_entry

    if len(shape) != 3 or shape[1] != 1:
        return ""
    fits = [n for n in model_names() if model_entry(n).contract.input_size[0] == 1]
    if name in fits or not fits:
        return ""
    frame = "x".join(map(str, shape))
    return f"; frames of a 1-D sensor ({frame}) need a model for 1-D spikes: --model {', '.join(fits)}"


def _model_arg_message(name: str, extra: dict[str, Any], err: BaseException) -> str:
    text = one_line(err)
    given = ", ".join(f"{k}={v!r}" for k, v in extra.items()) or "(none)"
    m = re.search(r"unexpected keyword argument '(\w+)'", text)
    known = re.search(r"architecture arguments \(\[([^\]]*)\]\)", text)
    if m:
        names = [n.strip(" '") for n in known.group(1).split(",")] if known else []
        close = difflib.get_close_matches(m.group(1), names, n=1)
        hint = f"; did you mean {close[0]}?" if close else ";"
        neuron = re.search(r"go to every neuron \((\w+)\)", text)
        return (f"--model-arg {m.group(1)}: {name} takes no argument {m.group(1)!r}{hint} its architecture "
                f"arguments are {', '.join(names) or 'none'}, and any other keyword goes to every neuron"
                + (f" ({neuron.group(1)}), which does not take it either" if neuron else ""))
    return f"--model-arg {given}: {name} cannot be built with these values: {text}"


def _trainer(model: Any, config: Any, train: Any, test: Any, out: Path | None, meta: dict[str, Any]) -> Any:
    from neurodata.loading import pad_sequence_collate
    from snnmodels.train import Trainer

    return Trainer(model, config, train, test, out, collate_fn=pad_sequence_collate, progress=_progress(),
                   num_classes=meta.get("num_classes"), meta=meta)


def _config(config_file: Path | None, **overrides: Any) -> Any:
    from snnmodels.train import TrainConfig

    if config_file is not None and not config_file.is_file():
        raise UsageError(f"--config {config_file}: no such file")
    try:
        cfg = TrainConfig.from_toml(config_file) if config_file else TrainConfig()
    except (UnicodeDecodeError, ValueError) as err:  # tomllib.TOMLDecodeError is a ValueError
        raise UsageError(f"--config {config_file}: {one_line(err)}") from None
    return cfg.replace(**{k: v for k, v in overrides.items() if v is not None})


def _load_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint at `path`, or a `UsageError` saying it is not one of ours (whatever torch raised)."""
    import pickle
    import zipfile

    from snnmodels.train import load_checkpoint

    if not path.is_file():
        raise UsageError(f"checkpoint {path}: no such file; give last.pt or best.pt of a run folder")
    try:
        ckpt = load_checkpoint(path)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, zipfile.BadZipFile, AttributeError, TypeError,
            ValueError) as err:
        raise UsageError(
            f"{path} is not a checkpoint that `snnmodels train` wrote, or it is damaged ({one_line(err)[:200]}); "
            "give last.pt or best.pt of a run folder"
        ) from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), dict):
        raise UsageError(f"{path} holds no model state; give last.pt or best.pt of a run folder")
    return ckpt


def _from_checkpoint(checkpoint: Path) -> tuple[Any, dict[str, Any]]:
    from snnmodels.train import load_model_state
    from snnmodels.train.finetune import load_pretrained, replace_head

    ckpt = _load_checkpoint(checkpoint)
    meta = ckpt.get("meta") or {}
    if "nir_source" in meta:
        net = replace_head(load_pretrained(meta["nir_source"], dt=meta.get("dt")), int(meta["num_classes"]))
    elif meta.get("model"):
        net = build_model(meta["model"], meta["num_classes"], tuple(meta["frame_shape"]), meta.get("model_args", {}))
    else:
        raise UsageError(f"{checkpoint} does not say which model it holds (no meta.model); was it written by train?")
    # a CheckpointError naming the file and the model when the weights do not fit
    load_model_state(net, ckpt["model"], checkpoint, meta.get("model") or meta.get("nir_source"))
    return net, meta


def _report_best(trainer: Any, out: Path, n: int) -> str:
    """Evaluate the weights of ``out/best.pt`` (the checkpoint a user will take) and say which epoch they are."""
    best = out / "best.pt"
    if best.exists():
        ckpt = _load_checkpoint(best)
        trainer.model.load_state_dict(ckpt["model"])
        which = f"best.pt (epoch {ckpt['epoch']} of {trainer.config.epochs})"
    else:
        which = "the last epoch"
    result = trainer.evaluate()
    return f"test accuracy {result.top1:.4f} (top-5 {result.top5:.4f}) on {n} samples with {which}"


# ---------------------------------------------------------------------------------------------- commands

DatasetArg = Annotated[str, typer.Argument(help="neurodata dataset name (see `neurodata list`) or a folder of "
                                                "your recordings.")]
RootOpt = Annotated[Optional[Path], typer.Option(help="Dataset folder (default: $NEURODATA_HOME/DATASET).")]  # noqa: UP045
CacheOpt = Annotated[Optional[Path], typer.Option(help="Where event stores and frames go (default: the root).")]  # noqa: UP045
FramesOpt = Annotated[Optional[int], typer.Option(help="Frames per sample (with --split-by).")]  # noqa: UP045
SplitOpt = Annotated[str, typer.Option(help="'number' or 'time'.")]
DurationOpt = Annotated[Optional[int], typer.Option(help="Frame length in µs instead of --frames.")]  # noqa: UP045
DownOpt = Annotated[int, typer.Option(help="Sum-pool frames by this factor (1 = full resolution).")]
ModelArgOpt = Annotated[list[str], typer.Option("--model-arg", help="Model keyword KEY=VALUE (repeatable).")]
SchemeOpt = Annotated[Optional[str], typer.Option("--split-scheme", help="No official split: 'random' or 'first100'.")]  # noqa: UP045
RatioOpt = Annotated[Optional[float], typer.Option("--train-ratio", help="No official split: share of each class in train.")]  # noqa: UP045, E501
SeedOpt = Annotated[Optional[int], typer.Option("--split-seed", help="No official split: seed of the partition.")]  # noqa: UP045
LabelsOpt = Annotated[Optional[Path], typer.Option("--labels", help="Folder only: CSV/JSON labels file.")]  # noqa: UP045
SensorOpt = Annotated[Optional[str], typer.Option("--sensor", help="Folder only: WIDTHxHEIGHT.")]  # noqa: UP045
ClassesOpt = Annotated[Optional[str], typer.Option("--classes", help="Folder only: class names, comma-separated.")]  # noqa: UP045
DeviceOpt = Annotated[Optional[str], typer.Option(help="'auto' (CUDA when present), 'cpu' or 'cuda[:k]'.")]  # noqa: UP045


@app.command("list-models")
def list_models(pattern: Annotated[Optional[str], typer.Argument(help="Glob, e.g. 'sew_*'.")] = None) -> None:  # noqa: UP045
    """List the model zoo."""
    from snnmodels.catalog import model_names

    for name in model_names(pattern):
        typer.echo(name)


@app.command("list-weights")
def list_weights() -> None:
    """List the registered pretrained weights (for `finetune --weights NAME`) with their input contract."""
    from snnmodels.models import WEIGHTS

    for name in WEIGHTS.names():
        w = WEIGHTS.get(name)
        best = max(w.metrics.values(), default=None)
        kind = "a NIR graph" if w.format == "nir" else f"weights of {w.model}"
        typer.echo(f"{name}: {kind}, {w.contract.describe()}"
                   + (f", up to {best:.2f}% ({', '.join(w.metrics)})" if best is not None else ""))


@app.command()
def train(
    dataset: DatasetArg,
    model: Annotated[str, typer.Option(help="Zoo model name.")] = "dvsgesture_net",
    root: RootOpt = None,
    cache: CacheOpt = None,
    frames: FramesOpt = 16,
    split_by: SplitOpt = "number",
    duration: DurationOpt = None,
    downsample: DownOpt = 1,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with TrainConfig fields.")] = None,  # noqa: UP045
    epochs: Annotated[Optional[int], typer.Option(help="Override the config's epochs.")] = None,  # noqa: UP045
    batch_size: Annotated[Optional[int], typer.Option(help="Override the config's batch size.")] = None,  # noqa: UP045
    lr: Annotated[Optional[float], typer.Option(help="Override the config's learning rate.")] = None,  # noqa: UP045
    device: DeviceOpt = None,
    model_arg: ModelArgOpt = [],  # noqa: B006 - typer needs a literal default
    out: Annotated[Path, typer.Option(help="Run folder: checkpoints, log.csv, curve.png.")] = Path("cache/runs/train"),
    resume: Annotated[bool, typer.Option(help="Continue from OUT/last.pt (to --epochs in all).")] = False,
    split_scheme: SchemeOpt = None,
    train_ratio: RatioOpt = None,
    split_seed: SeedOpt = None,
    labels: LabelsOpt = None,
    sensor: SensorOpt = None,
    classes: ClassesOpt = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the config's seed (weights, data, dropout).")] = None,  # noqa: UP045
) -> None:
    """Train a zoo model on a prepared (or preparable) dataset; prints the accuracy of the checkpoint it names."""
    from snnmodels.train import seed_everything

    check_folder(out, "--out")
    split, folder = SplitOptions(split_scheme, train_ratio, split_seed), FolderOptions(labels, sensor, classes)
    if resume and not (out / "last.pt").is_file():
        raise UsageError(f"--resume: {out / 'last.pt'} does not exist; train without --resume first")
    cfg = _config(config, epochs=epochs, batch_size=batch_size, lr=lr, device=device, seed=seed)
    tr, te, n_classes, shape = frame_datasets(dataset, root, frames, split_by, duration, downsample, cache=cache,
                                              split=split, folder=folder)
    extra = _parse_kv(model_arg)
    seed_everything(cfg.seed)  # before the model is built: its initial weights come from the seed too
    net = build_model(model, n_classes, shape, extra)
    meta = {"model": model, "model_args": extra, "num_classes": n_classes, "frame_shape": list(shape),
            **_data_meta(dataset, root, cache, split, folder, downsample, tr.spec)}
    trainer = _trainer(net, cfg, tr, te, out, meta)
    trainer.fit(resume=resume)
    typer.echo(f"{_report_best(trainer, out, len(te))}; run in {out}")


@app.command()
def finetune(
    dataset: DatasetArg,
    weights: Annotated[Optional[str], typer.Option(help="Registered weights (see `snnmodels list-weights`).")] = None,  # noqa: UP045
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--from", help="Instead of --weights: 'imagenet', a .nir file or a .pt checkpoint."),
    ] = None,
    model: Annotated[Optional[str], typer.Option(help="Zoo model name (for zoo weights / imagenet).")] = None,  # noqa: UP045
    dt: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Seconds per step of a NIR graph (default: the weights' own; from_nir's 1e-4 for files)."),
    ] = None,
    root: RootOpt = None,
    cache: CacheOpt = None,
    frames: FramesOpt = None,
    split_by: SplitOpt = "number",
    duration: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Frame length in µs (default: the weights' contract, else --frames 16)."),
    ] = None,
    downsample: DownOpt = 1,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 5,
    batch_size: Annotated[int, typer.Option(help="Batch size.")] = 16,
    lr: Annotated[float, typer.Option(help="Learning rate of the new head.")] = 1e-3,
    backbone_lr_scale: Annotated[float, typer.Option(help="Learning-rate factor of the pretrained layers.")] = 0.1,
    freeze_backbone: Annotated[bool, typer.Option(help="Train the head only.")] = False,
    device: DeviceOpt = None,
    model_arg: ModelArgOpt = [],  # noqa: B006 - typer needs a literal default
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("cache/runs/finetune"),
    split_scheme: SchemeOpt = None,
    train_ratio: RatioOpt = None,
    split_seed: SeedOpt = None,
    labels: LabelsOpt = None,
    sensor: SensorOpt = None,
    classes: ClassesOpt = None,
) -> None:
    """Fine-tune a pretrained network on a dataset: new head for its classes, slower or frozen backbone.

    Prints the test accuracy before and after, so that a fine-tuning that made things worse shows.
    """
    from snnmodels.train import seed_everything
    from snnmodels.train.finetune import head_name, replace_head

    check_folder(out, "--out")
    if (weights is None) == (source is None):
        raise UsageError("give exactly one of --weights NAME (see `snnmodels list-weights`) or --from SOURCE")
    src = weights if weights is not None else str(source)
    nir_weights = _nir_weights(weights)
    if weights is not None and nir_weights is None and model is None:
        raise UsageError(f"--weights {weights}: give --model, the zoo model they are for")
    if frames is None and duration is None:
        spec = nir_weights.contract.frame_spec if nir_weights is not None else None
        frames, duration = (16, None) if spec is None else (spec.frames_number, spec.duration)
        split_by = split_by if spec is None or spec.split_by is None else spec.split_by
    split, folder = SplitOptions(split_scheme, train_ratio, split_seed), FolderOptions(labels, sensor, classes)
    tr, te, n_classes, shape = frame_datasets(dataset, root, frames, split_by, duration, downsample, cache=cache,
                                              split=split, folder=folder)
    extra = _parse_kv(model_arg)
    if src.endswith(".nir") and not Path(src).is_file():
        raise UsageError(f"--from {src}: no such file")
    is_nir = src.endswith(".nir") or nir_weights is not None
    if extra and is_nir:
        raise UsageError("--model-arg does not apply to a NIR graph (its architecture is in the file)")
    if src.endswith(".pt"):
        _load_checkpoint(Path(src))  # a clear error for a file that is not one of ours
    seed_everything(_config(None).seed)  # the new head's initial weights come from the run's seed
    net = replace_head(_pretrained(src, model, dt, extra), n_classes)
    cfg = _config(None, epochs=epochs, batch_size=batch_size, lr=lr, backbone_lr_scale=backbone_lr_scale,
                  freeze_backbone=freeze_backbone, head_prefix=head_name(net), device=device)
    meta = {"model": getattr(net, "model_name", model), "model_args": extra, "num_classes": n_classes,
            "frame_shape": list(shape), "finetuned_from": src,
            **_data_meta(dataset, root, cache, split, folder, downsample, tr.spec)}
    if is_nir:
        meta.update(model=None, nir_source=src, dt=net.dt)
    trainer = _trainer(net, cfg, tr, te, out, meta)
    before = trainer.evaluate()
    log.info("before fine-tuning: test accuracy %.4f on %d samples", before.top1, len(te))
    trainer.fit()
    typer.echo(f"before fine-tuning: test accuracy {before.top1:.4f}; after: {_report_best(trainer, out, len(te))}; "
               f"fine-tuned from {src}; run in {out}")


def _pretrained(src: str, model: str | None, dt: float | None, extra: dict[str, Any]) -> Any:
    """`load_pretrained`, with a NIR file that cannot be imported reported as such (whatever h5py or nir raised)."""
    from snnmodels.export import ExportError
    from snnmodels.train.finetune import load_pretrained

    if not src.endswith(".nir"):
        return load_pretrained(src, model=model, dt=dt, **extra)
    try:
        return load_pretrained(src, dt=dt)
    except ExportError as err:  # names the file and what is wrong with it
        raise UsageError(f"--from {one_line(err)}") from None
    except (KeyError, TypeError, OSError, ValueError, AttributeError) as err:
        raise UsageError(f"--from {src} is not a NIR graph that can be imported ({type(err).__name__}: "
                         f"{one_line(err)[:200]}); give a file written by nir.write") from None


def _nir_weights(name: str | None) -> Any:
    """The registered NIR-graph weights `name` names (None for other weights or none); unknown names raise."""
    if name is None:
        return None
    from snnmodels.models import get_weights

    w = get_weights(name)
    return w if w.format == "nir" else None


@app.command()
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint written by `train` (last.pt / best.pt).")],
    root: RootOpt = None,
    cache: CacheOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Evaluate a checkpoint on its dataset's test split (the data settings come from the checkpoint)."""
    net, meta = _from_checkpoint(checkpoint)
    spec = meta["frame_spec"]
    saved_root = meta.get("root")
    folder = FolderOptions(**{k: v for k, v in (meta.get("folder") or {}).items() if v is not None})
    saved = meta.get("split") or {}
    split = SplitOptions(saved.get("split_scheme"), saved.get("train_ratio"), saved.get("seed"))
    _, te, _, _ = frame_datasets(
        meta["dataset"], root or (Path(saved_root) if saved_root else None), spec["frames_number"],
        spec["split_by"] or "number", spec["duration"], int(meta.get("downsample", 1)),
        cache=cache or (Path(meta["cache"]) if meta.get("cache") else None), split=split, folder=folder,
    )
    result = _trainer(net, _config(None, device=device), te, te, None, meta).evaluate()
    typer.echo(f"test accuracy {result.top1:.4f} (top-5 {result.top5:.4f}) on {len(te)} samples")
    typer.echo("confusion (rows true, columns predicted):")
    for row in result.confusion:
        typer.echo(" ".join(f"{v:4d}" for v in row))


@app.command()
def export(
    source: Annotated[str, typer.Argument(help="A checkpoint (.pt) from `train`, or a zoo model name.")],
    to: Annotated[str, typer.Option(help="nir, onnx or netx.")] = "nir",
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Output file (default: model.nir / model.onnx / model.net, after --to)."),
    ] = None,
    input_shape: Annotated[str, typer.Option(help="C,H,W of one frame (zoo names only).")] = "2,128,128",
    num_classes: Annotated[int, typer.Option(help="Classes (zoo names only).")] = 10,
    model_arg: ModelArgOpt = [],  # noqa: B006 - typer needs a literal default
    avgpool: Annotated[bool, typer.Option(help="Swap MaxPool for AvgPool first (NIR and netx have no max pooling).")]
    = False,
) -> None:
    """Export a trained checkpoint (or an untrained zoo model) to a hardware format."""
    if to not in SUFFIXES:
        close = difflib.get_close_matches(to, list(SUFFIXES), n=1)
        raise UsageError(f"--to {to!r} is not a format; choose {', '.join(SUFFIXES)}"
                         + (f" (did you mean {close[0]}?)" if close else ""))
    path = out if out is not None else Path(f"model{SUFFIXES[to]}")
    other = {s: f for f, s in SUFFIXES.items() if f != to}
    if path.suffix.lower() in other:
        raise UsageError(f"--out {path} ends in {path.suffix} but --to {to} writes {to.upper()}; name it "
                         f"{path.with_suffix(SUFFIXES[to])} (or pass --to {other[path.suffix.lower()]})")
    check_folder(path.parent, "--out")
    if source.endswith(".pt"):
        if model_arg:
            raise UsageError("--model-arg applies to zoo names; a checkpoint records its own model arguments")
        net, meta = _from_checkpoint(Path(source))
        shape = tuple(meta["frame_shape"])
    else:
        shape = parse_shape(input_shape, "--input-shape", 3)
        net = build_model(source, num_classes, shape, _parse_kv(model_arg))
    if avgpool:
        from snnmodels.export import avgpool_variant

        net = avgpool_variant(net)
    from snnmodels.export import export_file

    written = export_file(net.eval(), to, path, shape)
    typer.echo(f"wrote {written}")


@app.command()
def profile(
    source: Annotated[str, typer.Argument(help="A checkpoint (.pt) from `train`, or a zoo model name.")],
    dataset: Annotated[Optional[str], typer.Option(help="Run on this dataset's test split (default: a checkpoint's "  # noqa: UP045
                                                        "own; random spikes for a zoo name).")] = None,
    root: RootOpt = None,
    cache: CacheOpt = None,
    frames: FramesOpt = 16,
    split_by: SplitOpt = "number",
    duration: DurationOpt = None,
    downsample: DownOpt = 1,
    input_shape: Annotated[str, typer.Option(help="C,H,W of one frame (zoo names without --dataset).")] = "2,128,128",
    num_classes: Annotated[int, typer.Option(help="Classes (zoo names without --dataset).")] = 11,
    model_arg: ModelArgOpt = [],  # noqa: B006 - typer needs a literal default
    steps: Annotated[int, typer.Option(help="Time steps of the random input.")] = 16,
    density: Annotated[float, typer.Option(help="Spike probability of the random input.")] = 0.05,
    batch_size: Annotated[int, typer.Option(help="Samples per batch.")] = 8,
    batches: Annotated[int, typer.Option(help="Batches to run.")] = 4,
    device: DeviceOpt = None,
    json_out: Annotated[Path, typer.Option("--json", help="Where the JSON goes.")] = Path("profile.json"),
) -> None:
    """Cost metrics (NeuroBench's): footprint, sparsity, synaptic operations, firing rates; a table and JSON."""
    from snnmodels.cli_profile import profile_command

    check_folder(json_out.parent, "--json")
    prof, what = profile_command(
        source, dataset=dataset, root=root, cache=cache, frames=frames, split_by=split_by, duration=duration,
        downsample=downsample, input_shape=input_shape, num_classes=num_classes, model_args=_parse_kv(model_arg),
        steps=steps, density=density, batch_size=batch_size, batches=batches,
        device=None if device in (None, "auto") else device,
    )
    typer.echo(f"{source} on {what}:\n{prof.table()}")
    typer.echo(f"wrote {prof.write_json(json_out)}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for everything the demo writes.")] = Path("cache/demo"),
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 15,
    seed: Annotated[int, typer.Option(help="Seed of the data and the training run.")] = 0,
) -> None:
    """The whole product offline: miniature DVS128 Gesture -> frame cache -> training -> accuracy, curve, GIF, NIR."""
    _demo(check_folder(out, "--out"), epochs, seed)


def _demo(out: Path, epochs: int, seed: int) -> None:
    from neurodata import synth
    from neurodata.show import play_frame
    from snnmodels.export import write_nir
    from snnmodels.train import seed_everything

    start = time.perf_counter()
    root = out / "dvs128-gesture"
    if not (root / "download" / "sample.json").exists():
        synth.make_sample("dvs128-gesture", root, synth.SampleSize(samples_per_class=8, events_per_sample=3000),
                          seed=seed)
    tr, te, classes, shape = frame_datasets("dvs128-gesture", root, 16, "number", None, 4)
    log.info("data: %d train / %d test samples, frames %s after 4x4 sum-pooling (%.1f s)", len(tr), len(te),
             shape, time.perf_counter() - start)
    play_frame(tr[0][0], out / "sample.gif")
    # the PLIF paper's N-MNIST net fits 32x32 frames; average pooling keeps it exportable to NIR
    extra = {"channels": 16, "avgpool": True}
    seed_everything(seed)  # before the model is built: its initial weights come from the seed too
    net = build_model("nmnist_net", classes, shape, extra)
    meta = {"model": "nmnist_net", "model_args": extra, "num_classes": classes, "frame_shape": list(shape),
            **_data_meta("dvs128-gesture", root, None, SplitOptions(), FolderOptions(), 4, tr.spec)}
    cfg = _config(None, epochs=epochs, batch_size=8, lr=3e-3, optimizer="adam", seed=seed)
    trainer = _trainer(net, cfg, tr, te, out / "run", meta)
    trainer.fit()
    result = trainer.evaluate()
    nir_path = write_nir(trainer.model.eval(), out / "nmnist_net.nir", shape)
    typer.echo(f"test accuracy {result.top1:.3f} on {len(te)} samples (chance {1 / classes:.3f}), seed {seed}, "
               f"{time.perf_counter() - start:.0f} s")
    typer.echo(f"wrote {out / 'run' / 'curve.png'}, {out / 'sample.gif'}, {nir_path}, {out / 'run' / 'best.pt'}")
    from snnmodels.cli_profile import profile_dataset

    prof, what = profile_dataset(trainer.model, te, "dvs128-gesture", 8, len(te), None)
    typer.echo(f"cost metrics of the trained net on the {what} (docs/profile.md):\n{prof.table()}")
    typer.echo(f"wrote {prof.write_json(out / 'profile.json')}")


def main() -> None:
    """Entry point of the `snnmodels` console script."""
    app()
