"""Cost metrics of a model on data, with NeuroBench's definitions (Yik et al., 2025; neurobench 2.3).

Static, from the model alone:

- ``parameters``: number of parameter elements; ``footprint_bytes``: bytes of all parameters and buffers
  (NeuroBench's Footprint), split into ``parameter_bytes`` and ``buffer_bytes``;
- ``connection_sparsity``: zero weights / all weights of the connection layers (Linear, Conv1d/2d/3d: their
  ``weight``; RNN/LSTM/GRU layers and cells: their weight and bias matrices).

From running the model (eval mode, no gradients) on data:

- ``state_bytes_per_sample``: the spiking layers' state (membrane and other per-neuron variables) one sample
  needs, in bytes: what a deployment holds besides the weights;
- ``activation_sparsity``: zero outputs / all outputs, over every activation layer (spiking neurons, ReLU,
  Sigmoid), time step and sample; ``layers[name].sparsity`` per layer;
- ``firing_rates``: mean output of each spiking layer (spikes per neuron per time step);
- ``synops``: synaptic operations per sample over all time steps: for every call of a connection layer, the
  products its non-zero inputs make with its non-zero weights (bias excluded). They count as accumulates
  (``effective_acs``) when every input of that call is 0 or ±1 (spikes), as multiply-accumulates
  (``effective_macs``) otherwise; ``dense`` is the count with every input and weight non-zero.

Counts are per sample: the sum over the data divided by the number of samples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from snnmodels.base import reset_net
from snnmodels.neurons import Leaky, LeakyParallel, _SJNeuron

__all__ = ["SPIKING_LAYERS", "LayerProfile", "Profile", "profile_model"]

# our spiking neurons; others (SpikingJelly's, snnTorch's) are recognised by their base class names below
SPIKING_LAYERS: tuple[type[nn.Module], ...] = (_SJNeuron, Leaky, LeakyParallel)
_PEER_NEURON_BASES = {"BaseNode", "SpikingNeuron"}  # spikingjelly.activation_based.neuron, snntorch
DENSE_ACTIVATIONS: tuple[type[nn.Module], ...] = (nn.ReLU, nn.Sigmoid)  # NeuroBench's
CONNECTION_LAYERS: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_RECURRENT: tuple[type[nn.Module], ...] = (nn.RNNBase, nn.RNNCellBase)
_STATE_NAMES = ("v", "mem", "syn", "cur", "a")


@dataclass
class LayerProfile:
    """One layer's share: its kind ('spiking', 'activation' or 'connection') and what was measured on it."""

    kind: str
    type: str
    outputs: int = 0  # activation outputs seen (all steps and samples)
    nonzero: int = 0
    sparsity: float | None = None
    firing_rate: float | None = None
    effective_macs: float = 0.0  # per sample
    effective_acs: float = 0.0
    dense: float = 0.0


@dataclass
class Profile:
    """The cost metrics of one model on some data (see the module docstring for the definitions)."""

    parameters: int
    parameter_bytes: int
    buffer_bytes: int
    connection_sparsity: float
    samples: int
    state_bytes_per_sample: float
    activation_sparsity: float
    synops: dict[str, float]
    firing_rates: dict[str, float]
    layers: dict[str, LayerProfile] = field(default_factory=dict)

    @property
    def footprint_bytes(self) -> int:
        """Bytes of parameters and buffers (NeuroBench's Footprint)."""
        return self.parameter_bytes + self.buffer_bytes

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict, footprint included."""
        return {**asdict(self), "footprint_bytes": self.footprint_bytes}

    def write_json(self, path: str | Path) -> Path:
        """Write `to_dict` as JSON (written to a temporary name, then renamed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(json.dumps(self.to_dict(), indent=2))
        tmp.replace(path)
        return path

    def table(self) -> str:
        """A Markdown table per layer, then the totals."""
        rows = [
            "| layer | type | kind | sparsity | firing rate | effective MACs/sample | effective ACs/sample |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, lp in self.layers.items():
            rows.append(
                f"| {name} | {lp.type} | {lp.kind} | {_fmt(lp.sparsity)} | {_fmt(lp.firing_rate)} | "
                f"{lp.effective_macs:,.0f} | {lp.effective_acs:,.0f} |"
            )
        s = self.synops
        rows += [
            "",
            f"parameters: {self.parameters:,} ({self.parameter_bytes:,} bytes); buffers: {self.buffer_bytes:,} bytes; "
            f"footprint: {self.footprint_bytes:,} bytes",
            f"neuron state: {self.state_bytes_per_sample:,.0f} bytes per sample",
            f"connection sparsity: {self.connection_sparsity:.4f}; activation sparsity: {self.activation_sparsity:.4f} "
            f"(over {self.samples} samples)",
            f"synaptic operations per sample: {s['effective_macs']:,.0f} MACs + {s['effective_acs']:,.0f} ACs "
            f"(dense: {s['dense']:,.0f})",
        ]
        return "\n".join(rows)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4f}"


def _is_spiking(m: nn.Module, extra: tuple[type[nn.Module], ...]) -> bool:
    if isinstance(m, SPIKING_LAYERS + extra):
        return True
    return any(c.__name__ in _PEER_NEURON_BASES for c in type(m).__mro__[1:])


def _weights(m: nn.Module) -> list[Tensor]:
    if isinstance(m, CONNECTION_LAYERS):
        return [m.weight]
    if isinstance(m, _RECURRENT):
        return [p for n, p in m.named_parameters(recurse=False) if n.startswith(("weight", "bias"))]
    return []


def connection_sparsity(model: nn.Module) -> float:
    """Zero weights / all weights of the model's connection layers (0.0 when it has none)."""
    zeros = total = 0
    for m in model.modules():
        for w in _weights(m):
            zeros += int((w == 0).sum())
            total += w.numel()
    return zeros / total if total else 0.0


def _binary(x: Tensor, ones: bool) -> Tensor:
    return torch.ones_like(x) if ones else (x != 0).to(x.dtype)


def _layer_ops(m: nn.Module, x: Tensor, dense: bool) -> float:
    """Products of non-zero inputs with non-zero weights in one call (all ones with ``dense``), bias excluded."""
    w = _binary(m.weight.detach(), dense)
    xb = _binary(x.detach().float(), dense)
    if isinstance(m, nn.Linear):
        # every non-zero input i meets the non-zero weights of column i: sum_i count(x_i != 0) * nnz(W[:, i])
        per_input = xb.reshape(-1, xb.shape[-1]).double().sum(0)
        return float(per_input @ w.double().sum(0))
    dims = m.weight.dim() - 2  # spatial dimensions
    xb = xb.reshape(-1, *xb.shape[-(dims + 1) :])  # multi-step [T, N, C, ...] folds T into N
    out = m._conv_forward(xb, w.float(), None)  # type: ignore[operator]  # each output: its products; exact
    return float(out.double().sum())


def _is_spike_input(x: Tensor) -> bool:
    # NeuroBench's rule: an input whose every value is 0, 1 or -1 is a spike train (accumulates)
    return bool(((x == 0) | (x == 1) | (x == -1)).all())


def _state_bytes(m: nn.Module, y: Tensor, batch: int) -> float:
    """Bytes of per-neuron state one sample needs: neurons per step x state variables x element size."""
    multi = getattr(m, "step_mode", "s") == "m" or isinstance(m, LeakyParallel)
    neurons = (y[0].numel() if multi and y.dim() > 1 else y.numel()) / max(batch, 1)
    variables = sum(isinstance(getattr(m, n, None), Tensor) for n in _STATE_NAMES) or 1
    return neurons * variables * y.element_size()


def _batches(data: Tensor | Iterable[Any], batch_dim: int, transpose: bool) -> Iterable[tuple[Tensor, int]]:
    if isinstance(data, Tensor):
        yield data, data.shape[batch_dim]
        return
    for batch in data:
        x = batch[0] if isinstance(batch, Sequence) and not isinstance(batch, Tensor) else batch
        x = torch.as_tensor(x)
        yield (x.transpose(0, 1) if transpose else x), x.shape[0]


def profile_model(
    model: nn.Module,
    data: Tensor | Iterable[Any],
    *,
    batch_dim: int = 1,
    transpose: bool = True,
    max_batches: int | None = None,
    spiking_layers: tuple[type[nn.Module], ...] = (),
    device: str | torch.device | None = None,
) -> Profile:
    """Run ``model`` on ``data`` and measure its cost metrics (NeuroBench's definitions; see the module doc).

    Args:
        model: any `nn.Module`; multi-step spiking nets take [T, B, ...].
        data: one input tensor, given to the model as it is (its batch along ``batch_dim``, default 1 for
            [T, B, ...]), or an iterable of batches such as a DataLoader: ``x`` or ``(x, y, ...)`` with x
            batch-first [B, T, ...] (neurodata's collate), transposed to [T, B, ...] unless ``transpose=False``.
        max_batches: stop after this many batches.
        spiking_layers: more module types to count as spiking neurons (ours, SpikingJelly's and snnTorch's are
            recognised).
        device: move the model and data there (default: where the model's parameters are).

    The model runs in eval mode without gradients, neuron state reset before every batch; its mode is restored.
    """
    params = list(model.parameters())
    dev = torch.device(device) if device is not None else (params[0].device if params else torch.device("cpu"))
    names = {m: n or "(model)" for n, m in model.named_modules()}  # a bare layer is its own only layer
    layers: dict[str, LayerProfile] = {}
    spiking_names: list[str] = []
    hooks = []
    calls: list[tuple[str, float, float, bool]] = []
    outs: dict[str, list[Any]] = {}  # name -> [outputs, non-zero outputs, sum of outputs]
    state: dict[str, float] = {}
    batch_size = [0]

    def on_output(name: str, m: nn.Module) -> Any:
        def hook(_: nn.Module, __: Any, out: Any) -> None:
            y = out[0] if isinstance(out, tuple) else out
            acc = outs.setdefault(name, [0, 0, 0.0])
            acc[0] += y.numel()
            acc[1] += int(torch.count_nonzero(y))
            acc[2] += float(y.double().sum())
            if name in spiking_names:
                state[name] = _state_bytes(m, y, batch_size[0])

        return hook

    def on_input(name: str) -> Any:
        def hook(m: nn.Module, inputs: tuple[Any, ...]) -> None:
            x = inputs[0]
            calls.append((name, _layer_ops(m, x, False), _layer_ops(m, x, True), _is_spike_input(x)))

        return hook

    for m, name in names.items():
        if _is_spiking(m, spiking_layers):
            layers[name] = LayerProfile("spiking", type(m).__name__)
            spiking_names.append(name)
            hooks.append(m.register_forward_hook(on_output(name, m)))
        elif isinstance(m, DENSE_ACTIVATIONS):
            layers[name] = LayerProfile("activation", type(m).__name__)
            hooks.append(m.register_forward_hook(on_output(name, m)))
        elif isinstance(m, CONNECTION_LAYERS):
            layers[name] = LayerProfile("connection", type(m).__name__)
            hooks.append(m.register_forward_pre_hook(on_input(name)))
    was_training = model.training
    model.to(dev).eval()
    samples = 0
    try:
        with torch.no_grad():
            for k, (x, n) in enumerate(_batches(data, batch_dim, transpose)):
                if max_batches is not None and k >= max_batches:
                    break
                batch_size[0] = n
                reset_net(model)
                model(x.to(dev).float() if not torch.is_floating_point(x) else x.to(dev))
                samples += n
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    if samples == 0:
        raise ValueError("profile_model got no data: pass a tensor or a non-empty iterable of batches")

    synops = {"effective_macs": 0.0, "effective_acs": 0.0, "dense": 0.0}
    for name, eff, dense, spikes in calls:
        lp = layers[name]
        key = "effective_acs" if spikes else "effective_macs"
        setattr(lp, key, getattr(lp, key) + eff / samples)
        lp.dense += dense / samples
        synops[key] += eff / samples
        synops["dense"] += dense / samples
    total = nonzero = 0
    rates: dict[str, float] = {}
    for name, (count, nz, _) in outs.items():
        lp = layers[name]
        lp.outputs, lp.nonzero = count, nz
        lp.sparsity = (count - nz) / count if count else 0.0
        total, nonzero = total + count, nonzero + nz
    for name in spiking_names:
        if name in outs and outs[name][0]:
            rates[name] = layers[name].firing_rate = outs[name][2] / outs[name][0]
    return Profile(
        parameters=sum(p.numel() for p in params),
        parameter_bytes=sum(p.numel() * p.element_size() for p in params),
        buffer_bytes=sum(b.numel() * b.element_size() for b in model.buffers()),
        connection_sparsity=connection_sparsity(model),
        samples=samples,
        state_bytes_per_sample=sum(state.values()),
        activation_sparsity=(total - nonzero) / total if total else 0.0,
        synops=synops,
        firing_rates=rates,
        layers={n: lp for n, lp in layers.items() if lp.kind == "connection" or n in outs},
    )
