"""The layouts table of ``claims/layout.py``: the shape of ∂f/∂v for f scalar, vector or matrix
and v scalar, vector or matrix, in the gradient and the jacobian layout, and the vec (column-major)
Jacobian of a vector or matrix f with respect to a matrix, against Kronecker products computed by
NumPy. Sizes are all different (p = 4 outputs, q = 5, n = 3, m × n = 2 × 3) so that no shape can
be right by accident."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest
import sympy as sp

from gradcheck_cli.claims import layout as layout_module
from gradcheck_cli.claims.oneliner import question
from gradcheck_cli.claims.question import derive

P, Q, N, M = 4, 5, 3, 2

#: (f kind, wrt kind, f, wrt, variables, gradient shape, jacobian shape) — worked out by hand:
#: the gradient layout has the shape of the variable (per output, outputs along the columns),
#: the jacobian layout has one row per output and one column per entry of the variable.
TABLE = [
    ("scalar", "scalar", "s**3", "s", ["s=scalar"], (1, 1), (1, 1)),
    ("scalar", "vector", "c.T @ x", "x", ["c=3", "x=3"], (N, 1), (1, N)),
    ("scalar", "matrix", "sum(C * X)", "X", ["C=2x3", "X=2x3"], (M, N), (N, M)),
    ("vector", "scalar", "s * v", "s", ["s=scalar", "v=4"], (1, P), (P, 1)),
    ("vector", "vector", "B @ x", "x", ["B=4x3", "x=3"], (N, P), (P, N)),
    ("vector", "matrix", "v * sum(X)", "X", ["v=4", "X=2x3"], (M * N, P), (P, M * N)),
    ("matrix", "matrix", "E @ X @ D", "X", ["E=4x2", "X=2x3", "D=3x5"], (M * N, P * Q), (P * Q, M * N)),
]


def derived_truth(f: str, wrt: str, variables: Sequence[str], layout: str) -> sp.Matrix:
    return derive(question(f, wrt=wrt, variables=variables, layout=layout)).truth  # type: ignore[arg-type]


@pytest.mark.parametrize("layout", ["gradient", "jacobian"])
@pytest.mark.parametrize(("f_kind", "wrt_kind", "f", "wrt", "variables", "gradient", "jacobian"), TABLE,
                         ids=[f"{row[0]}-by-{row[1]}" for row in TABLE])
def test_the_derivative_has_the_shape_the_layouts_table_gives_also_without_sympy(
    f_kind: str, wrt_kind: str, f: str, wrt: str, variables: list[str],
    gradient: tuple[int, int], jacobian: tuple[int, int], layout: str,
) -> None:
    q = question(f, wrt=wrt, variables=variables, layout=layout)  # type: ignore[arg-type]
    want = gradient if layout == "gradient" else jacobian
    assert derive(q).truth.shape == want
    assert layout_module.derivative_shape(q.f.shape, q.variables[wrt], q.layout) == want


@pytest.mark.parametrize(("f_kind", "wrt_kind", "f", "wrt", "variables", "gradient", "jacobian"), TABLE,
                         ids=[f"{row[0]}-by-{row[1]}" for row in TABLE])
def test_the_two_layouts_are_transposes_of_each_other(
    f_kind: str, wrt_kind: str, f: str, wrt: str, variables: list[str],
    gradient: tuple[int, int], jacobian: tuple[int, int],
) -> None:
    g = derived_truth(f, wrt, variables, "gradient")
    j = derived_truth(f, wrt, variables, "jacobian")
    assert j == g.T


def symbols_of(name: str, rows: int, cols: int) -> sp.Matrix:
    """The library's naming of entries (A_i_j, x_i) — only to compare with hand-derived values."""
    if cols == 1:
        return sp.Matrix(rows, 1, [sp.Symbol(f"{name}_{i}", real=True) for i in range(rows)])
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}", real=True))


def test_the_entries_follow_the_layout_not_just_the_shape() -> None:
    """By hand: ∂(Bx)/∂x = B (jacobian), Bᵀ (gradient); ∂ΣCᵢⱼXᵢⱼ/∂X = C (gradient), Cᵀ (jacobian);
    ∂(s v)/∂s = v (jacobian, a column), vᵀ (gradient, a row)."""
    B, C, v = symbols_of("B", P, N), symbols_of("C", M, N), symbols_of("v", P, 1)
    assert derived_truth("B @ x", "x", ["B=4x3", "x=3"], "jacobian") == B
    assert derived_truth("B @ x", "x", ["B=4x3", "x=3"], "gradient") == B.T
    assert derived_truth("sum(C * X)", "X", ["C=2x3", "X=2x3"], "gradient") == C
    assert derived_truth("sum(C * X)", "X", ["C=2x3", "X=2x3"], "jacobian") == C.T
    assert derived_truth("s * v", "s", ["s=scalar", "v=4"], "jacobian") == v
    assert derived_truth("s * v", "s", ["s=scalar", "v=4"], "gradient") == v.T


def numeric(truth: sp.Matrix, values: dict[str, np.ndarray]) -> np.ndarray:
    """The derived matrix at a point, the variables' entries substituted by the library's naming."""
    subs = {}
    for name, value in values.items():
        rows, cols = value.shape
        subs.update(zip(symbols_of(name, rows, cols), value.reshape(-1), strict=True))
    return np.array(truth.xreplace(subs).evalf(), dtype=float)


POINT = np.random.default_rng(7)
A_VALUE, X_VALUE, B_VALUE = POINT.normal(size=(P, N)), POINT.normal(size=(N, 1)), POINT.normal(size=(P, 1))


def test_a_linear_map_by_its_matrix_is_the_kronecker_product_of_x_transposed_and_the_identity() -> None:
    """vec(A x) = (xᵀ ⊗ I) vec(A) (Magnus & Neudecker), so ∂(Ax + b)/∂A = kron(xᵀ, I)."""
    variables = ["A=4x3", "x=3", "b=4"]
    values = {"A": A_VALUE, "x": X_VALUE, "b": B_VALUE}
    expected = np.kron(X_VALUE.T, np.eye(P))
    jacobian = derived_truth("A @ x + b", "A", variables, "jacobian")
    assert jacobian.shape == (P, P * N)
    assert np.allclose(numeric(jacobian, values), expected)
    gradient = derived_truth("A @ x + b", "A", variables, "gradient")
    assert np.allclose(numeric(gradient, values), expected.T)


def test_the_tanh_layer_by_its_matrix_is_the_slides_chain_of_jacobians() -> None:
    """∂tanh(z)/∂A = diag(1 − tanh²(z)) ∂z/∂A with z = Ax + b."""
    values = {"A": A_VALUE, "x": X_VALUE, "b": B_VALUE}
    z = A_VALUE @ X_VALUE + B_VALUE
    expected = np.diag(1 - np.tanh(z[:, 0]) ** 2) @ np.kron(X_VALUE.T, np.eye(P))
    jacobian = derived_truth("tanh(A @ x + b)", "A", ["A=4x3", "x=3", "b=4"], "jacobian")
    assert np.allclose(numeric(jacobian, values), expected)


def test_the_columns_of_the_jacobian_follow_vec_column_by_column() -> None:
    """Column k of ∂(Ax)/∂A belongs to A[k mod m, k div m]: here k = 1 is A[1, 0], so only the
    output row 1 moves, by x₀ (row-major order would have made it A[0, 1] and row 0, by x₁)."""
    jacobian = numeric(derived_truth("A @ x", "A", ["A=4x3", "x=3"], "jacobian"),
                       {"A": A_VALUE, "x": X_VALUE})
    column = np.zeros(P)
    column[1] = X_VALUE[0, 0]
    assert np.array_equal(jacobian[:, 1], column)


def test_a_matrix_product_by_its_middle_factor_is_the_kronecker_product_of_the_outer_factors() -> None:
    """vec(E X D) = (Dᵀ ⊗ E) vec(X), with vec(F) of the 4×5 result column-major too."""
    rng = np.random.default_rng(11)
    values = {"E": rng.normal(size=(P, M)), "X": rng.normal(size=(M, N)), "D": rng.normal(size=(N, Q))}
    jacobian = derived_truth("E @ X @ D", "X", ["E=4x2", "X=2x3", "D=3x5"], "jacobian")
    assert np.allclose(numeric(jacobian, values), np.kron(values["D"].T, values["E"]))


def test_the_modules_table_documents_the_same_shapes() -> None:
    """The docstring table (the user-facing reference) agrees with the shapes checked above."""
    doc = layout_module.__doc__ or ""
    rows = [line for line in doc.splitlines() if line.startswith("|") and "×" in line]
    sizes = {"p": P, "q": Q, "n": N, "m": M}

    def size(text: str) -> int:
        factors = text.strip().strip("()").split("·")
        return int(np.prod([sizes.get(f) or int(f) for f in factors]))

    def shape(cell: str) -> tuple[int, int]:
        a, b = cell.split("×")
        return (size(a), size(b))

    documented = []
    for row in rows:
        f_cell, wrt_cell, grad_cell, jac_cell = (c.strip() for c in row.strip("|").split("|"))
        f_kind = re.match(r"\w+", f_cell).group()  # type: ignore[union-attr]
        wrt_kind = re.match(r"\w+", wrt_cell).group()  # type: ignore[union-attr]
        documented.append((f_kind, wrt_kind, shape(grad_cell), shape(jac_cell)))
    assert documented == [(r[0], r[1], r[5], r[6]) for r in TABLE]


def test_a_matrix_valued_f_by_a_vector_is_the_jacobian_of_its_vec() -> None:
    """d vec(x xᵀ) = (x ⊗ I + I ⊗ x) dx (Magnus & Neudecker), a 9 × 3 Jacobian for x of 3."""
    x = np.random.default_rng(5).normal(size=(N, 1))
    expected = np.kron(x, np.eye(N)) + np.kron(np.eye(N), x)
    jacobian = derived_truth("outer(x, x)", "x", ["x=3"], "jacobian")
    assert np.allclose(numeric(jacobian, {"x": x}), expected)

