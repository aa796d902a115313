"""The NIR paper's two pretrained recurrent Braille nets (trained in snnTorch, CubaLIF layers with a recurrent
Affine/Linear, dt=1e-4; ../shared/data/nir, provenance in PROVENANCE.md) imported by us, Norse and snnTorch.

Findings, on random input (docs/toolbox.md has the discussion):

- ours and Norse 1.1: the same spikes, for both graphs;
- both agree with a reference written here from the NIR definitions (forward Euler, reset to v_reset in the
  step the neuron fires), with nothing on the cycle-closing edge at the first step (nirtorch's convention);
- snnTorch 1.0's ``import_from_nir`` fails on these graphs (nirtorch 2.6 cannot build its recurrent subgraph, and
  its RSynaptic divides a missing spike argument when ``reset_delay=False``); its own neurons, stepped as its code
  runs them, reproduce the reference with two changes: the reset comes one step late (the step after a spike
  zeroes the membrane, input included) and the recurrent Affine's bias is added from the first step. The first
  contradicts the CubaLIF definition (and the paper's README: "reset ... in the same timestep"); the second is
  what NIR's Affine says (W·0 + b = b while the layer is at rest), so there snnTorch is right and the first-step
  convention of nirtorch, Norse and our default drops the bias for one step (``from_nir(first_step='rest')``
  keeps it).
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest
import torch

from snnmodels.export import from_nir
from tests.conftest import SHARED_DATA
from tests.snnmodels.export.test_peers_nir import NORSE_WARNINGS, norse_net

nir = pytest.importorskip("nir", reason="nir not installed (pip install nir==1.0.8)")
pytestmark = pytest.mark.slow

GRAPHS = ["braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"]
DT = 1e-4


def _path(name: str) -> str:
    path = SHARED_DATA / "nir" / f"{name}.nir"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data, see PROVENANCE.md)")
    return str(path)


def _input(T: int = 120, N: int = 3, seed: int = 0) -> torch.Tensor:
    return (torch.rand(T, N, 12, generator=torch.Generator().manual_seed(seed)) < 0.3).float()


def reference(graph: Any, x: torch.Tensor, *, bias_at_start: bool, delayed_reset: bool) -> torch.Tensor:
    """fc1 -> CubaLIF (+ recurrent w_rec) -> fc2 -> CubaLIF, in float64, from the NIR definitions:

    i += (w_in·x - i)·dt/tau_syn;  v += (v_leak - v + r·i)·dt/tau_mem;  z = v > v_threshold;  v = v_reset if z.
    ``delayed_reset`` zeroes v one step after the spike instead; ``bias_at_start`` feeds w_rec(0) = b at t = 0.
    """

    def p(a: Any) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.float64))

    def affine(node: Any, v: torch.Tensor) -> torch.Tensor:
        y = v @ p(node.weight).T
        return y + p(node.bias) if isinstance(node, nir.Affine) else y

    def cuba(node: Any, inp: torch.Tensor, i: torch.Tensor, v: torch.Tensor, z_prev: torch.Tensor) -> tuple:
        i = i + (p(node.w_in) * inp - i) / (p(node.tau_syn) / DT)
        v = v + (p(node.v_leak) - v + p(node.r) * i) / (p(node.tau_mem) / DT)
        if delayed_reset:
            v = v * (1 - z_prev)
        z = (v > p(node.v_threshold)).double()
        if not delayed_reset:
            v = torch.where(z.bool(), p(node.v_reset), v)
        return z, i, v

    n1, n2 = graph.nodes["lif1.lif"], graph.nodes["lif2"]
    N = x.shape[1]
    i1 = v1 = z1 = torch.zeros(N, n1.v_threshold.size, dtype=torch.float64)
    i2 = v2 = z2 = torch.zeros(N, n2.v_threshold.size, dtype=torch.float64)
    out = []
    for t in range(x.shape[0]):
        inp = affine(graph.nodes["fc1"], x[t].double())
        if t > 0 or bias_at_start:
            inp = inp + affine(graph.nodes["lif1.w_rec"], z1)
        z1, i1, v1 = cuba(n1, inp, i1, v1, z1)
        z2, i2, v2 = cuba(n2, affine(graph.nodes["fc2"], z1), i2, v2, z2)
        out.append(z2)
    return torch.stack(out)


@pytest.mark.parametrize("name", GRAPHS)
def test_imports_as_a_recurrent_net_and_follows_the_definitions(name: str) -> None:
    net = from_nir(_path(name), dt=DT, dtype=torch.float64)
    assert net.is_recurrent
    assert net.recurrent == {("lif1_w_rec", "lif1_lif")}
    x = _input()
    with torch.no_grad():
        ours = net(x.double())
    assert ours.shape == (120, 3, 7)
    assert 0.01 < float(ours.mean()) < 0.6
    want = reference(nir.read(_path(name)), x, bias_at_start=False, delayed_reset=False)
    torch.testing.assert_close(ours, want, rtol=0, atol=0)


@pytest.mark.parametrize("name", GRAPHS)
def test_first_step_rest_adds_the_recurrent_bias_as_nir_defines(name: str) -> None:
    x = _input(T=200, N=4)
    with torch.no_grad():
        ours = from_nir(_path(name), dt=DT, dtype=torch.float64, first_step="rest")(x.double())
    want = reference(nir.read(_path(name)), x, bias_at_start=True, delayed_reset=False)
    torch.testing.assert_close(ours, want, rtol=0, atol=0)
    with pytest.raises(ValueError, match="first_step must be 'nothing' or 'rest', got 'zero'"):
        from_nir(_path(name), dt=DT, first_step="zero")


@NORSE_WARNINGS[0]
@NORSE_WARNINGS[1]
@pytest.mark.peers
@pytest.mark.parametrize("name", GRAPHS)
def test_spike_for_spike_with_norse(name: str) -> None:
    x = _input(T=100, N=2, seed=1)
    with torch.no_grad():
        ours = from_nir(_path(name), dt=DT)(x)
        theirs = norse_net(nir.read(_path(name)), dt=DT)(x.double())
    assert ours.sum() > 0
    torch.testing.assert_close(ours.double(), theirs, rtol=0, atol=0)


def _snntorch_modules(name: str) -> dict[str, Any]:
    pytest.importorskip("snntorch", reason="snntorch not installed (pip install --no-deps snntorch==1.0.0)")
    from snntorch import import_nir

    with contextlib.redirect_stdout(io.StringIO()):  # it prints while it parses
        graph = import_nir._replace_rnn_subgraph_with_nirgraph(nir.read(_path(name)))
        return {k: import_nir._nir_to_snntorch_module(v, init_hidden=True) for k, v in graph.nodes.items()}


@pytest.mark.peers
@pytest.mark.xfail(raises=AttributeError, strict=True, reason="nirtorch 2.6 cannot build snnTorch's RNN subgraph")
def test_snntorch_import_from_nir_fails() -> None:
    pytest.importorskip("snntorch")
    from snntorch.import_nir import import_from_nir

    with contextlib.redirect_stdout(io.StringIO()):
        import_from_nir(nir.read(_path(GRAPHS[0])))


@pytest.mark.peers
@pytest.mark.xfail(raises=TypeError, strict=True, reason="snnTorch 1.0 RSynaptic(reset_delay=False) divides None")
def test_snntorch_recurrent_neuron_as_imported_fails() -> None:
    mods = _snntorch_modules(GRAPHS[0])
    with torch.no_grad():
        mods["lif1"](mods["fc1"](_input(T=1)[0]))


@pytest.mark.peers
@pytest.mark.parametrize("name", GRAPHS)
def test_snntorch_neurons_reset_a_step_late_and_add_the_bias_at_once(name: str) -> None:
    mods = _snntorch_modules(name)
    for neuron in (mods["lif1"], mods["lif2"]):
        neuron.reset_delay = True  # the reset its code applies (the immediate one writes to a local variable)
    x = _input(T=200, N=4)  # enough samples for the one-step bias to change some output spike
    with torch.no_grad():
        theirs = torch.stack([mods["lif2"](mods["fc2"](mods["lif1"](mods["fc1"](x[t])))) for t in range(len(x))])
    graph = nir.read(_path(name))
    late = reference(graph, x, bias_at_start=True, delayed_reset=True)
    torch.testing.assert_close(theirs.double(), late, rtol=0, atol=0)
    spec = reference(graph, x, bias_at_start=False, delayed_reset=False)
    assert (late != spec).sum() > 0.01 * spec.numel()  # the late reset alone changes many spikes
    with_bias = reference(graph, x, bias_at_start=True, delayed_reset=False)
    if name == "braille_noDelay_bias_zero":
        assert (with_bias != spec).any()  # the first-step bias changes spikes only where there is a bias
    else:
        assert torch.equal(with_bias, spec)
