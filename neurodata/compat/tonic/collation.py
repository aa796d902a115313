"""``tonic.collation``: `PadTensors`, a DataLoader ``collate_fn`` that pads samples to the longest one."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["PadTensors"]


class PadTensors:
    """Stack `(sample, target)` pairs, padding each sample's first axis with zeros to the longest.

    Sparse samples are resized (their padding is implicit). ``batch_first=False`` stacks along axis 1.
    Targets with more than one dimension are stacked too; scalar targets become one tensor.
    """

    def __init__(self, batch_first: bool = True) -> None:
        self.batch_first = batch_first

    def __call__(self, batch: list[tuple[Any, Any]]) -> tuple[torch.Tensor, torch.Tensor]:
        if not batch:
            raise ValueError("PadTensors: empty batch")
        samples = [s if isinstance(s, torch.Tensor) else torch.as_tensor(s) for s, _ in batch]
        targets = [t if isinstance(t, torch.Tensor) else torch.as_tensor(t) for _, t in batch]
        longest = max(s.shape[0] for s in samples)
        padded = []
        for s in samples:
            if s.is_sparse:
                s = s.clone()
                s.sparse_resize_((longest, *s.shape[1:]), s.sparse_dim(), s.dense_dim())
            elif s.shape[0] < longest:
                s = torch.cat((s, s.new_zeros((longest - s.shape[0], *s.shape[1:]))))
            padded.append(s)
        out = torch.stack(padded, 0 if self.batch_first else 1)
        if targets[0].ndim > 1:
            return out, torch.stack(targets, 0 if self.batch_first else -1)
        return out, torch.stack([t.reshape(()) if t.numel() == 1 else t for t in targets]).to(targets[-1].device)
