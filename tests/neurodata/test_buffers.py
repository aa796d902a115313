"""Recycled batch memory: a block is reused only once nothing made from it is alive."""

from __future__ import annotations

import gc

import numpy as np
import torch

from neurodata.buffers import BufferPool


def _addr(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


def test_a_block_comes_back_only_after_every_view_and_tensor_is_gone() -> None:
    pool = BufferPool()
    a = pool.empty((4, 8, 3), np.float32)
    where = _addr(a)
    row = a[1, :5]  # numpy view
    t = torch.from_numpy(a)[2]  # tensor view of the whole
    n = torch.from_numpy(row).numpy()  # array over a tensor over a view
    del a
    gc.collect()
    other = pool.empty((4, 8, 3), np.float32)  # while they live, another request gets other memory
    assert not np.shares_memory(other, row)
    del other
    assert len(pool) == 1  # `other`'s block
    pool.empty((4, 8, 3), np.float32)  # takes it (and gives it straight back)
    for name in ("row", "t", "n"):
        assert all(_addr(pool.empty((4, 8, 3), np.float32)) != where for _ in range(2)), name
        if name == "row":
            del row
        elif name == "t":
            del t
        else:
            del n
        gc.collect()
    assert any(_addr(pool.empty((4, 8, 3), np.float32)) == where for _ in range(2))


def test_freed_blocks_are_reused_and_stale_until_written() -> None:
    pool = BufferPool()
    a = pool.empty((16, 1000), np.float32)
    a[...] = 3.0
    where = _addr(a)
    del a
    assert len(pool) == 1
    b = pool.empty((16, 1000), np.float32)  # the same block: contents are whatever was there
    assert _addr(b) == where
    assert np.all(b == 3.0)
    assert len(pool) == 0
    c = pool.empty((4, 1000), np.float32)  # a block over twice the size is kept for bigger requests
    assert not np.shares_memory(b, c)
    del b, c
    assert len(pool) == 2
    d = pool.empty((10, 1000), np.float32)  # the smallest block that fits
    assert _addr(d) == where


def test_at_most_max_free_blocks_are_kept() -> None:
    pool = BufferPool(max_free=2)
    arrays = [pool.empty((100,), np.uint8) for _ in range(5)]
    del arrays
    assert len(pool) == 5  # returned blocks are only trimmed when the next one is requested
    taken = pool.empty((100,), np.uint8)
    assert len(pool) == 1  # two kept, one of them taken
    assert taken.size == 100
