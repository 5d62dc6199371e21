"""The limits of one run: time budgets per question, per file and per run, and whether
untrusted questions are judged in worker processes with OS limits (``isolation``)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradcheck_cli import policy
from gradcheck_cli.errors import GradcheckError

if TYPE_CHECKING:
    from gradcheck_cli.spec.sheet_models import LimitsSpec


#: The limits by name, as errors say which one ran out.
QUESTION = "the question's budget (--budget)"
CLAIM = "the claim's budget (--budget)"
FILE = "the file's budget (--file-budget)"
RUN = "the run's budget (--run-budget)"


@dataclass(frozen=True)
class Limits:
    """Seconds per question (or network-spec claim), per file and per run (None: no limit);
    ``isolate``: judge claim-sheet questions in worker processes (None: yes for sheets)."""

    question: float
    file: float
    run: float | None = None
    isolate: bool | None = None
    #: honour a file's ``limits:`` section where it loosens these (``--trust-limits``)
    trusted: bool = False

    @classmethod
    def default(cls) -> Limits:
        """The documented defaults of ``policy`` (read now, so a deployment may change them)."""
        return cls(policy.QUESTION_BUDGET, policy.FILE_BUDGET, policy.RUN_BUDGET)

    @classmethod
    def of(cls, question: float | None = None, file: float | None = None, run: float | None = None,
           isolate: bool | None = None, trusted: bool = False) -> Limits:
        """The defaults with what is given in place of them.

        Raises:
            GradcheckError: a budget that is not a positive finite number of seconds.
        """
        base = cls.default()
        for name, value in (("--budget", question), ("--file-budget", file), ("--run-budget", run)):
            if value is not None and not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise GradcheckError(f"{name} must be a positive number of seconds, not {value!r}")
        return cls(question or base.question, file or base.file, run or base.run, isolate, trusted)

    def for_file(self, declared: LimitsSpec | None) -> Limits:
        """These limits for a file with its own ``limits:`` section: a tighter budget, or
        ``isolate: true``, always applies; a looser one only when the run trusts its files."""

        def pick(mine: float, theirs: float | None) -> float:
            if theirs is None:
                return mine
            return theirs if self.trusted else min(mine, theirs)

        if declared is None:
            return self
        isolate = self.isolate
        if declared.isolate is not None and (self.trusted or declared.isolate):
            isolate = declared.isolate
        return dataclasses.replace(self, question=pick(self.question, declared.question),
                                   file=pick(self.file, declared.file), isolate=isolate)


@dataclass(frozen=True)
class Clock:
    """A deadline (``time.monotonic()``, the same clock in every process) and the limit it is."""

    deadline: float
    what: str
    #: the limit's seconds, as configured
    seconds: float

    @classmethod
    def starting(cls, seconds: float | None, what: str) -> Clock:
        if seconds is None:
            return cls(float("inf"), what, float("inf"))
        return cls(time.monotonic() + seconds, what, seconds)

    def left(self) -> float:
        return self.deadline - time.monotonic()


def step(seconds: float, what: str, *enclosing: Clock) -> tuple[float, str, float]:
    """The seconds a step may take, which limit that is, and that limit's configured seconds:
    the step's own budget, or what is left of an enclosing total (a file's, a run's) when that
    is less."""
    tightest = min(enclosing, key=Clock.left, default=None)
    if tightest is not None and tightest.left() < seconds:
        return max(tightest.left(), 0.0), tightest.what, tightest.seconds
    return seconds, what, seconds
