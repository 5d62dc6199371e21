"""A run's limits and a file's own ``limits:`` section: tighter budgets (and isolation) in the
file always apply, looser ones only when the run trusts its files (``--trust-limits``); absurd
values are refused at their place."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.limits import Limits
from gradcheck_cli.spec.sheet_models import LimitsSpec

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

RUN = Limits(question=60.0, file=120.0, isolate=None)
TRUSTED = Limits(question=60.0, file=120.0, isolate=None, trusted=True)


def test_a_file_may_always_tighten_its_budgets_and_ask_for_isolation() -> None:
    mine = RUN.for_file(LimitsSpec(question=5.0, file=30.0, isolate=True))
    assert (mine.question, mine.file, mine.isolate) == (5.0, 30.0, True)


def test_an_untrusted_file_cannot_loosen_its_budgets_or_leave_isolation() -> None:
    mine = RUN.for_file(LimitsSpec(question=600.0, file=1000.0, isolate=False))
    assert (mine.question, mine.file, mine.isolate) == (60.0, 120.0, None)


def test_a_trusted_file_sets_its_own_budgets_and_may_run_in_process() -> None:
    mine = TRUSTED.for_file(LimitsSpec(question=600.0, file=1000.0, isolate=False))
    assert (mine.question, mine.file, mine.isolate) == (600.0, 1000.0, False)


def test_a_file_without_a_limits_section_keeps_the_runs_limits() -> None:
    assert RUN.for_file(None) == RUN


@pytest.mark.parametrize("value", [0, -1.0, float("inf"), float("nan")])
def test_a_budget_flag_must_be_a_positive_finite_number(value: float) -> None:
    with pytest.raises(GradcheckError, match="--budget must be a positive number of seconds"):
        Limits.of(question=value)


SLOW_SHEET = """\
limits: {question: 1}
questions:
  - {name: slow, variables: {X: [12, 12]}, f: det(X), wrt: X, claimed: X}
  - {name: good, variables: {x: [3]}, f: x.T @ x, wrt: x, claimed: 2 * x}
"""


def test_a_sheets_own_tighter_budget_stops_its_slow_question(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    start = time.monotonic()
    result = gradcheck("check", write_spec(SLOW_SHEET), "--format", "json")
    assert time.monotonic() - start < 20
    slow, good = json.loads(result.stdout)["specs"][0]["questions"]
    assert slow["error"] == "the question's budget (--budget) ran out (1 s)"
    assert good["verdict"] == "correct"


@pytest.mark.parametrize(
    ("section", "where"),
    [("{question: -1}", ":1:20:"), ("{file: .inf}", ":1:16:"), ("{isolate: maybe}", ":1:19:"),
     ("{seconds: 3}", ":1:10:")],
)
def test_absurd_limits_are_refused_at_their_place(
    gradcheck: Invoke, write_spec: WriteSpec, section: str, where: str
) -> None:
    path = write_spec(f"limits: {section}\n" + SLOW_SHEET.split("\n", 1)[1])
    result = gradcheck("check", path)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"gradcheck: {path}{where}"), line


def test_a_network_specs_own_file_budget_stops_it(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    layers = "".join("  - tanh\n" for _ in range(3000))
    text = f"limits: {{file: 1}}\ndata: {{batch: 2, inputs: 2}}\nnetwork:\n{layers}loss: squared_error\n"
    path = write_spec(text)
    start = time.monotonic()
    result = gradcheck("check", path)
    assert time.monotonic() - start < 10
    assert result.stderr == f"gradcheck: {path}: the file's budget (--file-budget) ran out (1 s)\n"
