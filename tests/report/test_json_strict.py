"""Every JSON document gradcheck prints is strict JSON: no NaN or Infinity tokens, which RFC 8259
does not allow and many parsers refuse; a non-finite number becomes the string "inf" or "nan"."""

from __future__ import annotations

import json
from typing import Any

from gradcheck_cli.report import jsonout
from gradcheck_cli.report.options import RenderOptions
from gradcheck_cli.results import QuestionResult, Report, SheetResult


def strict(text: str) -> Any:
    """``text`` parsed, failing on the non-standard constants NaN, Infinity and -Infinity."""

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in the JSON")

    return json.loads(text, parse_constant=refuse)


def scored(points: float, awarded: float) -> QuestionResult:
    return QuestionResult("q", "correct", "f", "x", "gradient", "2*x", (3, 1), (3, 1), "symbolic",
                          points=points, awarded=awarded)


def test_a_score_that_overflowed_is_written_as_a_string_not_as_infinity():
    # each question's points are finite, their sum is not
    sheet = SheetResult("sheet", "sheet.yaml", 0, (scored(1e308, 1e308), scored(1e308, 1e308)))
    data = strict(jsonout.render(Report((sheet,)), RenderOptions()))
    assert data["specs"][0]["score"] == {"awarded": "inf", "possible": "inf"}
    assert data["specs"][0]["questions"][0]["points"] == 1e308


def test_dumps_writes_nan_and_infinity_anywhere_as_strings():
    text = jsonout.dumps({"errors": (float("nan"), float("-inf"), 1.5), "nested": {"x": [float("inf")]}})
    assert strict(text) == {"errors": ["nan", "-inf", 1.5], "nested": {"x": ["inf"]}}
    assert text.endswith("}\n")
