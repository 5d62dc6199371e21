"""A claim that does not type-check (3×1 − 1×3, ``trace`` of a 2×3) is a wrong answer.

The formula was read, its names are known, but its operands' shapes do not fit: a student's
slip in the derivation, scored like any other wrong answer (verdict ``incorrect``, diagnosis
``shape``, no points), not invalid input. A syntax error or an unknown name in a claim is
still an error of the input: nothing was said that could be judged.
"""

from __future__ import annotations

from gradcheck_cli.claims.layout import derivative_shape
from gradcheck_cli.claims.question import Question
from gradcheck_cli.claims.repairs import Change
from gradcheck_cli.results import Diagnosis, QuestionResult


def ill_typed(question: Question, *, answer: str | None = None,
              fix: Change | None = None) -> QuestionResult:
    """The verdict on a question whose claim did not compile for a shape mismatch
    (``question.claim_error``, which must be set): incorrect, diagnosis ``shape``, with the
    column of the operator or call and the compiler's sentence; ``answer`` is shown if given.
    ``fix``, a change proved to make the claim the derivative, takes the place of the compiler's
    guess at a hint."""
    error = question.claim_error
    assert error is not None, "ill_typed judges a claim that did not type-check"
    want = derivative_shape(question.f.shape, question.variables[question.wrt], question.layout)
    need = "a scalar" if want == (1, 1) else f"{want[0]}×{want[1]}"
    message = f"the claim does not type-check (the {question.layout} layout needs {need}): {error.message}"
    details: dict[str, str | float | list[int]] = {"expected_shape": list(want),
                                                   "expression": error.expression}
    if fix is not None:
        message = f"{message.rstrip('.')}; {fix.said()}"
        details.update(found=fix.piece, expected=fix.changed)
    elif error.hint:
        message = f"{message.rstrip('.')}; {error.hint}"
    if error.column is not None:
        details["column"] = error.column
    if error.line is not None:
        details["line"] = error.line
    points = question.points
    return QuestionResult(
        name=question.name, verdict="incorrect", f=question.f.text, wrt=question.wrt,
        layout=question.layout, claimed=error.expression, expected_shape=want, claimed_shape=None,
        evidence="shape check", diagnosis=Diagnosis("shape", message, details), points=points,
        awarded=None if points is None else 0.0, answer=answer,
    )
