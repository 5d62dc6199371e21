"""Check a claim file: compile every question (errors point into the YAML), judge it, score."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from gradcheck_cli import isolation, unexpected
from gradcheck_cli.claims import budget
from gradcheck_cli.claims.judge import Truth, judge
from gradcheck_cli.claims.points import check as check_assumptions
from gradcheck_cli.claims.question import Question
from gradcheck_cli.errors import GradcheckError, Problems, did_you_mean, together
from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr, declared_shape
from gradcheck_cli.isolation import Died, Task
from gradcheck_cli.limits import FILE, QUESTION, Clock, Limits, step
from gradcheck_cli.results import QuestionResult, SheetResult
from gradcheck_cli.spec.expressions import compile_at, in_file
from gradcheck_cli.spec.sheet_models import MAX_DIMENSION, QuestionSpec, SheetSpec
from gradcheck_cli.spec.source import Loc, SourceMap


def check_sheet(sheet: SheetSpec, source: SourceMap, *, seed: int | None = None,
                show_answer: bool = False, limits: Limits | None = None,
                within: tuple[Clock, ...] = ()) -> SheetResult:
    """Judge every question of ``sheet``; a question that does not compile, runs out of its
    budget, or meets an unexpected exception becomes an ``error`` and the others are judged.

    ``limits.isolate`` (default: on) judges the questions in worker processes with OS limits
    (``isolation``); ``within`` are enclosing totals (the run's) that also bound the sheet.
    """
    limits = limits or Limits.default()
    seed = sheet.seed if seed is None else seed
    clocks = (*within, Clock.starting(limits.file, FILE))
    tasks: list[Task | Failure] = []
    for index, spec in enumerate(sheet.questions):
        try:
            question = compile_question(spec, source, ("questions", index))
            if question.claimed is None and question.claim_error is None:
                raise GradcheckError("the question has no `claimed` answer to judge")
            tasks.append(Task(judge_safely, (question, seed + index, show_answer, limits.question, clocks),
                              min(limits.question, min(c.left() for c in clocks))))
        except GradcheckError as exc:
            tasks.append(Failure(str(exc)))
        except Exception as exc:
            tasks.append(Failure(unexpected.reason(exc), unexpected.details(exc)))
    judged = run_tasks([t for t in tasks if isinstance(t, Task)], limits.isolate is not False)
    results = []
    for spec, task in zip(sheet.questions, tasks, strict=True):
        result = next(judged) if isinstance(task, Task) else task
        if isinstance(result, Died):
            result = Failure(f"the worker judging it {result.reason}")
        if isinstance(result, Failure):
            result = _broken(spec, result.message, result.details)
        keyed = dataclasses.replace(result, expect=spec.expect, expect_diagnosis=spec.expect_diagnosis)
        results.append(keyed)
    name = sheet.name or source.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return SheetResult(name, source.file, seed, tuple(results))


@dataclasses.dataclass(frozen=True)
class Failure:
    """A question that could not be judged: why, in one line, and a traceback for maintainers."""

    message: str
    details: str | None = None


def judge_safely(question: Question, seed: int, show_answer: bool, seconds: float,
                 clocks: tuple[Clock, ...], truth: Truth | None = None) -> QuestionResult | Failure:
    """``judge`` under the question's budget (or what is left of an enclosing total); every
    exception becomes a ``Failure``. Runs in a worker process or in the caller's."""
    allowed, what, total = step(seconds, QUESTION, *clocks)
    if allowed <= 0:
        return Failure(f"not judged: {what} ran out before it")
    try:
        with budget.limit(allowed, what, total):
            return judge(question, seed=seed, show_answer=show_answer, truth=truth)
    except GradcheckError as exc:
        return Failure(str(exc))
    except Exception as exc:
        return Failure(unexpected.reason(exc), unexpected.details(exc))


def run_tasks(tasks: list[Task], isolate: bool, pool: isolation.Pool | None = None) -> Iterator[Any]:
    """The tasks' results in order: from the worker pool (``pool``, by default the process's
    shared one), or run here one by one (also when the system refuses to start a worker: out
    of processes or memory)."""
    if isolate and tasks and isolation.available():
        try:
            results = (pool or isolation.shared()).run(tasks)
        except OSError:
            pass
        else:
            yield from results
            return
    for task in tasks:
        yield task.function(*task.args)


def compile_question(spec: QuestionSpec, source: SourceMap, loc: Loc) -> Question:
    """Shapes, assumptions, lets, f and the claim, compiled.

    Raises:
        SpecError: with the file, line and column of the mistake; every independent mistake of
            the question together (a broken size or let stops there: what uses it would only
            repeat it as an unknown name).
    """
    variables: dict[str, Shape] = {}
    for name, dims in spec.variables.items():
        if len(dims) > 2 or any(d > MAX_DIMENSION for d in dims):
            raise source.error((*loc, "variables", name),
                               f"`{name}` must have at most 2 dimensions of at most {MAX_DIMENSION}")
        variables[name] = declared_shape(dims)
    problems = Problems()
    for name, props in spec.assume.items():
        if name not in variables:
            problems.add(source.error((*loc, "assume", name), f"`{name}` is not a declared variable",
                                      key=True, hint=did_you_mean(name, variables)))
            continue
        try:
            check_assumptions(name, variables[name], props)
        except GradcheckError as exc:
            problems.add(source.error((*loc, "assume", name), exc.message))
    if spec.wrt in spec.let:
        problems.add(source.error((*loc, "wrt"), f"`{spec.wrt}` is a `let` (a named sub-expression), not a "
                                  f"variable; differentiate by a variable it is made of "
                                  f"({', '.join(variables)}), or declare `{spec.wrt}` under `variables` and "
                                  "write f in terms of it"))
    elif spec.wrt not in variables:
        hint = did_you_mean(spec.wrt, variables) or f"declare `{spec.wrt}` under `variables`"
        problems.add(source.error((*loc, "wrt"), f"`{spec.wrt}` is not a declared variable", hint=hint))
    lets: dict[str, Expr] = {}
    for name, text in spec.let.items():
        let = problems.attempt(compile_at, text, variables, lets, source, (*loc, "let", name))
        if let is None:
            raise together(problems.found)
        lets[name] = let
    f = problems.attempt(compile_at, spec.f, variables, lets, source, (*loc, "f"))
    claim = problems.attempt(_claim, spec.claimed, variables, lets, source, (*loc, "claimed"))
    if f is None or claim is None or problems.found:
        raise together(problems.found)
    claimed, claim_error = claim
    assume = {name: tuple(props) for name, props in spec.assume.items()}
    return Question(spec.name, variables, f, spec.wrt, spec.layout, claimed, assume, spec.points, lets,
                    claim_error=claim_error)


def _claim(text: str | None, variables: dict[str, Shape], lets: dict[str, Expr], source: SourceMap,
           loc: Loc) -> tuple[Expr | None, ExprError | None]:
    """The compiled claim; or, when it does not type-check, its shape error with the file and
    line (a wrong answer, judged ``incorrect``).

    Raises:
        SpecError: any other mistake in the claim (syntax, an unknown name), at its place.
    """
    if not text:
        return None, None
    try:
        return compile_expr(text, variables, lets), None
    except ExprError as exc:
        if exc.kind != "shape":
            raise in_file(exc, text, source, loc) from None
        placed = in_file(exc, text, source, loc)
        exc.file, exc.line = placed.file, placed.line
        return None, exc


def _broken(spec: QuestionSpec, message: str, details: str | None = None) -> QuestionResult:
    return QuestionResult(
        name=spec.name, verdict="error", f=spec.f, wrt=spec.wrt, layout=spec.layout, claimed=spec.claimed,
        expected_shape=None, claimed_shape=None, evidence="none", points=spec.points,
        awarded=0.0 if spec.points is not None else None, error=message, details=details,
    )
