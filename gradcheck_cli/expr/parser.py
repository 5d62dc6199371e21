"""Whitelist compiler: a Python ``ast`` of the expression → a typed ``Expr`` tree with shapes.

Only the node types listed in ``Builder.build`` are accepted; everything else (calls of
anything but a known function name, attributes other than ``.T``, lambdas, strings, …) is
refused with an ``ExprError`` at its column. Nothing in the text is ever compiled or run.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from gradcheck_cli.expr import linalg  # noqa: F401  (registers the matrix functions)
from gradcheck_cli.expr.calls import build_call
from gradcheck_cli.expr.constants import build_literal, checked_constant, literal_number
from gradcheck_cli.expr.functions import ALIASES, FUNCTIONS
from gradcheck_cli.expr.limits import MAX_EXPONENT, MAX_TREE_DEPTH
from gradcheck_cli.expr.nodes import (
    SCALAR,
    Binary,
    Expr,
    ExprError,
    Index,
    LetRef,
    Negate,
    Pi,
    Power,
    Problem,
    Shape,
    Transpose,
    Variable,
    entrywise_shape,
    located,
    product_shape,
    quote,
    show,
)
from gradcheck_cli.expr.refusals import attribute_hint, name_hint, refusal
from gradcheck_cli.expr.source import Source, parse

OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**",
}


def compile_expr(text: str, variables: Mapping[str, Shape], lets: Mapping[str, Expr] | None = None) -> Expr:
    """Parse ``text`` into a typed tree over ``variables`` (name → 2-D shape) and ``lets``.

    A let is a named sub-expression compiled earlier; its name is used like a variable and
    stands for its tree. Raises ``ExprError`` (with ``column`` and ``expression``) on any problem.
    """
    lets = dict(lets or {})
    try:
        if not isinstance(text, str):
            raise ExprError(f"an expression must be text, not {type(text).__name__}", column=1)
        for name in lets:
            if name in variables:
                raise ExprError(f"the named sub-expression `{name}` has the name of a variable; "
                                "rename one of them", column=1)
        source = Source(text)
        root = Builder(source, variables, lets).build(parse(source).body)
        if root.depth > MAX_TREE_DEPTH:
            raise source.error(1, f"with its named sub-expressions substituted, the expression "
                                  f"is nested more than {MAX_TREE_DEPTH} levels deep")
        return root
    except ExprError as error:
        error.expression = text if isinstance(text, str) else repr(text)
        raise


class Builder:
    """Turns whitelisted ``ast`` nodes into ``Expr`` nodes, checking names and shapes."""

    def __init__(self, source: Source, variables: Mapping[str, Shape], lets: Mapping[str, Expr]) -> None:
        self.source = source
        self.variables = variables
        self.lets = lets

    def build(self, node: ast.expr) -> Expr:
        """The typed tree of one ``ast`` expression node, or an ``ExprError`` at its column."""
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Constant):
            return literal_number(node, self.where(node))
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return build_call(self, node)
        if isinstance(node, ast.List):
            return build_literal(self, node)
        raise refusal(node, self.source)

    def where(self, node: ast.expr | ast.keyword) -> tuple[int, str]:
        """The 1-based column and the text of a node."""
        return self.source.column(node), self.source.segment(node)

    def fail(self, node: ast.expr | ast.keyword, problem: str, hint: str | None = None) -> ExprError:
        """An error at a node: "`its text` at column N: problem"."""
        column, text = self.where(node)
        return located(text, column, problem, hint=hint)

    def binary(self, node: ast.BinOp) -> Expr:
        """``a @ b``, ``a + b``, ``a - b``, ``a * b``, ``a / b`` or ``a ** p``."""
        symbol = OPERATORS.get(type(node.op))
        if symbol is None:
            raise refusal(node, self.source)
        if symbol == "**":
            self.refuse_e_to_a_power(node)
        left, right = self.build(node.left), self.build(node.right)
        column, text = self.source.operator_column(node, symbol), self.source.segment(node)
        if symbol == "**":
            return self.power(node, left, right)
        try:
            shape = product_shape(left, right) if symbol == "@" else entrywise_shape(symbol, left, right)
            result = Binary(shape=shape, column=column, text=text, op=symbol, left=left, right=right)
            checked_constant(result)
        except Problem as problem:
            raise located(text, column, problem.problem, hint=problem.hint, kind=problem.kind) from None
        return result

    def refuse_e_to_a_power(self, node: ast.BinOp) -> None:
        """``e ** x`` (or ``e^x``) where no variable is called e: the exponential was meant."""
        base, names = node.left, (*self.variables, *self.lets)
        if isinstance(base, ast.Name) and base.id == "e" and "e" not in names:
            exponent = quote(self.source.segment(node.right))
            raise self.fail(base, "unknown variable `e`", f"for e to a power write `exp({exponent})`")

    def power(self, node: ast.BinOp, base: Expr, exponent: Expr) -> Expr:
        """``a ** p`` entrywise: p is 1×1, a variable (``x ** n``) or a constant with |p| ≤ MAX_EXPONENT."""
        column, text = self.source.operator_column(node, "**"), self.source.segment(node)
        if exponent.shape != SCALAR:
            raise located(text, column, f"the exponent of a power must be 1×1 (a number or a scalar), "
                                        f"but {quote(exponent.text)} is {show(exponent.shape)}")
        value = checked_constant(exponent)
        if value is not None and abs(value) > MAX_EXPONENT:
            raise located(text, column, f"the exponent {value:g} is larger than {MAX_EXPONENT} in size")
        result = Power(shape=base.shape, column=column, text=text, base=base, exponent=exponent, value=value)
        try:
            checked_constant(result)
        except Problem as problem:
            raise located(text, column, problem.problem) from None
        return result

    def unary(self, node: ast.UnaryOp) -> Expr:
        """``-a`` (entrywise negation) or ``+a`` (a itself)."""
        if isinstance(node.op, ast.UAdd):
            return self.build(node.operand)
        if not isinstance(node.op, ast.USub):
            raise refusal(node, self.source)
        operand = self.build(node.operand)
        column, text = self.where(node)
        return Negate(shape=operand.shape, column=column, text=text, operand=operand)

    def name(self, node: ast.Name) -> Expr:
        """A variable, a let, or ``pi``."""
        column, text = self.where(node)
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, "names starting with `_` are not allowed")
        if name in self.lets:
            body = self.lets[name]
            return LetRef(shape=body.shape, column=column, text=text, name=name, body=body)
        if name in self.variables:
            return Variable(shape=self.variables[name], column=column, text=text, name=name)
        if name == "pi":
            return Pi(shape=SCALAR, column=column, text=text)
        if name in FUNCTIONS or name in ALIASES:
            operands = "a, b" if FUNCTIONS[ALIASES.get(name, name)].operands[0] == 2 else "x"
            raise self.fail(node, f"`{name}` is a function; call it, as in `{name}({operands})`")
        known = [*self.variables, *self.lets, "pi"]
        raise self.fail(node, f"unknown variable `{name}`", name_hint(name, text, known))

    def is_module(self, node: ast.expr) -> bool:
        """Whether ``node`` is a dotted name that is not a variable, such as ``np`` or ``np.linalg``."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id not in self.variables and node.id not in self.lets

    def attribute(self, node: ast.Attribute) -> Expr:
        """``a.T``, the transpose: the only attribute there is."""
        if node.attr != "T":
            column = self.source.end(node) - len(node.attr) + 1
            receiver = quote(self.source.segment(node.value))
            hint = attribute_hint(receiver, node.attr, self.is_module(node.value))
            raise located(self.source.segment(node), column,
                          f"`.{node.attr}` is not allowed; the only attribute is `.T` (transpose)", hint=hint)
        operand = self.build(node.value)
        column, text = self.where(node)
        rows, cols = operand.shape
        return Transpose(shape=(cols, rows), column=column, text=text, operand=operand)

    def subscript(self, node: ast.Subscript) -> Expr:
        """``v[k]`` of a vector or ``X[i, j]``: one entry, 0-based, as a 1×1 value."""
        operand = self.build(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(parts) > 2:
            raise self.fail(node.slice, "an index has one or two parts, as in `x[0]` or `X[1, 2]`")
        indices = [self.index_literal(part) for part in parts]
        rows, cols = operand.shape
        if len(indices) == 1 and rows > 1 and cols > 1:
            raise self.fail(node, f"{quote(operand.text)} is {rows}×{cols}, a matrix; give two indices, "
                                  f"as in `X[0, 1]`")
        if len(indices) == 1:
            k = indices[0]
            place, size = ((k, 0) if cols == 1 else (0, k)), rows * cols
            if k >= size:
                raise self.fail(parts[0], f"index {k} is out of range for {quote(operand.text)}, "
                                          f"which has {size} entries (0 to {size - 1})")
        else:
            place = (indices[0], indices[1])
            for part, k, size in zip(parts, indices, (rows, cols), strict=True):
                if k >= size:
                    raise self.fail(part, f"index {k} is out of range for {quote(operand.text)}, "
                                          f"which is {rows}×{cols} (0-based)")
        column, text = self.where(node)
        return Index(shape=SCALAR, column=column, text=text, operand=operand, row=place[0], col=place[1])

    def index_literal(self, node: ast.expr) -> int:
        """A non-negative integer literal used as an index."""
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0:
            return node.value
        if isinstance(node, ast.Slice):
            raise refusal(node, self.source)
        raise self.fail(node, "an index must be a non-negative integer literal such as 0 or 2")
