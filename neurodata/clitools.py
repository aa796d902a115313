"""What both command lines share: global options anywhere on the line, and one way to report a mistake.

`CommandGroup` is the typer group of `neurodata` and `snnmodels`. It

* accepts the global ``-q/--quiet`` before or after the verb (``neurodata prepare n-mnist -q``);
* turns every error that a user can fix (the package error types, bad values, missing files, a missing
  optional package) into one line on stderr, ``error: <what is wrong>; <the fix>``, and exit status 1,
  without a traceback. Set ``NEURODATA_DEBUG=1`` to see the traceback instead.

Nothing here imports torch: the command lines start in a fraction of a second.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from neurodata.errors import NeurodataError

QUIET_FLAGS = ("-q", "--quiet")

# errors of the user's input, as opposed to bugs: OSError covers missing files, paths through a file and
# permissions, ImportError a missing optional package, ValueError/KeyError bad values and unknown names
USER_ERRORS: tuple[type[BaseException], ...] = (NeurodataError, ValueError, KeyError, OSError, ImportError)


class UsageError(NeurodataError, ValueError):
    """A command-line argument that cannot work; the message names the option and says what to give."""


def one_line(err: BaseException) -> str:
    """The error's message on one line (continuation lines joined with '; '), without KeyError's quotes."""
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        text = err.args[0]
    elif isinstance(err, OSError) and err.filename is not None and err.strerror:
        text = f"{err.filename}: {err.strerror}"
    else:
        text = str(err)
    text = text or type(err).__name__
    return "; ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def _move_quiet_first(args: Sequence[str]) -> list[str]:
    """``[verb, ..., -q, ...]`` -> ``[-q, verb, ...]``: a global flag may follow the verb (up to ``--``)."""
    args = list(args)
    end = args.index("--") if "--" in args else len(args)
    found = [a for a in args[:end] if a in QUIET_FLAGS]
    if not found:
        return args
    return ["--quiet"] + [a for a in args[:end] if a not in QUIET_FLAGS] + args[end:]


class CommandGroup(TyperGroup):
    """The typer group of both command lines (see the module docstring)."""

    # a command line may add its own library's error types (snnmodels: ExportError is a ValueError already)
    extra_errors: tuple[type[BaseException], ...] = ()
    # (error type, hint) pairs: a hint appended to the message of that error type (e.g. how to export MaxPool)
    hints: Sequence[tuple[Callable[[BaseException], bool], str]] = ()

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _move_quiet_first(args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (*USER_ERRORS, *self.extra_errors) as err:
            if os.environ.get("NEURODATA_DEBUG"):
                raise
            message = one_line(err)
            for matches, hint in self.hints:
                if matches(err) and hint not in message:
                    message = f"{message}; {hint}"
            typer.secho(f"error: {message}", fg="red", err=True)
            raise typer.Exit(code=1) from None


def check_folder(path: Path, option: str = "--root") -> Path:
    """`path` if it is a folder or can become one; else a `UsageError` naming `option` and the file in the way."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                what = "is" if p == path else f"runs through {p}, which is"
                raise UsageError(f"{option} {path} {what} a file, not a folder; give a folder")
            break
    return path


def parse_shape(text: str, option: str, length: int) -> tuple[int, ...]:
    """``'2,128,128'`` -> ``(2, 128, 128)``; anything else is a `UsageError` saying what `option` takes."""
    parts = [p.strip() for p in text.split(",")]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if len(shape) != length or any(s < 1 for s in shape):
        raise UsageError(
            f"{option} {text!r} is not {length} positive integers separated by commas (e.g. "
            f"{','.join(['2', '128', '128'][-length:] if length <= 3 else ['1'] * length)})"
        )
    return shape


# ---------------------------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class FolderOptions:
    """How to read a folder of the user's own recordings (see `neurodata.datasets.EventFolder`)."""

    labels: Path | None = None
    sensor: str | None = None  # "WxH"
    classes: str | None = None  # "a,b,c"
    format: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """`EventFolder` keyword arguments."""
        kw: dict[str, Any] = {"labels": self.labels, "format": self.format}
        if self.sensor is not None:
            kw["sensor"] = parse_sensor(self.sensor)
        if self.classes is not None:
            kw["classes"] = [c.strip() for c in self.classes.split(",") if c.strip()]
        return kw

    @property
    def given(self) -> list[str]:
        """The options given, as their command-line names."""
        names = ("--labels", "--sensor", "--classes", "--format")
        return [n for n, v in zip(names, (self.labels, self.sensor, self.classes, self.format), strict=True) if v]


@dataclass(frozen=True)
class SplitOptions:
    """The partition of a dataset without an official split (None: the dataset's default)."""

    scheme: str | None = None
    train_ratio: float | None = None
    seed: int | None = None

    def kwargs(self) -> dict[str, Any]:
        names = ("split_scheme", "train_ratio", "seed")
        return {k: v for k, v in zip(names, (self.scheme, self.train_ratio, self.seed), strict=True) if v is not None}

    @property
    def given(self) -> list[str]:
        names = ("--split-scheme", "--train-ratio", "--split-seed")
        return [n for n, v in zip(names, (self.scheme, self.train_ratio, self.seed), strict=True) if v is not None]


def parse_sensor(text: str) -> tuple[int, int]:
    """``'128x128'`` -> ``(128, 128)`` (width, height); else a `UsageError` for ``--sensor``."""
    parts = text.lower().replace(",", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        w = h = 0
    if w < 1 or h < 1:
        raise UsageError(f"--sensor {text!r} is not WIDTHxHEIGHT in pixels (e.g. 128x128)")
    return w, h


def resolve(name: str) -> tuple[str, Any]:
    """What NAME names on the command line: ``('dataset', class)``, ``('folder', path)`` or ``('file', path)``.

    A registered dataset name wins; otherwise an existing folder or file; otherwise the unknown-name error of
    the registry (close matches suggested), which also says that a folder or file path is accepted.
    """
    from neurodata.datasets import DATASETS
    from neurodata.errors import UnknownNameError

    path = Path(name)
    if name in DATASETS and not (os.sep in name or path.is_absolute()):
        return "dataset", DATASETS.get(name)
    if path.is_dir():
        return "folder", path
    if path.is_file():
        return "file", path
    try:
        return "dataset", DATASETS.get(name)
    except UnknownNameError as err:
        raise UnknownNameError(f"{err}; or give a folder of your own recordings or an event file") from None


def dataset_kwargs(cls: Any, split: SplitOptions, folder: FolderOptions) -> dict[str, Any]:
    """Keyword arguments for `cls` from the split and folder options, refusing those it does not take."""
    from neurodata.datasets import EventFolder

    kw: dict[str, Any] = {}
    if folder.given and cls is not EventFolder:
        raise UsageError(f"{', '.join(folder.given)} only apply to a folder of your own recordings, not to {cls.name}")
    if cls is EventFolder:
        kw.update(folder.kwargs())
    if split.given:
        if cls.splits != ("all",) and cls is not EventFolder:
            raise UsageError(
                f"{', '.join(split.given)}: {cls.name} has an official train/test split; these options only apply "
                "to datasets without one"
            )
        kw.update(split.kwargs())
    return kw


def open_dataset(
    name: str,
    *,
    root: Path | None,
    cache: Path | None,
    default_home: Path,
    train: bool | None = None,
    split: SplitOptions = SplitOptions(),
    folder: FolderOptions = FolderOptions(),
    **kwargs: Any,
) -> Any:
    """The dataset NAME names (a registered name or a folder of recordings), built with keyword arguments only.

    Args:
        root: the built-in dataset's folder (default ``default_home / NAME``); not used for a folder.
        cache: where event stores and frames go (`cache_dir`).
        train: True / False / None (all samples).
        kwargs: `EventDataset` keywords (data_type, frames_number, split_by, duration, download, ...).
    """
    from neurodata.datasets import EventFolder

    kind, what = resolve(name)
    if kind == "file":
        raise UsageError(f"{name} is a single event file; this command needs a dataset name or a folder of recordings")
    if cache is not None:
        check_folder(cache, "--cache")
    if kind == "folder":
        if root is not None:
            raise UsageError(f"--root is for built-in datasets; the folder {name} is the dataset (use --cache for "
                             "where its event store and frames go)")
        return EventFolder(what, train=train, cache_dir=cache, **dataset_kwargs(EventFolder, split, folder), **kwargs)
    r = check_folder(root if root is not None else default_home / what.name)
    kwargs.update(dataset_kwargs(what, split, folder), train=train)
    if cache is not None:
        kwargs["cache_dir"] = cache
    return what(r, **kwargs)
