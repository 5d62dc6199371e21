"""Term-by-term diagnosis in the user's own notation.

The claim is split into the terms the user wrote (its top-level ``+`` and ``-``), each put in
canonical form and matched against the canonical derivative. The terms that match exactly are
set aside; what is left of the derivative is compared with the one term that does not match:
its negation (``sign``), a multiple (``factor``), its transpose (``transpose``), nothing at all
(``extra-term``) — or, with every written term right, the remainder is a ``missing-term``. Each
suggestion is verified before it is shown: the claim with the fix applied must be the derivative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from gradcheck_cli.claims import matrixform
from gradcheck_cli.expr import Expr
from gradcheck_cli.expr.nodes import Binary, LetRef, Negate
from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.matrix.algebra import Poly
from gradcheck_cli.matrix.printer import Printer, number
from gradcheck_cli.matrix.simplify import rebuild
from gradcheck_cli.results import Diagnosis

if TYPE_CHECKING:
    from gradcheck_cli.claims.diagnosis import Case


@dataclass(frozen=True)
class Term:
    """One term of the claim as written: its text, sign and canonical form (sign included)."""

    text: str
    negative: bool
    form: Poly


def written_terms(expr: Expr, negative: bool = False) -> Iterator[tuple[Expr, bool]]:
    """The claim's top-level terms, with the sign each is written with (a term may be smaller than
    the claim and broadcast into it: the ``1`` of ``A @ x + 1``)."""
    if isinstance(expr, Binary) and expr.op in "+-":
        yield from written_terms(expr.left, negative)
        yield from written_terms(expr.right, negative != (expr.op == "-"))
    elif isinstance(expr, Negate):
        yield from written_terms(expr.operand, not negative)
    else:
        yield expr, negative


def structural(case: Case) -> Diagnosis | None:
    """A wrong sign, factor or transpose of one term, or a missing or extra term."""
    found = diagnose(case)
    return None if found is None or found.kind == "other" else found


def rewritten(case: Case) -> Diagnosis | None:
    """One term that is wrong in no simple way, with the term it should be."""
    found = diagnose(case)
    return found if found is not None and found.kind == "other" else None


def diagnose(case: Case) -> Diagnosis | None:
    """A diagnosis of one wrong, missing or extra term, or None when the claim is not a
    term-level slip of the derivative (or has no matrix form)."""
    claimed, found = case.question.claimed, case.answer
    if claimed is None or found is None or isinstance(claimed, LetRef):
        return None
    terms = []
    for expr, negative in written_terms(claimed):
        form = matrixform.canonical(case.question, expr)
        if form is None:
            return None
        terms.append(Term(expr.text, negative, al.neg(form) if negative else form))
    truth = found.poly
    if terms and al.add(*(t.form for t in terms)) == truth:
        return None
    right = [t for t in terms if contained(t.form, truth)]
    wrong = [t for t in terms if not contained(t.form, truth)]
    rest = al.sub(truth, al.add(*(t.form for t in right))) if right else truth
    if not matrixform.faithful(case, al.add(*(t.form for t in terms))):
        return None
    show = matrixform.printer(case.question)
    whole = len(terms) == 1
    if not wrong:
        return Diagnosis("missing-term", f"a term is missing: {signed(show.text(rest))}",
                         {"term": show.text(rest), "scope": "term"})
    if len(wrong) != 1:
        return None
    (bad,) = wrong
    return compare(bad, rest, show, whole)


def compare(bad: Term, rest: Poly, show: Printer, whole: bool) -> Diagnosis | None:
    """What is wrong with the one term ``bad`` when the rest of the derivative is ``rest``."""
    written = f"`{('-' if bad.negative else '') + bad.text}`"
    scope: dict[str, str | float | list[int]] = {"scope": "whole" if whole else "term", "term": bad.text}
    if rest.is_zero:
        return Diagnosis("extra-term", f"the term {written} is extra: the derivative has no such term",
                         scope)
    ratio = multiple(bad.form, rest)
    should = f"it should be `{show.text(narrowed(rest, bad.form.shape))}`"
    if ratio == -1:
        what = "the claim has the wrong sign" if whole else f"the term {written} has the wrong sign"
        return Diagnosis("sign", f"{what}: {should}", {**scope, "factor": -1.0})
    if ratio is not None:  # the claim (or its term) is ratio times what it should be
        what = f"the claim is {number(ratio)} times the derivative" if whole else \
            f"the term {written} has the wrong factor"
        return Diagnosis("factor", f"{what}: {should}", {**scope, "factor": float(ratio)})
    if bad.form.shape == rest.shape and al.transpose(bad.form) == rest:
        what = "the claim is the transpose of the derivative" if whole else \
            f"the term {written} is transposed"
        return Diagnosis("transpose", f"{what}: {should}", scope)
    swapped = None if whole else transposed_leaf(bad.form, rest)
    if swapped is not None:
        return Diagnosis("transpose", f"in the term {written}, `{swapped}` should be `{swapped}.T`: {should}",
                         {**scope, "variable": swapped})
    if whole or contained_any(bad.form, rest):
        return None
    return Diagnosis("other", f"the term {written} is wrong: {should}", scope)


def narrowed(rest: Poly, shape: al.Shape) -> Poly:
    """``rest`` at the smaller ``shape`` of the term it replaces, when it is made of scalars that
    broadcast (``1`` rather than ``ones(3)`` for the ``2`` of ``A @ x + 2``)."""
    if shape != rest.shape and all(not m.chain for m in rest.terms):
        return Poly(shape, rest.terms)
    return rest


def transposed_leaf(form: Poly, target: Poly) -> str | None:
    """The matrix variable whose transpose, put in its place, turns ``form`` into ``target``."""
    names = sorted({at.name for m in form.terms for f in (m.scalars, *m.chain) for at, _ in f
                    for at in leaves(at) if at.shape[0] > 1 and at.shape[1] > 1})
    for name in names:
        def swap(at: al.Atom, name: str = name) -> Poly:
            if isinstance(at, al.Leaf) and at.name == name:
                return al.transpose(al.atom(at))
            return al.atom(at)

        try:
            if rebuild(form, swap) == target:
                return name
        except (al.Unsupported, al.TooLarge):
            continue
    return None


def leaves(at: al.Atom) -> list[al.Leaf]:
    if isinstance(at, al.Leaf):
        return [at]
    if isinstance(at, al.Tr):
        return leaves(at.inner)
    if isinstance(at, al.Group):
        return [leaf for m in at.poly.terms for f in (m.scalars, *m.chain) for a, _ in f
                for leaf in leaves(a)]
    if isinstance(at, al.Fn):
        return [leaf for arg in at.args for m in arg.terms for f in (m.scalars, *m.chain) for a, _ in f
                for leaf in leaves(a)]
    return []


def contained(part: Poly, whole: Poly) -> bool:
    """Every term of ``part`` is a term of ``whole`` with the same coefficient."""
    if part.is_zero:
        return False
    mine = {m.ident(): m.coef for m in whole.terms}
    return all(mine.get(m.ident()) == m.coef for m in part.terms)


def contained_any(part: Poly, whole: Poly) -> bool:
    """Some terms of ``part`` are in ``whole`` (the term is partly right: no single fix)."""
    mine = {m.ident(): m.coef for m in whole.terms}
    return any(mine.get(m.ident()) == m.coef for m in part.terms)


def multiple(a: Poly, b: Poly) -> Fraction | None:
    """r ≠ 1 with a = r · b, when there is one (a and b nonzero)."""
    if a.is_zero or b.is_zero or len(a.terms) != len(b.terms):
        return None
    ratios = set()
    for x, y in zip(a.terms, b.terms, strict=True):
        if x.ident() != y.ident():
            return None
        ratios.add(x.coef / y.coef)
    if len(ratios) != 1:
        return None
    (r,) = ratios
    return None if r == 1 else r


def signed(text: str) -> str:
    return f"`{text}`"


__all__ = ["diagnose", "rewritten", "structural"]
