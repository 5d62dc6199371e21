"""Numbers in expressions: literals, matrix literals, and the folding of constant sub-expressions.

A constant sub-expression (literals, ``pi``, ``+ - * / **`` of them) is evaluated in floating
point only to check it: an exponent must be a constant of bounded size, and no constant may
overflow or divide by zero. The tree keeps the literals, so SymPy sees exact values.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING

from gradcheck_cli.expr.limits import MAX_CONSTRUCTED_ENTRIES, MAX_LITERAL
from gradcheck_cli.expr.nodes import (
    SCALAR,
    Binary,
    Expr,
    Literal,
    Negate,
    Number,
    Pi,
    Power,
    Problem,
    located,
    show,
)

if TYPE_CHECKING:
    from gradcheck_cli.expr.parser import Builder

ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "@": operator.mul,
}


def literal_number(node: ast.Constant, where: tuple[int, str]) -> Number:
    """An int or float literal of size at most MAX_LITERAL; any other constant is refused."""
    column, text = where
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = {bool: "booleans", str: "strings", bytes: "bytes", complex: "complex numbers"}.get(
            type(value), f"`{text}`")
        raise located(text, column, f"{kind} are not allowed; only real numbers such as 2 or 0.5 are")
    if not abs(value) <= MAX_LITERAL:
        raise located(text, column, f"the number {text} is larger than {MAX_LITERAL:g} in size")
    return Number(shape=SCALAR, column=column, text=text, value=value)


def checked_constant(expr: Expr) -> float | None:
    """The value of a constant sub-expression, or None when it depends on a variable.

    Raises ``Problem`` when the constant overflows, divides by zero, or is not real.
    """
    if isinstance(expr, Number):
        return float(expr.value)
    if isinstance(expr, Pi):
        return math.pi
    if isinstance(expr, Literal) and expr.shape == SCALAR:
        return float(expr.values[0][0])
    if isinstance(expr, Negate):
        inner = checked_constant(expr.operand)
        return None if inner is None else -inner
    if isinstance(expr, Binary):
        left, right = checked_constant(expr.left), checked_constant(expr.right)
        if left is None or right is None:
            return None
        return finite(expr, ARITHMETIC[expr.op], left, right)
    if isinstance(expr, Power):
        base = checked_constant(expr.base)
        if base is None or expr.value is None:
            return None
        return finite(expr, math.pow, base, expr.value)
    return None


def finite(expr: Expr, function: Callable[[float, float], float], left: float, right: float) -> float:
    """``function(left, right)`` if it is a finite real number, else a ``Problem``."""
    try:
        value = function(left, right)
    except ZeroDivisionError:
        raise Problem("this constant divides by zero") from None
    except (OverflowError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise Problem("this constant is not a finite real number")
    return value


def build_literal(builder: Builder, node: ast.List) -> Literal:
    """``[[1, 2], [3, 4]]`` (a list of rows) or ``[1, 2, 3]`` (an n×1 column) of constant numbers."""
    if not node.elts:
        raise builder.fail(node, "an empty list is not a matrix; write its numbers, as in `[1, 2]`")
    nested = [isinstance(element, ast.List) for element in node.elts]
    if all(nested):
        rows = [literal_row(builder, element) for element in node.elts if isinstance(element, ast.List)]
        for element, row in zip(node.elts, rows, strict=True):
            if len(row) != len(rows[0]):
                raise builder.fail(element, f"this row has {entries(len(row))} but the first has "
                                            f"{len(rows[0])}; every row of a matrix has the same length")
        values = tuple(rows)
    elif any(nested):
        odd = node.elts[nested.index(not nested[0])]
        raise builder.fail(odd, "a matrix literal is a list of numbers (a column) or a list of rows "
                                "such as `[[1, 2], [3, 4]]`, not a mix of both")
    else:
        values = tuple((entry,) for entry in literal_row(builder, node))
    shape = (len(values), len(values[0]))
    if shape[0] * shape[1] > MAX_CONSTRUCTED_ENTRIES:
        raise builder.fail(node, f"a {show(shape)} matrix has more than {MAX_CONSTRUCTED_ENTRIES:,} entries")
    column, text = builder.where(node)
    return Literal(shape=shape, column=column, text=text, values=values)


def literal_row(builder: Builder, node: ast.List) -> tuple[float, ...]:
    """The entries of one row of a matrix literal (or of a column written flat)."""
    if not node.elts:
        raise builder.fail(node, "an empty row is not allowed; every row of a matrix has a number")
    return tuple(literal_entry(builder, element) for element in node.elts)


def literal_entry(builder: Builder, node: ast.expr) -> float:
    """One entry: a number as written (an int stays an int), or a constant such as ``1/2``."""
    if isinstance(node, ast.List):
        raise builder.fail(node, "a matrix literal has at most two levels of brackets, "
                                 "as in `[[1, 2], [3, 4]]`")
    entry = builder.build(node)
    if isinstance(entry, Number):
        return entry.value
    if isinstance(entry, Negate) and isinstance(entry.operand, Number):
        return -entry.operand.value
    value = checked_constant(entry) if entry.shape == SCALAR else None
    if value is None:
        raise builder.fail(node, "an entry of a matrix literal must be a constant number; for a "
                                 "column of scalars write `vec(a, b, …)`")
    return value


def entries(count: int) -> str:
    """"1 entry", "3 entries"."""
    return f"{count} entry" if count == 1 else f"{count} entries"
