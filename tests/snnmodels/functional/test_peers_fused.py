"""The fused multi-step kernels against SpikingJelly's autograd in float32, to the bit, for the ATan surrogate (its
DVS Gesture tutorial's neuron): a training loop only reproduces SpikingJelly's when every gradient does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from snnmodels import IFNode, LIFNode
from tests.snnmodels.peers import spikingjelly

pytestmark = pytest.mark.peers

# v_reset=-0.25 without detach_reset is left out: there autograd sums c·v_reset - c·h where we compute
# c·(h - v_reset) (1 ulp apart at most; the float64 parity tests cover it)
CASES = [
    (kind, decay, v_reset, detach)
    for kind, decay, v_reset, detach in itertools.product(["if", "lif"], [True, False], [0.0, None], [True, False])
    if not (kind == "if" and not decay)
] + [("lif", True, -0.25, True)]


@pytest.mark.parametrize(("kind", "decay_input", "v_reset", "detach_reset"), CASES)
def test_fused_float32_gradients_equal_spikingjellys(
    kind: str, decay_input: bool, v_reset: float | None, detach_reset: bool, rng: np.random.Generator
) -> None:
    sj = spikingjelly()
    kw = {"v_reset": v_reset, "detach_reset": detach_reset}
    if kind == "lif":
        ours = LIFNode(tau=2.0, decay_input=decay_input, surrogate_function="atan", **kw)
        theirs = sj.neuron.LIFNode(
            tau=2.0, decay_input=decay_input, surrogate_function=sj.surrogate.ATan(), step_mode="m", **kw
        )
    else:
        ours = IFNode(surrogate_function="atan", **kw)
        theirs = sj.neuron.IFNode(surrogate_function=sj.surrogate.ATan(), step_mode="m", **kw)
    x = torch.from_numpy(rng.normal(0.6, 1.5, (8, 3, 500)).astype(np.float32))
    gy = torch.from_numpy(rng.normal(size=(8, 3, 500)).astype(np.float32))
    grads, spikes = [], []
    for m in (ours, theirs):
        xi = x.clone().requires_grad_()
        s = m(xi)
        (s * gy).sum().backward()
        spikes.append(s)
        grads.append(xi.grad)
    assert torch.equal(spikes[0], spikes[1])
    assert 0 < spikes[0].sum() < spikes[0].numel()
    assert torch.equal(grads[0], grads[1]), f"{int((grads[0] != grads[1]).sum())} gradients differ"
