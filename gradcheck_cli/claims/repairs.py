"""Structural hypotheses about a wrong claim: named factors, a wrong elementwise derivative,
a missing or extra term. Each is checked numerically against the truth, never assumed."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget, matrixform
from gradcheck_cli.claims.rewrite import activation_repair, span
from gradcheck_cli.diagnose import dimension
from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr
from gradcheck_cli.expr.nodes import Power
from gradcheck_cli.ops.base import Array

if TYPE_CHECKING:
    from gradcheck_cli.claims.diagnosis import Case


def name_constant(c: float, variables: Mapping[str, tuple[int, int]]) -> str:
    """2, 1/2, -3, or a dimension of a variable (m, 1/m) — else the number itself."""
    sizes = {f"the number of {what} of {name}": size for name, (rows, cols) in variables.items()
             for size, what in ((rows, "rows"), (cols, "columns"))}
    named = dimension(c, sizes, policy.CLAIM_RTOL)
    if named is not None:
        label, size, reciprocal = named
        return f"1/{size} (one over {label})" if reciprocal else f"{size} ({label})"
    frac = Fraction(c).limit_denominator(64)
    if abs(float(frac) - c) <= policy.CLAIM_RTOL * abs(c):
        return str(frac)
    return f"{c:.6g}"


def name_factor(case: Case, ratios: list[float]) -> str | None:
    """An expression for a factor that changes from point to point (det X, 1/‖x‖, …): a named
    measure of a variable, or (for a claim with several entries, where one common factor is
    itself a finding) SymPy's ratio; None for a scalar claim no measure explains."""
    for text, values in _measures(case):
        pairs = zip(values, ratios, strict=True)
        if all(abs(v - r) <= policy.CLAIM_RTOL * max(abs(r), policy.TINY) for v, r in pairs):
            return text
    claim, truth = case.derived.claim, case.derived.truth
    if truth.shape == (1, 1):
        return None
    assert claim is not None
    entry = next((k for k in range(len(truth)) if truth[k] != 0), None)
    if entry is None or not budget.small([claim[entry], truth[entry]], policy.RESIDUAL_MAX_OPS):
        return "a factor that changes with the point"
    ratio = budget.within(policy.RESIDUAL_BUDGET, lambda: sp.cancel(claim[entry] / truth[entry]))
    return str(ratio) if ratio is not None else "a factor that changes with the point"


def _det(a: Array) -> float:
    return float(np.linalg.det(a))


def _trace(a: Array) -> float:
    return float(np.trace(a))


def _norm(a: Array) -> float:
    return float(np.linalg.norm(a))


def _value(a: Array) -> float:
    return float(a[0, 0])


#: Quantities a non-constant factor is often made of: (template, measure, applies to shape).
MEASURES: tuple[tuple[str, Callable[[Array], float], Callable[[tuple[int, int]], bool]], ...] = (
    ("det({})", _det, lambda s: s[0] == s[1] > 1),
    ("trace({})", _trace, lambda s: s[0] == s[1] > 1),
    ("norm({})", _norm, lambda s: s != (1, 1)),
    ("{}", _value, lambda s: s == (1, 1)),
)


def _measures(case: Case) -> list[tuple[str, list[float]]]:
    """Each measure of each variable, and its reciprocal, at every point."""
    found: list[tuple[str, list[float]]] = []
    with np.errstate(all="ignore"):
        for name, shape in case.question.variables.items():
            for template, measure, applies in MEASURES:
                if applies(shape):
                    values = [measure(p[name]) for p in case.points]
                    found.append((template.format(name), values))
                    found.append(("1/" + template.format(name), [1 / v if v else np.inf for v in values]))
    return found


def activation(case: Case) -> tuple[str, str, str | None] | None:
    """Swap one elementwise piece of the claim (``relu(z)``, ``1 - tanh(z)``, ``1 - h`` with
    h = tanh(z)) for each known derivative form; if one swap makes the claim right — verified by
    a proof, not only at the points — that piece was the mistake."""
    claimed = case.question.claimed
    assert claimed is not None

    def holds(repaired: Expr) -> bool:
        return matrixform.verified(case, repaired)

    return activation_repair(claimed, case.question.lets, case.question.variables, holds)


def matrix_inverse(case: Case) -> tuple[str, str] | None:
    """(``A**-1`` as written, ``inv(A)``) when that swap makes the claim right (proved)."""
    claimed = case.question.claimed
    assert claimed is not None
    stack, seen = [claimed], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.children())
        if not isinstance(node, Power) or node.value != -1 or node.base.shape[0] != node.base.shape[1] \
                or node.base.shape == (1, 1) or node.text not in claimed.text:
            continue
        meant = f"inv({node.base.text})"
        repaired = compile_or_none(claimed.text.replace(node.text, meant, 1), case)
        if repaired is not None and matrixform.verified(case, repaired):
            return node.text, meant
    return None


def missing_derivative(case: Case) -> tuple[str, str, str] | None:
    """(piece of the claim, the piece times f′(a), the call f(a) of f) whose insertion makes the
    claim right: each operand of the claim times the derivative of each elementwise call of f."""
    claimed = case.question.claimed
    assert claimed is not None
    calls = derivative_pieces(case.question.f.text, case.question.lets)
    for piece, start, end in operands(claimed.text):
        for call, slope in calls:
            fixed = f"({piece}) * {slope}"
            repaired = compile_or_none(f"{claimed.text[:start]}({fixed}){claimed.text[end:]}", case)
            if repaired is not None and matrixform.verified(case, repaired):
                return piece, fixed, call
    return None


#: Nodes whose text can take a leading minus without brackets: ``-x``, ``-f(a)``, ``-a * b``.
TIGHT = (ast.Name, ast.Call, ast.Attribute, ast.Subscript, ast.Constant)
TIGHT_OPS = (ast.Mult, ast.MatMult, ast.Div, ast.Pow)


def inner_sign(case: Case) -> tuple[str, str] | None:
    """(a piece of the claim as written, the same piece with one sign inside it flipped) when
    that flip — and only a flip strictly inside the claim, the whole claim's sign being another
    diagnosis — makes the claim right (proved): ``sigmoid(y * z)`` for ``sigmoid(-y * z)``."""
    claimed = case.question.claimed
    assert claimed is not None
    for context, fixed, start, end in sign_flips(claimed.text):
        text = f"{claimed.text[:start]}{fixed}{claimed.text[end:]}"
        repaired = compile_or_none(text, case)
        if repaired is not None and matrixform.verified(case, repaired):
            return context, fixed
    return None


def sign_flips(text: str) -> list[tuple[str, str, int, int]]:
    """(context as written, context with one sign flipped, its start, its end) for each proper
    piece of ``text``, outermost first: a ``-u`` loses its minus, the right side of ``a + b`` or
    ``a - b`` changes operator, anything else gains a minus; the context is the piece's parent."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[tuple[str, str, int, int]] = []
    queue: list[ast.expr] = [tree.body]
    while queue and len(found) < policy.REPAIR_CANDIDATES:
        parent = queue.pop(0)
        children = [c for c in ast.iter_child_nodes(parent) if isinstance(c, ast.expr)]
        queue.extend(children)
        around = span(text, parent)
        if around is None:
            continue
        p0, p1 = around
        for child in children:
            child_span = span(text, child)
            if child_span is None or isinstance(child, ast.Constant) or _same_as_parent(parent, child):
                continue
            c0, c1 = child_span
            if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub)) \
                    and child is parent.right:  # a - b ↔ a + b
                sign = text[p0:c0].rindex("+" if isinstance(parent.op, ast.Add) else "-")
                other = "-" if isinstance(parent.op, ast.Add) else "+"
                found.append((text[p0:p1], text[p0:p0 + sign] + other + text[p0 + sign + 1:p1], p0, p1))
            elif not isinstance(parent, ast.UnaryOp):  # (a minus before a minus: the parent's flip)
                negated = _negated(text, parent, child)
                if negated is not None:
                    found.append((text[p0:p1], text[p0:c0] + negated + text[c1:p1], p0, p1))
    return found[: policy.REPAIR_CANDIDATES]


class Change(NamedTuple):
    """One change of a claim's text: ``transpose`` (a piece transposed, or its ``.T`` dropped, or
    a product's operands swapped — ``t.T @ X`` for ``X @ t``, rows for columns), ``grouping`` (a
    chain bracketed the other way) or ``operator`` (``*`` for ``@`` or the other way: NumPy's
    entrywise and matrix products); the piece as written, the piece changed and the whole claim
    changed."""

    kind: Literal["transpose", "grouping", "operator"]
    piece: str
    changed: str
    whole: str

    def said(self) -> str:
        """"written `…` it is right" for the whole claim, "with `…` for `…` it is right" for a
        piece of it — the piece only: the claim repaired is the answer, shown only on request."""
        if self.changed == self.whole:
            return f"written `{self.whole}` it is right"
        return f"with `{self.changed}` for `{self.piece}` it is right"


def retypings(text: str) -> list[Change]:
    """The slips that make a claim fail to type-check, or type-check and be wrong, outermost
    first: one operand transposed, or one ``.T`` dropped, and a chain regrouped (``W.T @ s * (1 -
    s)`` read as ``W.T @ (s * (1 - s))``: ``@`` and ``*`` share a precedence and group from the
    left)."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[Change] = []
    transposed = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "T"}
    names = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}  # sigmoid of sigmoid(z)
    bare = {id(tree.body)} | {id(a) for n in ast.walk(tree) if isinstance(n, ast.Call) for a in n.args}
    for node in ast.walk(tree.body):
        if not isinstance(node, ast.expr) or id(node) in names:
            continue
        where = span(text, node)
        if len(found) >= policy.REPAIR_CANDIDATES:
            break
        if where is None or isinstance(node, ast.Constant):
            continue
        n0, n1 = where
        piece = text[n0:n1]
        # the whole claim transposed is another diagnosis; no x.T.T
        turned = None if node is tree.body or id(node) in transposed else _transposed(text, node)
        if turned is not None:
            changed = turned[1]
            found.append(Change("transpose", piece, changed, text[:n0] + changed + text[n1:]))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            # a @ b written for b @ aᵀ (or bᵀ @ a, bᵀ @ aᵀ): a row convention for a column one
            a, b = _transposed(text, node.left), _transposed(text, node.right)
            if a is not None and b is not None:
                (a_text, a_turned), (b_text, b_turned) = a, b
                for first, second in ((b_text, a_turned), (b_turned, a_text), (b_turned, a_turned)):
                    swapped = f"{first} @ {second}"
                    if id(node) not in bare:  # an operand needs its brackets; a call's argument not
                        swapped = f"({swapped})"
                    found.append(Change("transpose", piece, swapped, text[:n0] + swapped + text[n1:]))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.MatMult)):
            left, right = span(text, node.left), span(text, node.right)
            written, meant = ("*", "@") if isinstance(node.op, ast.Mult) else ("@", "*")
            if left is not None and right is not None and text[left[1]:right[0]].count(written) == 1:
                other = text[n0:left[1]] + text[left[1]:right[0]].replace(written, meant) + text[right[0]:n1]
                found.append(Change("operator", piece, other, text[:n0] + other + text[n1:]))
        if isinstance(node, ast.BinOp) and isinstance(node.left, ast.BinOp):
            # a @ b * c, its a @ b not bracketed by the user, regrouped as a @ (b * c)
            left, middle = span(text, node.left), span(text, node.left.right)
            right = span(text, node.right)
            if left is not None and left[0] == n0 and middle is not None and right is not None:
                grouped = f"{text[n0:middle[0]]}({text[middle[0]:right[1]]}){text[right[1]:n1]}"
                found.append(Change("grouping", piece, grouped, text[:n0] + grouped + text[n1:]))
    return found[: policy.REPAIR_CANDIDATES]


def fitting(text: str, variables: Mapping[str, Shape], lets: Mapping[str, Expr],
            want: tuple[int, int]) -> list[tuple[Change, Expr]]:
    """The changes of ``retypings`` of ``text`` that compile to the shape ``want``, compiled."""
    found = []
    for change in retypings(text):
        try:
            repaired = compile_expr(change.whole, variables, lets)
        except ExprError:
            continue
        if tuple(repaired.shape) == tuple(want):
            found.append((change, repaired))
    return found


def regrouped(case: Case) -> Change | None:
    """The one change of ``retypings`` that makes a claim that type-checks the derivative
    (proved), or None — of the derivative's shape, whatever the claim's."""
    claimed, q = case.question.claimed, case.question
    assert claimed is not None
    changes = fitting(claimed.text, q.variables, q.lets, case.derived.truth.shape)
    return next((change for change, repaired in changes if matrixform.verified(case, repaired)), None)


def _transposed(text: str, node: ast.expr) -> tuple[str, str] | None:
    """(``node``'s text, its transpose written simply: ``x.T`` for ``x``, ``x`` for ``x.T``)."""
    where = span(text, node)
    if where is None:
        return None
    piece = text[where[0]:where[1]]
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = span(text, node.value)
        return (piece, text[inner[0]:inner[1]]) if inner is not None else None
    if isinstance(node, TIGHT):
        return piece, f"{piece}.T"
    return f"({piece})", f"({piece}).T"


def _negated(text: str, parent: ast.expr, child: ast.expr) -> str | None:
    """``child``'s text with its sign flipped, bracketed as its place in ``parent`` needs."""
    where = span(text, child)
    if where is None:
        return None
    piece = text[where[0]:where[1]]
    if isinstance(child, ast.UnaryOp) and isinstance(child.op, ast.USub):
        inner = span(text, child.operand)
        return text[inner[0]:inner[1]] if inner is not None else None
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow):
        return f"(-{piece})"  # -x**2 is -(x**2)
    if isinstance(child, TIGHT) or (isinstance(child, ast.BinOp) and isinstance(child.op, TIGHT_OPS)):
        return f"-{piece}"
    return f"-({piece})"


def _same_as_parent(parent: ast.expr, child: ast.expr) -> bool:
    """Negating ``child`` is negating ``parent`` (already a candidate): the ``X`` of ``X.T`` or
    ``X[0]``; a call's own name is no value at all."""
    return (isinstance(parent, (ast.Attribute, ast.Subscript)) and child is parent.value) \
        or (isinstance(parent, ast.Call) and child is parent.func)


def reduction(case: Case) -> tuple[str, str] | None:
    """(how, the claim reduced) when a claim of the wrong shape, summed to the derivative's
    shape, is the derivative (proved): the sum over the batch a broadcast parameter's gradient
    needs (``sum(δ, axis=1)`` for a bias added to every column)."""
    claimed = case.question.claimed
    assert claimed is not None
    (rows, cols), want = claimed.shape, tuple(case.derived.truth.shape)
    if want == (1, 1):
        how, form = "summed over all its entries", "sum({c})"
    elif want == (rows, 1):
        how, form = "summed along each row (over its columns)", "sum({c}, axis=1)"
    elif want == (1, cols):
        how, form = "summed down each column (over its rows)", "sum({c}, axis=0)"
    else:
        return None
    repaired = compile_or_none(form.format(c=claimed.text), case)
    if repaired is not None and tuple(repaired.shape) == want and matrixform.verified(case, repaired):
        return how, repaired.text
    return None


def term_kind(claim: sp.Matrix, truth: sp.Matrix) -> tuple[str, str] | None:
    """("the residual", "missing-term" | "extra-term") when claim − truth is made of terms of the
    truth (left out) or of the claim (added); None otherwise."""
    residual = (claim - truth).applyfunc(lambda e: sp.cancel(sp.expand(e)))
    kinds = set()
    for c, t, r in zip(claim, truth, residual, strict=True):
        if r == 0:
            continue
        terms = sp.Add.make_args(sp.expand(r))
        if all(-term in sp.Add.make_args(sp.expand(t)) for term in terms):
            kinds.add("missing-term")
        elif all(term in sp.Add.make_args(sp.expand(c)) for term in terms):
            kinds.add("extra-term")
        else:
            return None
    if len(kinds) != 1:
        return None
    which = kinds.pop()
    term = -residual if which == "missing-term" else residual
    return entries_text(term), which


def entries_text(m: sp.Matrix) -> str:
    """A matrix of SymPy entries as a person reads it: one entry, the entry every entry equals, a
    vector's entries in one list, or a matrix's rows."""
    entries = list(m)
    if m.shape == (1, 1):
        return str(entries[0])
    if all(e == entries[0] for e in entries):
        return f"{entries[0]} in every entry"
    if 1 in m.shape:
        return "[" + ", ".join(str(e) for e in entries) + "]"
    return "[" + "; ".join(", ".join(str(e) for e in m.row(i)) for i in range(m.rows)) + "]"


#: f′ of the elementwise functions, written around the call's own text ``{c}`` and argument ``{a}``.
SLOPES = {
    "sigmoid": "{c} * (1 - {c})", "tanh": "(1 - {c}**2)", "relu": "step({a})", "exp": "{c}",
    "softplus": "sigmoid({a})", "log": "(1 / ({a}))",
}


def derivative_pieces(text: str, lets: Mapping[str, Expr]) -> list[tuple[str, str]]:
    """(call, its derivative) for each elementwise call in f and its lets, as written."""
    found: list[tuple[str, str]] = []
    for source in (text, *(body.text for body in lets.values())):
        try:
            tree = ast.parse(source, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SLOPES \
                    and len(node.args) == 1:
                call, arg = ast.unparse(node), ast.unparse(node.args[0])
                pair = (call, SLOPES[node.func.id].format(c=call, a=arg))
                if pair not in found:
                    found.append(pair)
    return found[:8]


def operands(text: str) -> list[tuple[str, int, int]]:
    """The pieces of a claim a factor may have been left out of: the whole claim, each operand of
    a matrix product or an entrywise product, and each argument of a call (``outer(δ, x)``)."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = [(text, 0, len(text))]
    for node in ast.walk(tree.body):
        sides: list[ast.expr] = []
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.MatMult, ast.Mult)):
            sides = [node.left, node.right]
        elif isinstance(node, ast.Call):  # outer(δ, x): δ may have lost its factor
            sides = list(node.args)
        for side in sides:
            where = span(text, side)
            if where is not None:
                found.append((text[where[0]:where[1]], *where))
    return found[:12]


def compile_or_none(text: str, case: Case) -> Expr | None:
    try:
        return compile_expr(text, case.question.variables, case.question.lets)
    except ExprError:
        return None
