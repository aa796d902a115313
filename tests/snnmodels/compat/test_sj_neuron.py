"""SpikingJelly-named IF/LIF/PLIF neurons: defaults, state after reset, single step vs sequence vs SpikingJelly's
modules, in float64 with identical inputs (outputs, state ``v``, ``v_seq`` and gradients)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

import snnmodels
from snnmodels.compat.spikingjelly import functional, neuron, surrogate
from tests.snnmodels.peers import spikingjelly

CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("IFNode", {}),
    ("IFNode", {"v_reset": None, "v_threshold": 0.8}),
    ("IFNode", {"detach_reset": True, "v_reset": -0.2}),
    ("LIFNode", {"tau": 2.5}),
    ("LIFNode", {"tau": 3.0, "decay_input": False, "v_reset": None}),
    ("LIFNode", {"tau": 2.0, "detach_reset": True}),
    ("ParametricLIFNode", {"init_tau": 2.5}),
    ("ParametricLIFNode", {"init_tau": 3.0, "decay_input": False, "v_reset": None, "detach_reset": True}),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]


def _pair(name: str, kwargs: dict[str, Any], sg: str = "ATan", **extra: Any) -> tuple[Any, Any]:
    sj = spikingjelly()
    a = getattr(neuron, name)(surrogate_function=getattr(surrogate, sg)(), **kwargs, **extra)
    b = getattr(sj.neuron, name)(surrogate_function=getattr(sj.surrogate, sg)(), **kwargs, **extra)
    return a.double(), b.double()


def _inputs(T: int = 6, shape: tuple[int, ...] = (3, 5)) -> torch.Tensor:
    g = torch.Generator().manual_seed(7)
    return (torch.rand((T, *shape), generator=g, dtype=torch.float64) * 1.6 - 0.2).requires_grad_()


def _run(node: Any, x_seq: torch.Tensor, mode: str) -> torch.Tensor:
    node.step_mode = mode
    return node(x_seq) if mode == "m" else torch.stack([node(x) for x in x_seq])


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("mode", ["s", "m"])
def test_outputs_state_and_gradients_equal_spikingjelly(name: str, kwargs: dict[str, Any], mode: str) -> None:
    ours, theirs = _pair(name, kwargs)
    x1, x2 = _inputs(), _inputs()
    s1, s2 = _run(ours, x1, mode), _run(theirs, x2, mode)
    assert s1.sum() > 0  # the inputs make the neurons fire: a comparison of two silent layers proves nothing
    assert torch.equal(s1, s2)
    torch.testing.assert_close(ours.v, theirs.v, rtol=1e-14, atol=1e-15)
    w = torch.linspace(-1, 1, s1.numel(), dtype=torch.float64).view_as(s1)
    ((s1 * w).sum() + ours.v.sum()).backward()
    ((s2 * w).sum() + theirs.v.sum()).backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-14)
    if name == "ParametricLIFNode":
        torch.testing.assert_close(ours.w.grad, theirs.w.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_single_steps_equal_one_sequence_call(name: str, kwargs: dict[str, Any]) -> None:
    ours, _ = _pair(name, kwargs)
    x = _inputs().detach()
    steps = _run(ours, x, "s")
    v_steps = ours.v
    functional.reset_net(ours)
    seq = _run(ours, x, "m")
    assert torch.equal(steps, seq)
    assert torch.equal(v_steps, ours.v)


@pytest.mark.parametrize("mode", ["s", "m"])
def test_store_v_seq_equals_spikingjelly(mode: str) -> None:
    ours, theirs = _pair("LIFNode", {"tau": 2.0}, store_v_seq=True)
    x = _inputs().detach()
    _run(ours, x, mode)
    _run(theirs, x, mode)
    assert ours.v_seq.shape == x.shape
    torch.testing.assert_close(ours.v_seq, theirs.v_seq, rtol=1e-14, atol=1e-15)
    ours.reset()
    assert ours.v_seq is None


def test_sequences_continue_from_v_until_reset_as_spikingjelly() -> None:
    ours, theirs = _pair("IFNode", {}, step_mode="m")
    x = _inputs().detach() * 0.5
    for node in (ours, theirs):
        node(x[:3])
    assert torch.equal(ours(x[3:]), theirs(x[3:]))
    assert torch.equal(ours.v, theirs.v)
    ours.reset()
    assert ours.v == 0.0


def test_spikingjelly_defaults_and_state_after_reset() -> None:
    sj = spikingjelly()
    for name in ("IFNode", "LIFNode", "ParametricLIFNode"):
        node, ref = getattr(neuron, name)(), getattr(sj.neuron, name)()
        assert node.step_mode == ref.step_mode == "s"
        assert isinstance(node.surrogate_function, surrogate.Sigmoid)
        assert node.surrogate_function.alpha == ref.surrogate_function.alpha == 4.0
        assert node.v == ref.v == 0.0
        assert isinstance(node.v, float)
        node(torch.rand(2, 3))
        assert node.v.shape == (2, 3)
        functional.reset_net(node)
        assert isinstance(node.v, float)
        assert node.v == 0.0
        assert node.store_v_seq is False
        assert dict(node.named_memories()).keys() == dict(ref.named_memories()).keys() == {"v"}
    hard = neuron.LIFNode(v_reset=-0.5)
    hard(torch.rand(4))
    hard.reset()
    assert hard.v == -0.5
    assert neuron.IFNode(v_reset=None).v == 0.0
    plif, plif_ref = neuron.ParametricLIFNode(init_tau=3.0), sj.neuron.ParametricLIFNode(init_tau=3.0)
    assert plif.state_dict().keys() == plif_ref.state_dict().keys() == {"w"}
    assert torch.equal(plif.w, plif_ref.w)


def test_core_neurons_are_the_base_classes_and_the_repr_is_spikingjelly_s() -> None:
    sj = spikingjelly()
    node = neuron.LIFNode(tau=2.0)
    assert isinstance(node, snnmodels.LIFNode)
    assert isinstance(neuron.ParametricLIFNode(), snnmodels.ParametricLIFNode)
    assert repr(node) == repr(sj.neuron.LIFNode(tau=2.0))
    # our own reset_net and set_step_mode reach them too
    node(torch.rand(3))
    snnmodels.reset_net(node)
    assert node.v == 0.0
    snnmodels.set_step_mode(node, "m")
    assert node.step_mode == "m"


def test_surrogate_alpha_changed_after_construction_reaches_the_fused_kernel() -> None:
    node = neuron.IFNode(surrogate_function=surrogate.Sigmoid(), step_mode="m").double()
    x = (torch.rand(5, 4, dtype=torch.float64) * 0.9).requires_grad_()
    grads = []
    for alpha in (1.0, 8.0):
        node.surrogate_function.alpha = alpha
        node(x).sum().backward()
        grads.append(x.grad.clone())
        x.grad = None
        node.reset()
    assert not torch.allclose(grads[0], grads[1])
    # equal to the reference path (plain autograd over our step function) at alpha=8
    ref = neuron.IFNode(surrogate_function=surrogate.Sigmoid(8.0), step_mode="m").double()
    ref.fused = False
    ref(x).sum().backward()
    torch.testing.assert_close(grads[1], x.grad, rtol=1e-13, atol=1e-15)


def test_a_non_spiking_surrogate_makes_the_neuron_output_the_primitive_as_spikingjelly() -> None:
    sj = spikingjelly()
    a = neuron.IFNode(surrogate_function=surrogate.Sigmoid(spiking=False)).double()
    b = sj.neuron.IFNode(surrogate_function=sj.surrogate.Sigmoid(spiking=False)).double()
    x = _inputs().detach()
    torch.testing.assert_close(_run(a, x, "m"), _run(b, x, "m"), rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(a.v, b.v, rtol=1e-14, atol=1e-15)


def test_shape_change_without_reset_raises_and_bad_arguments_are_named() -> None:
    node = neuron.IFNode()
    node(torch.rand(2, 3))
    with pytest.raises(ValueError, match="reset_net"):
        node(torch.rand(4, 3))
    node.reset()
    assert node(torch.rand(4, 3)).shape == (4, 3)
    with pytest.raises(ValueError, match="tau"):
        neuron.LIFNode(tau=1.0)
    with pytest.raises(ValueError, match="backend"):
        neuron.IFNode(backend="opencl")
    with pytest.raises(ValueError, match="step_mode"):
        neuron.IFNode(step_mode="x")


def test_backend_is_accepted_and_changes_nothing() -> None:
    x = _inputs().detach()
    a, b = neuron.LIFNode(step_mode="m", backend="cupy"), neuron.LIFNode(step_mode="m")
    assert torch.equal(a(x.float()), b(x.float()))
    assert b.supported_backends == ("torch", "cupy")
    b.step_mode = "s"
    assert b.supported_backends == ("torch",)
    functional.set_backend(b, "cupy", neuron.LIFNode)
    assert b.backend == "cupy"


def test_copies_keep_the_state_and_detach_cuts_it() -> None:
    node = neuron.LIFNode()
    x = torch.rand(3, requires_grad=True)
    node(x * 3)
    clone = copy.deepcopy(node)  # the state is in the autograd graph: the copy keeps its value
    torch.testing.assert_close(clone.v, node.v.detach())
    functional.detach_net(node)
    assert node.v.grad_fn is None


def test_a_subclass_that_defines_neuronal_charge_runs_step_by_step() -> None:
    class SquareIFNode(neuron.BaseNode):
        def neuronal_charge(self, x: torch.Tensor) -> None:
            self.v = self.v + x**2

    node = SquareIFNode()
    x = torch.tensor([[0.6], [0.9], [0.3], [0.2]], dtype=torch.float64)
    out = torch.stack([node(xt) for xt in x])
    # hand-computed: 0.36 -> 0.36 + 0.81 = 1.17 fires, resets to 0 -> 0.09 -> 0.13
    assert out.flatten().tolist() == [0.0, 1.0, 0.0, 0.0]
    torch.testing.assert_close(node.v, torch.tensor([0.13], dtype=torch.float64))
    node.reset()
    node.step_mode = "m"
    assert torch.equal(node(x), out)


@pytest.mark.parametrize("decode", [None, "max-mem", "mean-mem", "last_mem"])
def test_nonspiking_lif_node_as_spikingjelly(decode: str | None) -> None:
    sj = spikingjelly()
    if not hasattr(sj.neuron, "NonSpikingLIFNode"):
        pytest.skip("this spikingjelly has no neuron.NonSpikingLIFNode")
    x = torch.randn(7, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    theirs = sj.neuron.NonSpikingLIFNode(tau=2.5, decode=decode)(x)
    ours = neuron.NonSpikingLIFNode(tau=2.5, decode=decode)
    assert isinstance(ours, snnmodels.NonSpikingLIFNode)
    got = ours(x)
    torch.testing.assert_close(got, torch.stack(theirs) if isinstance(theirs, list) else theirs, rtol=0, atol=0)
    if decode is None:  # the tensor stacks like SpikingJelly's list
        torch.testing.assert_close(torch.stack(list(got)), torch.stack(theirs), rtol=0, atol=0)
