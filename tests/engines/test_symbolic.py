"""The symbolic engine against independent references: closed forms written by hand in NumPy,
central differences of hand-written losses, and the translator on small index expressions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck_cli.engines import symbolic, symbolic_derive
from gradcheck_cli.engines.indexed import Binding, UnsupportedExpression, evaluate
from gradcheck_cli.ops.activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from gradcheck_cli.ops.base import Array, Layer, Loss
from gradcheck_cli.ops.layers import Linear, Polynomial
from gradcheck_cli.ops.losses import (
    CrossEntropy,
    GaussianNLL,
    HalfSquaredError,
    SoftmaxCrossEntropy,
    SquaredError,
)
from gradcheck_cli.ops.penalty import L2Penalty
from gradcheck_cli.policy import ANALYTIC_ULPS, CENTRAL_STEP, EPS, ESTIMATE_SAFETY
from gradcheck_cli.problem import INPUT, Node, Problem, Reduction

#: Two exact computations of the same quantity agree to rounding (the analytic tolerance).
ROUNDING = ANALYTIC_ULPS * EPS
#: A central difference errs by about h²|f'''| (truncation) + EPS|f|/h (round-off).
DIFFERENCE = ESTIMATE_SAFETY * (CENTRAL_STEP**2 + ANALYTIC_ULPS * EPS / CENTRAL_STEP)

p, q = symbolic_derive.FREE[:2]
i = sp.Symbol("i", integer=True, nonnegative=True)


def build(
    layers: Sequence[Layer],
    loss: Loss,
    *,
    n0: int = 3,
    m: int = 4,
    seed: int = 0,
    y: Array | None = None,
    x: Array | None = None,
    reduction: Reduction = "mean",
    penalty: L2Penalty | None = None,
    wrt: tuple[str, ...] | None = None,
) -> Problem:
    """A problem with seeded parameters; linear layer l owns ``W{l}`` and ``b{l}``."""
    rng = np.random.default_rng(seed)
    nodes, values, width = [], {}, n0
    for index, op in enumerate(layers):
        shapes = op.param_shapes(width)
        names = {local: f"{local}{index}" for local in shapes}
        values.update({names[k]: rng.standard_normal(shape) for k, shape in shapes.items()})
        nodes.append(Node(op, index, width, op.out_size(width), names))
        width = op.out_size(width)
    x = rng.standard_normal((m, n0)) if x is None else x
    y = rng.standard_normal((m, width)) if y is None else y
    wrt = (*values, INPUT) if wrt is None else wrt
    return Problem("test", seed, x, y, tuple(nodes), loss, values, wrt, reduction, penalty)


def onehot(m: int, k: int, seed: int = 1) -> Array:
    return np.eye(k)[np.random.default_rng(seed).integers(0, k, m)]


def central_difference(f: Callable[[Array], float], at: Array) -> Array:
    """∂f/∂at by central differences, one entry at a time (a reference, not the engine)."""
    grad = np.zeros_like(at)
    for index in np.ndindex(at.shape):
        h = CENTRAL_STEP * max(1.0, abs(at[index]))
        up, down = at.copy(), at.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (f(up) - f(down)) / (2 * h)
    return grad


def assert_close(actual: Array, expected: Array, tolerance: float = ROUNDING) -> None:
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)


# --- closed forms ---------------------------------------------------------------------------


def test_linear_weight_gradient_matches_the_outer_product_formula() -> None:
    problem = build([Linear(out=2)], HalfSquaredError())
    W, b, x, y = problem.values["W0"], problem.values["b0"], problem.x, problem.y
    residual = x @ W.T + b - y
    result = symbolic.gradients(problem)
    assert_close(result.grads["W0"], residual.T @ x / problem.batch)
    assert_close(result.grads["b0"], residual.mean(axis=0))
    assert_close(result.output, x @ W.T + b)
    assert result.loss == pytest.approx(0.5 * (residual**2).sum() / problem.batch, rel=ROUNDING)


def test_softmax_cross_entropy_cotangent_is_softmax_minus_target_over_m() -> None:
    problem = build([Linear(out=4)], SoftmaxCrossEntropy(), y=onehot(4, 4))
    z = problem.x @ problem.values["W0"].T + problem.values["b0"]
    s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    result = symbolic.gradients(problem)
    assert_close(result.cotangents[-1], (s - problem.y) / problem.batch)
    assert_close(result.grads["W0"], (s - problem.y).T @ problem.x / problem.batch)


def test_softmax_layer_then_cross_entropy_gives_the_same_logit_gradient() -> None:
    problem = build([Linear(out=3), Softmax()], CrossEntropy(), y=onehot(4, 3))
    z = problem.x @ problem.values["W0"].T + problem.values["b0"]
    s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    result = symbolic.gradients(problem)
    assert_close(result.output, s)
    assert_close(result.cotangents[1], (s - problem.y) / problem.batch)


def test_sigmoid_passes_the_cotangent_times_sigma_one_minus_sigma() -> None:
    problem = build([Linear(out=3), Sigmoid()], HalfSquaredError())
    z = problem.x @ problem.values["W0"].T + problem.values["b0"]
    sigma = 1 / (1 + np.exp(-z))
    result = symbolic.gradients(problem)
    g = (sigma - problem.y) / problem.batch
    assert_close(result.cotangents[-1], g)
    assert_close(result.cotangents[1], g * sigma * (1 - sigma))


def test_gaussian_nll_with_a_full_covariance_gives_minus_precision_times_residual() -> None:
    covariance = [[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 1.5]]
    problem = build([Linear(out=3)], GaussianNLL(covariance=covariance))
    sigma = np.array(covariance)
    yhat = problem.x @ problem.values["W0"].T + problem.values["b0"]
    e = problem.y - yhat
    P = np.linalg.inv(sigma)
    per_example = 0.5 * np.einsum("mi,ij,mj->m", e, P, e) + 0.5 * np.log(
        np.linalg.det(2 * np.pi * sigma)
    )
    result = symbolic.gradients(problem)
    assert_close(result.cotangents[-1], -e @ P / problem.batch)
    assert result.loss == pytest.approx(per_example.mean(), rel=ROUNDING)


def test_l2_penalty_adds_lambda_times_the_weight_and_half_lambda_times_its_square() -> None:
    plain = build([Linear(out=2)], SquaredError())
    penalised = build([Linear(out=2)], SquaredError(), penalty=L2Penalty(strength=0.3))
    W = plain.values["W0"]
    with_penalty, without = symbolic.gradients(penalised), symbolic.gradients(plain)
    assert_close(with_penalty.grads["W0"], without.grads["W0"] + 0.3 * W)
    assert_close(with_penalty.grads["b0"], without.grads["b0"])
    assert with_penalty.loss == pytest.approx(without.loss + 0.15 * (W**2).sum(), rel=ROUNDING)


def test_polynomial_features_differentiate_like_the_polynomial() -> None:
    problem = build([Polynomial(degree=3), Linear(out=1)], HalfSquaredError(), n0=1, m=5)
    theta, theta0, x = problem.values["W1"][0], problem.values["b1"][0], problem.x[:, 0]
    powers = np.arange(1, 4)
    residual = theta0 + (x[:, None] ** powers) @ theta - problem.y[:, 0]
    slope = (powers * x[:, None] ** (powers - 1)) @ theta
    result = symbolic.gradients(problem)
    assert_close(result.grads["W1"][0], (residual[:, None] * x[:, None] ** powers).mean(axis=0))
    assert_close(result.grads[INPUT][:, 0], residual * slope / problem.batch)


@pytest.mark.parametrize(("activation", "slope"), [(ReLU(), 0.0), (LeakyReLU(slope=0.2), 0.2)])
def test_rectifiers_scale_the_cotangent_by_one_or_the_slope_away_from_the_kink(
    activation: Layer, slope: float
) -> None:
    problem = build([Linear(out=6), activation], HalfSquaredError(), m=8)
    z = problem.x @ problem.values["W0"].T + problem.values["b0"]
    assert np.abs(z).min() > CENTRAL_STEP  # away from the kink
    a = np.where(z > 0, z, slope * z)
    result = symbolic.gradients(problem)
    g = (a - problem.y) / problem.batch
    assert_close(result.output, a)
    assert_close(result.cotangents[1], g * np.where(z > 0, 1.0, slope))


def test_sum_reduction_is_m_times_the_mean_reduction() -> None:
    mean = symbolic.gradients(build([Linear(out=2), Tanh()], HalfSquaredError(), m=6))
    total = symbolic.gradients(
        build([Linear(out=2), Tanh()], HalfSquaredError(), m=6, reduction="sum")
    )
    assert total.loss == pytest.approx(6 * mean.loss, rel=ROUNDING)
    for name in mean.grads:
        assert_close(total.grads[name], 6 * mean.grads[name])


def test_cotangents_run_from_the_first_layer_input_to_the_output() -> None:
    problem = build([Linear(out=5), Tanh(), Linear(out=2)], HalfSquaredError(), n0=3, m=4)
    result = symbolic.gradients(problem)
    assert [c.shape for c in result.cotangents] == [(4, 3), (4, 5), (4, 5), (4, 2)]
    assert_close(result.grads[INPUT], result.cotangents[0])
    assert list(result.grads) == list(problem.wrt)


# --- central differences of a hand-written loss ---------------------------------------------


def tanh_mlp_loss(problem: Problem, override: dict[str, Array]) -> float:
    """J of Linear → tanh → Linear + half squared error, written out by hand."""
    v = {**problem.values, INPUT: problem.x, **override}
    hidden = np.tanh(v[INPUT] @ v["W0"].T + v["b0"])
    yhat = hidden @ v["W2"].T + v["b2"]
    return float(0.5 * ((yhat - problem.y) ** 2).sum() / problem.batch)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), hidden=st.integers(1, 6), m=st.integers(1, 5))
def test_tanh_mlp_gradients_match_central_differences(seed: int, hidden: int, m: int) -> None:
    problem = build([Linear(out=hidden), Tanh(), Linear(out=2)], HalfSquaredError(), m=m, seed=seed)
    result = symbolic.gradients(problem)
    assert result.loss == pytest.approx(tanh_mlp_loss(problem, {}), rel=ROUNDING)
    for name in (*problem.values, INPUT):
        start = problem.x if name == INPUT else problem.values[name]
        expected = central_difference(lambda a, n=name: tanh_mlp_loss(problem, {n: a}), start)
        assert_close(result.grads[name], expected, DIFFERENCE)


# --- the translator ---------------------------------------------------------------------------


def test_translator_sums_over_a_bound_index_like_a_matrix_product() -> None:
    rng = np.random.default_rng(0)
    W, g = rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
    Wb, gb, k = sp.IndexedBase("W"), sp.IndexedBase("g"), sp.Symbol("k", integer=True)
    expr = sp.Sum(Wb[i, p] * gb[i], (i, 0, k - 1))
    arrays = {Wb: Binding(W), gb: Binding(g, batched=True)}
    assert_close(evaluate(expr, arrays, {k: 4}, [(p, 3)], 5), g @ W)


def test_translator_evaluates_kronecker_delta_as_the_identity() -> None:
    result = evaluate(sp.KroneckerDelta(p, q), {}, {}, [(p, 3), (q, 3)], 1)
    assert_close(result[0], np.eye(3))


def test_translator_chooses_piecewise_branches_by_data() -> None:
    x = sp.IndexedBase("x")
    expr = sp.Piecewise((x[p], x[p] > 0), (-2 * x[p], True))
    data = np.array([[-1.0, 0.5, 2.0]])
    assert_close(
        evaluate(expr, {x: Binding(data, batched=True)}, {}, [(p, 3)], 1), [[2.0, 0.5, 2.0]]
    )


def test_translator_selects_numeric_indices_and_gathers_repeated_ones() -> None:
    c, W = sp.IndexedBase("c"), sp.IndexedBase("W")
    matrix = np.arange(9.0).reshape(3, 3)
    arrays = {c: Binding(np.array([7.0])), W: Binding(matrix)}
    assert_close(evaluate(c[0] * W[p, p], arrays, {}, [(p, 3)], 1), [7.0 * np.diag(matrix)])
    assert_close(evaluate(W[1, p] + p, arrays, {}, [(p, 3)], 1), [matrix[1] + np.arange(3)])


def test_translator_refuses_a_node_it_does_not_know() -> None:
    x = sp.IndexedBase("x")
    with pytest.raises(UnsupportedExpression, match="erf"):
        evaluate(sp.erf(x[p]), {x: Binding(np.zeros((1, 2)), batched=True)}, {}, [(p, 2)], 1)


# --- derivation ---------------------------------------------------------------------------------


def test_tidy_drops_index_range_guards_but_keeps_conditions_on_data() -> None:
    x, n = sp.IndexedBase("x"), sp.Symbol("n", integer=True, positive=True)
    guarded = sp.Piecewise((x[p], p <= n - 1), (0, True))
    on_data = sp.Piecewise((x[p], x[p] > 0), (0, True))
    assert symbolic_derive.tidy(guarded) == x[p]
    assert symbolic_derive.tidy(on_data) == on_data


def test_each_op_is_derived_once_whatever_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    diff = sp.diff
    monkeypatch.setattr(sp, "diff", lambda *args: calls.append(args) or diff(*args))
    symbolic_derive.clear_cache()
    layers: list[Layer] = [Linear(out=5), Tanh(), Linear(out=2)]
    symbolic.gradients(build(layers, HalfSquaredError(), n0=5))
    narrow = len(calls)
    wide: list[Layer] = [Linear(out=200), Tanh(), Linear(out=2)]
    symbolic.gradients(build(wide, HalfSquaredError(), n0=200))
    assert narrow > 0
    assert len(calls) == narrow


def test_derivation_gives_the_notes_closed_form_for_tanh_and_half_squared_error() -> None:
    problem = build([Linear(out=2), Tanh()], HalfSquaredError(), wrt=("W0",))
    derivation = symbolic.derivation(problem)
    closed = next(f for f in derivation.gradients if "closed" in f.label)
    (per_example,) = [s.function for s in closed.rhs.atoms(sp.Sum) if s.has(sp.tanh)]
    z, y, x = (sp.IndexedBase(name) for name in ("z1", "y", "x"))
    expected = -(1 - sp.tanh(z[p]) ** 2) * (y[p] - sp.tanh(z[p])) * x[q]
    assert sp.simplify(per_example - expected) == 0
    assert "δ" in derivation.pretty() and "tanh" in derivation.pretty()
    assert r"\tanh" in derivation.latex()
