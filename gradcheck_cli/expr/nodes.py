"""The typed expression tree: every node knows its 2-D shape and where it came from.

Every value is a matrix: a scalar is 1×1, an n-vector is an n×1 column, a matrix is m×n.
A 1×1 value counts as a scalar wherever a scalar makes sense: it broadcasts in ``+ - * /``; a
column or a row broadcasts against a full matrix of its length (see ``entrywise_shape``).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass, field

from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.expr.limits import MAX_QUOTED_CHARS

Shape = tuple[int, int]

SCALAR: Shape = (1, 1)


#: What kind of mistake an ``ExprError`` is, where that matters to a caller: ``"shape"`` for
#: operands whose shapes do not fit (3×1 − 1×3, ``trace`` of a 2×3) — a formula that reads
#: fine but does not type-check, which a judge of claims scores as a wrong answer.
ErrorKind = typing.Literal["shape"]  # typing.: `Literal` is the node of matrix literals


class ExprError(GradcheckError):
    """An expression cannot be compiled or evaluated: bad syntax, unknown name, shape mismatch.

    ``column`` is 1-based in ``expression``; the message already says "at column N", so the
    place prefix of the base class shows only the file and line (when a caller sets them).
    ``kind`` is ``"shape"`` for a shape mismatch, None for everything else.
    """

    def __init__(
        self,
        message: str,
        *,
        column: int | None = None,
        expression: str = "",
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(message, file=file, line=line, column=column, hint=hint)
        self.expression = expression
        self.kind = kind

    @property
    def place(self) -> str:
        """``file:line`` as far as it is known; the column is part of the message itself."""
        parts = [p for p in (self.file, self.line) if p is not None]
        return ":".join(str(p) for p in parts)


class Problem(Exception):
    """What is wrong with one node, without a place; the caller adds the node's text and column."""

    def __init__(self, problem: str, hint: str | None = None, *, kind: ErrorKind | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.kind = kind


def quote(text: str) -> str:
    """A piece of the expression, on one line and cut to a readable length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_QUOTED_CHARS else flat[: MAX_QUOTED_CHARS - 1] + "…"


def located(text: str, column: int, problem: str, *, hint: str | None = None,
            kind: ErrorKind | None = None) -> ExprError:
    """The error "`text` at column N: problem" (``expression`` is filled in by the compiler)."""
    return ExprError(f"`{quote(text)}` at column {column}: {problem}", column=column, hint=hint, kind=kind)


def show(shape: Shape) -> str:
    """``(2, 3)`` as ``2×3``."""
    return f"{shape[0]}×{shape[1]}"


def is_vector(shape: Shape) -> bool:
    """A column n×1 or a row 1×n (a 1×1 scalar is a vector of length one)."""
    return shape[0] == 1 or shape[1] == 1


@dataclass(frozen=True, kw_only=True)
class Expr:
    """A node of the tree: its shape, its 1-based column and its slice of the source text."""

    shape: Shape
    column: int
    text: str
    depth: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "depth", 1 + max((c.depth for c in self.children()), default=0))

    def children(self) -> Sequence[Expr]:
        """The operands of this node (none for a leaf)."""
        return ()


@dataclass(frozen=True, kw_only=True)
class Variable(Expr):
    """A declared variable, whose value is supplied at evaluation."""

    name: str


@dataclass(frozen=True, kw_only=True)
class Number(Expr):
    """A numeric literal (int or float); 1×1."""

    value: int | float


@dataclass(frozen=True, kw_only=True)
class Literal(Expr):
    """A matrix of constant numbers written out: ``[[1, 2], [3, 4]]`` by rows, ``[1, 2, 3]`` an
    n×1 column (as a 1-D NumPy array). ``values`` are its rows; an entry written as an integer
    stays an int, a folded constant (``1/2``, ``-pi``) is a float."""

    values: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, kw_only=True)
class Pi(Expr):
    """The constant π; 1×1."""


@dataclass(frozen=True, kw_only=True)
class LetRef(Expr):
    """A use of a named sub-expression; evaluates to ``body`` (compiled from the let's text)."""

    name: str
    body: Expr

    def children(self) -> Sequence[Expr]:
        return (self.body,)


@dataclass(frozen=True, kw_only=True)
class Negate(Expr):
    """−a, entrywise."""

    operand: Expr

    def children(self) -> Sequence[Expr]:
        return (self.operand,)


@dataclass(frozen=True, kw_only=True)
class Binary(Expr):
    """``a @ b`` (matrix product) or ``a + b``, ``a - b``, ``a * b``, ``a / b`` entrywise.

    ``column`` is the operator's column, where a shape mismatch is reported.
    """

    op: str
    left: Expr
    right: Expr

    def children(self) -> Sequence[Expr]:
        return (self.left, self.right)


@dataclass(frozen=True, kw_only=True)
class Power(Expr):
    """``a ** p`` entrywise, p 1×1: ``exponent`` is its tree, ``value`` its number when it is a
    constant (folded, |p| ≤ MAX_EXPONENT) and None when it depends on a variable (``x ** n``)."""

    base: Expr
    exponent: Expr
    value: float | None

    def children(self) -> Sequence[Expr]:
        return (self.base, self.exponent)


@dataclass(frozen=True, kw_only=True)
class Transpose(Expr):
    """``a.T``: (aᵀ)ᵢⱼ = aⱼᵢ."""

    operand: Expr

    def children(self) -> Sequence[Expr]:
        return (self.operand,)


@dataclass(frozen=True, kw_only=True)
class Index(Expr):
    """``a[i, j]`` (or ``v[k]`` of a vector): one entry, 0-based, 1×1."""

    operand: Expr
    row: int
    col: int

    def children(self) -> Sequence[Expr]:
        return (self.operand,)


@dataclass(frozen=True, kw_only=True)
class Call(Expr):
    """``f(args…)`` of a function in the table, with its literal sizes and axis, if any."""

    function: str
    args: tuple[Expr, ...]
    sizes: tuple[int, ...] = ()
    axis: int | None = None

    def children(self) -> Sequence[Expr]:
        return self.args


def product_shape(left: Expr, right: Expr) -> Shape:
    """(m×k) @ (k×n) is m×n; the inner sizes must agree."""
    (m, k), (k2, n) = left.shape, right.shape
    if k == k2:
        return (m, n)
    problem = f"{quote(left.text)} is {show(left.shape)} but {quote(right.text)} has {k2} rows"
    hint = None
    if SCALAR in (left.shape, right.shape):
        hint = "a 1×1 value scales a matrix with `*`, not `@`"
    elif m in (k2, n) or k == n:
        hint = "is one side missing a transpose `.T`?"
    raise Problem(problem, hint, kind="shape")


def entrywise_shape(op: str, left: Expr, right: Expr) -> Shape:
    """The shape of an entrywise ``+ - * /`` (or ``maximum``/``minimum``), NumPy's broadcasting
    restricted to what a formula means: equal shapes; a 1×1 side, repeated to the other's shape;
    or a full m×n matrix with an m×1 column (repeated along its columns: ``W @ X + b``) or a 1×n
    row (repeated down its rows: ``X - mean(X, 0)``), in either order. A column with a row
    (3×1 − 1×3) is refused: it is almost always a missing transpose, not an outer sum.
    """
    shape = broadcast(left.shape, right.shape)
    if shape is not None:
        return shape
    problem = f"{quote(left.text)} is {show(left.shape)} but {quote(right.text)} is {show(right.shape)}"
    hint = None
    (m, n), (p, q) = left.shape, right.shape
    if (m, n) == (q, p):
        hint = "is one side missing a transpose `.T`?"
    elif op == "*" and n == p:
        hint = "`*` is entrywise; for a matrix product use `@`"
    elif broadcast((n, m), right.shape) or broadcast(left.shape, (q, p)):
        hint = "is one side missing a transpose `.T`?"
    raise Problem(problem, hint, kind="shape")


def broadcast(left: Shape, right: Shape) -> Shape | None:
    """The common shape of two operands under ``entrywise_shape``'s rule, or None."""
    if left == right or right == SCALAR:
        return left
    if left == SCALAR:
        return right
    for full, part in ((left, right), (right, left)):
        if full[0] > 1 and full[1] > 1 and part in ((full[0], 1), (1, full[1])):
            return full
    return None
