"""Train the tiny net for the torchrun test: `torchrun --nproc_per_node=2 ddp_script.py OUT` or plain python."""

from __future__ import annotations

import sys

import neurodata as nd
from snnmodels.train import TrainConfig, Trainer
from snnmodels.train.distributed import cleanup
from tests.snnmodels.train.tiny import QuadrantFrames, tiny_net

if __name__ == "__main__":
    cfg = TrainConfig(epochs=2, batch_size=8, lr=0.05, optimizer="sgd", momentum=0.0, scheduler="none", seed=5)
    trainer = Trainer(
        tiny_net(seed=1),
        cfg,
        QuadrantFrames(32, seed=1),
        None,
        sys.argv[1],
        collate_fn=nd.pad_sequence_collate,
        progress=False,
    )
    trainer.fit()
    cleanup()
