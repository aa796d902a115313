"""SpikingJelly-named surrogate modules: forward, gradient and primitive equal SpikingJelly's in float64; ``alpha``
is mutable and drives our frozen core surrogates."""

from __future__ import annotations

import pickle

import pytest
import torch

from snnmodels.compat.spikingjelly import surrogate as ours
from snnmodels.functional import surrogate as core
from tests.snnmodels.peers import spikingjelly

# (class name, constructor arguments); arguments away from the defaults where the class has any
CASES = [
    ("PiecewiseQuadratic", {"alpha": 1.5}),
    ("PiecewiseExp", {"alpha": 1.5}),
    ("Sigmoid", {"alpha": 3.0}),
    ("SoftSign", {"alpha": 1.5}),
    ("SuperSpike", {"alpha": 1.5}),
    ("ATan", {"alpha": 3.0}),
    ("NonzeroSignLogAbs", {"alpha": 1.5}),
    ("Erf", {"alpha": 1.5}),
    ("PiecewiseLeakyReLU", {"w": 0.7, "c": 0.05}),
    ("SquarewaveFourierSeries", {"n": 4, "T_period": 6.0}),
    ("S2NN", {"alpha": 3.0, "beta": 0.7}),
    ("QPseudoSpike", {"alpha": 3.0}),
    ("LeakyKReLU", {"leak": 0.1, "k": 0.8}),
    ("LogTailedReLU", {"alpha": 0.1}),
    ("Rect", {"alpha": 1.5}),
    ("FakeNumericalGradient", {"alpha": 0.4}),
    ("DeterministicPass", {}),
]
NO_PRIMITIVE = {"SuperSpike", "FakeNumericalGradient"}  # SpikingJelly defines none (FakeNumericalGradient never
# leaves spiking mode)


def _x() -> torch.Tensor:
    # float64, including points right at the kinks of the piecewise surrogates (0, 0.5, 1, ...)
    grid = torch.linspace(-2.5, 2.5, 201, dtype=torch.float64)
    return torch.cat([grid, torch.tensor([0.0, 0.5, -0.5, 1.0, -1.0, 1 / 3, 0.7, -0.7], dtype=torch.float64)])


def _grad(fn: object, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_()
    y = fn(x)  # type: ignore[operator]
    y.backward(torch.linspace(0.5, 1.5, x.numel(), dtype=x.dtype))
    return y.detach(), x.grad


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_spiking_forward_and_gradient_equal_spikingjelly(name: str, kwargs: dict) -> None:
    sj = spikingjelly().surrogate
    x = _x()
    y_ours, g_ours = _grad(getattr(ours, name)(**kwargs), x)
    y_sj, g_sj = _grad(getattr(sj, name)(**kwargs), x)
    assert torch.equal(y_ours, y_sj)
    assert y_ours.dtype == torch.float64
    torch.testing.assert_close(g_ours, g_sj, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("name", "kwargs"), [c for c in CASES if c[0] not in NO_PRIMITIVE], ids=lambda c: str(c))
def test_primitive_equals_spikingjelly(name: str, kwargs: dict) -> None:
    sj = spikingjelly().surrogate
    x = _x()
    a, b = getattr(ours, name)(**kwargs), getattr(sj, name)(**kwargs)
    a.set_spiking_mode(False)
    b.set_spiking_mode(False)
    torch.testing.assert_close(a(x), b(x), rtol=1e-13, atol=1e-15)


def test_changing_alpha_changes_the_gradient_as_spikingjelly() -> None:
    sj = spikingjelly().surrogate
    x = _x()
    a, b = ours.Sigmoid(), sj.Sigmoid()
    first = _grad(a, x)[1]
    for alpha in (0.5, 8.0):
        a.alpha = b.alpha = alpha
        g = _grad(a, x)[1]
        torch.testing.assert_close(g, _grad(b, x)[1], rtol=1e-13, atol=1e-15)
        assert not torch.allclose(g, first)
    assert a.core() == core.Sigmoid(8.0)


def test_modules_build_the_core_surrogates() -> None:
    assert ours.ATan(3.0).core() == core.ATan(3.0)
    assert ours.PiecewiseLeakyReLU(w=0.7, c=0.05).core() == core.LeakyReLU(alpha=0.7, c=0.05)
    assert ours.SquarewaveFourierSeries(3, 5.0).core() == core.SquarewaveFourierSeries(n=3, T_period=5.0)
    # hand-computed: Sigmoid'(0) = alpha/4, ATan'(0) = alpha/2
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    ours.Sigmoid(alpha=6.0)(x).sum().backward()
    assert x.grad.item() == 1.5
    assert "alpha=6.0, spiking=True" in repr(ours.Sigmoid(alpha=6.0))


def test_functional_forms_and_static_functions() -> None:
    sj = spikingjelly().surrogate
    x = _x()
    for fn_ours, fn_sj in ((ours.sigmoid, sj.sigmoid), (ours.leaky_k_relu, sj.leaky_k_relu)):
        args = (4.0,) if fn_ours is ours.sigmoid else (0.1, 0.9)
        y1, g1 = _grad(lambda t, f=fn_ours, a=args: f.apply(t, *a), x)
        y2, g2 = _grad(lambda t, f=fn_sj, a=args: f.apply(t, *a), x)
        assert torch.equal(y1, y2)
        torch.testing.assert_close(g1, g2, rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(ours.ATan.primitive_function(x, 2.0), sj.ATan.primitive_function(x, 2.0))
    assert torch.equal(ours.ATan.spiking_function(x, alpha=2.0), (x >= 0).double())


def test_poisson_pass_draws_as_spikingjelly() -> None:
    sj = spikingjelly().surrogate
    p = torch.rand(1000, dtype=torch.float64)
    torch.manual_seed(3)
    y_ours, g_ours = _grad(ours.PoissonPass(), p)
    torch.manual_seed(3)
    y_sj, g_sj = _grad(sj.PoissonPass(), p)
    # the same draws; SpikingJelly returns float32 spikes (and so a float32-rounded gradient) for float64 input,
    # ours keep the input's dtype
    assert y_sj.dtype == torch.float32
    assert y_ours.dtype == torch.float64
    assert torch.equal(y_ours, y_sj.double())
    torch.testing.assert_close(g_ours, g_sj, rtol=1e-6, atol=0)
    passthrough = ours.PoissonPass(spiking=False)
    assert torch.equal(passthrough(p), p)


def test_bad_parameters_fail_at_construction_and_modules_pickle() -> None:
    with pytest.raises(ValueError, match="alpha"):
        ours.QPseudoSpike(alpha=1.0)
    with pytest.raises(ValueError, match="T_period"):
        ours.SquarewaveFourierSeries(n=2, T_period=0.0)
    sg = pickle.loads(pickle.dumps(ours.ATan(alpha=5.0)))
    assert sg.alpha == 5.0
    assert sg.core() == core.ATan(5.0)
