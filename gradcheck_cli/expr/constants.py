"""Numbers in expressions: literals, and the folding of constant sub-expressions.

A constant sub-expression (literals, ``pi``, ``+ - * / **`` of them) is evaluated in floating
point only to check it: an exponent must be a constant of bounded size, and no constant may
overflow or divide by zero. The tree keeps the literals, so SymPy sees exact values.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

from gradcheck_cli.expr.limits import MAX_LITERAL
from gradcheck_cli.expr.nodes import SCALAR, Binary, Expr, Negate, Number, Pi, Power, Problem, located

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
        return None if base is None else finite(expr, math.pow, base, expr.value)
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
