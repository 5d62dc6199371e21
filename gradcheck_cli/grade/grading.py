"""Grade submissions against a key: each question's truth derived once, each distinct answer
judged once, in worker processes with OS limits and a budget per answer.

An answer is untrusted text. It is compiled and judged in a worker (``isolation``) under
``policy.GRADE_ANSWER_BUDGET`` seconds; one that cannot be read, runs out of its budget or kills
its worker scores 0 on that question, with the reason in its feedback, and the batch goes on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gradcheck_cli import isolation, policy, unexpected
from gradcheck_cli.claims.judge import Truth
from gradcheck_cli.claims.question import Question
from gradcheck_cli.claims.sheet import Failure, judge_safely, run_tasks
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.expr import ExprError, compile_expr
from gradcheck_cli.grade.key import Item, Key
from gradcheck_cli.grade.submissions import Submission
from gradcheck_cli.isolation import Died, Task
from gradcheck_cli.results import QuestionResult

Status = Literal["correct", "partial", "incorrect", "missing", "unreadable", "not judged"]


@dataclass(frozen=True)
class Mark:
    """One answer to one question, scored: what the student wrote, what it earned and why."""

    question: str
    status: Status
    awarded: float
    points: float
    answer: str | None
    #: the diagnosis kind of a wrong answer ("sign", "transpose", …), else None
    kind: str | None = None
    #: how the answer is wrong (the diagnosis), or why it was not judged
    reason: str | None = None
    #: the correct answer, present only where the key's feedback level shows it
    solution: str | None = None


@dataclass(frozen=True)
class Grade:
    """One student's grade: a mark per question of the key, in the key's order."""

    student: str
    source: str
    marks: tuple[Mark, ...]
    problems: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return _rounded(sum(mark.awarded for mark in self.marks))

    @property
    def possible(self) -> float:
        return sum(mark.points for mark in self.marks)


@dataclass(frozen=True)
class Gradebook:
    """A class graded against one key: a grade per student, sorted by student."""

    key: Key
    grades: tuple[Grade, ...]


@dataclass(frozen=True)
class Unreadable:
    """An answer that is not a formula of the language (a syntax error, an unknown name)."""

    message: str


@dataclass(frozen=True)
class Settings:
    """How a batch is run: seconds per answer, worker processes (None: the shared pool), and
    whether answers are judged in workers at all (in-process only for trusted answers)."""

    budget: float = policy.GRADE_ANSWER_BUDGET
    jobs: int | None = None
    isolate: bool = True


def grade_class(key: Key, submissions: Sequence[Submission], settings: Settings | None = None) -> Gradebook:
    """Every submission graded against ``key``.

    Raises:
        GradcheckError: the key's own truth for a question could not be derived (a broken key).
    """
    settings = settings or Settings()
    pool = isolation.Pool(settings.jobs) if settings.jobs and settings.isolate else None
    try:
        truths = _truths(key, settings, pool)
        distinct = sorted({(item.id, text) for s in submissions for item in key.items
                           if (text := s.answers.get(item.id)) is not None})
        by_id = {item.id: item for item in key.items}
        tasks = [Task(judge_answer, (by_id[qid].question, text, by_id[qid].seed,
                                     by_id[qid].feedback == "answer", settings.budget, truths[qid]),
                      settings.budget) for qid, text in distinct]
        judged = dict(zip(distinct, run_tasks(tasks, settings.isolate, pool), strict=True))
    finally:
        if pool is not None:
            pool.close()
    grades = [Grade(s.student, s.source, tuple(_mark(item, s.answers.get(item.id), judged)
                                               for item in key.items), _notes(key, s))
              for s in submissions]
    return Gradebook(key, tuple(sorted(grades, key=lambda g: g.student)))


def _truths(key: Key, settings: Settings, pool: isolation.Pool | None) -> dict[str, Truth]:
    """Each question's derivative, derived once for the whole batch (in the workers too).

    Raises:
        GradcheckError: naming the question whose truth could not be derived.
    """
    tasks = [Task(derive_truth, (item.question, settings.budget), settings.budget) for item in key.items]
    truths: dict[str, Truth] = {}
    for item, found in zip(key.items, run_tasks(tasks, settings.isolate, pool), strict=True):
        if not isinstance(found, Truth):
            reason = found.reason if isinstance(found, Died) else found.message
            raise GradcheckError(f"the key's question `{item.id}` could not be derived: {reason}",
                                 file=key.path)
        truths[item.id] = found
    return truths


def derive_truth(question: Question, seconds: float) -> Truth | Failure:
    """``Truth.of(question)`` within ``seconds``; runs in a worker."""
    from gradcheck_cli.claims import budget

    try:
        with budget.limit(seconds, "the budget per answer (--budget)"):
            return Truth.of(question)
    except GradcheckError as exc:
        return Failure(str(exc))
    except Exception as exc:
        return Failure(unexpected.reason(exc), unexpected.details(exc))


def judge_answer(question: Question, text: str, seed: int, show_answer: bool, seconds: float,
                 truth: Truth) -> QuestionResult | Failure | Unreadable:
    """A student's answer ``text`` to ``question``, compiled and judged; runs in a worker. An
    answer that does not type-check is a wrong answer (diagnosis ``shape``); one that does not
    parse, or names what the question does not have, is ``Unreadable``."""
    try:
        claimed = compile_expr(text, question.variables, question.lets)
        asked = dataclasses.replace(question, claimed=claimed)
    except ExprError as exc:
        if exc.kind != "shape":
            return Unreadable(str(exc))
        asked = dataclasses.replace(question, claim_error=exc)
    except Exception as exc:
        return Failure(unexpected.reason(exc), unexpected.details(exc))
    return judge_safely(asked, seed, show_answer, seconds, (), truth)


def _mark(item: Item, text: str | None, judged: Mapping[tuple[str, str], Any]) -> Mark:
    """The score of one answer under the item's rubric."""
    if text is None:
        return Mark(item.id, "missing", 0.0, item.points, None, reason="no answer was given")
    found = judged[(item.id, text)]
    if isinstance(found, Unreadable):
        return Mark(item.id, "unreadable", 0.0, item.points, text,
                    reason=found.message)
    if isinstance(found, (Failure, Died)):
        reason = found.message if isinstance(found, Failure) else f"the worker judging it {found.reason}"
        return Mark(item.id, "not judged", 0.0, item.points, text, reason=reason)
    result: QuestionResult = found
    if result.verdict == "error":
        return Mark(item.id, "not judged", 0.0, item.points, text, reason=result.error)
    if result.verdict == "correct":
        return Mark(item.id, "correct", item.points, item.points, text, solution=result.answer)
    kind = result.diagnosis.kind if result.diagnosis else None
    credit = item.rubric.get(kind, 0.0) if kind else 0.0
    reason = result.diagnosis.message if result.diagnosis else "the answer differs from the derivative"
    status: Status = "partial" if credit > 0 else "incorrect"
    awarded = _rounded(item.points * credit)
    return Mark(item.id, status, awarded, item.points, text, kind, reason, result.answer)


def _notes(key: Key, submission: Submission) -> tuple[str, ...]:
    missing = [qid for qid in key.ids if qid not in submission.answers]
    if not missing or (len(missing) == len(key.ids) and submission.problems):
        return submission.problems
    return (*submission.problems, f"no answer to {', '.join(missing)}")


def _rounded(points: float) -> float:
    """Points as people add them: a partial credit of 0.1 × 3 is 0.3, not 0.30000000000000004."""
    return round(points, 6)


__all__ = ["Grade", "Gradebook", "Mark", "Settings", "Status", "grade_class"]
