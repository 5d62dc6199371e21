"""Run SymPy work under time budgets, so no step of a check can hang it.

Budgets nest: a question's total holds the budgets of its steps (derivation, evaluation at
points, proof), a file's total holds its questions', a run's total holds its files'. One
interval timer serves them all; it is armed for the earliest deadline of the stack, and the
level whose deadline passed is the one that stops (an inner step's ``within`` lets an outer
total's alarm through).
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.errors import GradcheckError

T = TypeVar("T")


#: Seconds between further alarms once the budget has run out, until the work stops.
RETRY = 0.05


class OutOfTime(Exception):
    """The budget ran out before the SymPy work finished."""


class OutOfBudget(GradcheckError):
    """A named limit ran out: the question, tensor or file it guarded gets an ``error`` verdict
    saying which limit (and how to raise it), and the run goes on."""


#: The deadlines (``time.monotonic()`` values) of the budgets now running, outermost first.
_deadlines: list[float] = []
_collecting = [False]


def small(matrix: Any, limit: int) -> bool:
    """At most ``limit`` SymPy operations in all entries of ``matrix`` together (a size gate
    that, unlike a timer, decides the same way on every machine)."""
    return sum(int(sp.count_ops(entry)) for entry in matrix) <= limit


def _ring(signum: int, frame: FrameType | None) -> None:
    # Python runs a handler after the signal arrived, at a later check: one that arrived just
    # before a level held alarms (``_hold``, ``_quiet``) runs inside that level's unwinding, where
    # an OutOfTime would escape it. Held alarms are dropped (the timer is re-armed on the way out).
    if signal.SIGALRM in signal.pthread_sigmask(signal.SIG_BLOCK, ()):
        return
    raise OutOfTime


def _arm() -> None:
    """Set the timer for the earliest deadline of the stack (or stop it when the stack is empty).
    A deadline already past has rung, and its ``OutOfTime`` is on its way up to its level: the
    timer rings again after ``RETRY`` only (should something on the way have swallowed it), not
    at once inside that level's handler."""
    if not _deadlines:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    left = min(_deadlines) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3) if left > 0 else RETRY, RETRY)


def _hold() -> None:
    """Keep alarms off while a level unwinds after its alarm rang: the timer repeats, and a second
    ring inside the level's handler would escape it as a bare ``OutOfTime``. ``_alarm``'s exit
    (``_quiet``) drops what rang meanwhile and lets alarms through again."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})


@contextmanager
def _alarm(seconds: float) -> Iterator[float]:
    """A level of the stack: yields its deadline."""
    deadline = time.monotonic() + seconds
    outermost = not _deadlines
    if outermost:
        signal.signal(signal.SIGALRM, _ring)
        # An OutOfTime raised inside a gc or weakref callback is swallowed by Python (with a
        # warning): the collector is paused while budgets run, and the timer repeats for the
        # weakref case, where a one-shot timer would leave the work unbounded.
        _collecting[0] = gc.isenabled()
        gc.disable()
    depth = len(_deadlines)
    try:
        _deadlines.append(deadline)
        _arm()
        yield deadline
    finally:
        with _quiet():
            del _deadlines[depth:]
            _arm()
            if outermost:
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                if _collecting[0]:
                    gc.enable()


@contextmanager
def _quiet() -> Iterator[None]:
    """A block no alarm interrupts, for taking a level off the stack: an alarm ringing between
    popping a deadline and re-arming the timer would escape the level's handler, and leave the
    timer repeating and ``_ring`` installed for whatever runs next. An alarm that rang meanwhile
    is dropped: the timer was re-armed for the deadlines still running."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        yield
    finally:
        while signal.SIGALRM in signal.sigpending():
            signal.sigtimedwait({signal.SIGALRM}, 0)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


def _timed() -> bool:
    """Budgets need the interval timer, which signals only the main thread."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def within(seconds: float, work: Callable[[], T]) -> T | None:
    """``work()``, or None when it does not finish within ``seconds``.

    SymPy is pure Python, so a timer signal interrupts it anywhere. Signals reach only the
    main thread; elsewhere (or where the platform has no interval timer) the work is not
    attempted and None is returned — the numeric evidence decides and the report says so.
    An enclosing total that runs out meanwhile is not swallowed: its ``OutOfBudget`` propagates.
    """
    if not _timed():
        return None
    with _alarm(seconds) as deadline:
        try:
            return work()
        except RecursionError:
            return None
        except OutOfTime:
            _hold()
            if _outer_rang(deadline):
                raise
            return None


def _outer_rang(deadline: float) -> bool:
    """The alarm that rang was an enclosing level's (its deadline is earlier than ``deadline``)."""
    return min(_deadlines) < deadline


def bounded(seconds: float, work: Callable[[], T], what: str) -> T:
    """``work()`` within ``seconds``, or ``OutOfBudget`` naming ``what`` ran out.

    Off the main thread the work runs without a timer (the worker processes of ``isolation``
    give it OS limits instead).

    Raises:
        OutOfBudget: the work did not finish in time.
    """
    if not _timed():
        return work()
    with limit(seconds, what):
        return work()


@contextmanager
def limit(seconds: float, what: str, total: float | None = None) -> Iterator[None]:
    """A total for everything inside the block (the steps' own budgets nest in it).

    Raises:
        OutOfBudget: "``what`` ran out (``total`` s)": the block did not finish within
            ``seconds`` (what is left of a limit of ``total`` seconds; by default the same).
    """
    if not _timed():
        yield
        return
    with _alarm(seconds) as deadline:
        try:
            yield
        except OutOfTime:
            _hold()
            if _outer_rang(deadline):
                raise
            raise OutOfBudget(f"{what} ran out ({seconds if total is None else total:g} s)") from None


def printed(expr: Any, render: Callable[[Any], str]) -> str:
    """``render(expr)`` for a formula small enough to read, within ``policy.PRINT_BUDGET``.

    Raises:
        GradcheckError: the formula has more than ``policy.PRINT_MAX_OPS`` nodes (a page of
            text nobody reads, and minutes to lay out).
        OutOfBudget: laying it out took longer than ``policy.PRINT_BUDGET``.
    """
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    nodes = 0
    for entry in entries:
        for _ in sp.preorder_traversal(entry):
            nodes += 1
            if nodes > policy.PRINT_MAX_OPS:
                raise GradcheckError(
                    f"the derivative has more than {policy.PRINT_MAX_OPS:,} terms and factors and is not "
                    "printed (policy.PRINT_MAX_OPS); declare smaller sizes, or judge a claim with --claim")
    return bounded(policy.PRINT_BUDGET, lambda: render(expr),
                   "the budget for printing the derivative (policy.PRINT_BUDGET)")
