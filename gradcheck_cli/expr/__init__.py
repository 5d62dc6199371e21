"""The expression language: NumPy-like formulas over variables with declared shapes.

Users write hand-derived gradients such as ``-(y - A @ x).T @ A`` or
``outer(softmax(theta) - y, h)``. ``compile_expr`` parses the text with a whitelist over
Python's ``ast`` (never ``eval``) into a typed tree whose every node has a 2-D shape (scalars
1×1, vectors n×1 columns); ``to_sympy`` and ``to_numpy`` evaluate the tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from gradcheck_cli.expr.evaluate import to_complex, to_numpy, to_sympy
from gradcheck_cli.expr.functions import FUNCTIONS
from gradcheck_cli.expr.nodes import Expr, ExprError, Shape
from gradcheck_cli.expr.parser import compile_expr

__all__ = [
    "FUNCTIONS",
    "Expr",
    "ExprError",
    "Shape",
    "compile_expr",
    "declared_shape",
    "to_complex",
    "to_numpy",
    "to_sympy",
    "variable_symbols",
]


def declared_shape(dims: Sequence[int]) -> Shape:
    """The 2-D shape of a declaration: ``[]`` → 1×1, ``[n]`` → n×1 (a column), ``[m, n]`` → m×n."""
    sizes = list(dims)
    if len(sizes) > 2 or any(type(d) is not int or d < 1 for d in sizes):
        raise ExprError(f"a shape is [], [n] or [m, n] with positive integer sizes, not {sizes!r}")
    if not sizes:
        return (1, 1)
    if len(sizes) == 1:
        return (sizes[0], 1)
    return (sizes[0], sizes[1])


def variable_symbols(name: str, shape: Shape) -> Any:
    """A ``sympy.Matrix`` of real symbols for a variable's entries, named readably.

    A scalar is the bare name ``x``; an n×1 vector has entries ``x_0 … x_{n-1}``; any other
    matrix has entries ``A_i_j`` (0-based, as in the expression language's indexing).
    """
    rows, cols = shape
    if (rows, cols) == (1, 1):
        return sp.Matrix([[sp.Symbol(name, real=True)]])
    if cols == 1:
        return sp.Matrix(rows, 1, [sp.Symbol(f"{name}_{i}", real=True) for i in range(rows)])
    return sp.Matrix(rows, cols, [sp.Symbol(f"{name}_{i}_{j}", real=True)
                                  for i in range(rows) for j in range(cols)])
