"""Spiking networks for 1-D spike inputs: the baselines of the Heidelberg spiking data sets (SHD, SSC).

Both take the spikes of the data sets' 700-channel cochlea model as frames and classify them with a layer of
leaky integrators (Cramer et al., IEEE TNNLS 2022, arXiv 1910.07407; Zenke & Vogels, Neural Computation 2021;
Perez-Nieves et al., Nature Communications 2021):

- `SpikingMLP` (feed-forward): Flatten - {Linear - neuron} per hidden layer - Linear - `NonSpikingLIFNode`;
- `RecurrentSNN`: Flatten - {Linear - `LinearRecurrent` (neuron)} per hidden layer - Linear - `NonSpikingLIFNode`:
  each hidden layer gets its own spikes of the step before through a learnt recurrent matrix.

Layers have no biases, as in the papers. Input [T, N, C, H, W], [T, N, C, W] or [T, N, features] (everything after
N is flattened: a SHD frame is [1, 700], so [T, N, 1, 700] from a neurodata DataLoader after ``transpose(0, 1)``);
output [T, N, num_classes], the readout membranes, whose mean over time (`snnmodels.train.Trainer`'s default
loss) are the logits. With ``readout='max'`` the model returns their maximum over time, [N, num_classes], as
the papers train; NIR and ONNX have no reduction over time, so that variant does not export.

`LinearRecurrent` mixes ``[x[t], y[t-1]]`` with one Linear of shape [h, 2h] (SpikingJelly's
``LinearRecurrentContainer``, which `snnmodels.export.to_nir` writes as a NIR subgraph with a cycle). Its
input block is initialised to the identity, so that a fresh `RecurrentSNN` computes exactly the papers'
``W_in·s[t] + W_rec·z[t-1]``; the block stays learnable (h² more parameters than the papers' count).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from neurodata.spec import FrameSpec
from snnmodels.layers import Flatten, Linear
from snnmodels.models._builder import NeuronFactory, build_model
from snnmodels.models._registry import register_model
from snnmodels.models._weights import InputContract
from snnmodels.neurons import NonSpikingLIFNode
from snnmodels.recurrent import LinearRecurrent

__all__ = [
    "READOUTS",
    "RecurrentSNN",
    "SpikingMLP",
    "shd_mlp",
    "shd_net",
    "ssc_mlp",
    "ssc_net",
]

READOUTS = {"mean": None, "max": "max-mem"}  # readout -> NonSpikingLIFNode.decode


def _widths(hidden: int | Sequence[int]) -> tuple[int, ...]:
    widths = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if not widths or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in widths):
        raise ValueError(f"hidden must be a positive integer or a list of them (one per layer), got {hidden!r}")
    return widths


def _in_features(in_channels: int, input_size: Sequence[int], what: str) -> int:
    size = tuple(input_size) if not isinstance(input_size, int) else None
    if size is None or len(size) != 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in size):
        raise ValueError(f"{what}: input_size must be (H, W), e.g. (1, 700) for SHD's channels, got {input_size!r}")
    return in_channels * size[0] * size[1]


class _HeidelbergNet(nn.Module):
    """Flatten, hidden layers (`_hidden_layer`), a Linear head ``fc`` and a readout of leaky integrators."""

    def __init__(
        self,
        *,
        in_channels: int,
        num_classes: int,
        input_size: Sequence[int],
        hidden: int | Sequence[int],
        readout: str,
        readout_tau: float,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {list(READOUTS)}, got {readout!r}")
        self.num_classes, self.in_channels = num_classes, in_channels
        self.in_features = _in_features(in_channels, input_size, type(self).__name__)
        self.readout_mode = readout
        layers: list[nn.Module] = [Flatten(1)]
        width = self.in_features
        for h in _widths(hidden):
            layers += self._hidden_layer(width, h, neuron)
            width = h
        self.features = nn.Sequential(*layers)
        self.fc = Linear(width, num_classes, bias=False)  # the head: the model's last Linear (`head_name`)
        self.readout = NonSpikingLIFNode(readout_tau, decode=READOUTS[readout])

    def _hidden_layer(self, n_in: int, n_out: int, neuron: NeuronFactory) -> list[nn.Module]:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        return self.readout(self.fc(self.features(x)))


class SpikingMLP(_HeidelbergNet):
    """Feed-forward LIF network: Flatten - {Linear (no bias) - neuron} x len(hidden) - Linear - leaky integrators.

    Args:
        in_channels, input_size: one frame is [in_channels, H, W] (SHD/SSC: 1 x (1, 700)); flattened to features.
        num_classes: readout neurons.
        hidden: width of each hidden layer (an int: one layer).
        readout: 'mean' (return the membranes [T, N, C]) or 'max' (their maximum over time, [N, C]).
        readout_tau: time constant of the readout, in steps (> 1).
        neuron: makes each hidden layer's spiking neuron.
    """

    def __init__(
        self,
        *,
        in_channels: int = 1,
        num_classes: int = 20,
        input_size: Sequence[int] = (1, 700),
        hidden: int | Sequence[int] = 128,
        readout: str = "mean",
        readout_tau: float = 2.0,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            in_channels=in_channels,
            num_classes=num_classes,
            input_size=input_size,
            hidden=hidden,
            readout=readout,
            readout_tau=readout_tau,
            neuron=neuron,
        )

    def _hidden_layer(self, n_in: int, n_out: int, neuron: NeuronFactory) -> list[nn.Module]:
        return [Linear(n_in, n_out, bias=False), neuron()]


class RecurrentSNN(_HeidelbergNet):
    """Recurrent LIF network: Flatten - {Linear - LinearRecurrent(neuron)} x len(hidden) - Linear - integrators.

    Each hidden layer computes z[t] = neuron(W_x·(W_in·x[t]) + W_rec·z[t-1]); W_x starts as the identity (see the
    module docstring). Arguments as `SpikingMLP`.
    """

    def __init__(
        self,
        *,
        in_channels: int = 1,
        num_classes: int = 20,
        input_size: Sequence[int] = (1, 700),
        hidden: int | Sequence[int] = 128,
        readout: str = "mean",
        readout_tau: float = 2.0,
        neuron: NeuronFactory,
    ) -> None:
        super().__init__(
            in_channels=in_channels,
            num_classes=num_classes,
            input_size=input_size,
            hidden=hidden,
            readout=readout,
            readout_tau=readout_tau,
            neuron=neuron,
        )

    def _hidden_layer(self, n_in: int, n_out: int, neuron: NeuronFactory) -> list[nn.Module]:
        rec = LinearRecurrent(neuron(), n_out, n_out, bias=False)
        with torch.no_grad():
            rec.rc.weight[:, :n_out].copy_(torch.eye(n_out))
        return [Linear(n_in, n_out, bias=False), rec]


# --- registry -----------------------------------------------------------------------------------------------------

HEIDELBERG_NEURON = ("lif", {"tau": 2.0, "detach_reset": True, "surrogate_function": "atan"})
_REF = (
    "Cramer, Stradmann, Schemmel & Zenke, The Heidelberg spiking data sets for the systematic evaluation of spiking "
    "neural networks, IEEE TNNLS 33:2744 (2022), arXiv 1910.07407; Perez-Nieves, Leung, Dragotti & Goodman, Neural "
    "heterogeneity promotes robust learning, Nature Communications 12:5791 (2021); Zenke & Vogels, Neural "
    "Computation 33:899 (2021)"
)
_DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGITS_DE = ("null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun")
SHD_CLASSES = tuple(f"english {w}" for w in _DIGITS_EN) + tuple(f"german {w}" for w in _DIGITS_DE)
SSC_CLASSES = (  # the 35 words of Speech Commands v0.02, sorted (neurodata's SSC label order)
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four", "go", "happy",
    "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right", "seven", "sheila", "six", "stop",
    "three", "tree", "two", "up", "visual", "wow", "yes", "zero",
)  # fmt: skip
# frames of equal duration over each sample's span: T=100 gives ~10 ms bins on SHD's ~1 s digits, the papers'
# time scale (they bin 1.4 s into 100 steps, or run 2,000 steps of 0.5 ms)
_SPEC = FrameSpec(frames_number=100, split_by="time")
_RESULTS = (
    "SHD test accuracy, from the SHD leaderboard (zenkelab.org): recurrent LIF SNN 83.2 +- 1.3% with data "
    "augmentation and noise injection (Cramer et al. 2022), 82.7 +- 0.8% with learnt heterogeneous time constants "
    "(Perez-Nieves et al. 2021); the papers' feed-forward and homogeneous-recurrent figures and the SSC figures are "
    "not confirmed here (see docs/models.md)"
)


def _contract(dataset: str, classes: tuple[str, ...]) -> InputContract:
    return InputContract(1, len(classes), (1, 700), T=100, dataset=dataset, frame_spec=_SPEC, classes=classes)


def _register(name: str, contract: InputContract, notes: str) -> Any:
    return register_model(
        name, family="heidelberg", contract=contract, default_neuron=HEIDELBERG_NEURON, reference=_REF, notes=notes
    )


_RNN_NOTES = (
    "700 -> 128 recurrent LIF -> leaky-integrator readout, the papers' RSNN (Perez-Nieves et al.: 128 units, max "
    "over time of the readout membrane; readout='max' trains that way, the default 'mean' exports to NIR); "
)
_MLP_NOTES = "700 -> 128 LIF -> leaky-integrator readout, Cramer et al.'s feed-forward SNN; "


@_register("shd_net", _contract("shd", SHD_CLASSES), _RNN_NOTES + _RESULTS)
def shd_net(**kwargs: Any) -> RecurrentSNN:
    """`RecurrentSNN` for SHD (20 classes); ``hidden`` (128), ``readout``, ``readout_tau`` and neuron ``kwargs``."""
    return build_model("shd_net", RecurrentSNN, {}, kwargs)


@_register("shd_mlp", _contract("shd", SHD_CLASSES), _MLP_NOTES + _RESULTS)
def shd_mlp(**kwargs: Any) -> SpikingMLP:
    """`SpikingMLP` for SHD (20 classes); ``kwargs`` as `shd_net`."""
    return build_model("shd_mlp", SpikingMLP, {}, kwargs)


@_register("ssc_net", _contract("ssc", SSC_CLASSES), _RNN_NOTES + _RESULTS)
def ssc_net(**kwargs: Any) -> RecurrentSNN:
    """`RecurrentSNN` for SSC (35 classes); ``kwargs`` as `shd_net`."""
    return build_model("ssc_net", RecurrentSNN, {}, kwargs)


@_register("ssc_mlp", _contract("ssc", SSC_CLASSES), _MLP_NOTES + _RESULTS)
def ssc_mlp(**kwargs: Any) -> SpikingMLP:
    """`SpikingMLP` for SSC (35 classes); ``kwargs`` as `shd_net`."""
    return build_model("ssc_mlp", SpikingMLP, {}, kwargs)
