"""`snnmodels` command line: the wiring layer where datasets, loaders, models, the trainer and exporters meet.

Library errors become a message and exit code 1; every option's default shows in ``--help``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Spiking networks: train, evaluate, export.")
log = logging.getLogger("snnmodels")

DEFAULT_HOME = Path(os.environ.get("NEURODATA_HOME", "cache"))
_ERRORS: tuple[type[Exception], ...] = (ValueError, KeyError, FileNotFoundError, OSError, ImportError)


def _errors() -> tuple[type[Exception], ...]:
    from neurodata.errors import NeurodataError

    return (NeurodataError, *_ERRORS)


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


def _parse_kv(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--model-arg takes KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------------- data + model


def frame_datasets(
    dataset: str, root: Path, frames: int | None, split_by: str, duration: int | None, downsample: int, *,
    download: bool = False,
) -> tuple[Any, Any, int, tuple[int, int, int]]:
    """(train set, test set, number of classes, frame shape (C, H, W)) of a neurodata dataset as frames."""
    from neurodata.datasets import get_dataset
    from neurodata.transforms import DownsampleFrames

    cls = get_dataset(dataset)
    if frames is None and duration is None:
        raise ValueError("give --frames (with --split-by) or --duration")
    transform = DownsampleFrames(downsample) if downsample > 1 else None
    common = {"data_type": "frame", "frames_number": frames, "split_by": split_by if frames else None,
              "duration": duration, "transform": transform, "download": download, "progress": _progress()}
    sets = [cls(root, train=t, **common) for t in (True, False)]  # type: ignore[call-arg]
    h, w = cls.get_H_W()
    return sets[0], sets[1], len(cls.classes), (2, h // downsample, w // downsample)


def build_model(name: str, num_classes: int, shape: tuple[int, int, int], extra: dict[str, Any]) -> Any:
    """A zoo model for `num_classes` and frames of `shape`; ``avgpool=True`` in `extra` swaps MaxPool for AvgPool."""
    from snnmodels.models import create_model

    kw = dict(extra)
    avg = bool(kw.pop("avgpool", False))
    kw.setdefault("in_channels", shape[0])
    kw.setdefault("num_classes", num_classes)
    if "input_size" not in kw:
        try:
            model = create_model(name, input_size=shape[1:], **kw)
        except TypeError:
            model = create_model(name, **kw)
    else:
        model = create_model(name, **kw)
    if avg:
        from snnmodels.export import avgpool_variant

        model = avgpool_variant(model)
    return model


def _trainer(model: Any, config: Any, train: Any, test: Any, out: Path | None, meta: dict[str, Any]) -> Any:
    from neurodata.loading import pad_sequence_collate
    from snnmodels.train import Trainer

    return Trainer(model, config, train, test, out, collate_fn=pad_sequence_collate, progress=_progress(),
                   num_classes=meta.get("num_classes"), meta=meta)


def _config(config_file: Path | None, **overrides: Any) -> Any:
    from snnmodels.train import TrainConfig

    cfg = TrainConfig.from_toml(config_file) if config_file else TrainConfig()
    return cfg.replace(**{k: v for k, v in overrides.items() if v is not None})


# ---------------------------------------------------------------------------------------------- commands

DatasetArg = Annotated[str, typer.Argument(help="neurodata dataset name (see `neurodata list`).")]
RootOpt = Annotated[Optional[Path], typer.Option(help="Dataset folder (default: $NEURODATA_HOME/DATASET).")]  # noqa: UP045
FramesOpt = Annotated[Optional[int], typer.Option(help="Frames per sample (with --split-by).")]  # noqa: UP045
SplitOpt = Annotated[str, typer.Option(help="'number' or 'time'.")]
DurationOpt = Annotated[Optional[int], typer.Option(help="Frame length in µs instead of --frames.")]  # noqa: UP045
DownOpt = Annotated[int, typer.Option(help="Sum-pool frames by this factor (1 = full resolution).")]
ModelArgOpt = Annotated[list[str], typer.Option("--model-arg", help="Model keyword KEY=VALUE (repeatable).")]


@app.command("list-models")
def list_models(pattern: Annotated[Optional[str], typer.Argument(help="Glob, e.g. 'sew_*'.")] = None) -> None:  # noqa: UP045
    """List the model zoo."""
    from snnmodels.models import list_models as names

    for name in names(pattern):
        typer.echo(name)


@app.command()
def train(
    dataset: DatasetArg,
    model: Annotated[str, typer.Option(help="Zoo model name.")] = "dvsgesture_net",
    root: RootOpt = None,
    frames: FramesOpt = 16,
    split_by: SplitOpt = "number",
    duration: DurationOpt = None,
    downsample: DownOpt = 1,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with TrainConfig fields.")] = None,  # noqa: UP045
    epochs: Annotated[Optional[int], typer.Option(help="Override the config's epochs.")] = None,  # noqa: UP045
    batch_size: Annotated[Optional[int], typer.Option(help="Override the config's batch size.")] = None,  # noqa: UP045
    lr: Annotated[Optional[float], typer.Option(help="Override the config's learning rate.")] = None,  # noqa: UP045
    model_arg: ModelArgOpt = [],  # noqa: B006 - typer needs a literal default
    out: Annotated[Path, typer.Option(help="Run folder: checkpoints, log.csv, curve.png.")] = Path("cache/runs/train"),
    resume: Annotated[bool, typer.Option(help="Continue from OUT/last.pt.")] = False,
    seed: Annotated[Optional[int], typer.Option(help="Override the config's seed (weights, data, dropout).")] = None,  # noqa: UP045
) -> None:
    """Train a zoo model on a prepared (or preparable) dataset."""
    from snnmodels.train import seed_everything

    try:
        root = root or DEFAULT_HOME / dataset
        tr, te, classes, shape = frame_datasets(dataset, root, frames, split_by, duration, downsample)
        extra = _parse_kv(model_arg)
        cfg = _config(config, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
        seed_everything(cfg.seed)  # before the model is built: its initial weights come from the seed too
        net = build_model(model, classes, shape, extra)
        meta = {"model": model, "model_args": extra, "num_classes": classes, "frame_shape": list(shape),
                "dataset": dataset, "frame_spec": tr.spec.to_dict(), "downsample": downsample}
        trainer = _trainer(net, cfg, tr, te, out, meta)
        trainer.fit(resume=resume)
        result = trainer.evaluate()
    except _errors() as err:
        raise _fail(err) from None
    typer.echo(f"test accuracy {result.top1:.4f} (top-5 {result.top5:.4f}) on {len(te)} samples; run in {out}")


@app.command()
def finetune(
    dataset: DatasetArg,
    source: Annotated[str, typer.Option("--from", help="Weights name, 'imagenet', a .nir file or a .pt checkpoint.")],
    model: Annotated[Optional[str], typer.Option(help="Zoo model name (for weights / imagenet).")] = None,  # noqa: UP045
    root: RootOpt = None,
    frames: FramesOpt = 16,
    split_by: SplitOpt = "number",
    duration: DurationOpt = None,
    downsample: DownOpt = 1,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 5,
    lr: Annotated[float, typer.Option(help="Learning rate of the new head.")] = 1e-3,
    backbone_lr_scale: Annotated[float, typer.Option(help="Learning-rate factor of the pretrained layers.")] = 0.1,
    freeze_backbone: Annotated[bool, typer.Option(help="Train the new head only.")] = False,
    model_arg: ModelArgOpt = [],  # noqa: B006 - typer needs a literal default
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("cache/runs/finetune"),
) -> None:
    """Fine-tune a pretrained network on a dataset: new head for its classes, slower or frozen backbone."""
    from snnmodels.train import seed_everything
    from snnmodels.train.finetune import head_name, load_pretrained, replace_head

    try:
        root = root or DEFAULT_HOME / dataset
        tr, te, classes, shape = frame_datasets(dataset, root, frames, split_by, duration, downsample)
        extra = _parse_kv(model_arg)
        seed_everything(_config(None).seed)  # the new head's initial weights come from the run's seed
        net = replace_head(load_pretrained(source, model=model, **extra), classes)
        cfg = _config(None, epochs=epochs, lr=lr, backbone_lr_scale=backbone_lr_scale,
                      freeze_backbone=freeze_backbone, head_prefix=head_name(net))
        meta = {"model": getattr(net, "model_name", model), "model_args": extra, "num_classes": classes,
                "frame_shape": list(shape), "dataset": dataset, "frame_spec": tr.spec.to_dict(),
                "downsample": downsample, "finetuned_from": source}
        trainer = _trainer(net, cfg, tr, te, out, meta)
        trainer.fit()
        result = trainer.evaluate()
    except _errors() as err:
        raise _fail(err) from None
    typer.echo(f"test accuracy {result.top1:.4f} on {len(te)} samples after fine-tuning from {source}; run in {out}")


def _from_checkpoint(checkpoint: Path) -> tuple[Any, dict[str, Any]]:
    from snnmodels.train import CheckpointError, load_checkpoint, load_model_state

    ckpt = load_checkpoint(checkpoint)
    meta = ckpt.get("meta") if isinstance(ckpt.get("meta"), dict) else {}
    missing = [k for k in ("model", "num_classes", "frame_shape") if k not in meta]
    if missing:
        raise CheckpointError(
            f"checkpoint {checkpoint} does not say how to rebuild its model (no meta {', '.join(missing)}); "
            "give last.pt or best.pt of a run folder written by `snnmodels train`"
        )
    net = build_model(meta["model"], meta["num_classes"], tuple(meta["frame_shape"]), meta.get("model_args", {}))
    load_model_state(net, ckpt["model"], checkpoint)
    return net, meta


@app.command()
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint written by `train` (last.pt / best.pt).")],
    root: RootOpt = None,
) -> None:
    """Evaluate a checkpoint on its dataset's test split (the frame settings come from the checkpoint)."""
    try:
        net, meta = _from_checkpoint(checkpoint)
        spec = meta["frame_spec"]
        root = root or DEFAULT_HOME / meta["dataset"]
        _, te, _, _ = frame_datasets(meta["dataset"], root, spec["frames_number"], spec["split_by"] or "number",
                                     spec["duration"], int(meta.get("downsample", 1)))
        result = _trainer(net, _config(None), te, te, None, meta).evaluate()
    except _errors() as err:
        raise _fail(err) from None
    typer.echo(f"test accuracy {result.top1:.4f} (top-5 {result.top5:.4f}) on {len(te)} samples")
    typer.echo("confusion (rows true, columns predicted):")
    for row in result.confusion:
        typer.echo(" ".join(f"{v:4d}" for v in row))


@app.command()
def export(
    source: Annotated[str, typer.Argument(help="A checkpoint (.pt) from `train`, or a zoo model name.")],
    to: Annotated[str, typer.Option(help="nir, onnx or netx.")] = "nir",
    out: Annotated[Path, typer.Option(help="Output file.")] = Path("model.nir"),
    input_shape: Annotated[str, typer.Option(help="C,H,W of one frame (zoo names only).")] = "2,128,128",
) -> None:
    """Export a trained checkpoint (or an untrained zoo model) to a hardware format."""
    from snnmodels.export import export_file

    try:
        if source.endswith(".pt"):
            net, meta = _from_checkpoint(Path(source))
            shape = tuple(meta["frame_shape"])
        else:
            shape = tuple(int(v) for v in input_shape.split(","))
            net = build_model(source, 10, shape, {})  # type: ignore[arg-type]
        path = export_file(net.eval(), to, out, shape)
    except _errors() as err:
        raise _fail(err) from None
    typer.echo(f"wrote {path}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for everything the demo writes.")] = Path("cache/demo"),
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 15,
    seed: Annotated[int, typer.Option(help="Seed of the data and the training run.")] = 0,
) -> None:
    """The whole product offline: miniature DVS128 Gesture -> frame cache -> training -> accuracy, curve, GIF, NIR."""
    try:
        _demo(out, epochs, seed)
    except _errors() as err:
        raise _fail(err) from None


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
            "dataset": "dvs128-gesture", "frame_spec": tr.spec.to_dict(), "downsample": 4}
    cfg = _config(None, epochs=epochs, batch_size=8, lr=3e-3, optimizer="adam", seed=seed)
    trainer = _trainer(net, cfg, tr, te, out / "run", meta)
    trainer.fit()
    result = trainer.evaluate()
    nir_path = write_nir(trainer.model.eval(), out / "nmnist_net.nir", shape)
    typer.echo(f"test accuracy {result.top1:.3f} on {len(te)} samples (chance {1 / classes:.3f}), seed {seed}, "
               f"{time.perf_counter() - start:.0f} s")
    typer.echo(f"wrote {out / 'run' / 'curve.png'}, {out / 'sample.gif'}, {nir_path}, {out / 'run' / 'best.pt'}")


def main() -> None:
    """Entry point of the `snnmodels` console script."""
    app()
