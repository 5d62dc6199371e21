"""The layouts table of ``claims/layout.py``: the shape of ∂f/∂v for f scalar or vector and v
scalar, vector or matrix, in the gradient and the jacobian layout — and the cases that have no
matrix form at all. Sizes are all different (p = 4 outputs, n = 3, m × n = 2 × 3) so that no
shape can be right by accident."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
import sympy as sp

from gradcheck_cli.claims import layout as layout_module
from gradcheck_cli.claims.oneliner import question
from gradcheck_cli.claims.question import derive
from gradcheck_cli.errors import GradcheckError

P, N, M = 4, 3, 2

#: (f kind, wrt kind, f, wrt, variables, gradient shape, jacobian shape) — worked out by hand:
#: the gradient layout has the shape of the variable (per output, outputs along the columns),
#: the jacobian layout has one row per output and one column per entry of the variable.
TABLE = [
    ("scalar", "scalar", "s**3", "s", ["s=scalar"], (1, 1), (1, 1)),
    ("scalar", "vector", "c.T @ x", "x", ["c=3", "x=3"], (N, 1), (1, N)),
    ("scalar", "matrix", "sum(C * X)", "X", ["C=2x3", "X=2x3"], (M, N), (N, M)),
    ("vector", "scalar", "s * v", "s", ["s=scalar", "v=4"], (1, P), (P, 1)),
    ("vector", "vector", "B @ x", "x", ["B=4x3", "x=3"], (N, P), (P, N)),
]


def derived_truth(f: str, wrt: str, variables: Sequence[str], layout: str) -> sp.Matrix:
    return derive(question(f, wrt=wrt, variables=variables, layout=layout)).truth  # type: ignore[arg-type]


@pytest.mark.parametrize("layout", ["gradient", "jacobian"])
@pytest.mark.parametrize(("f_kind", "wrt_kind", "f", "wrt", "variables", "gradient", "jacobian"), TABLE,
                         ids=[f"{row[0]}-by-{row[1]}" for row in TABLE])
def test_the_derivative_has_the_shape_the_layouts_table_gives(
    f_kind: str, wrt_kind: str, f: str, wrt: str, variables: list[str],
    gradient: tuple[int, int], jacobian: tuple[int, int], layout: str,
) -> None:
    truth = derived_truth(f, wrt, variables, layout)
    assert truth.shape == (gradient if layout == "gradient" else jacobian)


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


@pytest.mark.parametrize("layout", ["gradient", "jacobian"])
def test_a_vector_by_a_matrix_is_a_clean_error_naming_the_3_tensor(layout: str) -> None:
    q = question("W @ x", wrt="W", variables=["W=4x3", "x=3"], layout=layout)  # type: ignore[arg-type]
    with pytest.raises(GradcheckError, match="3-tensor"):
        derive(q)


def test_a_matrix_valued_f_is_a_clean_error() -> None:
    q = question("outer(x, x)", wrt="x", variables=["x=3"])
    with pytest.raises(GradcheckError, match="scalar or a vector"):
        derive(q)


def test_the_modules_table_documents_the_same_shapes() -> None:
    """The docstring table (the user-facing reference) agrees with the shapes checked above."""
    doc = layout_module.__doc__ or ""
    rows = [line for line in doc.splitlines() if line.startswith("|") and "×" in line]
    sizes = {"p": P, "n": N, "m": M}

    def shape(cell: str) -> tuple[int, int]:
        a, b = (part.strip() for part in cell.split("×"))
        return (sizes.get(a) or int(a), sizes.get(b) or int(b))

    documented = []
    for row in rows:
        f_cell, wrt_cell, grad_cell, jac_cell = (c.strip() for c in row.strip("|").split("|"))
        f_kind = re.match(r"\w+", f_cell).group()  # type: ignore[union-attr]
        wrt_kind = re.match(r"\w+", wrt_cell).group()  # type: ignore[union-attr]
        documented.append((f_kind, wrt_kind, shape(grad_cell), shape(jac_cell)))
    assert documented == [(r[0], r[1], r[5], r[6]) for r in TABLE]
