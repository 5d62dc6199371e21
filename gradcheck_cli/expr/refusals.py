"""Why a piece of Python syntax is not part of the expression language, in one sentence; and
what a person used to another notation (NumPy, MATLAB, a paper) probably meant."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

from gradcheck_cli.errors import did_you_mean
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


# ---------------------------------------------------------------- habits from other notations

#: Functions people call by their name in NumPy, MATLAB or a paper, and how this language writes
#: the call: a template over the texts of the call's arguments ({0}, {1}).
CALL_HABITS: dict[str, str] = {
    "sigma": "sigmoid({0})", "logistic": "sigmoid({0})", "expit": "sigmoid({0})",
    "transpose": "{0}.T", "dot": "{0}.T @ {1}", "inner": "{0}.T @ {1}", "vdot": "{0}.T @ {1}",
    "matmul": "{0} @ {1}", "mm": "{0} @ {1}", "multiply": "{0} * {1}", "divide": "{0} / {1}",
    "power": "{0} ** {1}", "pow": "{0} ** {1}", "square": "{0} ** 2", "heaviside": "step({0})",
    "absolute": "abs({0})", "log1p": "log(1 + {0})", "expm1": "exp({0}) - 1",
    "determinant": "det({0})", "inverse": "inv({0})", "identity": "eye(n)", "kronecker": "kron({0}, {1})",
    "fmax": "maximum({0}, {1})", "fmin": "minimum({0}, {1})",
}

#: Names used as values in another notation, and this language's spelling.
NAME_HABITS: dict[str, str] = {"e": "exp(1)", "I": "eye(n)", "Id": "eye(n)", "π": "pi", "sigma": "sigmoid(…)"}

#: Modules whose functions people call with a prefix, as in ``np.exp(x)``: the bare name is meant.
MODULES = frozenset({"np", "numpy", "math", "torch", "jnp", "jax", "sp", "sympy", "scipy", "linalg", "la",
                     "tf", "F", "nn", "special"})

#: Methods of an array, ``x.transpose()``, and how this language writes them ({self} the receiver).
METHOD_HABITS: dict[str, str] = {"transpose": "{self}.T", "t": "{self}.T", "dot": "{self} @ {0}",
                                 "matmul": "{self} @ {0}"}


def meant(template: str, arguments: Sequence[str], receiver: str = "") -> str:
    """``template`` with the argument texts filled in (a missing one shown as ``…``)."""
    padded = [*arguments, *["…"] * 2]
    return template.format(*padded, self=receiver)


def call_hint(name: str, arguments: Sequence[str], known: Iterable[str]) -> str | None:
    """What a call of the unknown function ``name`` probably meant: a habit from another
    notation (``transpose(x)`` → ``x.T``, ``dot(a, b)`` → ``a.T @ b``), else the closest name."""
    template = CALL_HABITS.get(name) or CALL_HABITS.get(name.lower())
    if template is not None:
        return f"did you mean `{meant(template, arguments)}`?"
    return did_you_mean(name, known)


def module_call_hint(name: str, arguments: Sequence[str], known: Iterable[str]) -> str | None:
    """``np.exp(x)`` and the like: the same call by its bare name in this language."""
    if name in known:
        return f"did you mean `{name}({', '.join(arguments)})`?"
    return call_hint(name, arguments, known)


def method_hint(receiver: str, name: str, arguments: Sequence[str], known: Iterable[str]) -> str | None:
    """``x.transpose()``, ``A.dot(x)``, ``x.sum()``: the method spelt as this language writes it."""
    if name in METHOD_HABITS:
        return f"did you mean `{meant(METHOD_HABITS[name], arguments, receiver)}`?"
    if name in known:
        return f"did you mean `{name}({', '.join([receiver, *arguments])})`?"
    return None


def attribute_hint(receiver: str, name: str, module: bool) -> str | None:
    """``np.pi`` → ``pi``, ``np.e`` → ``exp(1)``, ``x.transpose`` → ``x.T``."""
    if module and name in ("pi", "e"):
        return f"did you mean `{NAME_HABITS.get(name, name)}`?"
    if not module and name in ("transpose", "t"):
        return f"did you mean `{receiver}.T`?"
    return None


def name_hint(name: str, written: str, known: Iterable[str]) -> str | None:
    """What an unknown name probably meant: ``e`` → ``exp(1)``, ``I`` → ``eye(n)``, ``xᵀ`` (which
    Python reads as ``xT``) → ``x.T``, else the closest known name."""
    choices = list(known)
    if name in NAME_HABITS:
        return f"did you mean `{NAME_HABITS[name]}`?"
    if written.endswith("ᵀ") and name[:-1] in choices:
        return f"for a transpose write `{name[:-1]}.T`"
    return did_you_mean(name, choices)
