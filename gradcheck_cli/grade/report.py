"""Reporters of a graded class: they render a ``Gradebook`` and compute nothing but sums.

* ``gradebook_csv``: a row per student, points per question, the total (an LMS import);
* ``feedback``: one student's Markdown feedback at the key's feedback level;
* ``summary``: per question, the share right and the most common diagnosis kinds;
* ``gradescope``: Gradescope's autograder ``results.json`` for one submission;
* ``console``, ``markdown`` and ``json``: the ``--format`` choices of ``gradcheck grade``.

What a student reads (feedback, console self-check, Gradescope output) shows the diagnosis only
at the ``diagnosis`` level and the correct answer only at ``answer``; why an answer was not
judged (unreadable, out of its budget) is always said, since it is about the student's own text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from gradcheck_cli import policy
from gradcheck_cli.errors import GradcheckError, printable
from gradcheck_cli.grade.grading import Grade, Gradebook, Mark
from gradcheck_cli.grade.key import Item, Key

#: Version of the JSON document of ``--format json``; bumped when a field changes meaning.
SCHEMA = "gradcheck-grade/1"

_WORDS = {"correct": "correct", "partial": "partly correct", "incorrect": "incorrect",
          "missing": "no answer", "unreadable": "not accepted", "not judged": "not judged"}


def number(points: float) -> str:
    """Points as a person writes them: 2, 0.5, 7.25."""
    return f"{points:.6g}"


def mark_lines(item: Item, mark: Mark) -> list[str]:
    """What a student is told about one answer, at the item's feedback level, one sentence a line."""
    lines = [f"{_WORDS[mark.status].capitalize()}: {number(mark.awarded)} of {number(mark.points)} points."]
    if mark.status in ("unreadable", "not judged") and mark.reason:
        lines.append(mark.reason)
    elif item.feedback != "verdict" and mark.status in ("partial", "incorrect"):
        kind = f" ({mark.kind})" if mark.kind else ""
        lines.append(f"What is wrong{kind}: {mark.reason}")
    if item.feedback == "answer" and mark.solution and mark.status != "correct":
        lines.append(f"The answer: {_code(mark.solution)}")
    return lines


def feedback(key: Key, grade: Grade) -> str:
    """One student's feedback as Markdown: the score, then each question with the answer given."""
    out = [f"# {printable(key.assignment)}: {printable(grade.student)}", "",
           f"Score: **{number(grade.total)} / {number(grade.possible)}**", ""]
    for item, mark in zip(key.items, grade.marks, strict=True):
        out += [f"## {_title(item)}", ""]
        if mark.answer is not None:
            out += [f"Your answer: {_code(mark.answer)}", ""]
        out += [*mark_lines(item, mark), ""]
    if grade.problems:
        out += ["## About the submission", "", *(f"- {printable(p)}" for p in grade.problems), ""]
    return "\n".join(out)


def feedback_files(book: Gradebook) -> dict[str, str]:
    """Each student's feedback by file name: ``<student>.md``, the id kept to letters, digits,
    ``_``, ``.`` and ``-`` (so no id can name a path elsewhere), numbered where two ids meet."""
    files: dict[str, str] = {}
    for grade in book.grades:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", grade.student).lstrip(".") or "student"
        name, copy = f"{stem}.md", 1
        while name in files:
            copy += 1
            name = f"{stem}-{copy}.md"
        files[name] = feedback(book.key, grade)
    return files


def _title(item: Item) -> str:
    return printable(item.id if item.name == item.id else f"{item.id}: {item.name}")


def gradebook_csv(book: Gradebook) -> str:
    """The gradebook as CSV: ``student``, a column of points per question, ``total``, ``notes``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *book.key.ids, "total", "notes"])
    for grade in book.grades:
        writer.writerow([_cell(grade.student), *(number(m.awarded) for m in grade.marks), number(grade.total),
                         _cell("; ".join(grade.problems))])
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never runs it: a cell starting with = + - @ is a formula
    in Excel and LibreOffice, so it is quoted with a leading apostrophe (OWASP's advice)."""
    text = printable(text)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@dataclass(frozen=True)
class QuestionSummary:
    """How the class did on one question."""

    id: str
    name: str
    points: float
    counts: dict[str, int]
    #: the most common diagnosis kinds of wrong answers, with their counts, most common first
    kinds: list[tuple[str, int]]
    mean: float

    def share_right(self, students: int) -> float:
        return self.counts.get("correct", 0) / students if students else 0.0


def summary(book: Gradebook) -> list[QuestionSummary]:
    """Per question: the count of each status, the most common kinds, the mean points."""
    out = []
    for index, item in enumerate(book.key.items):
        marks = [grade.marks[index] for grade in book.grades]
        counts = Counter[str](mark.status for mark in marks)
        kinds = Counter(mark.kind for mark in marks if mark.kind is not None)
        common = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))[:policy.GRADE_SUMMARY_KINDS]
        mean = sum(mark.awarded for mark in marks) / len(marks) if marks else 0.0
        out.append(QuestionSummary(item.id, item.name, item.points, dict(counts), common, round(mean, 6)))
    return out


def _kinds_text(kinds: list[tuple[str, int]]) -> str:
    return ", ".join(f"{kind} ×{count}" for kind, count in kinds) or "—"


def gradescope(book: Gradebook) -> str:
    """Gradescope's ``results.json`` for the one submission of ``book``: the score, and a test per
    question with its points and the feedback at the key's level, visible to the student.

    Raises:
        GradcheckError: ``book`` holds more or fewer than one submission.
    """
    if len(book.grades) != 1:
        raise GradcheckError(f"--format gradescope writes the results of one submission, not "
                             f"{len(book.grades)}: give one submission file")
    grade = book.grades[0]
    tests = [{"name": _title(item), "number": str(number_), "score": mark.awarded,
              "max_score": mark.points, "status": "passed" if mark.status == "correct" else "failed",
              "output": "\n".join(_given(mark) + mark_lines(item, mark)),
              "visibility": "visible"}
             for number_, (item, mark) in enumerate(zip(book.key.items, grade.marks, strict=True), start=1)]
    document = {"score": grade.total, "output": _overall(book.key, grade), "visibility": "visible",
                "stdout_visibility": "hidden", "tests": tests}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _given(mark: Mark) -> list[str]:
    return [f"Your answer: {mark.answer}"] if mark.answer is not None else []


def _overall(key: Key, grade: Grade) -> str:
    lines = [f"{key.assignment}: {number(grade.total)} / {number(grade.possible)} points."]
    return "\n".join(lines + list(grade.problems))


def as_json(book: Gradebook) -> str:
    """The whole gradebook as one versioned JSON document (schema ``SCHEMA``)."""
    students = len(book.grades)
    document = {
        "schema": SCHEMA, "assignment": book.key.assignment, "key": book.key.path, "seed": book.key.seed,
        "possible": book.key.possible,
        "grades": [{"student": g.student, "source": g.source, "total": g.total, "possible": g.possible,
                    "problems": list(g.problems),
                    "marks": [{"question": m.question, "status": m.status, "awarded": m.awarded,
                               "points": m.points, "answer": m.answer, "kind": m.kind, "reason": m.reason,
                               "solution": m.solution} for m in g.marks]} for g in book.grades],
        "summary": [{"question": q.id, "points": q.points, "share_right": round(q.share_right(students), 6),
                     "counts": dict(sorted(q.counts.items())), "mean": q.mean,
                     "common_kinds": [{"kind": k, "count": c} for k, c in q.kinds]} for q in summary(book)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def markdown(book: Gradebook) -> str:
    """One submission: its feedback; a class: the gradebook table and the class summary."""
    if len(book.grades) == 1:
        return feedback(book.key, book.grades[0])
    ids = book.key.ids
    out = [f"# {printable(book.key.assignment)}: gradebook", "",
           "| student | " + " | ".join(ids) + " | total |", "|---" * (len(ids) + 2) + "|"]
    out += [f"| {_escape(g.student)} | " + " | ".join(number(m.awarded) for m in g.marks)
            + f" | {number(g.total)} |" for g in book.grades]
    out += ["", "## Class summary", "",
            "| question | points | right | partly | wrong | no answer | not judged | common slips |",
            "|---|---|---|---|---|---|---|---|"]
    out += [f"| {q.id} | {number(q.points)} | {_share(q, len(book.grades))} | {_count(q, 'partial')} | "
            f"{_count(q, 'incorrect')} | {_count(q, 'missing')} | {_count(q, 'unreadable', 'not judged')} | "
            f"{_kinds_text(q.kinds)} |" for q in summary(book)]
    problems = [f"- {_escape(g.student)}: {_escape(p)}" for g in book.grades for p in g.problems]
    return "\n".join(out + (["", "## Problems with submissions", "", *problems] if problems else [])) + "\n"


def console(book: Gradebook) -> str:
    """Plain text: one submission's feedback (a student's self-check), or the class's gradebook
    and summary."""
    if len(book.grades) == 1:
        grade = book.grades[0]
        out = [f"{book.key.assignment}: {grade.student}", ""]
        for item, mark in zip(book.key.items, grade.marks, strict=True):
            out.append(item.id if item.name == item.id else f"{item.id} ({item.name})")
            if mark.answer is not None:
                out.append(f"  your answer: {mark.answer}")
            out += [f"  {line}" for line in mark_lines(item, mark)]
        out += ["", *grade.problems, f"score: {number(grade.total)} / {number(grade.possible)}"]
        return "\n".join(printable(line) for line in out) + "\n"
    width = max([len("student"), *(len(g.student) for g in book.grades)])
    rows = [f"{'student':<{width}}  " + "  ".join(f"{q:>6}" for q in (*book.key.ids, "total"))]
    for g in book.grades:
        rows.append(f"{g.student:<{width}}  " + "  ".join(f"{number(x):>6}" for x in (*_points(g), g.total)))
    rows += ["", "class summary (share right; most common slips):"]
    rows += [f"  {q.id}: {_share(q, len(book.grades))} right; {_kinds_text(q.kinds)}" for q in summary(book)]
    problems = [f"  {g.student}: {p}" for g in book.grades for p in g.problems]
    rows += ["", "problems with submissions:", *problems] if problems else []
    rows.append(f"{len(book.grades)} graded, mean {number(_mean(book))} / {number(book.key.possible)}")
    return "\n".join(printable(row) for row in rows) + "\n"


def _points(grade: Grade) -> list[float]:
    return [mark.awarded for mark in grade.marks]


def _mean(book: Gradebook) -> float:
    return round(sum(g.total for g in book.grades) / len(book.grades), 6) if book.grades else 0.0


def _share(q: QuestionSummary, students: int) -> str:
    return f"{round(100 * q.share_right(students))} % ({q.counts.get('correct', 0)}/{students})"


def _count(q: QuestionSummary, *statuses: str) -> str:
    return str(sum(q.counts.get(status, 0) for status in statuses))


def _code(text: str) -> str:
    """``text`` as a Markdown code span (a fence longer than any run of backticks inside it)."""
    text = printable(text)
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    """Text in a Markdown table cell: a `|` would end the cell."""
    return printable(text).replace("|", "\\|")


#: ``--format`` name → renderer of a gradebook.
FORMATS: dict[str, Callable[[Gradebook], str]] = {
    "console": console, "csv": gradebook_csv, "json": as_json, "gradescope": gradescope, "markdown": markdown,
}

__all__ = ["FORMATS", "SCHEMA", "QuestionSummary", "as_json", "console", "feedback", "feedback_files",
           "gradebook_csv",
           "gradescope", "mark_lines", "markdown", "summary"]
