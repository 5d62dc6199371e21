"""Evaluate SymPy expressions in index notation as vectorised NumPy arrays.

An expression such as ``Sum(W[i, q]*g[i], (i, 0, k - 1))`` describes one entry of a tensor
for one example. ``evaluate`` computes every entry for every example at once. Each
subexpression is evaluated to an array laid out on a fixed set of axes: axis 0 is the batch,
then one axis per free index (``p``, ``q``, …), then one axis per enclosing ``Sum``'s bound
variable. Unused axes have size 1, so NumPy broadcasting lines everything up; a ``Sum`` adds
its axis, evaluates its body and reduces the axis away. Nothing larger than the product of the
indices actually used by one term is ever built.

The translator is hand-written and whitelisted: any SymPy node it does not know raises
``UnsupportedExpression`` rather than being guessed at.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import reduce
from typing import Any

import numpy as np
import sympy as sp

from gradcheck_cli.arrays import Array

Value = Any  # a float or an ndarray laid out on the context's axes


class UnsupportedExpression(NotImplementedError):
    """The expression contains a SymPy node the translator does not evaluate (an internal error)."""


@dataclass(frozen=True)
class Binding:
    """The array an ``IndexedBase`` stands for; a ``batched`` one has the batch axis first."""

    array: Array
    batched: bool = False


@dataclass(frozen=True)
class _Axis:
    position: int
    start: int
    size: int


@dataclass(frozen=True)
class _Context:
    arrays: Mapping[sp.IndexedBase, Binding]
    scalars: Mapping[sp.Symbol, float]
    axes: Mapping[sp.Symbol, _Axis]
    ndim: int
    batch: int

    def with_axis(self, symbol: sp.Symbol, start: int, size: int) -> _Context:
        axes = {**self.axes, symbol: _Axis(self.ndim, start, size)}
        return replace(self, axes=axes, ndim=self.ndim + 1)

    def place(self, values: Array, position: int) -> Array:
        """Lay a 1-D array along axis ``position`` (size 1 elsewhere)."""
        shape = [1] * self.ndim
        shape[position] = values.size
        return values.reshape(shape)


def evaluate(
    expr: sp.Expr,
    arrays: Mapping[sp.IndexedBase, Binding],
    scalars: Mapping[sp.Symbol, float],
    free: Sequence[tuple[sp.Symbol, int]],
    batch: int,
) -> Array:
    """Every entry of ``expr`` for every example.

    Args:
        expr: one entry of a tensor, with free indices ``free`` and sums over bound indices.
        arrays: the arrays the ``IndexedBase`` objects stand for.
        scalars: values of plain symbols (sizes such as ``n`` and ``k``).
        free: the free indices, in order, with the size of their range (each starts at 0).
        batch: the number of examples (1 when no array is batched).

    Returns:
        A float array of shape ``(batch, *sizes of free)``.

    Raises:
        UnsupportedExpression: for a node, or an index, the translator cannot evaluate.
    """
    context = _Context(arrays, scalars, {}, 1, batch)
    for symbol, size in free:
        context = context.with_axis(symbol, 0, size)
    result = np.asarray(_eval(expr, context), dtype=np.float64)
    shape = (batch, *(size for _, size in free))
    return np.array(np.broadcast_to(result, shape))


def _eval(expr: sp.Basic, context: _Context) -> Value:
    handler = _HANDLERS.get(type(expr))
    if handler is None:
        handler = next((h for cls, h in _BY_BASE if isinstance(expr, cls)), None)
    if handler is None:
        if expr.is_number:
            return float(expr)
        raise UnsupportedExpression(f"cannot evaluate `{type(expr).__name__}` in {expr}")
    return handler(expr, context)


def _integer(expr: sp.Basic, context: _Context) -> int:
    """A size or bound that does not depend on any index, as an int."""
    value = np.asarray(_eval(expr, replace(context, axes={}, ndim=0)))
    if value.ndim != 0 or value != np.round(value):
        raise UnsupportedExpression(f"`{expr}` is not a fixed integer")
    return int(value)


def _symbol(expr: sp.Symbol, context: _Context) -> Value:
    axis = context.axes.get(expr)
    if axis is not None:
        values = np.arange(axis.start, axis.start + axis.size, dtype=np.float64)
        return context.place(values, axis.position)
    if expr in context.scalars:
        return float(context.scalars[expr])
    raise UnsupportedExpression(f"symbol `{expr}` is neither an index nor a known size")


def _indexed(expr: sp.Indexed, context: _Context) -> Value:
    """``A[i, 0, j]``: slice and transpose the bound array onto the axes of ``i`` and ``j``."""
    binding = context.arrays.get(expr.base)
    if binding is None:
        raise UnsupportedExpression(f"no array is bound to `{expr.base}`")
    array = binding.array
    lead = 1 if binding.batched else 0
    if array.ndim != lead + len(expr.indices):
        raise UnsupportedExpression(f"`{expr}` has {len(expr.indices)} indices for {array.shape}")
    symbols = [i for i in expr.indices if isinstance(i, sp.Symbol)]
    simple = len(set(symbols)) == len(symbols) and all(
        i in context.axes or i.is_Integer for i in expr.indices
    )
    if not simple:
        return _gather(expr, binding, context)
    selection: list[Any] = [slice(None)] * lead
    positions = [0] * lead
    for index in expr.indices:
        if index.is_Integer:
            selection.append(int(index))
            continue
        axis = context.axes[index]
        selection.append(slice(axis.start, axis.start + axis.size))
        positions.append(axis.position)
    view = array[tuple(selection)]
    shape = [1] * context.ndim
    for position, size in zip(positions, view.shape, strict=True):
        shape[position] = size
    expected = [context.axes[i].size for i in expr.indices if not i.is_Integer]
    if list(view.shape[lead:]) != expected:
        raise UnsupportedExpression(
            f"`{expr}` runs past the bounds of an array of shape {array.shape}"
        )
    return view.transpose(np.argsort(positions)).reshape(shape)


def _gather(expr: sp.Indexed, binding: Binding, context: _Context) -> Value:
    """General indices (a repeated index, ``i + 1``): gather with integer index arrays."""
    indices: list[Any] = []
    if binding.batched:
        indices.append(context.place(np.arange(context.batch), 0))
    for index in expr.indices:
        indices.append(np.asarray(_eval(index, context)).astype(np.intp))
    return binding.array[tuple(indices)]


def _sum(expr: sp.Sum, context: _Context) -> Value:
    """Σ_{j=lo}^{hi} body: one new axis per bound variable, reduced after the body is evaluated."""
    inner = context
    for symbol, lo, hi in expr.limits:
        start = _integer(lo, context)
        inner = inner.with_axis(symbol, start, _integer(hi, context) - start + 1)
    body = np.asarray(_eval(expr.function, inner))
    added = tuple(range(context.ndim, inner.ndim))
    if body.ndim == 0:
        return body * float(np.prod([inner.axes[s].size for s, _, _ in expr.limits]))
    return body.sum(axis=added)


def _piecewise(expr: sp.Piecewise, context: _Context) -> Value:
    result: Value = np.nan
    for value, condition in reversed(expr.args):
        result = np.where(_eval(condition, context), _eval(value, context), result)
    return result


def _kronecker(expr: sp.KroneckerDelta, context: _Context) -> Value:
    a, b = (_eval(arg, context) for arg in expr.args)
    return np.equal(a, b).astype(np.float64)


def _heaviside(expr: sp.Heaviside, context: _Context) -> Value:
    at_zero = _eval(expr.args[1], context) if len(expr.args) > 1 else 0.5
    return np.heaviside(_eval(expr.args[0], context), at_zero)


def _pow(expr: sp.Pow, context: _Context) -> Value:
    base, exponent = (_eval(arg, context) for arg in expr.args)
    return np.power(base, exponent)


def _fold(function: Callable[[Value, Value], Value]) -> Callable[[sp.Basic, _Context], Value]:
    def fold(expr: sp.Basic, context: _Context) -> Value:
        return reduce(function, (_eval(arg, context) for arg in expr.args))

    return fold


def _unary(function: Callable[[Value], Value]) -> Callable[[sp.Basic, _Context], Value]:
    def apply(expr: sp.Basic, context: _Context) -> Value:
        return function(_eval(expr.args[0], context))

    return apply


def _constant(value: bool) -> Callable[[sp.Basic, _Context], Value]:
    return lambda expr, context: value


_RELATIONS: dict[type[sp.Basic], Callable[[Value, Value], Value]] = {
    sp.StrictLessThan: np.less,
    sp.LessThan: np.less_equal,
    sp.StrictGreaterThan: np.greater,
    sp.GreaterThan: np.greater_equal,
    sp.Equality: np.equal,
    sp.Unequality: np.not_equal,
}

_HANDLERS: dict[type[sp.Basic], Callable[[Any, _Context], Value]] = {
    sp.Indexed: _indexed,
    sp.Sum: _sum,
    sp.Piecewise: _piecewise,
    sp.KroneckerDelta: _kronecker,
    sp.Heaviside: _heaviside,
    sp.Pow: _pow,
    sp.Add: _fold(operator.add),
    sp.Mul: _fold(operator.mul),
    sp.Max: _fold(np.maximum),
    sp.Min: _fold(np.minimum),
    sp.exp: _unary(np.exp),
    sp.log: _unary(np.log),
    sp.tanh: _unary(np.tanh),
    sp.sinh: _unary(np.sinh),
    sp.cosh: _unary(np.cosh),
    sp.sin: _unary(np.sin),
    sp.cos: _unary(np.cos),
    sp.Abs: _unary(np.abs),
    sp.sign: _unary(np.sign),
    sp.And: _fold(np.logical_and),
    sp.Or: _fold(np.logical_or),
    sp.Not: _unary(np.logical_not),
    sp.logic.boolalg.BooleanTrue: _constant(True),
    sp.logic.boolalg.BooleanFalse: _constant(False),
    **{cls: _fold(function) for cls, function in _RELATIONS.items()},
}

#: Handlers found by ``isinstance`` when the exact type is not in ``_HANDLERS``
#: (Symbol subclasses such as ``Dummy``).
_BY_BASE: tuple[tuple[type[sp.Basic], Callable[[Any, _Context], Value]], ...] = (
    (sp.Symbol, _symbol),
)
