"""Answer keys and submissions as frozen pydantic models.

A key (``key:`` at the top of its file) holds the questions — f, variables, lets, assumptions,
the variable to differentiate by, the layout and the points — and how answers are scored: a
rubric of partial credit per diagnosis kind and the feedback level students see. A submission
holds only answers, by question id, so the key can stay with the instructor.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, NonNegativeInt

from gradcheck_cli.errors import plain_text
from gradcheck_cli.spec.sheet_models import (
    MAX_POINTS,
    Derivative,
    Expression,
    Kind,
    Label,
    Model,
    QuestionSpec,
)

#: What a student is told about an answer: only whether it is right (``verdict``), also how it is
#: wrong (``diagnosis``), or also the correct answer (``answer``).
Feedback = Literal["verdict", "diagnosis", "answer"]
FEEDBACK_LEVELS: tuple[Feedback, ...] = ("verdict", "diagnosis", "answer")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _question_id(text: str) -> str:
    if not _ID.fullmatch(text):
        raise ValueError(f"`{text}` is not a question id: use letters, digits, `_`, `.` and `-`, "
                         "starting with a letter or digit (it names a gradebook column)")
    return text


def _as_text(value: object) -> object:
    """A YAML number as an id (``student: 1234``, ``q1: …`` under a numbered key) is its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


#: A question's id: a gradebook column and the key of an answer in a submission.
QuestionId = Annotated[str, BeforeValidator(_as_text), AfterValidator(_question_id)]


#: The share of a question's points an answer with a diagnosis earns: 0 (nothing) to 1 (all).
Credit = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Rubric = dict[Kind, Credit]


def _one_line(text: str) -> str:
    plain_text(text)
    if not text or "\n" in text or "\t" in text or text != text.strip():
        raise ValueError("a student id is one line of text, not empty, without surrounding spaces")
    return text


#: A student's id, as the LMS knows them; printable text on one line.
StudentId = Annotated[str, BeforeValidator(_as_text), AfterValidator(_one_line)]


class KeyQuestion(Derivative):
    """One question of a key: a derivative ∂f/∂wrt and what a right answer to it is worth."""

    id: QuestionId
    name: Label | None = None
    points: float = Field(default=1.0, gt=0, le=MAX_POINTS, allow_inf_nan=False)
    #: partial credit per diagnosis kind, in place of the key's own rubric
    rubric: Rubric | None = None
    #: the feedback level of this question, in place of the key's
    feedback: Feedback | None = None

    def as_question(self) -> QuestionSpec:
        """The question as a claim sheet writes it (without a claim): compiled the same way."""
        asked = {name: getattr(self, name) for name in Derivative.model_fields}
        return QuestionSpec(name=self.name or self.id, points=self.points, **asked)


class KeyBody(Model):
    """The assignment: its name, the seed of the random points, scoring and the questions."""

    assignment: Label
    seed: NonNegativeInt = 0
    feedback: Feedback = "diagnosis"
    rubric: Rubric = Field(default_factory=dict)
    questions: list[KeyQuestion] = Field(min_length=1)


class KeySpec(Model):
    """An answer key file: one ``key:`` mapping."""

    key: KeyBody


class SubmissionSpec(Model):
    """One student's answers, by question id (ids are checked against the key per submission)."""

    student: StudentId
    answers: dict[str, Expression | None] = Field(default_factory=dict)


__all__ = ["FEEDBACK_LEVELS", "Credit", "Feedback", "KeyBody", "KeyQuestion", "KeySpec", "QuestionId",
           "Rubric", "StudentId", "SubmissionSpec"]
