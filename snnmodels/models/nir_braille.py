"""The NIR paper's two pretrained recurrent Braille networks (Pedersen et al., Nature Communications 2024), as
weights entries beside the paper's N-MNIST CNN.

``neuromorphs/NIR`` @ 7232ada6 : ``paper/03_rnn/`` (BSD-3-Clause, NIR Team), trained in snnTorch on a 7-letter
subset of the Braille reading dataset (Müller-Cleve et al., 2022): 12 taxel inputs per 5 ms step -> Affine ->
CubaLIF with a recurrent Affine/Linear (``lif1.w_rec``) -> Affine -> CubaLIF of 7 letters, read out as the letter
with the most spikes. The graphs use dt = 1e-4 s. ``noDelay_bias_zero`` resets to zero and has biases;
``noDelay_noBias_subtract`` was trained with reset by subtraction, which NIR cannot write (its CubaLIF nodes reset
to 0). ``metrics`` are the test accuracies (percent) each platform published with these files
(``<platform>_accuracy_<model>.npy`` beside them). docs/toolbox.md compares our simulation with Norse's and
snnTorch's.

The input contract describes [T, N, 12] as 12 channels of a 1x1 "image" (T = 256 steps per sample).
"""

from __future__ import annotations

from typing import Any

from snnmodels.models._weights import InputContract, Weights, register_weights

__all__ = ["BRAILLE_ENTRIES"]

_NIR_COMMIT = "7232ada6d30e1beea78b180a5135b1a3bb3d3bc0"
_LETTERS = ("Space", "A", "E", "I", "O", "U", "Y")

BRAILLE_ENTRIES: dict[str, dict[str, Any]] = {
    "nir_paper.braille_bias_zero": {
        "file": "braille_noDelay_bias_zero.nir",
        "sha256": "f1aab3ce74024e7feac508a03b04c58d483ee3a01e293dba4b53d0b519b8650e",
        "metrics": {
            "acc@1 snntorch": 95.00,
            "acc@1 norse": 94.29,
            "acc@1 spinnaker2": 85.00,
            "acc@1 spyx": 84.29,
            "acc@1 nengo": 55.71,
            "acc@1 lava (loihi 2)": 48.57,
        },
        "reset": "to zero in the step the neuron fires; with biases",
    },
    "nir_paper.braille_nobias_subtract": {
        "file": "braille_noDelay_noBias_subtract.nir",
        "sha256": "14f59e0903d76437be3cb23d7e4be6b4e08ea476e482f7478dbb4592b29377d3",
        "metrics": {
            "acc@1 norse": 93.57,
            "acc@1 spinnaker2": 93.57,
            "acc@1 snntorch": 92.14,
            "acc@1 spyx": 92.14,
            "acc@1 xylo": 85.71,
            "acc@1 nengo": 78.57,
            "acc@1 rockpool": 71.43,
        },
        "reset": "trained with reset by subtraction, written as CubaLIF resetting to 0 (NIR has no subtraction)",
    },
}


def _weights(name: str, entry: dict[str, Any]) -> Weights:
    return Weights(
        name=name,
        model="nir",
        format="nir",
        urls=(f"https://raw.githubusercontent.com/neuromorphs/NIR/{_NIR_COMMIT}/paper/03_rnn/{entry['file']}",),
        sha256=entry["sha256"],
        contract=InputContract(in_channels=12, num_classes=7, input_size=(1, 1), T=256, classes=_LETTERS),
        metrics=entry["metrics"],
        license="BSD-3-Clause (NIR Team)",
        meta={
            "dt": 1e-4,
            "paper": "Pedersen et al., Neuromorphic intermediate representation, Nature Communications 15, 8122 (2024)",
            "source": f"neuromorphs/NIR @ {_NIR_COMMIT[:8]} : paper/03_rnn/{entry['file']}",
            "input": "[T, N, 12] taxel spikes, one step per 5 ms bin, 256 steps; simulated with dt=1e-4",
            "readout": "the letter with the most output spikes",
            "reset": entry["reset"],
            "split": "the paper's Braille test subset (7 letters)",
        },
    )


for _name, _entry in BRAILLE_ENTRIES.items():
    register_weights(_weights(_name, _entry))
