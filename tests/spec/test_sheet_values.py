"""Values of a claim sheet that could not be printed or summed honestly are refused at their
place: a question's ``points`` must be a finite number from 0 to ``MAX_POINTS``."""

from __future__ import annotations

import pytest
from refusals import refusal_at

from gradcheck_cli.spec.sheet_models import MAX_POINTS

#: One question; its points stand on line 7, the value at column 13.
SHEET = """\
questions:
  - name: square
    variables: {{x: [3]}}
    f: sum(x*x)
    wrt: x
    claimed: 2*x
    points: {points}
"""


@pytest.mark.parametrize(
    ("points", "says"),
    [
        (".inf", "finite number"),
        ("-.inf", "finite number"),
        (".nan", "finite number"),
        ("!!float 1e400", "finite number"),  # overflows to inf while it is read
        ("-1", "greater than or equal to 0"),
        ("1.0e+300", f"less than or equal to {MAX_POINTS}"),
    ],
)
def test_points_that_are_not_a_finite_score_are_refused_at_their_place(
    gradcheck, write_spec, points: str, says: str
):
    path = write_spec(SHEET.format(points=points))
    message = refusal_at(gradcheck("check", path), path, 7, 13)
    assert message.startswith("`questions[0].points`: ")
    assert says in message


def test_the_largest_allowed_points_are_scored(gradcheck, write_spec):
    path = write_spec(SHEET.format(points=MAX_POINTS))
    result = gradcheck("check", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert f'"awarded": {float(MAX_POINTS)}' in result.stdout
