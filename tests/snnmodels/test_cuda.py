"""The fused multi-step path on CUDA equals the reference path (runs only where a CUDA device exists)."""

from __future__ import annotations

import pytest
import torch

from snnmodels.functional.multistep import Dynamics, neuron_seq
from snnmodels.functional.surrogate import ATan, Sigmoid

pytestmark = pytest.mark.cuda


@pytest.mark.parametrize(
    "dyn",
    [
        Dynamics("tau", 2.0),
        Dynamics("none", v_reset=None),
        Dynamics("q", v_reset=-0.2),
        Dynamics("tau", 3.0, decay_input=False, detach_reset=True),
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_cuda_matches_reference(dyn: Dynamics, dtype: torch.dtype, cuda_device: str) -> None:
    gen = torch.Generator(device=cuda_device).manual_seed(0)
    x = (torch.randn(16, 8, 64, 9, device=cuda_device, dtype=dtype, generator=gen) + 0.6).requires_grad_()
    w = torch.tensor(0.4, device=cuda_device, dtype=dtype, requires_grad=True)
    gy = torch.randn(x.shape, device=cuda_device, dtype=dtype, generator=gen)
    out = []
    for fused in (True, False):
        q = w.sigmoid() if dyn.leak == "q" else None
        s, v, _ = neuron_seq(x, None, dyn, Sigmoid() if dtype == torch.float64 else ATan(), q, fused=fused)
        grads = torch.autograd.grad(s, [x] + ([w] if q is not None else []), gy)
        out.append((s, v, grads))
    (s1, v1, g1), (s2, v2, g2) = out
    assert s1.device.type == "cuda"
    assert torch.equal(s1, s2)
    assert torch.equal(v1, v2)
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)
