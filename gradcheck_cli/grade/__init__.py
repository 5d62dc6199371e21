"""Grade a class: an answer key, many submissions, a gradebook, feedback and autograder output.

For a notebook autograder (otter-grader, nbgrader), grade one student's answers in Python::

    from gradcheck_cli.grade import grade, load_key

    key = load_key(Path("key.yaml"))
    result = grade(key, {"q1": "-A.T @ (y - A @ x)", "q2": "2 * A @ x"})
    result.total, result.possible            # (1.0, 2.0)
    [mark.status for mark in result.marks]   # ['correct', 'incorrect']
    print(feedback(key, result))             # Markdown at the key's feedback level
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from gradcheck_cli.grade.grading import Grade, Gradebook, Mark, Settings, grade_class
from gradcheck_cli.grade.key import Item, Key, load_key, parse_key
from gradcheck_cli.grade.report import feedback
from gradcheck_cli.grade.submissions import Submission, load_submissions


def grade_paths(key: Path, submissions: Sequence[Path], settings: Settings | None = None) -> Gradebook:
    """The gradebook of the submissions at ``submissions`` (files or directories) against the key
    file ``key``.

    Raises:
        GradcheckError: a broken key, or a submissions path that cannot be read.
    """
    loaded = load_key(key)
    return grade_class(loaded, load_submissions(submissions, loaded.ids, skip=key), settings)


def grade(key: Key | Path, answers: Mapping[str, str], *, student: str = "student",
          settings: Settings | None = None) -> Grade:
    """One student's ``answers`` (question id → formula) graded against ``key`` (a loaded key
    or the path of a key file), each answer judged in a worker process under its budget.

    Returns:
        The grade: a ``Mark`` per question of the key, ``total`` and ``possible`` points, and
        ``problems`` (answers to questions the key does not have, questions left unanswered).

    Raises:
        GradcheckError: the key is broken (with its file:line:col).
    """
    key = key if isinstance(key, Key) else load_key(key)
    given = {qid: text.strip() for qid, text in answers.items() if qid in key.ids and text and text.strip()}
    unknown = tuple(f"the key has no question `{qid}` (not graded)" for qid in answers if qid not in key.ids)
    book = grade_class(key, [Submission(student, "<answers>", given, unknown)], settings)
    return book.grades[0]


__all__ = ["Grade", "Gradebook", "Item", "Key", "Mark", "Settings", "Submission", "feedback", "grade",
           "grade_class", "grade_paths", "load_key", "load_submissions", "parse_key"]
