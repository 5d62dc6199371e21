"""Through the pytest plugin, a fault inside gradcheck fails the items it touches with a
one-line reason — no traceback of gradcheck's internals — and a correct question of the same
sheet still passes."""

from __future__ import annotations

from typing import Any

import pytest

from gradcheck_cli.claims import sheet

SHEET = """\
questions:
  - name: good
    variables: {x: [3]}
    f: x.T @ x
    wrt: x
    claimed: 2 * x
  - name: hostile
    variables: {s: []}
    f: relu(log(0*s))
    wrt: s
    claimed: s
  - name: tower
    variables: {x: [3]}
    f: exp(exp(exp(exp(exp(sum(x))))))
    wrt: x
    claimed: x
"""


def test_a_hostile_question_fails_alone_and_its_good_neighbour_passes(pytester: pytest.Pytester) -> None:
    pytester.makefile(".gradcheck.yaml", sheet=SHEET)
    result = pytester.runpytest("-p", "no:randomly", "-rA")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["PASSED sheet.gradcheck.yaml::good", "*SymPy failed on this expression*"])
    assert "Traceback" not in result.stdout.str()


def test_an_unexpected_exception_fails_the_items_with_one_line_and_no_traceback(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(sheet, "check_sheet", boom)
    monkeypatch.setattr("gradcheck_cli.api.check_sheet", boom)
    pytester.makefile(".gradcheck.yaml", sheet=SHEET)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*an internal error stopped this check (RuntimeError: injected fault)*"])
    output = result.stdout.str()
    assert "Traceback" not in output and 'raise RuntimeError("injected fault")' not in output
