"""Why a piece of Python syntax is not part of the expression language, in one sentence."""

from __future__ import annotations

import ast

from gradcheck_cli.expr.nodes import ExprError, located
from gradcheck_cli.expr.source import Source

HINT = ("expressions use numbers, variables, + - * / ** (or ^) @, .T, x[i] or X[i, j], matrices "
        "such as [[1, 2], [3, 4]], and functions like exp(x)")

#: Why each refused kind of node is refused.
REFUSED: dict[type[ast.AST], str] = {
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "`:=` assignments are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "`and` and `or` are not allowed",
    ast.IfExp: "`if` expressions are not allowed",
    ast.Await: "`await` is not allowed",
    ast.Yield: "`yield` is not allowed",
    ast.YieldFrom: "`yield` is not allowed",
    ast.Dict: "dict literals are not allowed",
    ast.Set: "set literals are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Starred: "`*` unpacking is not allowed",
    ast.Slice: "slices are not allowed; index one entry, as in x[0] or X[1, 2]",
}

OPERATOR_NAMES: dict[type[ast.AST], str] = {
    ast.FloorDiv: "`//`", ast.Mod: "`%`", ast.LShift: "`<<`", ast.RShift: "`>>`",
    ast.BitOr: "`|`", ast.BitXor: "`^` (for a power write `**`)", ast.BitAnd: "`&`",
    ast.Not: "`not`", ast.Invert: "`~`",
}


#: How each refused binary operator is written, to point at it.
OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
    ast.BitXor: "^", ast.BitAnd: "&",
}


def refusal(node: ast.expr, source: Source) -> ExprError:
    """The error for a node outside the whitelist, at its column (a binary operator's own)."""
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        operator = OPERATOR_NAMES.get(type(node.op), f"`{type(node.op).__name__}`")
        problem = f"the operator {operator} is not part of the language"
        symbol = OPERATOR_SYMBOLS.get(type(node.op))
        if isinstance(node, ast.BinOp) and symbol is not None:
            return located(source.segment(node), source.operator_column(node, symbol), problem, hint=HINT)
    else:
        problem = REFUSED.get(type(node), f"`{type(node).__name__}` is not part of the language")
    return located(source.segment(node), source.column(node), problem, hint=HINT)
