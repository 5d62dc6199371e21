"""Judge claims written on a network spec: a claimed ∂L/∂θ for one example, evaluated at every
example of the batch with that example's quantities, reduced like J (mean or sum, plus the L2
term) and compared with the symbolic engine's gradient — except at entries whose stencil straddled
a kink, where any value between the one-sided differences (a valid subgradient) is correct."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

from gradcheck_cli import policy, unexpected
from gradcheck_cli.claims import budget, cost
from gradcheck_cli.claims.evidence import close
from gradcheck_cli.diagnose import classify
from gradcheck_cli.engines import Gradients
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.expr import Expr, to_numpy
from gradcheck_cli.judge import Band
from gradcheck_cli.limits import CLAIM
from gradcheck_cli.ops.base import Array
from gradcheck_cli.problem import INPUT, Problem
from gradcheck_cli.results import Diagnosis, QuestionResult
from gradcheck_cli.spec.network_claims import OUTPUT, TARGET


def judge_claims(problem: Problem, found: Mapping[str, Gradients],
                 seconds: float | None = None) -> tuple[QuestionResult, ...]:
    """One QuestionResult per claim of ``problem``, against the symbolic engine's gradients in
    ``found`` (and the numeric engine's one-sided differences where a kink was straddled).

    Each claim is judged within ``seconds`` (default ``policy.QUESTION_BUDGET``), after its cost
    is estimated (``cost.refusal``); one that is too big, runs out of time or meets an
    unexpected exception is an ``error`` and the others are judged.
    """
    reference, activations = found["symbolic"], found["backprop"].activations
    seconds = policy.QUESTION_BUDGET if seconds is None else seconds
    return tuple(
        _guarded(problem, name, expr, seconds,
                 functools.partial(_judge, problem, name, expr, reference, activations, Band.of(found, name)))
        for name, expr in problem.claims.items()
    )


def _guarded(problem: Problem, name: str, expr: Expr, seconds: float,
             judged: Callable[[], QuestionResult]) -> QuestionResult:
    details = None
    try:
        refusal = cost.refusal(expr, problem.batch)
        if refusal is None:
            with budget.limit(seconds, CLAIM):
                return judged()
    except GradcheckError as exc:
        refusal = str(exc)
    except Exception as exc:  # one claim's bug must not stop the spec's other checks
        refusal, details = unexpected.reason(exc), unexpected.details(exc)
    return QuestionResult(
        name=f"∂J/∂{name} (claimed per example)", verdict="error", f="J", wrt=name, layout="gradient",
        claimed=expr.text, expected_shape=None, claimed_shape=expr.shape, evidence="none", error=refusal,
        details=details,
    )


def _example(problem: Problem, activations: Sequence[Array], i: int) -> dict[str, Array]:
    values: dict[str, Array] = {INPUT: problem.x[i][:, None], TARGET: problem.y[i][:, None]}
    for name, a in zip(problem.quantities, activations, strict=True):
        values[name] = a[i][:, None]
    values[OUTPUT] = activations[-1][i][:, None] if activations else problem.x[i][:, None]
    for name, value in problem.values.items():
        values[name] = value if value.ndim == 2 else value[:, None]
    return values


def _judge(
    problem: Problem, name: str, expr: Expr, reference: Gradients, activations: Sequence[Array],
    band: Band | None,
) -> QuestionResult:
    want = (problem.x.shape[1], 1) if name == INPUT else _shape2d(problem.shape_of(name))

    def result(verdict: Literal["correct", "incorrect", "error"], diagnosis: Diagnosis | None = None,
               error: str | None = None) -> QuestionResult:
        return QuestionResult(
            name=f"∂J/∂{name} (claimed per example)", verdict=verdict, f="J", wrt=name, layout="gradient",
            claimed=expr.text, expected_shape=want, claimed_shape=expr.shape,
            evidence=evidence, diagnosis=diagnosis,
            error=error,
        )

    evidence = f"numeric at the spec's point ({problem.batch} example(s))"
    truth = reference.grads.get(name)
    if truth is None:
        return result("error", error=f"`{name}` is not in `wrt`: nothing to compare the claim with")
    if tuple(expr.shape) != want:
        return result("incorrect", _misshapen(name, expr.shape, want))
    examples = (_example(problem, activations, i) for i in range(problem.batch))
    per_example = [np.asarray(to_numpy(expr, values)) for values in examples]
    claimed = _reduce(problem, name, per_example).reshape(truth.shape)
    if band is not None:
        # at a kink every subgradient is right: there the claim meets its interval, not SymPy's pick
        valid = band.at & (claimed >= band.low) & (claimed <= band.high)
        truth = np.where(valid, claimed, truth)
        evidence += f"; {int(band.at.sum())} entries at a kink judged between the one-sided differences"
    if close(claimed, truth):
        return result("correct")
    scale = max(float(np.abs(truth).max(initial=0.0)), policy.TINY)
    wrong = np.abs(claimed - truth) > policy.CLAIM_RTOL * scale
    kind, phrase = classify(claimed, truth, wrong) or ("other", "it differs")
    return result("incorrect", Diagnosis(kind, f"the claimed gradient: {phrase}"))


def _misshapen(name: str, got: tuple[int, int], want: tuple[int, int]) -> Diagnosis:
    layout = tuple(got) == want[::-1]
    message = f"the claim is {got[0]}×{got[1]} but ∂J/∂{name} has the shape of `{name}`, {want[0]}×{want[1]}"
    if layout:
        message += " — it is written in the jacobian layout"
    return Diagnosis("layout" if layout else "shape", message)


def _reduce(problem: Problem, name: str, per_example: list[Array]) -> Array:
    """Σ or mean over the batch, plus the L2 term; for x, the per-example rows."""
    if name == INPUT:
        return problem.scale * np.stack([g.reshape(-1) for g in per_example])
    total: Array = problem.scale * np.sum(per_example, axis=0).reshape(problem.values[name].shape)
    if problem.penalty is not None and name in problem.penalised():
        total = total + problem.penalty.backward(problem.values[name])
    return total


def _shape2d(shape: tuple[int, ...]) -> tuple[int, int]:
    return (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
