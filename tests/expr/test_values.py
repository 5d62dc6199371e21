"""Evaluating expressions: NumPy values against hand-written NumPy, SymPy against NumPy."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradcheck_cli.expr import (
    FUNCTIONS,
    ExprError,
    Shape,
    compile_expr,
    to_numpy,
    to_sympy,
    variable_symbols,
)

Arrays = dict[str, np.ndarray]

VARIABLES: dict[str, Shape] = {
    "A": (2, 3), "x": (3, 1), "y": (2, 1), "M": (3, 4), "s": (1, 1), "u": (4, 1), "r": (1, 4),
    "S": (3, 3),
}
SYMBOLS = {name: variable_symbols(name, shape) for name, shape in VARIABLES.items()}


def spd(matrix: np.ndarray) -> np.ndarray:
    """A symmetric positive definite matrix made from any square one: B Bᵀ + n I."""
    return np.asarray(matrix @ matrix.T + matrix.shape[0] * np.eye(matrix.shape[0]))


def random_values(seed: int) -> Arrays:
    rng = np.random.default_rng(seed)
    values = {name: rng.normal(size=shape) for name, shape in VARIABLES.items()}
    values["S"] = spd(values["S"])
    return values


def softmax_columns(m: np.ndarray) -> np.ndarray:
    e = np.exp(m)
    return np.asarray(e / e.sum(axis=0))


#: (expression, the same computation written by hand in NumPy). Together these use every
#: operator and every function of the language (checked by the test below the table).
HAND: list[tuple[str, Callable[[Arrays], np.ndarray]]] = [
    ("A @ x", lambda v: v["A"] @ v["x"]),
    ("-(y - A @ x).T @ A", lambda v: -(v["y"] - v["A"] @ v["x"]).T @ v["A"]),
    ("x + 2 * x - x / 4", lambda v: v["x"] + 2 * v["x"] - v["x"] / 4),
    ("s * M + s / M - 1", lambda v: v["s"] * v["M"] + v["s"] / v["M"] - 1),
    ("M * M / (1 + M ** 2)", lambda v: v["M"] * v["M"] / (1 + v["M"] ** 2)),
    ("x ** 3 + abs(x) ** 0.5 + (1 + x ** 2) ** -1", lambda v: v["x"] ** 3 + np.abs(v["x"]) ** 0.5
     + 1 / (1 + v["x"] ** 2)),
    ("x.T", lambda v: v["x"].T),
    ("x[1] * M[2, 3] + r[0]", lambda v: v["x"][1:2] * v["M"][2, 3] + v["r"][0, 0]),
    ("pi * s", lambda v: np.pi * v["s"]),
    ("exp(M)", lambda v: np.exp(v["M"])),
    ("log(1 + exp(M))", lambda v: np.log(1 + np.exp(v["M"]))),
    ("sqrt(1 + M ** 2)", lambda v: np.sqrt(1 + v["M"] ** 2)),
    ("sin(M) + cos(M)", lambda v: np.sin(v["M"]) + np.cos(v["M"])),
    ("tanh(M)", lambda v: np.tanh(v["M"])),
    ("sigmoid(M)", lambda v: 1 / (1 + np.exp(-v["M"]))),
    ("relu(M)", lambda v: np.where(v["M"] > 0, v["M"], 0.0)),
    ("softplus(M)", lambda v: np.log1p(np.exp(v["M"]))),
    ("abs(M) * sign(M)", lambda v: v["M"]),
    ("step(M)", lambda v: (v["M"] > 0).astype(float)),
    ("softmax(u)", lambda v: softmax_columns(v["u"])),
    ("softmax(r)", lambda v: softmax_columns(v["r"].T).T),
    ("softmax(M)", lambda v: softmax_columns(v["M"])),
    ("logsumexp(u)", lambda v: np.log(np.exp(v["u"]).sum()).reshape(1, 1)),
    ("logsumexp(M)", lambda v: np.log(np.exp(v["M"]).sum(axis=0, keepdims=True))),
    ("sum(M)", lambda v: np.full((1, 1), v["M"].sum())),
    ("sum(M, 0)", lambda v: v["M"].sum(axis=0, keepdims=True)),
    ("sum(M, axis=1)", lambda v: v["M"].sum(axis=1, keepdims=True)),
    ("mean(M)", lambda v: np.full((1, 1), v["M"].mean())),
    ("mean(M, 0)", lambda v: v["M"].mean(axis=0, keepdims=True)),
    ("mean(M, axis=1)", lambda v: v["M"].mean(axis=1, keepdims=True)),
    ("norm(x)", lambda v: np.full((1, 1), np.sqrt((v["x"] ** 2).sum()))),
    ("norm(M)", lambda v: np.full((1, 1), np.sqrt((v["M"] ** 2).sum()))),
    ("trace(S)", lambda v: np.full((1, 1), np.trace(v["S"]))),
    ("det(S)", lambda v: np.full((1, 1), np.linalg.det(v["S"]))),
    ("logdet(S)", lambda v: np.full((1, 1), np.log(np.linalg.det(v["S"])))),
    ("inv(S)", lambda v: np.linalg.inv(v["S"])),
    ("inv(S).T * det(S)", lambda v: np.linalg.inv(v["S"]).T * np.linalg.det(v["S"])),
    ("diag(x)", lambda v: np.diag(v["x"][:, 0])),
    ("diag(r)", lambda v: np.diag(v["r"][0])),
    ("diag(S)", lambda v: np.diag(v["S"]).reshape(3, 1)),
    ("outer(x, u)", lambda v: v["x"] @ v["u"].T),
    ("eye(3) @ x + ones(3)", lambda v: v["x"] + 1),
    ("ones(2, 4) * s", lambda v: np.full((2, 4), v["s"][0, 0])),
    ("vec(s, x[2], 3)", lambda v: np.array([[v["s"][0, 0]], [v["x"][2, 0]], [3.0]])),
    ("vec(M)", lambda v: v["M"].reshape(-1, 1, order="F")),
    ("vec(r) + vec(u.T) - vec(x[1])", lambda v: v["r"].T + v["u"] - v["x"][1, 0]),
    ("kron(A, x)", lambda v: np.kron(v["A"], v["x"])),
    ("kron(r, S)", lambda v: np.kron(v["r"], v["S"])),
    ("kron(S, s) - S * s", lambda v: np.zeros((3, 3))),
    ("maximum(M, x) + minimum(r, M)", lambda v: np.maximum(v["M"], v["x"]) + np.minimum(v["r"], v["M"])),
    ("max(x, 0) - min(s, x)", lambda v: np.where(v["x"] > 0, v["x"], 0) - np.minimum(v["s"], v["x"])),
    ("σ(M) - ln(exp(M)) + tr(S)", lambda v: 1 / (1 + np.exp(-v["M"])) - v["M"] + np.trace(v["S"])),
    ("[[1, 2, 3], [4, 5, 6]] @ x + [1, -2]", lambda v: np.array([[1, 2, 3], [4, 5, 6]]) @ v["x"]
     + np.array([[1], [-2]])),
    ("M * [0.5, -1, 2] - [[1, 2, 3, 4]] + x ** [2]", lambda v: v["M"] * np.array([[0.5], [-1], [2]])
     - np.array([1, 2, 3, 4]) + v["x"] ** 2),
    ("abs(M) ** s + 2 ** s * x - abs(u).T ** (s ** 2)", lambda v: np.abs(v["M"]) ** v["s"]
     + 2 ** v["s"] * v["x"] - np.abs(v["u"]).T ** (v["s"] ** 2)),
    ("S ** -1 + A.T ^ -2 @ y", lambda v: 1 / v["S"] + (1 / v["A"].T ** 2) @ v["y"]),
    ("M + x", lambda v: v["M"] + v["x"]),
    ("r - M", lambda v: v["r"] - v["M"]),
    ("x * M / r", lambda v: v["x"] * v["M"] / v["r"]),
    ("A @ M + y - mean(M, 0)", lambda v: v["A"] @ v["M"] + v["y"] - v["M"].mean(axis=0)),
]


@pytest.mark.parametrize(("text", "hand"), HAND, ids=[text for text, _ in HAND])
def test_numpy_evaluation_agrees_with_numpy_written_by_hand(text: str, hand: Callable[[Arrays], Any]) -> None:
    values = random_values(seed=len(text))
    expr = compile_expr(text, VARIABLES)
    result = to_numpy(expr, values)
    assert result.shape == expr.shape
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, hand(values), rtol=1e-12, atol=1e-12)


def test_the_hand_written_table_uses_every_function_of_the_language() -> None:
    used = {name for name in FUNCTIONS for text, _ in HAND if f"{name}(" in text}
    assert used == set(FUNCTIONS)


@cache
def lambdified(text: str) -> Callable[..., Any]:
    """The SymPy value of an expression, turned into a NumPy function of all the entries."""
    matrix = to_sympy(compile_expr(text, VARIABLES), SYMBOLS)
    assert matrix.shape == compile_expr(text, VARIABLES).shape
    entries = [symbol for name in VARIABLES for symbol in SYMBOLS[name]]
    return sp.lambdify(entries, matrix, modules="numpy")  # type: ignore[no-any-return]


def entries_of(values: Arrays) -> list[float]:
    return [float(e) for name in VARIABLES for e in values[name].ravel()]


def drawn_values(draw: st.DrawFn) -> Arrays:
    """Random values from hypothesis, moderate in size so every formula is well conditioned."""
    sizes = [rows * cols for rows, cols in VARIABLES.values()]
    magnitudes = draw(arrays(np.float64, sum(sizes), elements=st.floats(0.01, 3.0)))
    signs = draw(arrays(np.bool_, sum(sizes)))
    flat = np.split(np.where(signs, magnitudes, -magnitudes), np.cumsum(sizes)[:-1])
    values = {name: part.reshape(shape) for (name, shape), part in zip(VARIABLES.items(), flat, strict=True)}
    values["S"] = spd(values["S"])
    return values


@pytest.mark.parametrize("text", [text for text, _ in HAND])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_sympy_evaluation_agrees_with_numpy_evaluation_at_random_values(
    text: str, data: st.DataObject
) -> None:
    values = data.draw(st.composite(drawn_values)())
    symbolic = np.array(lambdified(text)(*entries_of(values)), dtype=np.float64)
    numeric = to_numpy(compile_expr(text, VARIABLES), values)
    np.testing.assert_allclose(symbolic, numeric, rtol=1e-9, atol=1e-9)


def test_sympy_evaluation_substitutes_to_the_same_value() -> None:
    values = random_values(seed=1)
    expr = compile_expr("-(y - A @ x).T @ A + sum(sigmoid(A), 0)", VARIABLES)
    matrix = to_sympy(expr, SYMBOLS)
    pairs = {
        symbol: float(e)
        for name in VARIABLES
        for symbol, e in zip(SYMBOLS[name], values[name].ravel(), strict=True)
    }
    substituted = np.array(matrix.subs(pairs).evalf(), dtype=np.float64)
    np.testing.assert_allclose(substituted, to_numpy(expr, values), rtol=1e-12)


def test_decimal_literals_are_exact_in_sympy() -> None:
    matrix = to_sympy(compile_expr("0.1 * s + 1e-3", VARIABLES), SYMBOLS)
    assert matrix[0, 0] == sp.Rational(1, 10) * SYMBOLS["s"][0, 0] + sp.Rational(1, 1000)


def test_sympy_results_are_left_unsimplified() -> None:
    matrix = to_sympy(compile_expr("s - s + 0 * s", VARIABLES), SYMBOLS)
    assert matrix[0, 0] == 0  # SymPy's automatic evaluation, not a simplify call, cancels this
    matrix = to_sympy(compile_expr("exp(log(s))", VARIABLES), SYMBOLS)
    assert matrix[0, 0] == sp.exp(sp.log(SYMBOLS["s"][0, 0]))


def test_a_column_broadcasts_along_the_columns_and_a_row_down_the_rows_in_sympy() -> None:
    m, x, r = SYMBOLS["M"], SYMBOLS["x"], SYMBOLS["r"]
    column = to_sympy(compile_expr("M + x", VARIABLES), SYMBOLS)
    row = to_sympy(compile_expr("r - M", VARIABLES), SYMBOLS)
    for i in range(3):
        for j in range(4):
            assert column[i, j] == m[i, j] + x[i, 0]
            assert row[i, j] == r[0, j] - m[i, j]


def test_maximum_and_minimum_of_known_values_in_both_evaluations() -> None:
    variables: dict[str, Shape] = {"x": (3, 1), "s": (1, 1)}
    symbols = {name: variable_symbols(name, shape) for name, shape in variables.items()}
    values = {"x": np.array([[-1.0], [0.5], [2.0]]), "s": np.array([[1.0]])}
    pairs = {symbols["x"][i, 0]: values["x"][i, 0] for i in range(3)} | {symbols["s"][0, 0]: 1.0}
    for text, expected in (("max(x, 0)", [0.0, 0.5, 2.0]), ("minimum(s, x)", [-1.0, 0.5, 1.0]),
                           ("maximum(x, s) - min(x, s)", [2.0, 0.5, 1.0])):
        expr = compile_expr(text, variables)
        assert to_numpy(expr, values).ravel().tolist() == expected
        symbolic = to_sympy(expr, symbols).xreplace(pairs)
        assert [float(e) for e in symbolic] == expected


def test_a_matrix_literal_keeps_its_numbers_as_written_and_is_exact_in_sympy() -> None:
    literal = compile_expr("[[1, -2, 0.1], [1/4, -pi, 2 ** 3]]", VARIABLES)
    assert literal.values == ((1, -2, 0.1), (0.25, -np.pi, 8.0))  # type: ignore[attr-defined]
    assert [type(e) for e in literal.values[0]] == [int, int, float]  # type: ignore[attr-defined]
    matrix = to_sympy(literal, SYMBOLS)
    assert matrix[0, :].tolist() == [[1, -2, sp.Rational(1, 10)]]
    assert matrix[1, 0] == sp.Rational(1, 4)
    assert to_numpy(literal, {}).tolist() == [[1.0, -2.0, 0.1], [0.25, -np.pi, 8.0]]


def test_a_flat_list_is_a_column_like_a_one_dimensional_numpy_array() -> None:
    column = compile_expr("[1, 2, 3]", VARIABLES)
    assert column.shape == (3, 1)
    assert to_numpy(column, {}).tolist() == [[1.0], [2.0], [3.0]]


def test_a_matrix_to_the_power_minus_one_is_entrywise_not_the_inverse() -> None:
    values = {"S": np.array([[2.0, 1.0, 0.0], [1.0, 4.0, 0.0], [0.0, 0.0, 5.0]])}
    reciprocal = to_numpy(compile_expr("S ** -1", VARIABLES), values)
    assert reciprocal[0].tolist() == [0.5, 1.0, np.inf]
    assert not np.allclose(to_numpy(compile_expr("S ^ -1 - inv(S)", VARIABLES), values), 0.0)


def test_a_scalar_variable_as_exponent_is_kept_symbolic_and_has_no_folded_value() -> None:
    power = compile_expr("x ** s", VARIABLES)
    assert power.value is None  # type: ignore[attr-defined]
    assert compile_expr("x ** (1 / 2)", VARIABLES).value == 0.5  # type: ignore[attr-defined]
    assert to_sympy(power, SYMBOLS)[1, 0] == SYMBOLS["x"][1, 0] ** SYMBOLS["s"][0, 0]
    values = {"x": np.array([[1.0], [2.0], [3.0]]), "s": np.array([[3.0]])}
    assert to_numpy(power, values).ravel().tolist() == [1.0, 8.0, 27.0]


def test_step_is_zero_at_zero_in_both_evaluations() -> None:
    expr = compile_expr("step(s)", VARIABLES)
    assert to_numpy(expr, {"s": np.zeros((1, 1))})[0, 0] == 0.0
    assert to_sympy(expr, SYMBOLS)[0, 0].subs(SYMBOLS["s"][0, 0], 0) == 0


def test_a_let_evaluates_to_its_substituted_expression() -> None:
    variables: dict[str, Shape] = {"W": (4, 3), "x": (3, 1), "b1": (4, 1)}
    z = compile_expr("W @ x + b1", variables)
    lets = {"z": z, "a": compile_expr("tanh(z)", variables, {"z": z})}
    with_lets = compile_expr("a.T @ a + sum(z)", variables, lets)
    inline = compile_expr("tanh(W @ x + b1).T @ tanh(W @ x + b1) + sum(W @ x + b1)", variables)
    symbols = {name: variable_symbols(name, shape) for name, shape in variables.items()}
    assert to_sympy(with_lets, symbols) == to_sympy(inline, symbols)
    rng = np.random.default_rng(3)
    values = {name: rng.normal(size=shape) for name, shape in variables.items()}
    np.testing.assert_allclose(to_numpy(with_lets, values), to_numpy(inline, values), rtol=1e-14)


def test_a_let_used_many_times_is_evaluated_once() -> None:
    variables: dict[str, Shape] = {"x": (2, 1)}
    lets = {"z0": compile_expr("x", variables)}
    for k in range(1, 40):  # each let uses the previous one twice: 2**40 paths without sharing
        lets[f"z{k}"] = compile_expr(f"z{k - 1} + z{k - 1}", variables, lets)
    top = compile_expr("z39", variables, lets)
    np.testing.assert_allclose(to_numpy(top, {"x": np.ones((2, 1))}), np.full((2, 1), 2.0**39))
    assert to_sympy(top, {"x": variable_symbols("x", (2, 1))})[0, 0] == 2**39 * sp.Symbol("x_0", real=True)


def test_matrix_functions_of_a_random_spd_matrix_obey_their_identities() -> None:
    values = random_values(seed=7)
    s = values["S"]
    inverse = to_numpy(compile_expr("inv(S) @ S", VARIABLES), values)
    np.testing.assert_allclose(inverse, np.eye(3), atol=1e-12)
    logdet = to_numpy(compile_expr("logdet(S) - log(det(S))", VARIABLES), values)
    np.testing.assert_allclose(logdet, 0.0, atol=1e-12)
    trace = to_numpy(compile_expr("trace(S) - sum(diag(S))", VARIABLES), values)
    np.testing.assert_allclose(trace, 0.0, atol=1e-12)
    symbolic = to_sympy(compile_expr("inv(S) * det(S)", VARIABLES), SYMBOLS)
    assert symbolic.shape == (3, 3)
    np.testing.assert_allclose(np.linalg.eigvalsh(s) > 0, True)


def test_softmax_logsumexp_and_sigmoid_are_stable_for_large_arguments() -> None:
    u = np.array([[1000.0], [999.0], [-1000.0], [0.0]])
    values = {"u": u}
    variables: dict[str, Shape] = {"u": (4, 1)}
    probabilities = to_numpy(compile_expr("softmax(u)", variables), values)
    np.testing.assert_allclose(probabilities[:, 0], [1 / (1 + np.exp(-1)), 1 / (1 + np.e), 0.0, 0.0])
    lse = to_numpy(compile_expr("logsumexp(u)", variables), values)
    np.testing.assert_allclose(lse, [[1000.0 + np.log1p(np.exp(-1.0))]])
    sig = to_numpy(compile_expr("sigmoid(u)", variables), values)
    np.testing.assert_allclose(sig[:, 0], [1.0, 1.0, 0.0, 0.5])
    assert np.all(np.isfinite(to_numpy(compile_expr("softplus(u)", variables), values)))


def test_a_vector_may_be_supplied_as_a_flat_array() -> None:
    expr = compile_expr("x.T @ x", VARIABLES)
    assert to_numpy(expr, {"x": np.array([1.0, 2.0, 2.0])}).tolist() == [[9.0]]


@pytest.mark.parametrize(
    ("supplied", "message"),
    [
        ({"x": np.ones((1, 3))}, "has shape \\(1, 3\\) but x is 3×1"),
        ({}, "no value was supplied for the variable x"),
    ],
)
def test_a_missing_or_misshapen_value_is_an_expr_error(supplied: Arrays, message: str) -> None:
    with pytest.raises(ExprError, match=message):
        to_numpy(compile_expr("2 * x", VARIABLES), supplied)


def test_a_singular_matrix_has_no_inverse_in_either_evaluation() -> None:
    expr = compile_expr("inv(outer(x, x))", VARIABLES)
    with pytest.raises(ExprError, match="singular at these values") as caught:
        to_numpy(expr, {"x": np.ones((3, 1))})
    assert caught.value.column == 1
    with pytest.raises(ExprError, match="is singular, so it has no inverse"):
        to_sympy(expr, SYMBOLS)


@pytest.mark.parametrize(
    ("n", "texts"),
    [(2, ("det(T)", "inv(T)", "logdet(T)")), (5, ("det(T)", "inv(T)")), (6, ("det(T)", "logdet(T)"))],
)
def test_symbolic_det_and_inverse_agree_with_numpy_for_small_and_larger_matrices(
    n: int, texts: tuple[str, ...]
) -> None:
    variables: dict[str, Shape] = {"T": (n, n)}
    symbols = variable_symbols("T", (n, n))
    rng = np.random.default_rng(n)
    t = spd(rng.normal(size=(n, n)))
    pairs = dict(zip(symbols, t.ravel(), strict=True))
    for text in texts:  # 6×6 takes the Berkowitz branch; its symbolic inverse is slow to build
        expr = compile_expr(text, variables)
        symbolic = np.array(to_sympy(expr, {"T": symbols}).xreplace(pairs).evalf(), dtype=np.float64)
        np.testing.assert_allclose(symbolic, to_numpy(expr, {"T": t}), rtol=1e-9)
