"""How a claim is wrong, by structure: each kind is a hypothesis tested at the random points.

Kinds (stable identifiers in JSON): ``shape``, ``layout``, ``sign``, ``transpose``, ``factor``,
``symmetric-assumption``, ``symmetric-convention``, ``activation-derivative``, ``partial``,
``missing-term``,
``extra-term``, ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget, matrixform, repairs, terms
from gradcheck_cli.claims.evidence import Point, Sampler, close, evaluate, substitution
from gradcheck_cli.claims.layout import other
from gradcheck_cli.claims.question import Derived, Question
from gradcheck_cli.diagnose import constant_along, offset_phrase
from gradcheck_cli.expr import to_numpy
from gradcheck_cli.matrix import Answer
from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.ops.base import Array
from gradcheck_cli.results import Diagnosis


@dataclass
class Case:
    """A question under judgement, its derived SymPy forms, and the points drawn so far."""

    question: Question
    derived: Derived
    sampler: Sampler
    points: list[Point] = field(default_factory=list)
    #: the derivative in matrix form, when the matrix engine has one
    answer: Answer | None = None
    #: the answer agreed with its witnesses (SymPy's entries, the complex step): from then on
    #: the truth at a point is the answer's NumPy value, not SymPy's slow exact evaluation
    witnessed: bool = False
    _values: dict[tuple[str, int], Array | None] = field(default_factory=dict, repr=False)

    def _cached(self, what: str, point: Point, compute: Callable[[], Array | None]) -> Array | None:
        key = (what, id(point))
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]

    def f_at(self, point: Point) -> Array | None:
        """f's own value at a point (None when f was not kept)."""
        f = self.derived.f
        if f is None:
            return None
        return self._cached("f", point, lambda: evaluate(f, substitution(self.derived.symbols, point)))

    def truth_at(self, point: Point) -> Array:
        """The derivative at a point: the witnessed matrix-form answer, else SymPy's entries."""
        if self.witnessed and self.answer is not None:
            answer = self.answer
            return self._cached("answer", point, lambda: np.asarray(to_numpy(answer.expr, point)))  # type: ignore[return-value]
        return self.sympy_truth_at(point)

    def sympy_truth_at(self, point: Point) -> Array:
        """The element-wise SymPy derivative at a point (the independent witness)."""
        found = self._cached("sympy", point,
                             lambda: evaluate(self.derived.truth, substitution(self.derived.symbols, point)))
        assert found is not None
        return found

    def other_at(self, point: Point) -> Array:
        return evaluate(self.derived.other_truth, substitution(self.derived.symbols, point))

    def claim_at(self, point: Point) -> Array:
        claimed = self.question.claimed
        assert claimed is not None
        with np.errstate(all="ignore"):
            return np.asarray(to_numpy(claimed, point), dtype=np.float64)

    def holds(self, model: Callable[[Point], Array], points: list[Point] | None = None) -> bool:
        """Does the claim equal ``model`` at every point?"""
        return all(close(self.claim_at(p), model(p)) for p in (points or self.points))


def _fmt(shape: tuple[int, int]) -> str:
    return "a scalar" if shape == (1, 1) else f"{shape[0]}×{shape[1]}"


def shape(case: Case) -> Diagnosis | None:
    """``layout`` when the claim has the other layout's shape and values, ``shape`` otherwise."""
    claimed = case.question.claimed
    assert claimed is not None
    want, got = case.derived.truth.shape, claimed.shape
    if tuple(got) == tuple(want):
        return None
    layout = case.question.layout
    if tuple(got) == tuple(case.derived.other_truth.shape):
        found = case.sampler.points(lambda p: bool(np.all(np.isfinite(case.other_at(p)))))
        if found and case.holds(case.other_at, found):
            return Diagnosis(
                "layout",
                f"the claim is right in the {other(layout)} layout; the {layout} layout asks for "
                f"{_fmt(want)} — transpose it",
                {"expected_shape": list(want), "claimed_shape": list(got), "layout": other(layout)},
            )
    return Diagnosis(
        "shape",
        f"wrong shape: the {layout} layout needs {_fmt(want)}, the claim is {_fmt(got)}",
        {"expected_shape": list(want), "claimed_shape": list(got)},
    )


def reshaped(case: Case, found: Diagnosis) -> Diagnosis | None:
    """``found`` (a ``shape`` diagnosis) with the change that makes the claim right, proved at
    the case's points: summed to the derivative's shape (a bias's gradient without the sum over
    the batch), or one change of ``repairs.retypings`` (``*`` for ``@``, a transpose); None
    when neither does."""
    reduced = repairs.reduction(case)
    if reduced is not None:
        how, text = reduced
        return Diagnosis("shape", f"{found.message}; {how}, `{text}`, it is right",
                         {**found.details, "expected": text})
    change = repairs.regrouped(case)
    if change is not None:
        return Diagnosis("shape", f"{found.message}; {change.said()}",
                         {**found.details, "found": change.piece, "expected": change.changed})
    return None


def explain(case: Case) -> Diagnosis:
    """The first hypothesis that explains the claim at every point, or ``other``."""
    for test in (_sign, _transpose, _factor, _activation, _entrywise_inverse, terms.structural, _symmetric,
                 _convention, _inner_sign, _regrouped, _missing_derivative, terms.rewritten, _terms, _offset,
                 _partial):
        found = test(case)
        if found is not None:
            return found
    return Diagnosis("other", "the claim differs from the derivative in no simple pattern")


def _sign(case: Case) -> Diagnosis | None:
    if case.holds(lambda p: -case.truth_at(p)):
        return Diagnosis("sign", "the sign is wrong: the claim is −(the derivative)", {"factor": -1.0})
    return None


def _transpose(case: Case) -> Diagnosis | None:
    """The claim is exactly the derivative's transpose (checked before the symmetric cases, which
    it would also satisfy); the message says when a symmetric matrix would make it right."""
    truth = case.derived.truth
    if truth.rows != truth.cols or truth.rows == 1 or not case.holds(lambda p: case.truth_at(p).T):
        return None
    message = "the claim is the transpose of the derivative"
    if case.answer is not None:
        message += f": it should be `{case.answer.text}`"
    symmetric = [name for name in case.question.variables if _symmetric_fits(case, name)]
    if symmetric:
        message += f" (it would be right if {' or '.join(f'`{n}`' for n in symmetric)} were symmetric)"
    return Diagnosis("transpose", message, {"scope": "whole"})


def _factor(case: Case) -> Diagnosis | None:
    ratios = []
    for p in case.points:
        t, c = case.truth_at(p), case.claim_at(p)
        denom = float(np.vdot(t, t))
        if denom == 0.0:
            return None
        r = float(np.vdot(t, c)) / denom
        if not close(c, r * t):
            return None
        ratios.append(r)
    if all(abs(r - ratios[0]) <= policy.CLAIM_RTOL * abs(ratios[0]) for r in ratios):
        name = repairs.name_constant(ratios[0], case.question.variables)
        details: dict[str, str | float | list[int]] = {"factor": ratios[0], "name": name}
        return Diagnosis("factor", f"the claim is {name} times the derivative", details)
    named = repairs.name_factor(case, ratios)
    if named is None:
        return None
    return Diagnosis("factor", f"the claim is the derivative times {named}", {"factor": named})


def _symmetric_fits(case: Case, name: str) -> bool:
    """The claim would be right if the square variable ``name`` were symmetric (not declared)."""
    rows, cols = case.question.variables[name]
    declared = set(case.question.assume.get(name, ()))
    if rows != cols or rows == 1 or {"symmetric", "positive_definite"} & declared:
        return False
    finite = lambda p: bool(np.all(np.isfinite(case.truth_at(p))))  # noqa: E731
    found = case.sampler.points(finite, also_symmetric=[name])
    return bool(found and case.holds(case.truth_at, found))


def _symmetric(case: Case) -> Diagnosis | None:
    for name in case.question.variables:
        if _symmetric_fits(case, name):
            return Diagnosis(
                "symmetric-assumption",
                f"the claim is right only when `{name}` is symmetric, which is not declared; "
                f"the derivative treats every entry of `{name}` as independent",
                {"variable": name},
            )
    return None


def _convention(case: Case) -> Diagnosis | None:
    """For a variable declared symmetric: the claim is one of the other conventions for its
    gradient — over its free entries, G + Gᵀ − diag(G) (each off-diagonal pair counted once), or
    the symmetrised (G + Gᵀ)/2 — where this tool's derivative is G, every entry independent."""
    name = case.question.wrt
    rows, cols = case.question.variables[name]
    declared = set(case.question.assume.get(name, ()))
    if rows != cols or rows == 1 or not {"symmetric", "positive_definite"} & declared:
        return None
    if case.derived.truth.shape != (rows, cols):
        return None

    def free(p: Point) -> Array:
        g = case.truth_at(p)
        out: Array = g + g.T - np.diag(np.diag(g))
        return out

    def symmetrised(p: Point) -> Array:
        g = case.truth_at(p)
        out: Array = (g + g.T) / 2
        return out

    independent = f"this tool's derivative treats every entry of `{name}` as independent (G), also for a " \
                  "symmetric matrix"
    if case.holds(free):
        return Diagnosis("symmetric-convention", f"the claim is the gradient over the free entries of a "
                         f"symmetric `{name}`, G + Gᵀ − diag(G); {independent}",
                         {"convention": "free-entries"})
    if not case.holds(case.truth_at) and case.holds(symmetrised):
        return Diagnosis("symmetric-convention", f"the claim is the symmetrised gradient (G + Gᵀ)/2; "
                         f"{independent}", {"convention": "symmetrised"})
    return None


def _activation(case: Case) -> Diagnosis | None:
    found = repairs.activation(case)
    if found is None:
        return None
    wrong, right, let = found
    where = f" (in `{let}`)" if let else ""
    bound = [f"{name} = {body.text}" for name, body in case.question.lets.items()
             if name != let and re.search(rf"\b{re.escape(name)}\b", f"{wrong} {right}")]
    known = f" ({'; '.join(bound)})" if bound else ""
    details: dict[str, str | float | list[int]] = {"found": wrong, "expected": right}
    if let:
        details["let"] = let
    return Diagnosis(
        "activation-derivative",
        f"an elementwise derivative is wrong: `{wrong}`{where} should be `{right}`{known}",
        details,
    )


def residual(case: Case) -> str | None:
    """claim − derivative in matrix form, in the question's names (None without a matrix form)."""
    claimed, found = case.question.claimed, case.answer
    if claimed is None or found is None:
        return None
    form = matrixform.canonical(case.question, claimed)
    if form is None or form.shape != found.poly.shape:
        return None
    return matrixform.printer(case.question).text(al.sub(form, found.poly))


def _entrywise_inverse(case: Case) -> Diagnosis | None:
    """``A**-1`` is the entrywise reciprocal (as in NumPy), not the inverse: when ``inv(A)`` in
    its place makes the claim right (proved), say so."""
    found = repairs.matrix_inverse(case)
    if found is None:
        return None
    written, meant = found
    return Diagnosis("other", f"`{written}` is the entrywise reciprocal (as in NumPy), not the matrix "
                     f"inverse: with `{meant}` the claim is right", {"found": written, "expected": meant})


def _inner_sign(case: Case) -> Diagnosis | None:
    """One sign slipped inside the claim (``sigmoid(y * z)`` for ``sigmoid(-y * z)``): found by
    flipping each sign in turn, shown only when the flip makes the claim right (proved)."""
    found = repairs.inner_sign(case)
    if found is None:
        return None
    written, meant = found
    return Diagnosis("sign", f"a sign is wrong inside the claim: `{written}` should be `{meant}`",
                     {"found": written, "expected": meant, "scope": "inside"})


def _regrouped(case: Case) -> Diagnosis | None:
    """One operand transposed (``W2`` for ``W2.T``, square, so the claim type-checks) or one chain
    grouped from the left that was meant the other way: shown only when the change makes the
    claim right (proved)."""
    change = repairs.regrouped(case)
    if change is None:
        return None
    details: dict[str, str | float | list[int]] = {"found": change.piece, "expected": change.changed}
    if change.kind == "operator":
        return Diagnosis("other", f"`{change.piece}` should be `{change.changed}` (`*` is the entrywise "
                         "product, `@` the matrix product): with it the claim is right", details)
    if change.kind == "grouping":
        return Diagnosis("other", f"`{change.piece}` groups from the left (`@`, `*` and `/` share a "
                         f"precedence): written `{change.changed}` the claim is right", details)
    return Diagnosis("transpose", f"`{change.piece}` should be `{change.changed}`: with it the claim is "
                     "right", details)


def _missing_derivative(case: Case) -> Diagnosis | None:
    """A factor f′(a) of an elementwise function of f left out of one piece of the claim (the
    σ′ of an output layer): found by putting it back, and shown only when that makes the claim
    right (proved, not only at the points)."""
    found = repairs.missing_derivative(case)
    if found is None:
        return None
    piece, fixed, call = found
    return Diagnosis(
        "activation-derivative",
        f"the derivative of `{call}` is missing: `{piece}` should be `{fixed}`",
        {"found": piece, "expected": fixed, "function": call},
    )


def _partial(case: Case) -> Diagnosis | None:
    good = np.ones(case.derived.truth.shape, dtype=bool)
    for p in case.points:
        t, c = case.truth_at(p), case.claim_at(p)
        scale = max(float(np.abs(t).max(initial=0.0)), policy.TINY)
        good &= np.abs(c - t) <= policy.CLAIM_RTOL * scale
    if not good.any() or good.all():
        return None
    bad_rows = sorted({int(i) for i in np.nonzero(~good)[0]})
    bad_cols = sorted({int(j) for j in np.nonzero(~good)[1]})
    where = f"rows {bad_rows}" if len(bad_rows) < good.shape[0] else f"columns {bad_cols}"
    return Diagnosis(
        "partial",
        f"right on {int(good.sum())} of {good.size} entries; wrong in {where}",
        {"wrong_rows": bad_rows, "wrong_columns": bad_cols},
    )


def _offset(case: Case) -> Diagnosis | None:
    """claim − derivative is the same in every entry (or row, or column) at every point: a term
    constant along that axis is missing or extra, which SymPy could not isolate."""
    found = {constant_along(case.claim_at(p) - case.truth_at(p)) for p in case.points}
    if len(found) != 1 or None in found:
        return None
    unit = found.pop()
    assert unit is not None
    return Diagnosis("missing-term", offset_phrase("at every point the claim", unit), {"same_in_every": unit})


def _terms(case: Case) -> Diagnosis | None:
    claim = case.derived.claim
    assert claim is not None
    if not budget.small(claim - case.derived.truth, policy.RESIDUAL_MAX_OPS):
        return None
    kind = budget.within(policy.RESIDUAL_BUDGET, lambda: repairs.term_kind(claim, case.derived.truth))
    if kind is None:
        return None
    residual, which = kind
    if which == "missing-term":
        return Diagnosis(which, f"a term is missing: the claim lacks {residual}", {"term": residual})
    return Diagnosis(which, f"a term is extra: the claim adds {residual}", {"term": residual})


__all__ = ["Case", "explain", "shape", "sp"]
