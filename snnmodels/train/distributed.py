"""torchrun glue: process-group setup from the environment, DDP wrapping, rank-0 helpers.

Under ``torchrun --nproc_per_node=K`` each process reads RANK / WORLD_SIZE / LOCAL_RANK from the environment;
the group uses NCCL on GPUs and gloo on CPU. Without torchrun everything here is a no-op for one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as tdist
from torch import nn


@dataclass(frozen=True)
class Context:
    """This process's place in the run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """True on rank 0, which logs and writes checkpoints."""
        return self.rank == 0


def context() -> Context:
    """The torchrun context, initialising the process group on first use (gloo on CPU, NCCL on CUDA)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context()
    if not tdist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        tdist.init_process_group(backend=backend)
    return Context(tdist.get_rank(), tdist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def wrap(model: nn.Module, ctx: Context, device: torch.device) -> nn.Module:
    """`model` itself for one process, else DistributedDataParallel around it (gradients averaged)."""
    if ctx.world_size <= 1:
        return model
    if device.type == "cuda":
        torch.cuda.set_device(device)
        return nn.parallel.DistributedDataParallel(model, device_ids=[device.index])
    return nn.parallel.DistributedDataParallel(model)


def barrier(ctx: Context) -> None:
    """Wait for every process (no-op alone)."""
    if ctx.world_size > 1:
        tdist.barrier()


def cleanup() -> None:
    """Tear the process group down (call at the end of a torchrun script)."""
    if tdist.is_initialized():
        tdist.destroy_process_group()
