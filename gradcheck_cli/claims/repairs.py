"""Structural hypotheses about a wrong claim: named factors, a wrong elementwise derivative,
a missing or extra term. Each is checked numerically against the truth, never assumed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget
from gradcheck_cli.claims.evidence import close, evaluate, substitution
from gradcheck_cli.ops.base import Array

if TYPE_CHECKING:
    from gradcheck_cli.claims.diagnosis import Case

#: Elementwise derivatives a claim might have needed, as functions of the argument u.
def _tanh_prime(u: sp.Expr) -> sp.Expr:
    return 1 - sp.tanh(u) ** 2


def _sigmoid(u: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-u))


def _sigmoid_prime(u: sp.Expr) -> sp.Expr:
    return _sigmoid(u) * (1 - _sigmoid(u))


def _sin_prime_of_cos(u: sp.Expr) -> sp.Expr:
    return -sp.sin(u)


def _log_prime(u: sp.Expr) -> sp.Expr:
    return 1 / u


def _sqrt_prime(u: sp.Expr) -> sp.Expr:
    return 1 / (2 * sp.sqrt(u))


#: Elementwise derivatives a claim might have needed, as functions of the argument u:
#: relu′ = step, tanh′, σ′ = σ(1 − σ), softplus′ = σ, exp′, sin′, cos′, log′, |·|′, sqrt′.
DERIVATIVES: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    sp.Heaviside, _tanh_prime, _sigmoid_prime, _sigmoid, sp.exp, sp.cos, _sin_prime_of_cos,
    _log_prime, sp.sign, _sqrt_prime,
)

#: Most candidate subexpressions tried when looking for a wrong elementwise derivative.
MAX_CANDIDATES = 40

U = sp.Symbol("u")


def name_constant(c: float, variables: Mapping[str, tuple[int, int]]) -> str:
    """2, 1/2, -3, or a dimension of a variable (m, 1/m) — else the number itself."""
    for name, (rows, cols) in variables.items():
        for size, what in ((rows, "rows"), (cols, "columns")):
            if size > 2 and abs(c - size) <= policy.CLAIM_RTOL * size:
                return f"{size} (the number of {what} of {name})"
            if size > 2 and abs(c - 1 / size) <= policy.CLAIM_RTOL / size:
                return f"1/{size} (one over the number of {what} of {name})"
    frac = Fraction(c).limit_denominator(64)
    if abs(float(frac) - c) <= policy.CLAIM_RTOL * abs(c):
        return str(frac)
    return f"{c:.6g}"


def name_factor(case: Case, ratios: list[float]) -> str:
    """An expression for a factor that changes from point to point (det X, 1/‖x‖, …)."""
    for text, values in _measures(case):
        pairs = zip(values, ratios, strict=True)
        if all(abs(v - r) <= policy.CLAIM_RTOL * max(abs(r), policy.TINY) for v, r in pairs):
            return text
    claim, truth = case.derived.claim, case.derived.truth
    assert claim is not None
    entry = next((k for k in range(len(truth)) if truth[k] != 0), None)
    if entry is None:
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


def activation(case: Case) -> tuple[str, str] | None:
    """Replace an elementwise piece of the claim, g(u) or built from g(u) alone, by each known
    derivative form; if one replacement makes the claim right, that piece was the mistake."""
    claim = case.derived.claim
    assert claim is not None
    for piece, arg in _pieces(claim):
        pattern = piece.xreplace({arg: U})
        wild = sp.Wild("w")
        for form in DERIVATIVES:
            right = form(U)
            if sp.expand(right - pattern) == 0:
                continue
            old, new = pattern.xreplace({U: wild}), right.xreplace({U: wild})
            repaired = claim.applyfunc(lambda e, old=old, new=new: e.replace(old, new))
            subs = [substitution(case.derived.symbols, p) for p in case.points]
            pairs = zip(subs, case.points, strict=True)
            if all(close(evaluate(repaired, s), case.truth_at(p)) for s, p in pairs):
                return _show(pattern), _show(right)
    return None


def _pieces(claim: sp.Matrix) -> list[tuple[sp.Expr, sp.Expr]]:
    """Subexpressions that depend on their variables only through one function call g(u)."""
    pieces: list[tuple[sp.Expr, sp.Expr]] = []
    for entry in claim:
        calls = [a for a in entry.atoms(sp.Function, sp.Max, sp.Min) if len(a.args) >= 1]
        for call in calls:
            arg = next((a for a in call.args if a.free_symbols), None)
            if arg is None:
                continue
            for sub in sp.preorder_traversal(entry):
                if sub.has(call) and not _other_uses(sub, call, arg) and (sub, arg) not in pieces:
                    pieces.append((sub, arg))
                if len(pieces) >= MAX_CANDIDATES:
                    return pieces
    return pieces


def _other_uses(sub: sp.Expr, call: sp.Expr, arg: sp.Expr) -> bool:
    """Does ``sub`` use any variable other than through ``call``?"""
    return bool(sub.xreplace({call: sp.Dummy()}).free_symbols & arg.free_symbols) or bool(
        sub.free_symbols - arg.free_symbols
    )


def _show(expr: sp.Expr) -> str:
    """Write a piece in the expression language's words (step, relu, sigmoid)."""
    text = str(expr)
    for sympy_form, ours in (("Heaviside(u)", "step(u)"), ("Max(0, u)", "relu(u)"),
                             ("1/(1 + exp(-u))", "sigmoid(u)"), ("log(exp(u) + 1)", "softplus(u)")):
        text = text.replace(sympy_form, ours)
    return text


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
    return str(term[0, 0] if term.shape == (1, 1) else term.tolist()), which
