"""Rewrite a claim's own text: swap one elementwise piece for a derivative form and see whether
the claim becomes right. Working on the user's formula (not on SymPy's expansion of it) means
only the piece the user wrote is changed — ``relu(z)`` used as relu′, not the ``relu`` inside
the forward pass — and the message can quote the user's words."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping

from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr
from gradcheck_cli.expr.nodes import Call

#: Elementwise functions whose derivative a claim writes as a piece of its own.
ELEMENTWISE = frozenset(
    {"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs", "sign", "step"}
)

#: Derivative forms a piece may have been meant to be: relu′ = step, tanh′, σ′, softplus′ = σ,
#: exp′, sin′, cos′, log′, |·|′, sqrt′ — written in the expression language around "{a}".
FORMS = (
    "step({a})",
    "1 - tanh({a})**2",
    "sigmoid({a}) * (1 - sigmoid({a}))",
    "sigmoid({a})",
    "exp({a})",
    "cos({a})",
    "-sin({a})",
    "1 / ({a})",
    "sign({a})",
    "1 / (2 * sqrt({a}))",
)


#: Derivative forms written through the name of a let bound to the function itself (h = tanh(z)):
#: tanh′ = 1 − h², σ′ = h(1 − h), exp′ = h.
LET_FORMS = ("1 - {h}**2", "{h} * (1 - {h})", "{h}")


def repairs(text: str, named: Mapping[str, str] | None = None) -> Iterator[tuple[str, str, str]]:
    """Every (piece, replacement, rewritten text): each elementwise call — or a let name bound to
    one (``named``: let name → its call's argument) — and each enclosing piece built from it and
    constants alone (``1 - tanh(z)``, ``1 - h``), swapped for each form."""
    if "\n" in text:
        return
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for call, arg in _calls(tree, named or {}):
        forms = FORMS if isinstance(call, ast.Call) else (*LET_FORMS, *FORMS)
        name = call.id if isinstance(call, ast.Name) else ""
        for piece in _enclosing(tree, call):
            old = ast.get_source_segment(text, piece)
            if old is None or (piece is call and isinstance(call, ast.Name)):
                continue  # a bare let name: the let's own text is rewritten instead
            start, end = _span(text, piece)
            for form in forms:
                new = form.format(a=arg, h=name)
                if new.replace(" ", "") != old.replace(" ", ""):
                    yield old, new, f"{text[:start]}({new}){text[end:]}"


def activation_repair(
    claimed: Expr,
    lets: Mapping[str, Expr],
    variables: Mapping[str, Shape],
    holds: Callable[[Expr], bool],
) -> tuple[str, str, str | None] | None:
    """(piece, should-be, the let it is in or None) whose swap makes the claim right."""
    named = {name: body.args[0].text for name, body in lets.items()
             if isinstance(body, Call) and body.function in ELEMENTWISE and len(body.args) == 1}
    for old, new, text in repairs(claimed.text, named):
        repaired = _compile(text, variables, lets)
        if repaired is not None and holds(repaired):
            return old, new, None
    names = list(lets)
    for index, name in enumerate(names):
        for old, new, text in repairs(lets[name].text):
            changed = _recompile(names, index, text, lets, variables)
            repaired = _compile(claimed.text, variables, changed) if changed is not None else None
            if repaired is not None and holds(repaired):
                return old, new, name
    return None


def _compile(text: str, variables: Mapping[str, Shape], lets: Mapping[str, Expr]) -> Expr | None:
    try:
        return compile_expr(text, variables, lets)
    except ExprError:
        return None


def _recompile(
    names: list[str], index: int, text: str, lets: Mapping[str, Expr], variables: Mapping[str, Shape]
) -> dict[str, Expr] | None:
    """The lets with let ``index`` rewritten to ``text`` and every later let built anew."""
    rebuilt: dict[str, Expr] = {n: lets[n] for n in names[:index]}
    for position, name in enumerate(names[index:], start=index):
        source = text if position == index else lets[name].text
        compiled = _compile(source, variables, rebuilt)
        if compiled is None:
            return None
        rebuilt[name] = compiled
    return rebuilt


def _calls(tree: ast.Expression, named: Mapping[str, str]) -> list[tuple[ast.Call | ast.Name, str]]:
    found: list[tuple[ast.Call | ast.Name, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in named:
            found.append((node, named[node.id]))
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id in ELEMENTWISE and len(node.args) == 1:
            found.append((node, ast.unparse(node.args[0])))
    return found


def _enclosing(tree: ast.Expression, call: ast.Call | ast.Name) -> list[ast.expr]:
    """``call`` and each ancestor whose every other leaf is a constant or the same call."""
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    pieces: list[ast.expr] = [call]
    node: ast.AST = call
    while id(node) in parents and isinstance(parents[id(node)], (ast.BinOp, ast.UnaryOp)):
        parent = parents[id(node)]
        leaves = [n for n in ast.walk(parent) if isinstance(n, (ast.Name, ast.Constant))]
        inside = {id(n) for c in _same_calls(parent, call) for n in ast.walk(c)}
        if any(id(leaf) not in inside and not isinstance(leaf, ast.Constant) for leaf in leaves):
            break
        pieces.append(parent)  # type: ignore[arg-type]
        node = parent
    return pieces


def _same_calls(tree: ast.AST, call: ast.Call | ast.Name) -> list[ast.expr]:
    text = ast.unparse(call)
    return [n for n in ast.walk(tree) if isinstance(n, type(call)) and ast.unparse(n) == text]


def span(text: str, node: ast.expr) -> tuple[int, int] | None:
    """Where ``node`` is in a one-line ``text``, in characters (the AST counts UTF-8 bytes);
    None for a node on another line."""
    if node.end_col_offset is None or getattr(node, "lineno", 1) != 1 or getattr(node, "end_lineno", 1) != 1:
        return None
    raw = text.encode()
    return len(raw[: node.col_offset].decode()), len(raw[: node.end_col_offset].decode())


def _span(text: str, node: ast.expr) -> tuple[int, int]:
    found = span(text, node)
    assert found is not None, "repairs() reads one-line texts only"
    return found

