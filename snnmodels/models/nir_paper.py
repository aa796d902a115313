"""Pretrained NIR graphs published with the NIR paper (Pedersen et al., Nature Communications 2024), as weights.

``NMNIST_CNN`` (``'nir_paper.nmnist_cnn'``) is the paper's N-MNIST spiking CNN, exported from Sinabs
(``neuromorphs/NIR`` @ 7232ada6 : ``paper/02_cnn/cnn_sinabs.nir``, BSD-3-Clause): Conv2d(2->16, 5x5, stride 2) -
IF - Conv2d(16->16) - IF - SumPool2d - Conv2d(16->8) - IF - SumPool2d - Flatten - Affine(128->256) - IF -
Affine(256->10) - IF. Its input contract: frames of event *counts* per polarity, 2x34x34 (channel = polarity),
one step per ~1 ms of recording (``FrameSpec(duration=1000)``); Sinabs writes IF with r = 1 and counts time in
steps, so the graph runs with ``dt = 1`` (at the default dt of 1e-4 s it never spikes). The class with the most
output spikes wins. ``metrics`` are the N-MNIST test accuracies (percent) each platform reached with this very
file, from the ``*_accuracy.npy`` files published beside it.

Load with `snnmodels.train.finetune.load_pretrained` or ``snnmodels finetune n-mnist --weights nir_paper.nmnist_cnn``.
"""

from __future__ import annotations

from neurodata.spec import FrameSpec
from snnmodels.models._weights import InputContract, Weights, register_weights

__all__ = ["NMNIST_CNN"]

_NIR_COMMIT = "7232ada6d30e1beea78b180a5135b1a3bb3d3bc0"

NMNIST_CNN = register_weights(
    Weights(
        name="nir_paper.nmnist_cnn",
        model="nir",
        format="nir",
        urls=(f"https://raw.githubusercontent.com/neuromorphs/NIR/{_NIR_COMMIT}/paper/02_cnn/cnn_sinabs.nir",),
        sha256="e2fa55bda7aab5a772485e1b690358bcb825b303eca7dc426e3973937fcb5bcb",
        contract=InputContract(
            in_channels=2,
            num_classes=10,
            input_size=(34, 34),
            dataset="n-mnist",
            frame_spec=FrameSpec(duration=1000),
            classes=tuple(str(d) for d in range(10)),
        ),
        # percent, N-MNIST test set; neuromorphs/NIR paper/02_cnn/<platform>_accuracy.npy @ 7232ada6
        metrics={
            "acc@1 sinabs": 98.47,
            "acc@1 spinnaker2": 98.20,
            "acc@1 lava (loihi 2)": 98.15,
            "acc@1 nengo": 98.11,
            "acc@1 norse": 98.11,
            "acc@1 snntorch": 97.85,
            "acc@1 spyx": 97.12,
            "acc@1 speck": 95.40,
        },
        license="BSD-3-Clause (NIR Team)",
        meta={
            "dt": 1.0,
            "paper": "Pedersen et al., Neuromorphic intermediate representation, Nature Communications 15, 8122 (2024)",
            "source": f"neuromorphs/NIR @ {_NIR_COMMIT[:8]} : paper/02_cnn/cnn_sinabs.nir",
            "input": "event counts per polarity, 1 ms windows (duration=1000 µs), simulated with dt=1 (IF, r=1)",
            "readout": "the class with the most output spikes",
            "split": "N-MNIST test",
        },
    )
)
