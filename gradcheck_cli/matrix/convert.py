"""A compiled expression (``gradcheck_cli.expr``) in the canonical form of ``algebra``."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from gradcheck_cli.expr.nodes import (
    SCALAR,
    Binary,
    Call,
    Expr,
    Index,
    LetRef,
    Negate,
    Number,
    Pi,
    Power,
    Transpose,
    Variable,
)
from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.matrix.algebra import Poly, Unsupported


def number(value: int | float) -> Fraction:
    """A literal as an exact fraction of what was written (0.1 is 1/10)."""
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


def constant_of(p: Poly) -> Fraction | None:
    """The number a constant sum stands for, or None."""
    if p.is_zero:
        return Fraction(0)
    if len(p.terms) == 1 and not p.terms[0].scalars and not p.terms[0].chain:
        return p.terms[0].coef
    return None


def column(p: Poly) -> Poly:
    """A vector as a column."""
    return al.transpose(p) if p.shape[0] == 1 and p.shape[1] > 1 else p


class Converter:
    """Converts nodes once each (a let used twice is converted once)."""

    def __init__(self) -> None:
        self.memo: dict[int, Poly] = {}

    def __call__(self, node: Expr) -> Poly:
        found = self.memo.get(id(node))
        if found is None:
            found = self.node(node)
            self.memo[id(node)] = found
        return found

    def node(self, node: Expr) -> Poly:
        if isinstance(node, Variable):
            return al.atom(al.Leaf(node.shape, node.name))
        if isinstance(node, Number):
            return al.const(number(node.value))
        if isinstance(node, Pi):
            return al.atom(al.Leaf(SCALAR, "pi"))
        if isinstance(node, LetRef):
            return self(node.body)
        if isinstance(node, Negate):
            return al.neg(self(node.operand))
        if isinstance(node, Transpose):
            return al.transpose(self(node.operand))
        if isinstance(node, Binary):
            return BINARY[node.op](self(node.left), self(node.right))
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Index):
            return al.atom(al.Fn(SCALAR, "index", (self(node.operand),), None, (node.row, node.col)))
        if isinstance(node, Call):
            return self.call(node)
        if type(node).__name__ == "Literal":
            values = getattr(node, "values")  # noqa: B009  (the literal node of the language)
            rows = tuple(tuple(number(v) for v in row) for row in values)
            return al.atom(al.Const(node.shape, "lit", rows))
        raise Unsupported(f"no matrix form for {type(node).__name__}")

    def power(self, node: Power) -> Poly:
        base, exponent = self(node.base), self(node.exponent)
        value = constant_of(exponent)
        if value is not None:
            return al.power(base, value)
        return al.call("power", (base, exponent), node.shape)

    def call(self, node: Call) -> Poly:
        name, args = node.function, tuple(self(a) for a in node.args)
        special = CALLS.get(name)
        if special is not None:
            return special(node, args)
        return al.call(name, args, node.shape, node.axis, node.sizes)


def _sqrt(node: Call, args: tuple[Poly, ...]) -> Poly:
    return al.power(args[0], Fraction(1, 2))


def _mean(node: Call, args: tuple[Poly, ...]) -> Poly:
    rows, cols = node.args[0].shape
    count = {None: rows * cols, 0: rows, 1: cols}[node.axis]
    return al.scale(al.call("sum", args, node.shape, node.axis), Fraction(1, count))


def _sum(node: Call, args: tuple[Poly, ...]) -> Poly:
    return al.call("sum", args, node.shape, node.axis)


def _outer(node: Call, args: tuple[Poly, ...]) -> Poly:
    return al.matmul(column(args[0]), al.transpose(column(args[1])))


def _eye(node: Call, args: tuple[Poly, ...]) -> Poly:
    return al.eye(node.shape[0])


def _ones(node: Call, args: tuple[Poly, ...]) -> Poly:
    return al.ones(node.shape)


def _vec(node: Call, args: tuple[Poly, ...]) -> Poly:
    if len(args) == 1 and args[0].shape != SCALAR and 1 in args[0].shape:
        return column(args[0])
    if len(args) == 1 and args[0].shape == SCALAR:
        return args[0]
    return al.call("vec", args, node.shape)


CALLS: dict[str, Callable[[Call, tuple[Poly, ...]], Poly]] = {
    "sqrt": _sqrt, "mean": _mean, "sum": _sum, "outer": _outer, "eye": _eye, "ones": _ones, "vec": _vec,
}

BINARY: dict[str, Callable[[Poly, Poly], Poly]] = {
    "+": al.add, "-": al.sub, "*": al.hadamard, "/": al.divide, "@": al.matmul,
}
