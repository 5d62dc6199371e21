"""Claims in matrix form: the answer as a formula, a proof by canonical forms, and the witness.

The matrix-calculus engine (``gradcheck_cli.matrix``) gives the derivative as an expression of
the language. It is trusted for nothing on its own: at every random point of a question its
answer is compared with the element-wise SymPy derivative (written from f entry by entry, an
independent witness), and a disagreement makes the question an ``error`` naming the engines —
never a verdict. When they agree, a claim whose canonical form equals the answer's is proved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from gradcheck_cli import matrix, policy
from gradcheck_cli.claims import budget
from gradcheck_cli.claims.evidence import Point, close
from gradcheck_cli.claims.question import Question
from gradcheck_cli.expr import Expr, ExprError, compile_expr, to_complex, to_numpy, to_sympy
from gradcheck_cli.matrix import Answer, Facts
from gradcheck_cli.matrix.algebra import Poly
from gradcheck_cli.matrix.printer import Printer

if TYPE_CHECKING:
    from gradcheck_cli.claims.diagnosis import Case


def facts(question: Question) -> Facts:
    return Facts.of(question.assume)


def answer(question: Question) -> Answer | None:
    """The derivative in matrix form, within ``policy.MATRIX_BUDGET`` (None: no matrix form)."""
    return budget.within(policy.MATRIX_BUDGET, lambda: matrix.derive(
        question.f, question.wrt, question.variables, question.layout, facts(question), question.lets))


def canonical(question: Question, expr: Expr) -> Poly | None:
    """A claim's canonical form under the question's facts (None when it has none here)."""

    def work() -> Poly | None:
        try:
            return matrix.canonical(expr, facts(question))
        except matrix.Failure:
            return None

    return budget.within(policy.MATRIX_BUDGET, work)


def value(expr: Expr, point: Point) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(to_numpy(expr, point), dtype=np.float64)


def disagreement(case: Case) -> str | None:
    """Why the matrix-form answer cannot be trusted at the case's points, or None: it must agree
    with the element-wise SymPy derivative and with the complex-step derivative of f's NumPy form
    (a third witness, sharing no code with either) at the first ``policy.WITNESS_POINTS`` points.
    A point where SymPy's entries or the answer's values are not finite (a pole one form cancels,
    a log of a negative that SymPy continues and NumPy does not) is no evidence either way.
    Sets ``case.witnessed`` when the answer was compared and agreed."""
    found = case.answer
    if found is None:
        return None
    compared = 0
    for index, point in enumerate(case.points):
        if compared == policy.WITNESS_POINTS:
            break
        mine, theirs = value(found.expr, point), case.sympy_truth_at(point)
        if not (np.all(np.isfinite(theirs)) and np.all(np.isfinite(mine))):
            continue  # NumPy's log of a negative where SymPy took a branch: no evidence either way
        compared += 1
        witness = "the element-wise SymPy derivative"
        floor = rounding_floor(case, point)
        if agree(mine, theirs, floor):
            stepped = complex_step(case.question, point)
            if stepped is not None:
                theirs, witness = stepped, "the complex-step derivative"
        if not agree(mine, theirs, floor):
            worst = float(np.max(np.abs(mine - theirs))) if mine.shape == theirs.shape else float("nan")
            return (f"the matrix-form derivative `{found.text}` and {witness} disagree at random point "
                    f"{index + 1} (largest difference {worst:.3g}); this is a bug in gradcheck's engines, "
                    "not in the claim — please report it")
    case.witnessed = compared > 0
    return None


def agree(mine: np.ndarray, theirs: np.ndarray, floor: float) -> bool:
    """Equal as exact formulas (``close``), or within ``floor`` of each other entry by entry."""
    if mine.shape != theirs.shape:
        return False
    return close(mine, theirs) or bool(np.all(np.abs(mine - theirs) <= floor))


def rounding_floor(case: Case, point: Point) -> float:
    """What rounding may leave where the derivative is (near) zero — terms that cancel exactly in
    the math (diag(1/x) − diag(x) diag(1/x²)) and an x/x that is 1 up to an ulp under the complex
    step: the claim tolerance of f's size per unit of the variable."""
    f = case.f_at(point)
    size = float(np.max(np.abs(f))) if f is not None and np.all(np.isfinite(f)) else 1.0
    scale = max(float(np.max(np.abs(point[case.question.wrt]))), 1.0)
    return policy.CLAIM_RTOL * max(size, 1.0) / scale


def complex_step(question: Question, point: Point) -> np.ndarray | None:
    """∂f/∂wrt at ``point`` in the question's layout by the complex step, Im f(X + ih·E)/h for each
    entry of the variable (vec order, column-major); None where it is not finite (no evidence)."""
    rows, cols = question.variables[question.wrt]
    x = np.asarray(point[question.wrt], dtype=np.float64).reshape(rows, cols)
    h = policy.COMPLEX_STEP
    columns = []
    for k in range(rows * cols):
        moved = x.astype(np.complex128)
        moved[k % rows, k // rows] += 1j * h
        out = to_complex(question.f, {**point, question.wrt: moved})
        columns.append(out.imag.reshape(-1, order="F") / h)
    jac = np.array(columns).T
    if not np.all(np.isfinite(jac)):
        return None
    if question.f.shape == (1, 1):
        jac = jac.reshape(rows, cols, order="F")
        return np.asarray(jac if question.layout == "gradient" else jac.T)
    return np.asarray(jac if question.layout == "jacobian" else jac.T)


def proved(case: Case) -> bool:
    """The claim's canonical form is the answer's: equal as matrix expressions."""
    claimed, found = case.question.claimed, case.answer
    if claimed is None or found is None:
        return False
    form = canonical(case.question, claimed)
    return form is not None and form == found.poly


def verified(case: Case, repaired: Expr) -> bool:
    """A suggested fix, applied: the repaired claim equals the derivative at the points and is
    proved equal — in matrix form, or else element-wise by SymPy within a small budget. A fix
    that merely agrees at a few points (``sign`` for ``tanh`` at large arguments) is not shown."""
    if not all(close(value(repaired, p), case.truth_at(p)) for p in case.points):
        return False
    form = canonical(case.question, repaired)
    if form is not None and case.answer is not None and form == case.answer.poly:
        return True
    truth, symbols = case.derived.truth, case.derived.symbols

    def zero() -> bool:
        difference = to_sympy(repaired, symbols) - truth
        return all(sp.expand(d) == 0 or sp.cancel(d) == 0 or sp.simplify(d) == 0 for d in difference)

    return bool(budget.within(policy.ELEMENTWISE_PROOF_BUDGET, zero))


def faithful(case: Case, form: Poly) -> bool:
    """The canonical form of the claim has the claim's values at every point (so a diagnosis
    read off it is about the claim the user wrote)."""
    try:
        text = printer(case.question).text(form)
        expr = compile_expr(text, case.question.variables, case.question.lets)
    except (ExprError, *matrix.Failure):
        return False
    return all(close(value(expr, p), case.claim_at(p)) for p in case.points)


def printer(question: Question) -> Printer:
    """Prints in the question's own names (its lets)."""
    return Printer(matrix.let_names(question.lets, facts(question)))


__all__ = ["answer", "canonical", "disagreement", "printer", "proved"]
