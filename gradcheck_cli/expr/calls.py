"""Function calls: ``f(args…)`` of a function in the table, with literal sizes and axis."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gradcheck_cli.expr.functions import ALIASES, FUNCTIONS, Function
from gradcheck_cli.expr.nodes import Call, Expr, Problem, located, quote
from gradcheck_cli.expr.refusals import call_hint, method_hint, module_call_hint

if TYPE_CHECKING:
    from gradcheck_cli.expr.parser import Builder


def build_call(builder: Builder, node: ast.Call) -> Expr:
    """A call of a known function by name, its arguments counted and its shape rule applied."""
    function = lookup(builder, node)
    refuse_a_reduction(builder, node)
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise builder.fail(arg, "`*` unpacking is not allowed in a call")
    axis = keyword_axis(builder, node, function)
    positional = list(node.args)
    if function.axis and len(positional) == 2:
        if axis is not None:
            raise builder.fail(node, f"{function.name} was given an axis twice")
        axis = axis_literal(builder, positional.pop())
    low, high = function.sizes if function.sizes != (0, 0) else function.operands
    if len(positional) < low or (high is not None and len(positional) > high):
        written = node.func.id if isinstance(node.func, ast.Name) else function.name
        raise builder.fail(node, f"{written} takes {expected(function)}, got {len(node.args)}")
    if function.sizes != (0, 0):
        sizes: tuple[int, ...] = tuple(size_literal(builder, arg) for arg in positional)
        args: tuple[Expr, ...] = ()
    else:
        sizes, args = (), tuple(builder.build(arg) for arg in positional)
    column, text = builder.where(node)
    try:
        shape = function.shape(args, sizes, axis)
    except Problem as problem:
        raise located(text, column, problem.problem, hint=problem.hint, kind=problem.kind) from None
    return Call(shape=shape, column=column, text=text, function=function.name, args=args,
                sizes=sizes, axis=axis)


def lookup(builder: Builder, node: ast.Call) -> Function:
    """The function called: a bare name from the table; anything else is refused."""
    func = node.func
    known = [*FUNCTIONS, *ALIASES]
    arguments = [quote(builder.source.segment(arg)) for arg in node.args]
    if not isinstance(func, ast.Name):
        hint = None
        if isinstance(func, ast.Attribute):
            receiver = quote(builder.source.segment(func.value))
            if builder.is_module(func.value):
                hint = module_call_hint(func.attr, arguments, known)
            else:
                hint = method_hint(receiver, func.attr, arguments, known)
        raise builder.fail(func, "only functions of the language can be called, by their bare name", hint)
    name = func.id
    if name.startswith("_"):
        raise builder.fail(func, "names starting with `_` are not allowed")
    if name in FUNCTIONS or name in ALIASES:
        return FUNCTIONS[ALIASES.get(name, name)]
    if name in builder.variables or name in builder.lets:
        raise builder.fail(func, f"`{name}` is a variable, not a function; write `*` for a product")
    raise builder.fail(func, f"unknown function `{name}`", call_hint(name, arguments, known))


def refuse_a_reduction(builder: Builder, node: ast.Call) -> None:
    """``max(X)``, ``min(X, axis=0)``: a reduction elsewhere, which this language does not have."""
    name = node.func.id if isinstance(node.func, ast.Name) else ""
    if ALIASES.get(name) in ("maximum", "minimum") and (len(node.args) == 1 or node.keywords):
        canonical = ALIASES[name]
        raise builder.fail(node, f"the language has no `{name}` over the entries of a matrix, only the "
                                 f"entrywise `{canonical}(a, b)` of two operands (also written "
                                 f"`{name}(a, b)`)")


def expected(function: Function) -> str:
    """How many arguments a function takes, in words."""
    if function.sizes != (0, 0):
        low, high = function.sizes
        return f"{low} size" if low == high else f"{low} or {high} sizes"
    low, top = function.operands
    if top is None:
        return f"at least {low} argument" + ("s" if low != 1 else "")
    words = f"{low} argument" + ("s" if low != 1 else "")
    return words + (" and an optional axis 0 or 1" if function.axis else "")


def keyword_axis(builder: Builder, node: ast.Call, function: Function) -> int | None:
    """The value of ``axis=``, the only keyword there is, and only for functions that reduce."""
    axis = None
    for keyword in node.keywords:
        if keyword.arg is None:
            raise builder.fail(keyword, "`**` unpacking is not allowed in a call")
        if keyword.arg != "axis" or not function.axis:
            raise builder.fail(keyword, f"{function.name} has no keyword argument `{keyword.arg}`")
        axis = axis_literal(builder, keyword.value)
    return axis


def axis_literal(builder: Builder, node: ast.expr) -> int:
    """An axis: the literal 0 (down the rows) or 1 (along the rows)."""
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value in (0, 1):
        return node.value
    raise builder.fail(node, "an axis must be 0 (down the rows) or 1 (along the rows)")


def size_literal(builder: Builder, node: ast.expr) -> int:
    """A size: a positive integer literal."""
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value > 0:
        return node.value
    raise builder.fail(node, "a size must be a positive integer literal such as 3")

