"""The recycled CPU memory of the fused neuron kernels: reuse only once nothing refers to a block, and no fresh
pages in a warm training step (counted with getrusage, never timed)."""

from __future__ import annotations

import gc
import resource

import pytest
import torch

from snnmodels import LIFNode
from snnmodels.functional.buffers import RECYCLE_MIN_BYTES, TensorPool, pool_empty, tensor_pool


def test_a_block_is_reused_after_its_last_tensor_is_gone() -> None:
    pool = TensorPool()
    a = pool.empty((256, 1024), torch.float32)
    ptr = a.data_ptr()
    assert ptr % 64 == 0
    a.fill_(3.0)
    del a
    gc.collect()
    b = pool.empty((256, 1024), torch.float32)
    assert b.data_ptr() == ptr
    assert pool.lent_bytes >= b.numel() * 4


def test_a_view_keeps_the_block_lent() -> None:
    pool = TensorPool()
    a = pool.empty((4, 65536), torch.float32)
    row = a[2]  # a view: shares the storage
    row.fill_(7.0)
    ptr = a.data_ptr()
    del a
    gc.collect()
    b = pool.empty((4, 65536), torch.float32)
    b.fill_(-1.0)
    assert b.data_ptr() != ptr
    assert torch.equal(row, torch.full((65536,), 7.0))  # untouched by the new lease


def test_a_tensor_saved_by_autograd_keeps_the_block() -> None:
    pool = TensorPool()
    w = torch.randn(65536, requires_grad=True)
    a = pool.empty((65536,), torch.float32).copy_(torch.linspace(-1, 1, 65536))
    expected = torch.linspace(-1, 1, 65536)
    y = (w * a).sum()  # autograd saves `a` for dL/dw
    ptr = a.data_ptr()
    del a
    gc.collect()
    b = pool.empty((65536,), torch.float32).fill_(0.0)
    assert b.data_ptr() != ptr
    y.backward()
    assert torch.equal(w.grad, expected)


def test_dtypes_shapes_and_sizes() -> None:
    pool = TensorPool()
    for dtype in (torch.float64, torch.bfloat16, torch.int8, torch.bool):
        t = pool.empty((3, 5, 7), dtype)
        assert t.dtype == dtype
        assert t.shape == (3, 5, 7)
        assert t.is_contiguous()
    # a much smaller request does not take a big free block (at most a quarter wasted)
    big = pool.empty((1 << 20,), torch.float32)
    ptr = big.data_ptr()
    del big
    gc.collect()
    small = pool.empty((1 << 18,), torch.float32)
    assert small.data_ptr() != ptr


def test_free_blocks_are_kept_up_to_the_limit() -> None:
    pool = TensorPool(limit=3 << 20)
    ts = [pool.empty((1 << 18,), torch.float32) for _ in range(6)]  # six 1 MiB leases
    del ts
    gc.collect()
    pool.empty((16,), torch.float32)  # trimming happens on the next request
    assert 0 < pool.free_bytes <= (3 << 20) + 6 * 64
    pool.clear()
    assert pool.free_bytes == 0


def test_pool_empty_leaves_small_and_non_cpu_tensors_to_torch() -> None:
    like = torch.zeros(1)
    small = pool_empty((16,), like)
    assert small.shape == (16,)
    big = pool_empty((RECYCLE_MIN_BYTES // 4,), like)
    assert big.numel() == RECYCLE_MIN_BYTES // 4
    if torch.cuda.is_available():
        assert pool_empty((RECYCLE_MIN_BYTES,), like.cuda()).is_cuda


@pytest.mark.parametrize("tau", [2.0, 3.0])
def test_a_warm_fused_step_faults_in_no_fresh_memory(tau: float) -> None:
    # [T, N] = [8, 2**18]: the spikes and the saved membrane are 8 MiB each, 4096 pages of 4 KiB together
    x = torch.rand(8, 64, 64, 64).requires_grad_()
    node = LIFNode(tau=tau)
    pool = tensor_pool()
    for _ in range(3):  # warm-up: the pool's blocks, and glibc's heap for the small tensors, are made here
        x.grad = None
        node(x).sum().backward()
    owned = pool.free_bytes + pool.lent_bytes
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(2):
        x.grad = None
        node(x).sum().backward()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 512, f"{faults} minor page faults in two warm steps (fresh tensors would take ~8192)"
    assert pool.free_bytes + pool.lent_bytes == owned  # no block made after the warm-up
    # and the gradient is still right: the reference path, step by step
    x2 = x.detach().clone().requires_grad_()
    LIFNode(tau=tau, fused=False)(x2).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad)
