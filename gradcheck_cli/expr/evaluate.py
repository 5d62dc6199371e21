"""Evaluate a compiled tree to a SymPy matrix (exact, unsimplified) or to a NumPy array.

Both walk the tree bottom-up without recursion, evaluating each node once (a let used twice
is computed once), and apply the same shape conventions: every value is 2-D.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import sympy as sp

from gradcheck_cli.expr.functions import FUNCTIONS, Array, sympy_broadcast
from gradcheck_cli.expr.nodes import (
    Binary,
    Call,
    Expr,
    Index,
    LetRef,
    Literal,
    Negate,
    Number,
    Pi,
    Power,
    Problem,
    Transpose,
    Variable,
    located,
    show,
)

T = TypeVar("T")

ENTRYWISE: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}


def bottom_up(root: Expr, combine: Callable[[Expr, list[T]], T]) -> T:
    """``combine(node, values of its children)`` for every node, children first, each once."""
    memo: dict[int, T] = {}
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in memo:
            stack.pop()
            continue
        pending = [child for child in node.children() if id(child) not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        try:
            memo[id(node)] = combine(node, [memo[id(child)] for child in node.children()])
        except Problem as problem:
            error = located(node.text, node.column, problem.problem, hint=problem.hint)
            error.expression = root.text
            raise error from None
    return memo[id(root)]


def to_sympy(expr: Expr, symbols: Mapping[str, Any]) -> Any:
    """The value of ``expr`` as an explicit ``sympy.Matrix`` of ``expr.shape``.

    ``symbols`` maps each variable to a Matrix of its entries (see ``variable_symbols``).
    Literals are exact (``0.1`` is 1/10); nothing is simplified.
    """

    def combine(node: Expr, values: list[Any]) -> Any:
        return sympy_node(node, values, symbols)

    return bottom_up(expr, combine)


def sympy_node(node: Expr, values: Sequence[Any], symbols: Mapping[str, Any]) -> Any:
    """One node's SymPy value from its children's."""
    if isinstance(node, Variable):
        return supplied(node, symbols, sp.Matrix)
    if isinstance(node, Number):
        return sp.Matrix([[exact(node.value)]])
    if isinstance(node, Literal):
        return sp.Matrix([[exact(value) for value in row] for row in node.values])
    if isinstance(node, Pi):
        return sp.Matrix([[sp.pi]])
    if isinstance(node, Binary):
        left, right = values
        if node.op == "@":
            return left * right
        left, right = sympy_broadcast(left, node.shape), sympy_broadcast(right, node.shape)
        entries = [ENTRYWISE[node.op](a, b) for a, b in zip(left, right, strict=True)]
        return sp.Matrix(node.shape[0], node.shape[1], entries)
    if isinstance(node, Power):
        base, exponent = values
        return sp.Matrix(node.shape[0], node.shape[1], [entry ** exponent[0, 0] for entry in base])
    return common_node(node, values, sympy_call)


def exact(value: float) -> Any:
    """A number as SymPy's exact value of what is written: 0.1 is 1/10, 3 is the integer 3."""
    return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))


def sympy_call(node: Call, values: Sequence[Any]) -> Any:
    """A function's SymPy form."""
    return FUNCTIONS[node.function].sympy(values, node)


def to_numpy(expr: Expr, values: Mapping[str, Any]) -> Array:
    """The value of ``expr`` as a 2-D float64 array of ``expr.shape``.

    ``values`` maps each variable to an array of its declared 2-D shape (an n-vector may
    also be given as a 1-D array of n entries). Overflow gives inf or nan, silently.
    """

    def combine(node: Expr, children: list[Array]) -> Array:
        return numpy_node(node, children, values)

    with np.errstate(all="ignore"):
        result = bottom_up(expr, combine)
    return np.asarray(result, dtype=np.float64).reshape(expr.shape)


def numpy_node(node: Expr, values: Sequence[Array], arrays: Mapping[str, Any]) -> Array:
    """One node's NumPy value from its children's."""
    if isinstance(node, Variable):
        return numpy_value(supplied(node, arrays, numpy_value))
    if isinstance(node, (Number, Pi)):
        return np.array([[np.pi if isinstance(node, Pi) else float(node.value)]])
    if isinstance(node, Literal):
        return np.array(node.values, dtype=np.float64)
    if isinstance(node, Binary):
        left, right = values
        return left @ right if node.op == "@" else np.asarray(ENTRYWISE[node.op](left, right))
    if isinstance(node, Power):
        if node.value is None:
            return np.asarray(np.power(values[0], values[1]), dtype=np.float64)
        exponent = int(node.value) if float(node.value).is_integer() else node.value
        return np.asarray(np.power(values[0], exponent), dtype=np.float64)
    return common_node(node, values, numpy_call)


def to_complex(expr: Expr, values: Mapping[str, Any]) -> Array:
    """The value of ``expr`` at complex points (complex-step differentiation): each function in
    its complex form where it has one (``Function.complex``), else its NumPy form."""

    def combine(node: Expr, children: list[Array]) -> Array:
        if isinstance(node, Variable):
            return np.asarray(supplied(node, values, np.asarray), dtype=np.complex128)
        if isinstance(node, Power):
            exponent = values_of_power(node, children)
            return np.asarray(np.power(children[0].astype(np.complex128), exponent))
        if isinstance(node, Call):
            function = FUNCTIONS[node.function]
            return (function.complex or function.numpy)(children, node)
        if isinstance(node, Binary):
            left, right = children
            return left @ right if node.op == "@" else np.asarray(ENTRYWISE[node.op](left, right))
        if isinstance(node, (Number, Pi, Literal)):
            return numpy_node(node, children, values)
        return common_node(node, children, numpy_call)

    with np.errstate(all="ignore"):
        result = bottom_up(expr, combine)
    out: Array = np.asarray(result, dtype=np.complex128).reshape(expr.shape)  # type: ignore[assignment]
    return out


def values_of_power(node: Power, children: Sequence[Array]) -> Any:
    """The exponent of ``a ** p``: the folded constant (an int where it is one), or its value."""
    if node.value is None:
        return children[1]
    return int(node.value) if float(node.value).is_integer() else node.value


def numpy_value(value: Any) -> Array:
    """A supplied value as a float64 array."""
    return np.asarray(value, dtype=np.float64)


def numpy_call(node: Call, values: Sequence[Array]) -> Array:
    """A function's NumPy form."""
    return FUNCTIONS[node.function].numpy(values, node)


def common_node(node: Expr, values: Sequence[T], call: Callable[[Call, Sequence[T]], T]) -> T:
    """Nodes evaluated the same way for SymPy and NumPy: lets, −a, aᵀ, a[i, j], f(…)."""
    if isinstance(node, LetRef):
        return values[0]
    if isinstance(node, Negate):
        return -values[0]  # type: ignore[operator, no-any-return]
    if isinstance(node, Transpose):
        return values[0].T  # type: ignore[attr-defined, no-any-return]
    if isinstance(node, Index):
        return values[0][node.row : node.row + 1, node.col : node.col + 1]  # type: ignore[index, no-any-return]
    if isinstance(node, Call):
        return call(node, values)
    raise TypeError(f"not an expression node: {type(node).__name__}")


def supplied(node: Variable, supply: Mapping[str, Any], convert: Callable[[Any], Any]) -> Any:
    """A variable's supplied value, converted and checked against its declared shape."""
    if node.name not in supply:
        raise Problem(f"no value was supplied for the variable {node.name}")
    value = convert(supply[node.name])
    shape = tuple(value.shape)
    if len(shape) < 2 and node.shape[1] == 1 and int(np.prod(shape)) == node.shape[0]:
        value = value.reshape(node.shape)
    elif shape != node.shape:
        raise Problem(f"the value of {node.name} has shape {shape} but {node.name} is {show(node.shape)}")
    return value

