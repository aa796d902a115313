"""Recycled batch memory: arrays whose memory returns to a pool once nothing refers to them any more.

A fresh 32 MiB batch (16 DVS128 Gesture samples of 16 float32 frames) costs the kernel ~0.15 ms per sample
to fault in and zero; recycled memory skips that. A block is lent as an array over a memoryview of it;
every array or tensor made from the lent one (numpy views, ``torch.from_numpy``) keeps that array alive,
so the block is reused only after the last of them is gone. Lent arrays hold stale data: their users
write every element.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from typing import Any

import numpy as np

_MAX_FREE = 4  # blocks kept for reuse: a loop holds one batch, a prefetcher one or two more


class BufferPool:
    """Uninitialised arrays carved from recycled blocks; thread-safe; one pool per process."""

    def __init__(self, max_free: int = _MAX_FREE) -> None:
        self._max_free = max_free
        self._lock = threading.Lock()
        # id -> block. Returns come from finalizers, which may run on any thread, even inside `_take` when a
        # collection starts there: they only insert into the dict (atomic), never take the lock
        self._free: dict[int, np.ndarray] = {}

    def empty(self, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
        """An array of `shape` and `dtype` with arbitrary contents (like ``np.empty``), from a recycled block."""
        dt = np.dtype(dtype)
        nbytes = math.prod(shape) * dt.itemsize
        block = self._take(nbytes)
        # frombuffer's array does not own its data and its base is a memoryview, not an array: numpy's views
        # of it, and tensors made from them, all keep *it* alive. (Views of `block`, or np.ndarray(buffer=),
        # would point at `block` and let the lease die while they live.)
        lease = np.frombuffer(memoryview(block)[:nbytes], dtype=dt)
        weakref.finalize(lease, self._free.__setitem__, id(block), block)
        return lease.reshape(shape)

    def _take(self, nbytes: int) -> np.ndarray:
        with self._lock:
            free = list(self._free.values())
            surplus = max(0, len(free) - self._max_free)
            for old in free[:surplus]:  # the oldest beyond the limit go
                del self._free[id(old)]
            # the smallest block that fits, but no huge block for a small batch
            fits = [b for b in free[surplus:] if nbytes <= b.size <= 2 * nbytes]
            if fits:
                block = min(fits, key=lambda b: b.size)
                del self._free[id(block)]
                return block
        return np.empty(max(nbytes, 1), dtype=np.uint8)

    def __len__(self) -> int:
        """Blocks waiting for reuse."""
        return len(self._free)


_POOL: tuple[int, BufferPool] | None = None


def batch_pool() -> BufferPool:
    """This process's pool (a forked child gets its own, never its parent's lock or blocks)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), BufferPool())
    return _POOL[1]
