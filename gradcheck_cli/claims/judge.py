"""Judge a claimed derivative: correct or incorrect, on what evidence, and how it is wrong.

The truth is derived by SymPy at the declared dimensions. The claim is compared with it at
``CLAIM_POINTS`` random points that respect the assumptions (numeric evidence), and SymPy is
asked, within a time budget, to simplify claim − truth to zero (symbolic evidence). A claim
the numbers reject is incorrect; a claim they accept is correct, proved symbolically when SymPy
finishes in time, otherwise on the numeric evidence alone — and the report says which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget, diagnosis, matrixform, repairs, typecheck
from gradcheck_cli.claims.evidence import Point, Sampler, close
from gradcheck_cli.claims.layout import derivative_shape
from gradcheck_cli.claims.question import Derived, Question, derive, with_claim
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.matrix import Answer
from gradcheck_cli.results import Diagnosis, QuestionResult

T = TypeVar("T")


@dataclass(frozen=True)
class Truth:
    """A question's derivative, derived once (element-wise by SymPy, and in matrix form where
    the matrix engine has one) and reused for every claim judged against it: a class's answers
    to one question share it."""

    derived: Derived
    answer: Answer | None

    @classmethod
    def of(cls, question: Question) -> Truth:
        """Both forms of ``question``'s derivative, each within its budget.

        Raises:
            GradcheckError: SymPy did not derive it in time.
        """
        return cls(derive_within_budget(question), matrixform.answer(question))


def judge(question: Question, *, seed: int = 0, show_answer: bool = False,
          truth: Truth | None = None) -> QuestionResult:
    """The verdict on ``question.claimed`` (which must be set, or ``claim_error``); ``truth``,
    when given, is the question's derivative derived before (``Truth.of``)."""
    if question.claim_error is not None:
        fix = attempt(lambda: retyped(question, truth, seed))
        if not show_answer:
            return typecheck.ill_typed(question, fix=fix)
        if truth is not None:
            known = truth.answer
            shown = known.text if known else elementwise_text(truth.derived)
            return typecheck.ill_typed(question, answer=shown, fix=fix)
        matrix_form = matrixform.answer(question)
        shown = matrix_form.text if matrix_form else elementwise_text(derive_within_budget(question))
        return typecheck.ill_typed(question, answer=shown, fix=fix)
    assert question.claimed is not None, "judge needs a claim; derive() shows the truth"
    derived = with_claim(truth.derived, question) if truth else derive_within_budget(question)
    claim = derived.claim
    assert claim is not None
    case = diagnosis.Case(question, derived, Sampler(question.variables, question.assume, seed))
    case.answer = truth.answer if truth else matrixform.answer(question)
    shape_problem = diagnosis.shape(case)
    if shape_problem is not None:
        if shape_problem.kind == "shape":
            found = shape_problem
            shape_problem = attempt(lambda: diagnosis.reshaped(case, found) if draw_and_witness(case) is None
                                    else None) or shape_problem
        return _result(question, derived, "incorrect", "shape check", shape_problem, show_answer, case=case)
    problem = draw_and_witness(case)
    if problem is not None:
        return _error(question, derived, problem)
    if all(close(case.claim_at(p), case.truth_at(p)) for p in case.points):
        evidence = "symbolic" if matrixform.proved(case) else _prove(derived, question)
        return _result(question, derived, "correct", evidence, None, show_answer, case=case)
    wrong = diagnosis.explain(case)
    residual = diagnosis.residual(case) or _residual(derived)
    return _result(question, derived, "incorrect", "numeric", wrong, show_answer, residual, case=case)


def attempt(search: Callable[[], T | None]) -> T | None:
    """A search for a repair of a wrong claim, within ``policy.REPAIR_BUDGET``: None when it runs
    out, or when one of its steps meets its own limit (an evaluation's budget) — the verdict
    stands without the repair. An enclosing total that runs out still propagates."""
    try:
        return budget.within(policy.REPAIR_BUDGET, search)
    except GradcheckError:
        return None


def retyped(question: Question, truth: Truth | None, seed: int) -> repairs.Change | None:
    """For a claim that does not type-check: the change of ``repairs.retypings`` (a transpose, a
    product's operator, a regrouping) that makes it the derivative — proved, not only at the
    points; None otherwise. The truth is only derived when some change type-checks with the
    derivative's shape."""
    error = question.claim_error
    if error is None or error.kind != "shape":
        return None
    want = derivative_shape(question.f.shape, question.variables[question.wrt], question.layout)
    candidates = repairs.fitting(error.expression, question.variables, question.lets, want)
    if not candidates:
        return None
    bare = dataclasses.replace(question, claimed=None, claim_error=None)
    try:
        derived = truth.derived if truth else derive_within_budget(bare)
    except GradcheckError:
        return None
    case = diagnosis.Case(bare, derived, Sampler(question.variables, question.assume, seed))
    case.answer = truth.answer if truth else matrixform.answer(bare)
    if draw_and_witness(case) is not None:
        return None
    return next((change for change, expr in candidates if matrixform.verified(case, expr)), None)


def draw_and_witness(case: diagnosis.Case) -> str | None:
    """Draw the points (where f, the truth and the claim, if any, are finite) and check the matrix-form
    answer against its witnesses there; what went wrong, or None. Where SymPy's entries were not
    finite at any point the answer was, no witness could be taken: the answer is set aside and the
    points drawn again where SymPy's entries are finite."""
    for _ in range(2):
        found = case.sampler.points(lambda p: _finite(case, p))
        if found is None:
            return (f"{_not_finite(case)} is not finite at any random point (a log or square root out of "
                    "its domain, a division by 0?); declare assumptions (e.g. `positive`) that keep it "
                    "defined")
        case.points = found
        disagreement = matrixform.disagreement(case)
        if disagreement is not None or case.answer is None or case.witnessed:
            return disagreement
        case.answer = None
    return None


def derive_within_budget(question: Question) -> Derived:
    """``derive`` under ``DERIVE_BUDGET``: symbolic inverses and determinants grow fast with size.

    Raises:
        GradcheckError: SymPy did not finish in time.
    """
    derived = budget.within(policy.DERIVE_BUDGET, lambda: derive(question))
    if derived is None:
        raise GradcheckError(
            f"SymPy could not derive ∂f/∂{question.wrt} within {policy.DERIVE_BUDGET:g} s at these sizes; "
            "declare smaller dimensions (the derivative's form does not depend on them)"
        )
    return derived


def _not_finite(case: diagnosis.Case) -> str:
    """Which of f, its derivative and the claim is not finite at random points, in words."""
    import numpy as np

    drawn = case.sampler.points(lambda p: True) or []
    values = [case.f_at(p) for p in drawn]
    if not any(v is None or np.all(np.isfinite(v)) for v in values):
        return "f"
    if not any(np.all(np.isfinite(case.truth_at(p))) for p in drawn):
        return "the derivative of f"
    if case.question.claimed is not None and not any(np.all(np.isfinite(case.claim_at(p))) for p in drawn):
        return "the claim"
    return "one of f, its derivative and the claim"


def _finite(case: diagnosis.Case, point: Point) -> bool:
    import numpy as np

    f = case.f_at(point)
    if f is not None and not np.all(np.isfinite(f)):
        return False
    # the matrix-form answer (fast) where there is one; its witnesses come after the draw
    truth = matrixform.value(case.answer.expr, point) if case.answer is not None else case.truth_at(point)
    if not np.all(np.isfinite(truth)):
        return False
    return case.question.claimed is None or bool(np.all(np.isfinite(case.claim_at(point))))


def _prove(derived: Derived, question: Question) -> str:
    """"symbolic" when SymPy simplifies claim − truth to 0 in time, else why not."""
    claim = derived.claim
    assert claim is not None
    tie = _symmetric_ties(derived, question)
    difference = (claim - derived.truth).xreplace(tie)
    if not budget.small(difference, policy.PROOF_MAX_OPS):
        return _numeric_evidence()
    proved = budget.within(policy.ELEMENTWISE_PROOF_BUDGET, lambda: all(_is_zero(d) for d in difference))
    if proved:
        return "symbolic"
    return _numeric_evidence()


def _numeric_evidence() -> str:
    # One wording whether SymPy ran out of time, gave up or was not tried (too large): which of
    # these happened can depend on the machine's speed, and reports must be identical run to run.
    return f"numeric at {policy.CLAIM_POINTS} random points (SymPy did not prove it)"


def _is_zero(expr: sp.Expr) -> bool:
    """Cheap rewrites first (expand, cancel), the full ``simplify`` only when they do not settle it."""
    return bool(sp.expand(expr) == 0 or sp.cancel(expr) == 0 or sp.simplify(expr) == 0)


def tidy(expr: sp.Expr) -> sp.Expr:
    """A readable form of a residual: rational functions cancelled, nothing more expensive."""
    return sp.cancel(sp.expand(expr))


def _symmetric_ties(derived: Derived, question: Question) -> dict[sp.Symbol, sp.Symbol]:
    """For a matrix declared symmetric, its lower entries stand for the upper ones."""
    ties: dict[sp.Symbol, sp.Symbol] = {}
    for name, props in question.assume.items():
        if {"symmetric", "positive_definite"} & set(props):
            M = derived.symbols[name]
            ties.update({M[i, j]: M[j, i] for i in range(M.rows) for j in range(i)})
    return ties


def _residual(derived: Derived) -> str | None:
    claim = derived.claim
    if claim is None or claim.shape != derived.truth.shape:
        return None
    if not budget.small(claim - derived.truth, policy.RESIDUAL_MAX_OPS):
        return None
    simplified = budget.within(policy.RESIDUAL_BUDGET, lambda: (claim - derived.truth).applyfunc(tidy))
    if simplified is None:
        return None
    return repairs.entries_text(simplified)


def _result(
    question: Question,
    derived: Derived,
    verdict: str,
    evidence: str,
    wrong: Diagnosis | None,
    show_answer: bool,
    residual: str | None = None,
    *,
    case: diagnosis.Case | None = None,
) -> QuestionResult:
    claimed = question.claimed
    assert claimed is not None
    points = question.points
    return QuestionResult(
        name=question.name,
        verdict="correct" if verdict == "correct" else "incorrect",
        f=question.f.text,
        wrt=question.wrt,
        layout=question.layout,
        claimed=claimed.text,
        expected_shape=(derived.truth.rows, derived.truth.cols),
        claimed_shape=claimed.shape,
        evidence=evidence,
        diagnosis=wrong,
        residual=residual,
        points=points,
        awarded=None if points is None else (points if verdict == "correct" else 0.0),
        answer=answer_text(derived, case) if show_answer else None,
    )


def _error(question: Question, derived: Derived, message: str) -> QuestionResult:
    return QuestionResult(
        name=question.name, verdict="error", f=question.f.text, wrt=question.wrt, layout=question.layout,
        claimed=question.claimed.text if question.claimed else None,
        expected_shape=(derived.truth.rows, derived.truth.cols), claimed_shape=None,
        evidence="none", points=question.points, awarded=0.0 if question.points is not None else None,
        error=message,
    )


def answer_text(derived: Derived, case: diagnosis.Case | None) -> str:
    """The derivative as a person writes it: the matrix form, else SymPy's entries."""
    if case is not None and case.answer is not None:
        return case.answer.text
    return elementwise_text(derived)


def elementwise_text(derived: Derived) -> str:
    """The derivative entry by entry, as SymPy prints it."""
    truth = derived.truth
    return str(truth[0, 0]) if truth.shape == (1, 1) else str(truth.tolist())
