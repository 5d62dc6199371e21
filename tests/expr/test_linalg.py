"""Matrix functions: kron and vec against hand-computed values, in both evaluations."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from gradcheck_cli.expr import Shape, compile_expr, to_numpy, to_sympy, variable_symbols

VARIABLES: dict[str, Shape] = {"P": (2, 2), "Q": (2, 2), "R": (2, 3), "c": (3, 1)}
SYMBOLS = {name: variable_symbols(name, shape) for name, shape in VARIABLES.items()}
VALUES = {
    "P": np.array([[1.0, 2.0], [3.0, 4.0]]),
    "Q": np.array([[0.0, 5.0], [6.0, 7.0]]),
    "R": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    "c": np.array([[1.0], [2.0], [3.0]]),
}


def both(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The NumPy value and the SymPy value (substituted) of an expression at ``VALUES``."""
    expr = compile_expr(text, VARIABLES)
    pairs: dict[Any, float] = {}
    for name, symbols in SYMBOLS.items():
        pairs.update(zip(symbols, VALUES[name].ravel(), strict=True))
    symbolic = np.array(to_sympy(expr, SYMBOLS).xreplace(pairs), dtype=np.float64)
    return to_numpy(expr, VALUES), symbolic


def test_kron_of_two_small_matrices_is_the_block_matrix_written_out_by_hand() -> None:
    expected = [[0, 5, 0, 10], [6, 7, 12, 14], [0, 15, 0, 20], [18, 21, 24, 28]]
    for value in both("kron(P, Q)"):
        assert value.tolist() == expected


def test_kron_of_a_row_and_a_column_is_their_outer_product() -> None:
    for value in both("kron(c.T, R[0, 1] * c)"):
        assert value.tolist() == (2 * VALUES["c"] @ VALUES["c"].T).tolist()


def test_every_sympy_entry_of_kron_is_an_entry_of_a_times_an_entry_of_b() -> None:
    a, b = SYMBOLS["R"], SYMBOLS["P"]
    product = to_sympy(compile_expr("kron(R, P)", VARIABLES), SYMBOLS)
    assert product.shape == (4, 6)
    for i in range(2):
        for j in range(3):
            for k in range(2):
                for q in range(2):
                    assert product[i * 2 + k, j * 2 + q] == a[i, j] * b[k, q]


def test_vec_stacks_the_columns_of_a_matrix() -> None:
    for value in both("vec(R)"):
        assert value.ravel().tolist() == [1, 4, 2, 5, 3, 6]
    assert list(to_sympy(compile_expr("vec(R)", VARIABLES), SYMBOLS)) == [
        sp.Symbol(f"R_{i}_{j}", real=True) for j in range(3) for i in range(2)
    ]


def test_vec_of_a_row_or_a_column_is_it_as_a_column() -> None:
    for text in ("vec(c)", "vec(c.T)"):
        for value in both(text):
            assert value.tolist() == [[1], [2], [3]]


def test_vec_of_a_kronecker_product_obeys_the_vec_trick() -> None:
    # vec(A X B) = (Bᵀ ⊗ A) vec(X), Magnus & Neudecker's identity, with X = R, A = P, B = R.T @ Q
    for left, right in zip(both("vec(P @ R @ (R.T @ Q))"), both("kron((R.T @ Q).T, P) @ vec(R)"),
                           strict=True):
        np.testing.assert_allclose(left, right, rtol=1e-12)
