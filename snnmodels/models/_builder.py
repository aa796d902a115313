"""Build a registered model: resolve the neuron, set-or-check arguments against weights, load ANN or SNN weights.

Every builder in the zoo goes through `build_model`, in this order:

1. defaults from the registry entry (``num_classes``, ``in_channels``, the default neuron and its arguments);
2. with ``weights``: each argument recorded in the weights (``num_classes``, ``in_channels``, ``model_kwargs``) is
   set when the caller left it out and checked when given: a mismatch raises, naming both values;
3. build the architecture with multi-step layers and neurons;
4. ``pretrained='imagenet'``: torchvision's ANN weights (`snnmodels.models._imagenet`);
5. ``weights``: download, verify, load strictly.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from torch import nn

from snnmodels.base import set_step_mode
from snnmodels.functional.surrogate import SURROGATES, Surrogate
from snnmodels.models._imagenet import IMAGENET_TAGS, AnnSource, fetch_imagenet_state_dict, load_ann_state_dict
from snnmodels.models._registry import model_entry
from snnmodels.models._weights import InputContract, Weights, WeightsError, get_weights
from snnmodels.neurons import IFNode, Leaky, LIFNode, ParametricLIFNode
from snnmodels.registry import Registry

__all__ = ["NEURONS", "NeuronFactory", "NeuronSpec", "build_model", "neuron_factory"]

M = TypeVar("M", bound=nn.Module)

NEURONS: Registry[type[nn.Module]] = Registry("neuron")
NEURONS.register("if")(IFNode)
NEURONS.register("lif")(LIFNode)
NEURONS.register("plif")(ParametricLIFNode)
NEURONS.register("leaky")(Leaky)

NeuronSpec = str | type[nn.Module] | Callable[..., nn.Module] | None
# the arguments a builder handles itself; everything else goes to the neurons
_BUILD_ARGS = ("weights", "pretrained", "ann_state_dict", "progress")


@dataclass(frozen=True)
class NeuronFactory:
    """Makes one fresh neuron per call: ``cls(**deepcopy(kwargs))``; a picklable object, not a closure."""

    cls: Callable[..., nn.Module]
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self) -> nn.Module:
        return self.cls(**copy.deepcopy(dict(self.kwargs)))


def _decode_surrogate(value: Any) -> Any:
    """``{'surrogate': 'atan', 'alpha': 3.0}`` (the JSON form in weights) -> ``ATan(alpha=3.0)``."""
    if isinstance(value, Mapping) and "surrogate" in value:
        rest = {k: v for k, v in value.items() if k != "surrogate"}
        return SURROGATES.get(value["surrogate"])(**rest)
    return value


def neuron_factory(
    spiking_neuron: NeuronSpec, neuron_kwargs: Mapping[str, Any], default: tuple[str, Mapping[str, Any]]
) -> NeuronFactory:
    """Resolve a neuron: None (the entry's ``default`` with its arguments, updated by ``neuron_kwargs``), a
    registry name (`NEURONS`: 'if', 'lif', 'plif', 'leaky') or a class, with ``neuron_kwargs`` only.

    A `Leaky` (snnTorch-style) neuron is built with ``init_hidden=True`` so that it returns spikes only. Models are
    built multi-step; use `snnmodels.set_step_mode` afterwards for single steps.

    Raises:
        KeyError: unknown registry name (close names suggested).
        ValueError: ``step_mode`` among the neuron arguments, or a Leaky configured to return its membrane.
        TypeError: arguments the neuron does not take (raised by the neuron itself, at build time).
    """
    if spiking_neuron is None:
        cls: Callable[..., nn.Module] = NEURONS.get(default[0])
        kwargs = {**default[1], **neuron_kwargs}
    elif isinstance(spiking_neuron, str):
        cls, kwargs = NEURONS.get(spiking_neuron), dict(neuron_kwargs)
    elif callable(spiking_neuron):
        cls, kwargs = spiking_neuron, dict(neuron_kwargs)
    else:
        raise TypeError(
            f"spiking_neuron must be None, a neuron name {NEURONS.names()} or a neuron class, got {spiking_neuron!r}"
        )
    if "step_mode" in kwargs:
        raise ValueError(
            f"step_mode={kwargs['step_mode']!r} is not a neuron argument here: zoo models are built multi-step "
            "([T, N, ...]); call snnmodels.set_step_mode(model, 's') on the built model for single steps"
        )
    kwargs = {k: _decode_surrogate(v) for k, v in kwargs.items()}
    is_leaky = isinstance(cls, type) and issubclass(cls, Leaky)
    if is_leaky and (not kwargs.setdefault("init_hidden", True) or kwargs.get("output")):
        raise ValueError(
            "a Leaky neuron in a zoo model must return spikes only: init_hidden=True and output=False, got "
            f"init_hidden={kwargs['init_hidden']!r}, output={kwargs.get('output')!r}"
        )
    return NeuronFactory(cls, kwargs)


def _encode(value: Any) -> Any:
    """JSON form of an argument for `Weights.model_kwargs`; raises TypeError for what has none."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, Surrogate):
        name = next((n for n in SURROGATES.names() if type(value) is SURROGATES.get(n)), None)
        if name is not None:
            fields = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else {}
            return name if value == SURROGATES.get(name)() else {"surrogate": name, **fields}
    if isinstance(value, type):
        name = next((n for n in NEURONS.names() if NEURONS.get(n) is value), None)
        if name is not None:
            return name
    raise TypeError(f"{value!r} has no JSON form (register it, or use a registry name)")


def _encode_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        return {k: _encode(v) for k, v in kwargs.items()}
    except TypeError:
        return None  # save_weights then asks for model_kwargs explicitly


def _reconcile(name: str, weights: Weights, kwargs: dict[str, Any]) -> None:
    """Set the arguments recorded in ``weights`` that the caller left out; raise on any that differ."""
    recorded = {
        "num_classes": weights.contract.num_classes,
        "in_channels": weights.contract.in_channels,
        **weights.model_kwargs,
    }
    bad = []
    for key, value in recorded.items():
        if kwargs.get(key) is None:
            kwargs[key] = value
            continue
        try:
            given = _encode(kwargs[key])
        except TypeError:
            given = kwargs[key]
        if given != value:
            bad.append(f"{key}={kwargs[key]!r} but the weights were trained with {key}={value!r}")
    if bad:
        raise WeightsError(f"{name} with weights {weights.name!r}: " + "; ".join(bad))


def build_model(name: str, cls: Callable[..., M], arch: Mapping[str, Any], kwargs: Mapping[str, Any]) -> M:
    """Build registry model ``name`` as ``cls(**arch, <user arguments>, neuron=...)`` (see the module docstring).

    Args:
        name: registry name (its entry gives the defaults and the torchvision architecture).
        cls: the architecture class; it takes ``num_classes``, ``in_channels``, ``neuron`` and its own keywords.
        arch: fixed arguments of this registry name (depths, widths, ...).
        kwargs: the caller's arguments: ``num_classes``, ``in_channels``, ``spiking_neuron``, ``weights``,
            ``pretrained``, ``ann_state_dict``, ``progress``, architecture keywords of ``cls`` and neuron keywords.
    """
    entry = model_entry(name)
    kw = dict(kwargs)
    weights = kw.pop("weights", None)
    pretrained = kw.pop("pretrained", None)
    ann_state_dict: AnnSource | None = kw.pop("ann_state_dict", None)
    progress = bool(kw.pop("progress", False))
    arch_names = set(_arch_params(cls)) - set(arch)
    w = None if weights is None else get_weights(weights)
    if w is not None:
        if w.format == "nir":
            raise WeightsError(
                f"weights {w.name!r} are a NIR graph, not {name} weights: load them with "
                f"snnmodels.train.finetune.load_pretrained({w.name!r}) (or `snnmodels finetune --weights {w.name}`)"
            )
        if w.model != name:
            raise WeightsError(f"weights {w.name!r} are for model {w.model!r}, not {name!r}")
        _reconcile(name, w, kw)
    kw.setdefault("num_classes", None)
    kw.setdefault("in_channels", None)
    if kw["num_classes"] is None:
        kw["num_classes"] = entry.contract.num_classes
    if kw["in_channels"] is None:
        kw["in_channels"] = entry.contract.in_channels
    if pretrained is not None and entry.imagenet_arch is None:
        raise ValueError(f"{name} has no ImageNet ANN counterpart; pretrained must be None, got {pretrained!r}")
    if pretrained is not None and pretrained not in IMAGENET_TAGS:
        raise ValueError(f"pretrained must be None or one of {list(IMAGENET_TAGS)}, got {pretrained!r}")
    if pretrained is None and ann_state_dict is not None:
        raise ValueError("ann_state_dict is only used with pretrained='imagenet'")
    recorded = {k: v for k, v in kw.items() if k not in _BUILD_ARGS}
    spiking_neuron = kw.pop("spiking_neuron", None)
    arch_kw = {k: kw.pop(k) for k in list(kw) if k in arch_names}
    factory = neuron_factory(spiking_neuron, kw, entry.default_neuron)
    try:
        factory()  # fail here, with the neuron's own message, rather than deep inside the architecture
    except TypeError as err:
        raise TypeError(
            f"{name}: {err}. Keywords that are not architecture arguments ({sorted(arch_names)}) go to every "
            f"neuron ({getattr(factory.cls, '__name__', factory.cls)})"
        ) from err
    model = cls(**arch, **arch_kw, neuron=factory)
    set_step_mode(model, "m")
    if pretrained is not None:
        if ann_state_dict is None:
            ann_state_dict = fetch_imagenet_state_dict(entry.imagenet_arch or "", pretrained, progress=progress)
        model.ann_transfer = load_ann_state_dict(model, ann_state_dict)
    if w is not None:
        _load_strict(name, model, w, w.get_state_dict(progress=progress))
    model.model_name = name
    model.model_kwargs = _encode_kwargs(recorded)
    model.weights = w
    model.input_contract = w.contract if w is not None else _default_contract(entry.contract, recorded)
    return model


def _load_strict(name: str, model: nn.Module, weights: Weights, state: Mapping[str, Any]) -> None:
    """Load ``state`` into ``model``; every missing, unexpected or reshaped tensor is listed in one WeightsError."""
    own = model.state_dict()
    problems = []
    if missing := sorted(set(own) - set(state)):
        problems.append(f"missing {missing}")
    if unexpected := sorted(set(state) - set(own)):
        problems.append(f"unexpected {unexpected}")
    problems += [
        f"{k}: file {tuple(state[k].shape)}, model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if state[k].shape != own[k].shape
    ]
    if problems:
        raise WeightsError(f"weights {weights.name!r} do not fit {name}: " + "; ".join(problems))
    model.load_state_dict(state)


def _default_contract(default: InputContract, kw: Mapping[str, Any]) -> InputContract:
    """The entry's contract with the caller's num_classes, in_channels and input_size."""
    size = kw.get("input_size")
    return dataclasses.replace(
        default,
        num_classes=int(kw["num_classes"]),
        in_channels=int(kw["in_channels"]),
        input_size=default.input_size if size is None else _pair(size),
        classes=default.classes if kw["num_classes"] == default.num_classes else (),
    )


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _arch_params(cls: Callable[..., Any]) -> list[str]:
    """The keyword arguments ``cls`` takes besides ``neuron``."""
    return [p for p in inspect.signature(cls).parameters if p not in ("neuron", "self")]
