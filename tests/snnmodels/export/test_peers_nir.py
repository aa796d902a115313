"""Our NIR export, imported by Norse 1.1 and snnTorch 1.0: the same output spikes as our model.

Where the importers read NIR differently, the equality tests stay on the common ground and an ``xfail(strict)``
test pins the difference (it starts failing, loudly, the day the peer changes):

- Norse ignores ``r`` (our LIF with ``decay_input=False`` has r = tau) and has no AvgPool2d import (it drops
  the node): the Norse net uses decay_input=True and SumPool2d (``AvgPool2d(divisor_override=1)``).
- snnTorch imports an IF node as a Leaky neuron with beta = 0.9 and a subtract reset, and only for r = 1; it
  fixes dt = 1e-4 for LIF and has no SumPool2d: the snnTorch net uses LIF neurons, AvgPool2d and dt = 1e-4.
- Both flatten with ``torch.nn.Flatten(start_dim=0)``, i.e. across the batch, so they get one sample at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from snnmodels import IFNode, LIFNode
from snnmodels.export import to_nir
from tests.snnmodels.export.nets import conv_if_lif, events, firing_rate, lively

pytestmark = pytest.mark.peers
nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")

# Norse 1.1 calls torch.jit.script at import (deprecated in torch 2.14) and its from_nir calls nirtorch.load
# (deprecated in nirtorch 2.6); neither can be avoided from here
NORSE_WARNINGS = (
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:FutureWarning"),
    pytest.mark.filterwarnings("ignore:nirtorch.load is being deprecated:DeprecationWarning"),
)


def norse_net(graph: Any, dt: float) -> Any:
    """Norse's import of ``graph``, with a function running it on [T, N, ...] one sample at a time."""
    norse = pytest.importorskip("norse.torch", reason="norse not installed (pip install --no-deps norse==1.1.0)")
    net = norse.from_nir(graph, dt=dt, ignore_warnings=True)

    def run(x: torch.Tensor) -> torch.Tensor:
        samples = []
        for n in range(x.shape[1]):
            state, out = None, []
            for t in range(x.shape[0]):
                z, state = net(x[t, n].float(), state)
                out.append(z)
            samples.append(torch.stack(out))
        return torch.stack(samples, 1).double()

    return run


def snntorch_run(graph: Any, x: torch.Tensor) -> torch.Tensor:
    """snnTorch's import of ``graph`` run on [T, N, ...], one sample at a time, a fresh import per sample."""
    pytest.importorskip("snntorch", reason="snntorch not installed (pip install --no-deps snntorch==1.0.0)")
    from snntorch.import_nir import import_from_nir

    samples = []
    for n in range(x.shape[1]):
        net = import_from_nir(graph)  # its neurons keep their membrane inside (init_hidden): start afresh
        samples.append(torch.stack([net(x[t, n].float())[0] for t in range(x.shape[0])]))
    return torch.stack(samples, 1).double()


@NORSE_WARNINGS[0]
@NORSE_WARNINGS[1]
def test_norse_reads_our_if_lif_conv_net(rng: np.random.Generator) -> None:
    model = lively(conv_if_lif(pool="sum", lif_decay_input=True), gain=2.0)
    x = events((25, 3, 2, 8, 8), rng)
    want = model(x).detach()
    assert 0.05 < firing_rate(want) < 0.95
    got = norse_net(to_nir(model, (2, 8, 8)), dt=1e-4)(x)
    torch.testing.assert_close(got, want, rtol=0, atol=0)


@NORSE_WARNINGS[0]
@NORSE_WARNINGS[1]
@pytest.mark.xfail(reason="Norse 1.1 ignores LIF's r (ours is tau for decay_input=False)", strict=True)
def test_norse_ignores_r(rng: np.random.Generator) -> None:
    model = lively(conv_if_lif(pool="sum", lif_decay_input=False), gain=2.0)
    x = events((25, 2, 2, 8, 8), rng)
    torch.testing.assert_close(norse_net(to_nir(model, (2, 8, 8)), dt=1e-4)(x), model(x).detach(), rtol=0, atol=0)


@NORSE_WARNINGS[0]
@NORSE_WARNINGS[1]
@pytest.mark.xfail(reason="Norse 1.1 has no AvgPool2d import: the node is dropped", strict=True)
def test_norse_drops_avgpool(rng: np.random.Generator) -> None:
    model = lively(conv_if_lif(pool="avg", lif_decay_input=True), gain=2.0)
    x = events((10, 1, 2, 8, 8), rng)
    torch.testing.assert_close(norse_net(to_nir(model, (2, 8, 8)), dt=1e-4)(x), model(x).detach(), rtol=0, atol=0)


def _lif_net(decay_input: bool) -> nn.Module:
    net = conv_if_lif(pool="avg", lif_decay_input=decay_input)
    net[1] = LIFNode(tau=2.0, decay_input=decay_input)  # snnTorch cannot read IF (see the module docstring)
    return net.double()


@pytest.mark.parametrize(("decay_input", "gain"), [(True, 3.5), (False, 2.0)])
def test_snntorch_reads_our_lif_conv_net(decay_input: bool, gain: float, rng: np.random.Generator) -> None:
    model = lively(_lif_net(decay_input), gain=gain)
    x = events((25, 3, 2, 8, 8), rng)
    want = model(x).detach()
    assert 0.05 < firing_rate(want) < 0.95
    got = snntorch_run(to_nir(model, (2, 8, 8), dt=1e-4), x)
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_snntorch_imports_nir_if_as_a_leaky_neuron() -> None:
    pytest.importorskip("snntorch", reason="snntorch not installed (pip install --no-deps snntorch==1.0.0)")
    from snntorch.import_nir import import_from_nir

    model = nn.Sequential(nn.Linear(3, 3), IFNode())
    with pytest.raises(AssertionError, match="r != 1 not supported"):
        import_from_nir(to_nir(model, (3,), dt=1e-4))  # our IF has r = 1/dt
    leaky = [m for m in import_from_nir(to_nir(model, (3,), dt=1.0)).modules() if type(m).__name__ == "Leaky"]
    assert len(leaky) == 1
    assert float(leaky[0].beta) == pytest.approx(0.9)  # a leak, where IF has none
    assert leaky[0].reset_mechanism == "subtract"  # a soft reset, where NIR's IF resets to v_reset
