"""The derivative of a question without a claim: in matrix form, witnessed, or element-wise.

What ``gradcheck expr F --wrt V`` shows. The matrix-form answer is only shown after it agreed
with the element-wise SymPy derivative at random points; f that is not finite anywhere is an
error, exactly as when a claim is judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget, diagnosis, matrixform
from gradcheck_cli.claims.evidence import Sampler
from gradcheck_cli.claims.judge import derive_within_budget, draw_and_witness, elementwise_text
from gradcheck_cli.claims.question import Question
from gradcheck_cli.errors import GradcheckError


@dataclass(frozen=True)
class Derivation:
    """∂f/∂wrt as shown to a person, with the evidence that it is right."""

    f: str
    wrt: str
    layout: str
    shape: tuple[int, int]
    #: the derivative in the expression language (None: the matrix engine has no form for f)
    matrix: str | None
    latex: str
    #: SymPy's entries (None: too large to print, ``policy.PRINT_MAX_OPS``)
    elementwise: str | None
    elementwise_pretty: str | None
    evidence: str
    error: str | None = None
    #: the δ recursion (name, definition) and the answer written with the δs, when f has lets
    steps: tuple[tuple[str, str], ...] = ()
    short: str = ""


def derivation(question: Question, *, seed: int = 0) -> Derivation:
    """The derivative of ``question.f`` with respect to ``question.wrt`` in its layout."""
    derived = derive_within_budget(question)
    truth = derived.truth
    shown = truth[0, 0] if truth.shape == (1, 1) else truth
    pretty = _printed(shown, lambda e: sp.pretty(e, use_unicode=True))
    case = diagnosis.Case(question, derived, Sampler(question.variables, question.assume, seed))
    case.answer = matrixform.answer(question)
    base = dict(f=question.f.text, wrt=question.wrt, layout=question.layout, shape=(truth.rows, truth.cols),
                elementwise=_printed(shown, lambda e: elementwise_text(derived)), elementwise_pretty=pretty)
    problem = draw_and_witness(case)
    if problem is not None:
        return Derivation(**base, matrix=None, latex="", evidence="none", error=problem)  # type: ignore[arg-type]
    if case.answer is None:
        latex = budget.printed(shown, sp.latex)  # raises when too large: nothing else to show
        return Derivation(**base, matrix=None, latex=latex,  # type: ignore[arg-type]
                          evidence="element-wise SymPy (no matrix form for this f)")
    evidence = (f"matrix form, equal to the element-wise SymPy derivative and the complex step at "
                f"{policy.WITNESS_POINTS} random points")
    return Derivation(**base, matrix=case.answer.text, latex=case.answer.latex,  # type: ignore[arg-type]
                      evidence=evidence, steps=case.answer.steps, short=case.answer.short)


def _printed(shown: sp.Basic, render: Callable[[sp.Basic], str]) -> str | None:
    """SymPy's entries printed, or None when they are too large to read."""
    try:
        return budget.printed(shown, render)
    except GradcheckError:
        return None


__all__ = ["Derivation", "derivation"]
