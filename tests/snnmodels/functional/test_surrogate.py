"""Surrogates: backward equals the derivative of the documented smooth function; registry; pickling."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import torch

from snnmodels.functional.surrogate import SURROGATES, ATan, PoissonPass, Sigmoid, Surrogate, get_surrogate

NAMES = SURROGATES.names()
THRESHOLD_NAMES = [n for n in NAMES if not issubclass(SURROGATES.get(n), PoissonPass)]


def _cases() -> list[tuple[str, float | None]]:
    """(name, alpha) for every surrogate: three alphas where it has one (those it accepts), its defaults else."""
    out: list[tuple[str, float | None]] = []
    for name in NAMES:
        cls = SURROGATES.get(name)
        if "alpha" not in {f.name for f in dataclasses.fields(cls)}:
            out.append((name, None))
            continue
        for alpha in (0.5, 1.0, 3.0):
            try:
                cls(alpha=alpha)
            except ValueError:
                continue
            out.append((name, alpha))
    return out


def _make(name: str, alpha: float | None) -> Surrogate:
    cls = SURROGATES.get(name)
    return cls() if alpha is None else cls(alpha=alpha)


def _points(rng: np.random.Generator, sur: Surrogate) -> torch.Tensor:
    x = torch.from_numpy(rng.uniform(-3, 3, 400))
    # keep away from kinks of the piecewise functions, where the one-sided derivatives differ
    kinks = {
        1.0,
        -1.0,
        1 / getattr(sur, "alpha", 1.0),
        -1 / getattr(sur, "alpha", 1.0),
        getattr(sur, "alpha", 1.0),
        -getattr(sur, "alpha", 1.0),
        0.5 / getattr(sur, "alpha", 1.0),
        -0.5 / getattr(sur, "alpha", 1.0),
        0.0,
    }
    far = torch.stack([(x - k).abs() > 1e-3 for k in kinks]).all(0)
    return x[far].requires_grad_()


@pytest.mark.parametrize(("name", "alpha"), _cases())
def test_backward_is_derivative_of_primitive(name: str, alpha: float | None, rng: np.random.Generator) -> None:
    sur = _make(name, alpha)
    x = _points(rng, sur)
    if isinstance(sur, PoissonPass):  # its forward draws with probability x
        x = (x.detach().abs() / 3).requires_grad_()
    (want,) = torch.autograd.grad(sur.primitive(x).sum(), x)
    (got,) = torch.autograd.grad(sur(x).sum(), x)
    # SpikingJelly's S2NN has log(|x + 1| + 1e-5) in g but beta/(x + 1) as g': they differ by ~1e-5 relative
    tol = 2e-5 if name == "s2nn" else 1e-12
    torch.testing.assert_close(got, want, rtol=tol, atol=1e-12)
    # the in-place form the fused kernels use agrees too
    torch.testing.assert_close(sur.derivative_(x.detach().clone()), want, rtol=tol, atol=1e-12)


@pytest.mark.parametrize("name", THRESHOLD_NAMES)
def test_forward_is_heaviside(name: str) -> None:
    sur = get_surrogate(name)
    x = torch.tensor([-1.0, -1e-9, 0.0, 1e-9, 2.0])
    assert sur(x).tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert sur(x, inclusive=False).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert sur(x.double()).dtype == torch.float64


@pytest.mark.parametrize("name", NAMES)
def test_picklable_and_comparable(name: str) -> None:
    cls = SURROGATES.get(name)
    first = dataclasses.fields(cls)[0].name if dataclasses.fields(cls) else None
    sur = cls(**({first: 1.5} if first in ("alpha", "leak") else {first: 3} if first else {}))
    assert pickle.loads(pickle.dumps(sur)) == sur
    if first is not None:
        assert sur != cls(**{first: 2.5 if first != "n" else 4})


def test_poisson_pass_draws_bernoulli_spikes_with_unit_gradient() -> None:
    torch.manual_seed(0)
    p = torch.tensor([0.0, 1.0, 0.25], dtype=torch.float64).repeat(4000).requires_grad_()
    s = PoissonPass()(p)
    s.sum().backward()
    assert s.view(-1, 3)[:, 0].sum() == 0
    assert s.view(-1, 3)[:, 1].sum() == 4000
    assert abs(float(s.detach().view(-1, 3)[:, 2].mean()) - 0.25) < 0.03  # 4000 draws: sd 0.007
    assert torch.equal(p.grad, torch.ones_like(p))


def test_registry_errors_and_defaults() -> None:
    assert get_surrogate("atan") == ATan(2.0)
    assert get_surrogate(Sigmoid(3.0)) == Sigmoid(3.0)
    with pytest.raises(KeyError, match="did you mean"):
        get_surrogate("sigmod")
    with pytest.raises(TypeError, match="surrogate must be"):
        get_surrogate(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already registered"):
        SURROGATES.register("atan")(ATan)


def test_sigmoid_value_at_zero() -> None:
    # g'(0) = alpha/4 for the sigmoid, alpha/2 for atan: pins the documented scaling
    x = torch.zeros(1, requires_grad=True)
    Sigmoid(4.0)(x).sum().backward()
    assert x.grad.item() == pytest.approx(1.0)
    x.grad = None
    ATan(2.0)(x).sum().backward()
    assert x.grad.item() == pytest.approx(1.0)


def test_stochastic_spike_operator_gradient() -> None:
    from snnmodels.functional.surrogate import StochasticSpikeOperator

    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0], dtype=torch.float64, requires_grad=True)
    torch.manual_seed(0)
    StochasticSpikeOperator(mean=0.0, variance=0.2)(x, inclusive=False).sum().backward()
    torch.manual_seed(0)
    noise = (torch.rand(5, dtype=torch.float64) - 0.5) * 0.2
    want = torch.where(x.detach() > 0, 1.0, noise.double())
    torch.testing.assert_close(x.grad, want)
    assert (x.grad[:3].abs() <= 0.1).all()
    assert x.grad[:3].ne(0).all()
    with pytest.raises(NotImplementedError, match="random gradient"):
        StochasticSpikeOperator().primitive(x)


def _cubic_grad(x: torch.Tensor, grad: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
    return grad * 3 * x**2 + spikes  # depends on all three arguments


def test_custom_surrogate_gets_input_grad_and_spikes() -> None:
    from snnmodels.functional.surrogate import CustomSurrogate

    sur = CustomSurrogate(_cubic_grad)
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = sur(x, inclusive=False)
    assert y.tolist() == [0.0, 0.0, 1.0]
    y.backward(torch.tensor([2.0, 2.0, 0.5], dtype=torch.float64))
    assert x.grad.tolist() == [6.0, 0.0, 0.5 * 12 + 1]
    assert sur.derivative(x.detach()).tolist() == [3.0, 0.0, 13.0]
    assert pickle.loads(pickle.dumps(sur)) == sur
