"""Claim files (homework sheets) as frozen pydantic models: a top-level ``questions:`` list."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveInt

from gradcheck_cli.claims.layout import Layout
from gradcheck_cli.claims.points import PROPERTIES

Property = Literal["symmetric", "positive_definite", "onehot", "binary", "probability", "positive"]
assert set(PROPERTIES) == set(Property.__args__)  # type: ignore[attr-defined]

Kind = Literal[
    "shape", "layout", "sign", "transpose", "factor", "symmetric-assumption",
    "activation-derivative", "partial", "missing-term", "extra-term", "other",
]

#: Largest declared dimension: the truth is derived entry by entry, so sizes stay homework-sized.
MAX_DIMENSION = 12


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuestionSpec(Model):
    """One claimed derivative ∂f/∂wrt, over variables with declared shapes."""

    name: str
    variables: dict[str, list[PositiveInt]] = Field(min_length=1)
    assume: dict[str, list[Property]] = Field(default_factory=dict)
    let: dict[str, str] = Field(default_factory=dict)
    f: str
    wrt: str
    layout: Layout = "gradient"
    claimed: str | None = None
    points: NonNegativeFloat | None = None
    #: An answer key's expectation: the check passes when the verdict (and diagnosis) match.
    expect: Literal["correct", "incorrect"] | None = None
    expect_diagnosis: Kind | None = None


class SheetSpec(Model):
    """A homework sheet: questions judged one by one, with a score where points are given."""

    name: str | None = None
    description: str | None = None
    seed: NonNegativeInt = 0
    questions: list[QuestionSpec] = Field(min_length=1)


__all__ = ["MAX_DIMENSION", "Kind", "PositiveInt", "QuestionSpec", "SheetSpec"]
