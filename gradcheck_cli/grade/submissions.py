"""Submissions: a YAML file per student, a directory of them, or one CSV of answers.

A submission's own mistakes — an answer to a question the key does not have, a file that does
not parse, a student who submitted twice — are noted on that submission (with their place) and
never stop the batch: a class of 200 is graded whatever one of them wrote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gradcheck_cli.errors import GradcheckError, did_you_mean, printable
from gradcheck_cli.grade.models import SubmissionSpec
from gradcheck_cli.spec.loader import validated
from gradcheck_cli.spec.source import NotRegular, SourceMap, load_yaml, not_a_file, read_regular

#: The file names a directory of submissions is searched for (recursively).
SUFFIXES = (".yaml", ".yml", ".csv")

#: The CSV column that names the student (matched without regard to case or surrounding spaces).
STUDENT_COLUMN = "student"


@dataclass(frozen=True)
class Submission:
    """One student's answers (only to questions of the key), where they came from, and what was
    wrong with the submission itself, one sentence each with its place."""

    student: str
    source: str
    answers: Mapping[str, str]
    problems: tuple[str, ...] = ()


def load_submissions(paths: Sequence[Path], ids: Sequence[str], *,
                     skip: Path | None = None) -> list[Submission]:
    """Every submission found at ``paths`` (files, or directories searched for ``SUFFIXES``), in
    the order given (a directory's files sorted by name); answers checked against the key's
    question ``ids``. A student met twice is graded on the first submission; both say so. The
    file ``skip`` (the key, kept beside the submissions) is no submission when a directory holds it.

    Raises:
        GradcheckError: a path that does not exist, a directory without submissions, or a CSV
            without a student column (there is no submission to note it on).
    """
    found: list[Submission] = []
    for path in _files(paths):
        if skip is not None and path.resolve() == skip.resolve() and path not in paths:
            continue
        found += _csv(path, ids) if path.suffix.lower() == ".csv" else [_yaml(path, ids)]
    return _without_duplicates(found)


def _files(paths: Sequence[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                kinds = ", ".join(SUFFIXES)
                raise GradcheckError(f"no submissions in the directory: it holds no {kinds} files",
                                     file=printable(str(path)))
            yield from found
            continue
        why = not_a_file(path)
        if why is not None:
            raise GradcheckError(f"cannot read the submissions: {why}", file=printable(str(path)))
        yield path


def _yaml(path: Path, ids: Sequence[str]) -> Submission:
    """A student's YAML file; one that cannot be read is a submission with no answers (named by
    the file) and the reason."""
    try:
        data, source = load_yaml(path)
        if not isinstance(data, dict):
            raise source.error((), "a submission is a mapping with `student` and `answers`")
        spec = validated(SubmissionSpec, data, source)
    except GradcheckError as exc:
        return Submission(path.stem, printable(str(path)), {}, tuple(str(exc).splitlines()))
    answers, problems = _checked(spec.answers, ids, lambda qid: _place(source, ("answers", qid)))
    return Submission(spec.student, source.file, answers, problems)


def _place(source: SourceMap, loc: tuple[str, ...]) -> str:
    line, column = source.where(loc, key=True)
    return f"{source.file}:{line}:{column}"


def _checked(given: Mapping[str, str | None], ids: Sequence[str],
             place: Callable[[str], str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The answers to questions of the key (empty ones left out: missing), and a sentence for
    each answer to an unknown question."""
    answers: dict[str, str] = {}
    problems: list[str] = []
    for qid, text in given.items():
        if qid not in ids:
            hint = did_you_mean(qid, ids) or f"the key's questions are {', '.join(ids)}"
            problems.append(f"{place(qid)}: the key has no question `{printable(qid)}` (not graded); {hint}")
        elif text is not None and text.strip():
            answers[qid] = text.strip()
    return answers, tuple(problems)


def _csv(path: Path, ids: Sequence[str]) -> list[Submission]:
    """One submission per row of a CSV with a student column and a column per question.

    Raises:
        GradcheckError: the file cannot be read, or has no student column.
    """
    name = printable(str(path))
    try:
        text = read_regular(path).decode("utf-8-sig")
    except (NotRegular, OSError, ValueError) as exc:
        raise GradcheckError(f"cannot read the submissions ({exc.__class__.__name__})", file=name) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise GradcheckError(f"not a CSV file: {exc}", file=name) from None
    if not rows:
        raise GradcheckError(f"the CSV file is empty: it needs a header row with a `{STUDENT_COLUMN}` column",
                             file=name)
    header = [cell.strip() for cell in rows[0]]
    student = next((i for i, cell in enumerate(header) if cell.lower() == STUDENT_COLUMN), None)
    if student is None:
        raise GradcheckError(f"the CSV file has no `{STUDENT_COLUMN}` column (its columns: "
                             f"{', '.join(header)})", file=name, line=1)
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {header[i]: cell for i, cell in enumerate(row) if i < len(header) and i != student}
        who = row[student].strip() if student < len(row) else ""
        answers, problems = _checked(cells, ids, _column_place(name, number, header))
        if not who:
            who, problems = f"(row {number})", (f"{name}:{number}: the row names no student", *problems)
        out.append(Submission(printable(who), f"{name}:{number}", answers, problems))
    return out


def _column_place(name: str, line: int, header: list[str]) -> Callable[[str], str]:
    return lambda qid: f"{name}:{line}:{header.index(qid) + 1}"


def _without_duplicates(found: list[Submission]) -> list[Submission]:
    """Each student once: the first submission, noting the others (which are not graded)."""
    first: dict[str, int] = {}
    kept: list[Submission] = []
    for submission in found:
        if submission.student in first:
            index = first[submission.student]
            note = (f"{submission.source}: another submission by `{submission.student}`, not graded "
                    f"(the one graded: {kept[index].source})")
            kept[index] = replace(kept[index], problems=(*kept[index].problems, note))
            continue
        first[submission.student] = len(kept)
        kept.append(submission)
    return kept


__all__ = ["STUDENT_COLUMN", "SUFFIXES", "Submission", "load_submissions"]
