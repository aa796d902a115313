"""Recycled CPU memory for the large tensors the fused neuron kernels allocate on every call.

A fused forward+backward of a [16, 32, 128, 32, 32] LIF layer takes two 256 MiB tensors (the spikes and the
saved membrane, later the input gradient). From `torch.empty` they are fresh ``mmap`` regions: the kernel
faults in and zeroes every 4 KiB page (131k faults a call), and gives the pages back when they are freed. That
costs 1-4 µs a page on a quiet machine, and on a virtual machine whose freed pages go back to the host (free
page reporting, ballooning) up to ~30 µs: a 250 ms call then takes seconds, depending on which memory earlier
work has touched. Here a freed tensor's memory waits in a pool for the next call that wants the same size,
so a training loop faults its activations in once. Blocks are anonymous memory mappings of their own (page
aligned, huge pages where the kernel grants them, not counted by tracemalloc, like torch's own tensors).

A block is lent as a tensor over a memoryview of it; the storage of that tensor, of its views, and of every
saved or returned alias keeps the lease alive, so a block is reused only after the last of them is gone.
Lent tensors hold stale data: their users write every element. Like any tensor over numpy memory they cannot
be resized in place (``resize_``, an ``out=`` that needs a bigger tensor); everything else treats them as usual.
`tensor_pool().clear()` gives the free blocks back to the system (after training, say).
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import threading
import weakref

import numpy as np
import torch
from torch import Tensor

__all__ = ["RECYCLE_MIN_BYTES", "TensorPool", "pool_empty", "tensor_pool"]

# below this, glibc's heap already recycles the memory (its mmap threshold grows to 32 MiB as blocks are freed)
RECYCLE_MIN_BYTES = 1 << 20


def _new_block(nbytes: int) -> mmap.mmap:
    # an anonymous mapping: page-aligned, returned to the system when the block is dropped, and (where the
    # kernel allows) backed by 2 MiB pages, so a 256 MiB block faults in 128 times instead of 65,536
    if hasattr(mmap, "MAP_PRIVATE"):  # private: a shared anonymous mapping is shmem, which gets no huge pages
        block = mmap.mmap(-1, max(nbytes, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    else:  # pragma: no cover - Windows
        block = mmap.mmap(-1, max(nbytes, 1))
    if hasattr(mmap, "MADV_HUGEPAGE"):
        with contextlib.suppress(OSError):  # a kernel without THP: 4 KiB pages, as from torch
            block.madvise(mmap.MADV_HUGEPAGE)
    return block


class TensorPool:
    """Uninitialised CPU tensors carved from recycled blocks; thread-safe.

    Free blocks are kept up to ``limit`` bytes in all (default: the most bytes ever lent at once, which is
    what one training step needs again); beyond it the oldest go back to the system.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        # id -> block. Finalizers may run on any thread, even inside `_take` when a collection starts there:
        # they only insert into the dict (atomic under the GIL) and never take the lock
        self._free: dict[int, mmap.mmap] = {}
        self._owned = 0  # bytes of the blocks made and not yet dropped, lent or free (changed under the lock)
        self._lent_peak = 0

    def empty(self, shape: tuple[int, ...] | torch.Size, dtype: torch.dtype) -> Tensor:
        """A CPU tensor of ``shape`` and ``dtype`` with arbitrary contents (like ``torch.empty``)."""
        itemsize = torch.empty((), dtype=dtype).element_size()
        nbytes = math.prod(shape) * itemsize
        block = self._take(nbytes)
        # the lease's base is a memoryview of `block`: tensors made from it keep *it* alive, and it dies (and
        # returns the block) only when the last of them has gone
        lease = np.frombuffer(memoryview(block)[:nbytes], dtype=np.uint8)
        weakref.finalize(lease, self._free.__setitem__, id(block), block)
        return torch.from_numpy(lease).view(dtype).view(shape)

    def _take(self, nbytes: int) -> mmap.mmap:
        with self._lock:
            free = list(self._free.values())
            # the smallest block that fits without wasting more than a quarter of it
            fits = [b for b in free if nbytes <= len(b) <= nbytes + nbytes // 4 + mmap.PAGESIZE]
            block = min(fits, key=len) if fits else None
            if block is not None:
                del self._free[id(block)]
            else:
                block = _new_block(nbytes)
                self._owned += len(block)
            free = list(self._free.values())
            self._lent_peak = max(self._lent_peak, self._owned - sum(len(b) for b in free))
            limit = self._lent_peak if self._limit is None else self._limit
            kept = 0
            for old in reversed(free):  # newest first; the oldest beyond the limit go
                kept += len(old)
                if kept > limit:
                    del self._free[id(old)]
                    self._owned -= len(old)
            return block

    def clear(self) -> None:
        """Give every free block back to the system (lent ones return to the pool as usual)."""
        with self._lock:
            for block in list(self._free.values()):
                del self._free[id(block)]
                self._owned -= len(block)

    @property
    def free_bytes(self) -> int:
        """Bytes waiting in the pool for reuse."""
        return sum(len(b) for b in list(self._free.values()))

    @property
    def lent_bytes(self) -> int:
        """Bytes lent now (tensors alive)."""
        return self._owned - self.free_bytes


_POOL: tuple[int, TensorPool] | None = None


def tensor_pool() -> TensorPool:
    """This process's pool (a forked child gets its own, never its parent's lock or blocks)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), TensorPool())
    return _POOL[1]


def pool_empty(shape: tuple[int, ...] | torch.Size, like: Tensor) -> Tensor:
    """``torch.empty(shape)`` with ``like``'s dtype and device, from the recycled pool for large CPU tensors."""
    nbytes = math.prod(shape) * like.element_size()
    # plain eager CPU tensors only: tracers, compilers and tensor subclasses (fake tensors) get torch's own
    plain = type(like) is Tensor and not torch.jit.is_tracing() and not torch.compiler.is_compiling()
    if not plain or like.device.type != "cpu" or nbytes < RECYCLE_MIN_BYTES:
        return torch.empty(shape, dtype=like.dtype, device=like.device)
    return tensor_pool().empty(shape, like.dtype)
