"""Claim files (homework sheets) as frozen pydantic models: a top-level ``questions:`` list."""

from __future__ import annotations

import keyword
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    WithJsonSchema,
)

from gradcheck_cli.choices import Kind, Layout, Property
from gradcheck_cli.errors import plain_text


def _name(text: str) -> str:
    if not text.isidentifier() or text.startswith("_") or keyword.iskeyword(text):
        raise ValueError(f"`{text}` is not a name: use letters, digits and `_`, starting with a letter")
    return text


#: A variable's or a let's name: what the expression language can refer to.
Name = Annotated[str, AfterValidator(_name)]


def _number_as_text(value: object) -> object:
    """A YAML number (``claimed: 2``, ``claimed: 0.5``) is the expression that writes it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return value


#: An expression in the expression language; an unquoted YAML number is one too.
Expression = Annotated[
    str, BeforeValidator(_number_as_text), WithJsonSchema({"type": ["string", "number"]})
]


#: A name or description shown in reports: printable text, so it cannot drive a terminal.
Label = Annotated[str, AfterValidator(plain_text)]

#: Most points one question may be worth: a score is read by people and summed over a sheet,
#: so it stays a plain finite number (``.inf`` and ``1e308`` are refused at their place).
MAX_POINTS = 1_000_000

#: Largest declared dimension: the truth is derived entry by entry, so sizes stay homework-sized.
MAX_DIMENSION = 12


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Derivative(Model):
    """A derivative ∂f/∂wrt to find, over variables with declared shapes: what a claim sheet's
    question and an answer key's question both ask."""

    variables: dict[Name, list[PositiveInt]] = Field(min_length=1)
    assume: dict[Name, list[Property]] = Field(default_factory=dict)
    let: dict[Name, Expression] = Field(default_factory=dict)
    f: Expression
    wrt: str
    layout: Layout = "gradient"


class QuestionSpec(Derivative):
    """One claimed derivative ∂f/∂wrt, over variables with declared shapes."""

    name: Label
    claimed: Expression | None = None
    points: float | None = Field(default=None, ge=0, le=MAX_POINTS, allow_inf_nan=False)
    #: An answer key's expectation: the check passes when the verdict (and diagnosis) match.
    expect: Literal["correct", "incorrect"] | None = None
    expect_diagnosis: Kind | None = None


#: Longest budget a ``limits:`` section may name, in seconds: a day.
MAX_SECONDS = 86_400.0


class LimitsSpec(Model):
    """A spec's own limits (``limits:``): seconds per question (or network-spec claim) and per
    file, and whether its questions may be judged in this process (``isolate: false``). Tighter
    values than the run's always apply; looser ones only in a run with ``--trust-limits``."""

    question: float | None = Field(default=None, gt=0, le=MAX_SECONDS, allow_inf_nan=False)
    file: float | None = Field(default=None, gt=0, le=MAX_SECONDS, allow_inf_nan=False)
    isolate: bool | None = None


class SheetSpec(Model):
    """A homework sheet: questions judged one by one, with a score where points are given."""

    name: Label | None = None
    description: Label | None = None
    seed: NonNegativeInt = 0
    limits: LimitsSpec | None = None
    questions: list[QuestionSpec] = Field(min_length=1)


__all__ = ["MAX_DIMENSION", "MAX_POINTS", "Derivative", "Kind", "LimitsSpec", "Name", "PositiveInt",
           "QuestionSpec", "SheetSpec"]
