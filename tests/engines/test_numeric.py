"""The numeric engine: exact where it should be, and honest about its own error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from problems import make_problem

from gradcheck_cli import policy
from gradcheck_cli.engines import backprop, forward, kinks, numeric
from gradcheck_cli.fd import steps
from gradcheck_cli.ops import Elementwise
from gradcheck_cli.ops.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SquaredError
from gradcheck_cli.problem import Settings


@pytest.mark.parametrize("scheme", ["central", "richardson", "forward", "complex"])
def test_the_error_estimate_covers_the_actual_error(scheme):
    p = make_problem([Linear(out=4), Tanh(), Linear(out=2)], SquaredError(), batch=6)
    p = type(p)(**{**p.__dict__, "settings": Settings(scheme=scheme)})
    exact = backprop.gradients(p).grads
    found = numeric.gradients(p)
    for name in p.wrt:
        actual = np.abs(found.grads[name] - exact[name])
        assert np.all(actual <= policy.ESTIMATE_SAFETY * found.error[name]), name


def test_central_differences_of_a_quadratic_are_exact_to_rounding():
    """A linear network with squared error is quadratic in W: the central difference has no
    truncation error, so it matches (ŷ - y)-based closed form to round-off."""
    p = make_problem([Linear(out=2), Identity()], SquaredError(), batch=4, wrt=["W0"])
    W, b = p.values["W0"], p.values["b0"]
    closed = 2 * ((p.x @ W.T + b - p.y) / 4).T @ p.x
    found = numeric.gradients(p)
    np.testing.assert_allclose(found.grads["W0"], closed, atol=1e-8)
    assert found.grads["W0"].shape == W.shape


def test_a_forward_difference_is_less_accurate_than_a_central_one():
    p = make_problem([Linear(out=3), Tanh()], SquaredError(), wrt=["W0"])
    exact = backprop.gradients(p).grads["W0"]
    errs = {}
    for scheme in ("forward", "central"):
        q = type(p)(**{**p.__dict__, "settings": Settings(scheme=scheme)})
        errs[scheme] = np.abs(numeric.gradients(q).grads["W0"] - exact).max()
    assert errs["central"] < errs["forward"] / 100


def test_steps_are_exactly_representable_and_scale_with_the_entry():
    p = make_problem([Linear(out=2)], SquaredError())
    p = type(p)(**{**p.__dict__, "settings": Settings(scheme="central")})
    value = np.array([0.0, 1e-3, 3.0, -1e4])
    h = steps.per_entry(value, p.scheme, p.settings.step)
    np.testing.assert_array_equal((value + h) - value, h)
    assert h[3] > 1e3 * h[0]


def test_the_complex_step_is_the_default_for_a_complex_safe_network_and_exact_to_rounding():
    p = make_problem([Linear(out=4), Tanh(), Linear(out=2)], SquaredError(), batch=6)
    assert p.scheme == "complex"
    exact = backprop.gradients(p).grads
    found = numeric.gradients(p)
    for name in p.wrt:
        scale = np.abs(exact[name]).max()
        assert np.abs(found.grads[name] - exact[name]).max() <= 1e-14 * scale, name


@pytest.mark.parametrize("op", [ReLU(), LeakyReLU(slope=0.2), Sigmoid(), Softplus()], ids=lambda o: o.kind)
def test_piecewise_and_branch_computed_activations_take_the_exact_complex_step(op: Elementwise) -> None:
    # relu and leaky relu off their kink, and σ / softplus (computed by a branch on the sign for
    # overflow safety), are analytic where they are evaluated: the complex step is exact there
    p = make_problem([Linear(out=4), op, Linear(out=2)], SquaredError(), batch=6, seed=3)
    assert p.scheme == "complex"
    exact = backprop.gradients(p).grads
    found = numeric.gradients(p)
    for name in p.wrt:
        scale = np.abs(exact[name]).max()
        assert np.abs(found.grads[name] - exact[name]).max() <= 1e-14 * scale, name


def test_a_relu_input_exactly_on_its_kink_makes_auto_take_central_differences() -> None:
    # the complex step never moves a real part, so it cannot see a kink; central stencils do
    p = make_problem([Linear(out=4), ReLU(), Linear(out=2)], SquaredError(), batch=6, seed=3)
    W, b, x = p.values["W0"], p.values["b0"].copy(), p.x
    b[1] = -(W[1] @ x[2])
    on_kink = dataclasses.replace(p, values={**p.values, "b0": b})
    _, outputs, caches, _ = forward.run(on_kink)
    assert kinks.on_a_kink(on_kink, outputs, caches)
    assert kinks.resolved(on_kink, outputs, caches).scheme == "central"
    found = numeric.gradients(on_kink)
    assert found.kinks["b0"][1] and not found.kinks["b0"][0]
    _, outputs, caches, _ = forward.run(p)
    assert not kinks.on_a_kink(p, outputs, caches)
    assert kinks.resolved(p, outputs, caches).scheme == "complex"
