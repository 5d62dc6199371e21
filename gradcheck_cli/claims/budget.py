"""Run SymPy work under a time budget, so simplification can never hang a check."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

import sympy as sp

T = TypeVar("T")


#: Seconds between further alarms once the budget has run out, until the work stops.
RETRY = 0.05


class OutOfTime(Exception):
    """The budget ran out before the SymPy work finished."""


def small(matrix: Any, limit: int) -> bool:
    """At most ``limit`` SymPy operations in all entries of ``matrix`` together (a size gate
    that, unlike a timer, decides the same way on every machine)."""
    return sum(int(sp.count_ops(entry)) for entry in matrix) <= limit


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: FrameType | None) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, ring)
    # An OutOfTime raised inside a gc or weakref callback is swallowed by Python (with a warning):
    # the collector is paused for the (short) budget, and the timer repeats for the weakref case,
    # where a one-shot timer would leave the work unbounded.
    collecting = gc.isenabled()
    gc.disable()
    signal.setitimer(signal.ITIMER_REAL, seconds, RETRY)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if collecting:
            gc.enable()


def within(seconds: float, work: Callable[[], T]) -> T | None:
    """``work()``, or None when it does not finish within ``seconds``.

    SymPy is pure Python, so a timer signal interrupts it anywhere. Signals reach only the
    main thread; elsewhere (or where the platform has no interval timer) the work is not
    attempted and None is returned — the numeric evidence decides and the report says so.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None
    try:
        with _alarm(seconds):
            return work()
    except (OutOfTime, RecursionError):
        return None
