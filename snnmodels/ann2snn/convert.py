"""ANN -> SNN conversion: `convert(ann, dataloader, mode)` returns a multi-step spiking network of ours."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.fx
from torch import Tensor, nn
from tqdm.auto import tqdm

from snnmodels.ann2snn.graph import (
    ConversionError,
    find_relus,
    fuse_batchnorm,
    insert_after,
    make_multistep,
    trace,
)
from snnmodels.ann2snn.modules import ActivationStats, ScaledIF, parse_mode, quantile
from snnmodels.base import StepMode

__all__ = [
    "BALANCE_QUANTILES",
    "Converter",
    "balance_scale",
    "calibrate",
    "calibration_input",
    "convert",
    "insert_observers",
    "rate_coding_error",
    "repeat_input",
    "replace_relus",
]

log = logging.getLogger(__name__)

# the candidate scales threshold balancing weighs for each layer, besides the mode's own
BALANCE_QUANTILES = (0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 1.0)
_INPUT_KEYS = ("input", "image", "images", "img", "x", "data", "pixel_values")


def calibration_input(batch: Any) -> Tensor:
    """The model input of one dataloader batch: a tensor, the first item of an (input, target) pair, or the
    value of an input-like key ('input', 'image', 'x', ...) of a dict."""
    if isinstance(batch, Tensor):
        return batch
    if isinstance(batch, list | tuple) and batch:
        return calibration_input(batch[0])
    if isinstance(batch, dict):
        for key in _INPUT_KEYS:
            if key in batch:
                return calibration_input(batch[key])
    raise ConversionError(
        f"cannot find the model input in a calibration batch of type {type(batch).__name__}; yield tensors, "
        f"(input, target) pairs or dicts with one of the keys {list(_INPUT_KEYS)}"
    )


def rate_coding_error(a: Tensor, scale: float, T: int) -> float:
    """Mean squared error of representing activations ``a`` by an IF of threshold 1 fed a/scale for T steps.

    Starting at rest, such an IF fires floor(T·a/scale) times (at most T), so it stands for
    scale·min(floor(T·a/scale), T)/T: clipping above the scale, and steps of scale/T below it.
    """
    q = scale * torch.clamp(torch.floor(T * a / scale), 0, T) / T
    return float(torch.mean((a - q) ** 2))


def balance_scale(samples: Tensor, base: float, T: int) -> float:
    """The scale with the least `rate_coding_error` at T steps among ``base`` and the `BALANCE_QUANTILES` of
    ``samples`` (one layer's activations): a high scale wastes steps on rare outliers, a low one clips."""
    candidates = [base] + [float(quantile(samples, q)) for q in BALANCE_QUANTILES] if samples.numel() else [base]
    candidates = [c for c in candidates if math.isfinite(c) and c > 0] or [base]
    errors = [rate_coding_error(samples.double(), c, T) for c in candidates] if samples.numel() else [0.0]
    return candidates[min(range(len(candidates)), key=errors.__getitem__)]


def _name_for(gm: torch.fx.GraphModule, node: torch.fx.Node, taken: set[str]) -> str:
    if node.op == "call_module":
        return str(node.target)  # the ScaledIF takes the ReLU's place (and name) in the module tree
    base = f"relu_{node.name}"
    name, k = base, 1
    while name in taken or hasattr(gm, name):
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def convert(
    ann: nn.Module,
    dataloader: Iterable[Any],
    mode: str | float = "max",
    *,
    momentum: float = 0.1,
    fuse: bool = True,
    balance_T: int | None = None,
    device: torch.device | str | None = None,
    neuron: Callable[[float], nn.Module] | None = None,
    scale_dtype: torch.dtype | None = None,
    progress: bool = False,
) -> torch.fx.GraphModule:
    """Convert a ReLU network into a rate-coded spiking network of soft-reset IF neurons.

    The ANN is traced with torch.fx, each BatchNorm after a Conv/Linear is folded into it, the ReLUs are observed
    on the calibration data, and each ReLU with activation scale s becomes a `ScaledIF` s·IF(x/s). The result is a
    multi-step model of ours: it takes ``[T, N, *input]`` (the analog input repeated over T is the usual drive;
    see `repeat_input`) and returns ``[T, N, ...]`` per step; its rate over T approaches the ANN's output. It
    trains, exports (`snnmodels.export`) and can be switched to single-step mode with `set_step_mode`.

    Args:
        ann: the trained ANN (not modified); its ReLUs may be modules or ``F.relu``/``torch.relu`` calls.
        dataloader: calibration batches (tensors, (input, target) pairs or dicts), run through the ANN once.
        mode: the scale of each ReLU: 'max' (largest activation), a percentile such as '99.9%' (robust
            normalization), or a fraction 0 < k <= 1 of the max; per batch, blended with ``momentum``.
        momentum: weight of each new batch in the running scale (the first batch sets it).
        fuse: fold BatchNorm into the preceding Conv/Linear (its running statistics).
        balance_T: threshold balancing (beyond SpikingJelly): pick, per layer, the scale among the mode's and
            the layer's own quantiles with the least rate-coding error at this many steps (`balance_scale`).
        device: where to calibrate and put the result (None: the ANN's parameters' device).
        neuron: ``neuron(scale)`` -> the IF module to use (None: ``IFNode(v_reset=None)``, threshold 1).
        scale_dtype: dtype of the scale buffers (None: the activations', so a float64 ANN converts exactly).
        progress: show a progress bar over the calibration batches.

    Returns:
        the spiking ``torch.fx.GraphModule``, in eval mode.

    Raises:
        ConversionError: the ANN cannot be traced, has an activation with no IF equivalent, or the dataloader
            yields nothing; the message names the module.
    """
    kind, _ = parse_mode(mode)  # validates before any work
    if balance_T is not None and (isinstance(balance_T, bool) or not isinstance(balance_T, int) or balance_T < 1):
        raise ValueError(f"balance_T must be a number of time steps >= 1 or None, got {balance_T!r}")
    param = next(iter(ann.parameters()), None)
    device = torch.device(device) if device is not None else (param.device if param is not None else "cpu")
    gm = trace(ann).to(device)
    if fuse:
        gm = fuse_batchnorm(gm)
    gm = insert_observers(gm, mode, momentum, sample=4096 if balance_T else 0)
    batches = calibrate(gm, dataloader, device, progress=progress, who=type(ann).__name__)
    gm = replace_relus(gm, balance_T=balance_T, neuron=neuron, scale_dtype=scale_dtype)
    gm = make_multistep(gm, keep=(ScaledIF,))
    log.info("converted %s (mode %s, %d calibration batches)", type(ann).__name__, kind, batches)
    return gm.eval()


def insert_observers(
    gm: torch.fx.GraphModule, mode: str | float = "max", momentum: float = 0.1, sample: int = 0
) -> torch.fx.GraphModule:
    """Put an `ActivationStats` after every ReLU of a traced ANN (in place); a ConversionError names an activation
    with no IF equivalent."""
    relus = find_relus(gm)
    if not relus:
        log.warning("%s has no ReLU: the converted network has no spiking neuron", gm.__class__.__name__)
    for i, node in enumerate(relus):
        insert_after(gm, node, f"_activation_stats_{i}", ActivationStats(mode, momentum, sample=sample, seed=i))
    gm.recompile()
    return gm


def _observers(gm: torch.fx.GraphModule) -> list[tuple[torch.fx.Node, ActivationStats]]:
    out = []
    for node in gm.graph.nodes:
        if node.op == "call_module" and isinstance(m := gm.get_submodule(node.target), ActivationStats):
            out.append((node, m))
    return out


def calibrate(
    gm: torch.fx.GraphModule,
    dataloader: Iterable[Any],
    device: torch.device | str = "cpu",
    *,
    progress: bool = False,
    who: str = "the ANN",
) -> int:
    """Run the calibration batches through an ANN with observers (the ANN in eval mode, the observers recording);
    returns the number of batches. A ConversionError if there was none."""
    gm.eval()
    for _, observer in _observers(gm):
        observer.train()
    batches = 0
    with torch.no_grad():
        for batch in tqdm(dataloader, desc="calibrating", disable=not progress, leave=False):
            gm(calibration_input(batch).to(device))
            batches += 1
    gm.eval()
    if batches == 0:
        raise ConversionError(
            f"the calibration dataloader given to convert({who}) yielded no batches; pass data the ANN was "
            "trained on (a few hundred samples are enough)"
        )
    return batches


def replace_relus(
    gm: torch.fx.GraphModule,
    *,
    balance_T: int | None = None,
    neuron: Callable[[float], nn.Module] | None = None,
    scale_dtype: torch.dtype | None = None,
    step_mode: StepMode = "m",
) -> torch.fx.GraphModule:
    """Replace each (ReLU, observer) pair by a `ScaledIF` with the observed (or balanced) scale, in place."""
    taken: set[str] = set()
    for stats_node, observer in _observers(gm):
        node = stats_node.args[0]
        if not isinstance(node, torch.fx.Node):  # an observer fed a constant was not put there by us
            continue
        scale = observer.scale.detach()
        if balance_T:
            chosen = balance_scale(observer.sampled(), float(scale), balance_T)
            scale = torch.tensor(chosen, dtype=scale.dtype)
        if not (math.isfinite(float(scale)) and float(scale) > 0):
            raise ConversionError(
                f"the activations after {node.name!r} were all <= 0 on the calibration data (scale "
                f"{float(scale)}); the layer is dead and cannot set an IF threshold"
            )
        name = _name_for(gm, node, taken)
        module = ScaledIF(
            scale, step_mode=step_mode, neuron=None if neuron is None else neuron(float(scale)), dtype=scale_dtype
        )
        gm.add_submodule(name, module.to(scale.device))
        with gm.graph.inserting_before(node):
            new = gm.graph.call_module(name, (node.args[0],))
        stats_node.replace_all_uses_with(new)
        gm.graph.erase_node(stats_node)
        node.replace_all_uses_with(new)
        gm.graph.erase_node(node)
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    return gm


class Converter:
    """`convert` with its settings bound: ``Converter(dataloader, mode='99.9%')(ann)``."""

    def __init__(self, dataloader: Iterable[Any], mode: str | float = "max", **options: Any) -> None:
        parse_mode(mode)
        self.dataloader, self.mode, self.options = dataloader, mode, options

    def convert(self, ann: nn.Module) -> torch.fx.GraphModule:
        """Convert ``ann`` (see `convert`)."""
        return convert(ann, self.dataloader, self.mode, **self.options)

    __call__ = convert


def repeat_input(x: Tensor, T: int) -> Tensor:
    """The constant drive of a converted network: ``x [N, ...]`` repeated to ``[T, N, ...]`` (a view)."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    return x.unsqueeze(0).expand(T, *x.shape)
