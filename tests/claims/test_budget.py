"""Time budgets nest: a step's budget stops the step, an enclosing total stops everything
inside it and says which limit ran out, and neither swallows the other's alarm."""

from __future__ import annotations

import signal
import time

import pytest
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget
from gradcheck_cli.errors import GradcheckError


def spin(seconds: float) -> str:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sum(range(100))
    return "finished"


def test_a_step_over_its_budget_gives_none_and_the_enclosing_total_goes_on() -> None:
    with budget.limit(5.0, "the file's budget"):
        start = time.perf_counter()
        assert budget.within(0.1, lambda: spin(3.0)) is None
        assert time.perf_counter() - start < 1.0
        assert budget.within(1.0, lambda: spin(0.01)) == "finished"


def test_a_total_that_runs_out_inside_a_longer_step_stops_it_and_names_the_total() -> None:
    start = time.perf_counter()
    with pytest.raises(budget.OutOfBudget, match=r"the question's budget ran out \(0.2 s\)"), \
            budget.limit(0.2, "the question's budget"):
        budget.within(10.0, lambda: spin(3.0))
    assert time.perf_counter() - start < 1.0


def test_bounded_work_that_overruns_raises_a_user_error_naming_the_limit() -> None:
    with pytest.raises(budget.OutOfBudget) as raised:
        budget.bounded(0.1, lambda: spin(3.0), "the evaluation budget")
    assert str(raised.value) == "the evaluation budget ran out (0.1 s)"


def test_bounded_work_that_finishes_returns_its_value_and_leaves_no_timer_behind() -> None:
    assert budget.bounded(1.0, lambda: spin(0.01), "x") == "finished"
    assert spin(0.3) == "finished"  # a stray alarm would raise here


def test_an_alarm_ringing_as_a_budget_ends_is_dropped_and_leaves_no_timer_or_handler(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The window between taking a level off the stack and re-arming the timer: an alarm there
    (a loaded machine makes it wide) once escaped as a bare OutOfTime and left the repeating
    timer and its handler behind, to interrupt whatever ran next."""
    arm, calls = budget._arm, []

    def ringing() -> None:
        calls.append(None)
        if len(calls) == 2:  # the second arming: the level is coming off the stack
            signal.raise_signal(signal.SIGALRM)
        arm()

    monkeypatch.setattr(budget, "_arm", ringing)
    assert budget.within(1.0, lambda: "done") == "done"
    assert len(calls) == 2
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert spin(0.2) == "finished"


def test_a_derivative_too_large_to_read_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    x = sp.symbols("x0:30")
    big = sp.Matrix([sum(xi**k for xi in x) for k in range(1, 4)])  # 3 entries of 30 terms: > 100 nodes
    monkeypatch.setattr(policy, "PRINT_MAX_OPS", 100)
    with pytest.raises(GradcheckError, match="more than 100 terms and factors and is not printed"):
        budget.printed(big, str)
    assert budget.printed(big[0, 0] - big[0, 0] + x[0], str) == "x0"


def test_a_timer_repeating_fast_never_escapes_the_levels_as_a_bare_out_of_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the timer repeats every RETRY after a deadline (for an OutOfTime something swallowed): at
    # 0.2 ms it rings again while the levels unwind — inside a handler, a finally, re-arming — and
    # each such ring must be dropped, never escape as OutOfTime or leave the timer running
    monkeypatch.setattr(budget, "RETRY", 2e-4)
    for _ in range(100):
        with pytest.raises(budget.OutOfBudget), budget.limit(0.01, "the question's budget"):
            budget.within(10.0, lambda: budget.within(5.0, lambda: spin(1.0)))
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_an_alarm_whose_handler_runs_while_alarms_are_held_is_dropped() -> None:
    # Python runs the handler at a later check than the signal's arrival: inside a level's
    # unwinding (alarms held) it must not raise, outside it must
    with budget._quiet():
        budget._ring(signal.SIGALRM, None)
    with pytest.raises(budget.OutOfTime):
        budget._ring(signal.SIGALRM, None)
