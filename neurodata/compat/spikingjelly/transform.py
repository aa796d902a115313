"""``spikingjelly.datasets.transform`` (SpikingJelly 2.0.0): random temporal delete, over `neurodata.transforms`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from neurodata.transforms import RandomTemporalDelete as _RandomTemporalDelete

__all__ = ["RandomTemporalDelete", "random_temporal_delete"]


def random_temporal_delete(x_seq: Any, T_remain: int, batch_first: bool) -> Any:
    """Keep `T_remain` randomly chosen time steps of `x_seq`, in order (Fang et al., SEW ResNet).

    Args:
        x_seq: `[T, N, ...]` (or `[N, T, ...]` with `batch_first`) tensor or array.
    Returns:
        The same type with `T_remain` steps. The steps are drawn by ``numpy.random.choice`` (numpy's
        global generator, as SpikingJelly draws them), so ``np.random.seed`` reproduces SpikingJelly's.
        More steps asked than there are raise ValueError (as in SpikingJelly; ``neurodata.transforms``'s
        version returns such a sequence unchanged).
    """
    steps = x_seq.shape[1 if batch_first else 0]
    if T_remain > steps:
        raise ValueError(f"random_temporal_delete: T_remain={T_remain} is more than the {steps} time steps of x_seq")
    # the module numpy.random has Generator.choice's signature: its global state is SpikingJelly's source
    return _RandomTemporalDelete(T_remain, batch_first)(x_seq, rng=np.random)  # type: ignore[arg-type]


class RandomTemporalDelete(torch.nn.Module):
    """`random_temporal_delete` as a module: ``RandomTemporalDelete(T_remain, batch_first)(x_seq)``."""

    def __init__(self, T_remain: int, batch_first: bool) -> None:
        super().__init__()
        self.T_remain = T_remain
        self.batch_first = batch_first

    def forward(self, x_seq: Any) -> Any:
        """`random_temporal_delete(x_seq, self.T_remain, self.batch_first)`."""
        return random_temporal_delete(x_seq, self.T_remain, self.batch_first)
