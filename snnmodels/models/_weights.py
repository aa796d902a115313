"""Named weights: where a checkpoint lives, its SHA-256, and the exact input contract it was trained with.

A `Weights` entry says which model it loads into (and with which architecture arguments), the `InputContract`
of its training data (dataset, channels, size, T and the `neurodata.spec.FrameSpec` of the frame cache, which
includes the event orientation), the metrics it reached and its licence. Files are fetched with neurodata's
downloader (mirrors, resume, full SHA-256 check before the file gets its final name), cached under the data root
(``$NEURODATA_HOME/weights``, default ``cache/weights``) and loaded with ``torch.load(..., weights_only=True)``:
a pickle that would run code is refused. `save_weights` turns a trained model into such an entry (plus a JSON
manifest beside the file), so our own runs register exactly like published ones.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from neurodata.download import download_file, file_digests
from neurodata.spec import FrameSpec
from snnmodels.registry import Registry

__all__ = [
    "WEIGHTS",
    "ContractError",
    "InputContract",
    "Weights",
    "WeightsError",
    "get_weights",
    "list_weights",
    "load_state_dict_file",
    "register_weights",
    "save_weights",
    "weights_root",
]

_SHA256 = re.compile(r"[0-9a-f]{64}")
WEIGHTS_FORMATS = ("state_dict", "nir")


class WeightsError(ValueError):
    """A weights entry or file that cannot be used: wrong model or shapes, unsafe or malformed file."""


class ContractError(WeightsError):
    """Input (data or model arguments) that differs from the contract the weights were trained with."""


def weights_root() -> Path:
    """Where downloaded weights are cached: ``$NEURODATA_HOME/weights`` (default ``cache/weights``)."""
    return Path(os.environ.get("NEURODATA_HOME", "cache")) / "weights"


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"InputContract.{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class InputContract:
    """What a model's input looks like: the data a set of weights was trained on, or a model's default.

    The model sees ``[T, N, in_channels, H, W]`` and returns ``[T, N, num_classes]``. A neurodata DataLoader
    yields ``[N, T, P, H, W]``: ``frames.transpose(0, 1)`` gives the model's layout.

    Attributes:
        in_channels: C (2 polarities for DVS frames, 3 for RGB, 1 for grey).
        num_classes: size of the output's last dimension.
        input_size: (H, W) in pixels.
        T: time steps the model was trained (or is meant to run) with; None: not fixed.
        dataset: neurodata dataset name (``'dvs128-gesture'``, ``'cifar10-dvs'``, ``'n-mnist'``) or a static
            image dataset (``'imagenet'``, ``'cifar10'``, ``'mnist'``; static images are repeated T times).
        frame_spec: the frame cache's parameters (frames number, split rule, dtype, orientation, dataset version);
            None for static images.
        classes: class names in label order (empty when not recorded).
    """

    in_channels: int
    num_classes: int
    input_size: tuple[int, int]
    T: int | None = None
    dataset: str | None = None
    frame_spec: FrameSpec | None = None
    classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _positive_int("in_channels", self.in_channels)
        _positive_int("num_classes", self.num_classes)
        size = tuple(self.input_size)
        if len(size) != 2:
            raise ValueError(f"InputContract.input_size must be (H, W), got {self.input_size!r}")
        for s in size:
            _positive_int("input_size", s)
        object.__setattr__(self, "input_size", size)
        object.__setattr__(self, "classes", tuple(self.classes))
        if self.T is not None:
            _positive_int("T", self.T)
        if self.classes and len(self.classes) != self.num_classes:
            raise ValueError(f"InputContract.classes has {len(self.classes)} names but num_classes={self.num_classes}")
        if self.frame_spec is not None and not isinstance(self.frame_spec, FrameSpec):
            raise TypeError(f"InputContract.frame_spec must be a neurodata.spec.FrameSpec, got {self.frame_spec!r}")
        fn = None if self.frame_spec is None else self.frame_spec.frames_number
        if fn is not None and self.T is not None and fn != self.T:
            raise ValueError(f"InputContract.T={self.T} differs from frame_spec.frames_number={fn}")

    def mismatches(
        self,
        *,
        frame_spec: FrameSpec | None = None,
        dataset: str | None = None,
        T: int | None = None,
        in_channels: int | None = None,
        input_size: tuple[int, int] | None = None,
        num_classes: int | None = None,
    ) -> list[str]:
        """How the given input differs from this contract, one line per field; arguments left None are not checked."""
        out: list[str] = []
        given = {
            "dataset": dataset,
            "T": T,
            "in_channels": in_channels,
            "input_size": None if input_size is None else tuple(input_size),
            "num_classes": num_classes,
        }
        for key, value in given.items():
            mine = getattr(self, key)
            if value is not None and mine is not None and value != mine:
                out.append(f"{key}: expected {mine!r}, got {value!r}")
        if frame_spec is not None:
            if self.frame_spec is None:
                out.append(f"frame_spec: expected static images (no frame cache), got {frame_spec.describe()}")
            else:
                mine_d, given_d = self.frame_spec.to_dict(), frame_spec.to_dict()
                out += [
                    f"frame_spec.{k}: expected {mine_d[k]!r}, got {given_d.get(k)!r}"
                    for k in sorted(mine_d)
                    if mine_d[k] != given_d.get(k)
                ]
        return out

    def check(self, *, what: str = "the model", **given: Any) -> None:
        """Raise `ContractError` listing every field of ``given`` (see `mismatches`) that differs from the contract."""
        bad = self.mismatches(**given)
        if bad:
            raise ContractError(f"input does not match the contract of {what}:\n  " + "\n  ".join(bad))

    def check_input(self, x: Tensor, *, what: str = "the model") -> None:
        """Check a model input ``x`` [T, N, C, H, W] against in_channels, input_size and T (if fixed)."""
        if x.dim() != 5:
            raise ContractError(f"{what} takes [T, N, C, H, W] input, got shape {tuple(x.shape)}")
        t, _, c, h, w = x.shape
        self.check(what=what, T=t, in_channels=c, input_size=(h, w))

    def describe(self) -> str:
        """One line: ``2x128x128, 11 classes, T=20, dvs128-gesture frames_number=20 split_by=number``."""
        h, w = self.input_size
        text = f"{self.in_channels}x{h}x{w}, {self.num_classes} classes"
        if self.T is not None:
            text += f", T={self.T}"
        if self.dataset:
            text += f", {self.dataset}"
        if self.frame_spec is not None:
            text += f" {self.frame_spec.describe()} orientation={self.frame_spec.orientation}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the frame spec as its field dict)."""
        d = dataclasses.asdict(self)
        d["frame_spec"] = None if self.frame_spec is None else dataclasses.asdict(self.frame_spec)
        d["input_size"], d["classes"] = list(self.input_size), list(self.classes)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputContract:
        """Inverse of `to_dict`."""
        d = dict(d)
        spec = d.get("frame_spec")
        d["frame_spec"] = None if spec is None else FrameSpec(**spec)
        d["input_size"] = tuple(d["input_size"])
        d["classes"] = tuple(d.get("classes", ()))
        return cls(**d)


@dataclass(frozen=True)
class Weights:
    """One named checkpoint of one model.

    Attributes:
        name: unique registry name, ``'<model>.<tag>'`` by convention (``'dvsgesture_net.plif_t20_v1'``).
        model: the model registry name it loads into (`snnmodels.models.list_models`).
        urls: mirrors tried in order; ``file://`` URLs work (offline use, tests).
        sha256: full hex digest of the file; checked before the file is used.
        contract: the input it was trained with.
        model_kwargs: architecture and neuron arguments it needs (JSON values: ``channels``, ``cnf``,
            ``spiking_neuron`` as a registry name, neuron keyword arguments); `create_model` sets or checks them.
        metrics: reported results, e.g. ``{'acc@1': 97.57}`` (percent), with the split named in ``meta``.
        license: licence of the weights file.
        meta: anything else worth keeping: recipe, paper, split, training epochs, notes.
        format: ``'state_dict'`` (a torch state dict for zoo model `model`) or ``'nir'`` (a NIR graph, imported
            with `snnmodels.export.from_nir` at ``meta['dt']`` seconds per step; `model` is then ``'nir'``).
    """

    name: str
    model: str
    urls: tuple[str, ...]
    sha256: str
    contract: InputContract
    model_kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    metrics: Mapping[str, float] = field(default_factory=dict, hash=False)
    license: str = "unknown"
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False)
    format: str = "state_dict"

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"Weights.name must be a non-empty name without '/', got {self.name!r}")
        urls = (self.urls,) if isinstance(self.urls, str) else tuple(self.urls)
        if not urls:
            raise ValueError(f"Weights {self.name!r} needs at least one URL")
        object.__setattr__(self, "urls", urls)
        sha = self.sha256.lower()
        if not _SHA256.fullmatch(sha):
            raise ValueError(f"Weights {self.name!r}: sha256 must be 64 hex digits, got {self.sha256!r}")
        object.__setattr__(self, "sha256", sha)
        try:
            json.dumps(dict(self.model_kwargs))
        except TypeError as err:
            raise ValueError(f"Weights {self.name!r}: model_kwargs must be JSON values ({err})") from None
        if self.format not in WEIGHTS_FORMATS:
            raise ValueError(f"Weights {self.name!r}: format must be one of {WEIGHTS_FORMATS}, got {self.format!r}")
        if self.format == "nir" and not (isinstance(self.meta.get("dt"), int | float) and self.meta["dt"] > 0):
            raise ValueError(f"Weights {self.name!r}: a NIR graph needs meta['dt'], its simulation step in seconds")

    @property
    def file_name(self) -> str:
        """Cache file name: the entry name plus the first 8 hash digits, so two versions never collide."""
        return f"{self.name}-{self.sha256[:8]}" + (".nir" if self.format == "nir" else ".pth")

    def download(
        self, root: str | Path | None = None, *, progress: bool = False, retries: int = 3, backoff: float = 1.0
    ) -> Path:
        """The verified local file, fetched (and resumed) if missing; ``root`` defaults to `weights_root`.

        Raises:
            neurodata.errors.ChecksumError: the bytes do not match ``sha256`` (the file is moved aside).
            neurodata.download.DownloadError: every URL failed.
        """
        dest = Path(root if root is not None else weights_root()) / self.file_name
        return download_file(self.urls, dest, sha256=self.sha256, progress=progress, retries=retries, backoff=backoff)

    def get_state_dict(self, root: str | Path | None = None, **download_kw: Any) -> dict[str, Tensor]:
        """Download (see `download`), verify and load the state dict safely (`load_state_dict_file`)."""
        if self.format == "nir":
            raise WeightsError(
                f"weights {self.name!r} are a NIR graph, not a state dict: load them with "
                f"snnmodels.train.finetune.load_pretrained({self.name!r}) (or `snnmodels finetune --weights`)"
            )
        return load_state_dict_file(self.download(root, **download_kw))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written next to saved weights."""
        return {
            "name": self.name,
            "model": self.model,
            "urls": list(self.urls),
            "sha256": self.sha256,
            "contract": self.contract.to_dict(),
            "model_kwargs": dict(self.model_kwargs),
            "metrics": dict(self.metrics),
            "license": self.license,
            "meta": dict(self.meta),
            "format": self.format,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Weights:
        """Inverse of `to_dict`."""
        d = dict(d)
        d["contract"] = InputContract.from_dict(d["contract"])
        d["urls"] = tuple(d["urls"])
        return cls(**d)

    @classmethod
    def from_json(cls, path: str | Path) -> Weights:
        """Read a manifest written by `save_weights`."""
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_json(self, path: str | Path) -> None:
        """Write the manifest (atomically)."""
        _atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")


WEIGHTS: Registry[Weights] = Registry("weights")


def register_weights(weights: Weights) -> Weights:
    """Add ``weights`` to the `WEIGHTS` registry under its name (a second entry of that name raises)."""
    return WEIGHTS.register(weights.name)(weights)


def get_weights(weights: str | Weights) -> Weights:
    """A `Weights` entry from its registry name, or ``weights`` itself; a KeyError lists close names."""
    if isinstance(weights, Weights):
        return weights
    if isinstance(weights, str):
        return WEIGHTS.get(weights)
    raise TypeError(f"weights must be a registered name or a Weights entry, got {weights!r}")


def list_weights(model: str | None = None) -> list[str]:
    """Registered weights names, all or those for one model."""
    return [n for n in WEIGHTS.names() if model is None or WEIGHTS.get(n).model == model]


def load_state_dict_file(path: str | Path) -> dict[str, Tensor]:
    """Load a flat state dict (name -> tensor) with ``torch.load(weights_only=True)``, on the CPU.

    Raises:
        WeightsError: the file would need arbitrary unpickling (code execution), is not a torch file, or does
            not hold a flat mapping of names to tensors.
    """
    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WeightsError(
            f"{path}: refused to load: the file holds objects other than tensors and plain containers, and "
            f"unpickling them could run code (torch.load(weights_only=True) said: {first})"
        ) from None
    except (RuntimeError, EOFError, OSError) as err:
        raise WeightsError(f"{path}: not a readable torch weights file ({err})") from None
    if not isinstance(obj, Mapping) or not all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items()):
        keys = list(obj)[:8] if isinstance(obj, Mapping) else None
        raise WeightsError(
            f"{path}: expected a flat state dict (parameter name -> tensor), got {type(obj).__name__}"
            + (f" with keys {keys}; a training checkpoint must be reduced to its model state dict" if keys else "")
        )
    return dict(obj)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def save_weights(
    model: nn.Module,
    path: str | Path,
    *,
    name: str,
    contract: InputContract,
    model_name: str | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    license: str = "unknown",
    meta: Mapping[str, Any] | None = None,
    urls: Sequence[str] | None = None,
) -> Weights:
    """Save ``model``'s state dict to ``path`` and return its `Weights` entry (hash, contract, arguments).

    Also writes the entry as JSON beside the file (``path`` with suffix ``.json``): `Weights.from_json` reads it
    back and `register_weights` publishes it. ``model_name`` and ``model_kwargs`` default to what
    `create_model` recorded on the model; ``urls`` default to the file's own ``file://`` URL (replace them with the
    release URL when uploading: the hash stays valid).

    Raises:
        WeightsError: the model was not built by `create_model` and ``model_name`` is missing, or ``contract``
            disagrees with the model's ``num_classes`` / ``in_channels``.
    """
    model_name = model_name or getattr(model, "model_name", None)
    if model_name is None:
        raise WeightsError("save_weights needs model_name= for a model not built by create_model")
    if model_kwargs is None:
        model_kwargs = getattr(model, "model_kwargs", {})
        if model_kwargs is None:
            raise WeightsError(
                "save_weights: the model was built with arguments that have no JSON form (an unregistered neuron "
                "class or surrogate); pass model_kwargs= with names that create_model accepts"
            )
    for key in ("num_classes", "in_channels"):
        mine, declared = getattr(model, key, None), getattr(contract, key)
        if mine is not None and mine != declared:
            raise WeightsError(f"save_weights: contract.{key}={declared} but the model has {key}={mine}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, tmp)
    tmp.replace(path)
    weights = Weights(
        name=name,
        model=model_name,
        urls=tuple(urls) if urls else (path.resolve().as_uri(),),
        sha256=file_digests(path, ("sha256",))["sha256"],
        contract=contract,
        model_kwargs=dict(model_kwargs),
        metrics=dict(metrics or {}),
        license=license,
        meta=dict(meta or {}),
    )
    weights.to_json(path.with_suffix(".json"))
    return weights
