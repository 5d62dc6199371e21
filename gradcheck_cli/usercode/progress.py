"""How long a long full check of user code will take, and how far it has got, on standard error.

A full check measures the rounding noise of the user's function (``NOISE_CALLS`` calls), then
calls it about six times per entry (``fd.richardson``'s stencil; once per entry, and no noise
measurement, with the complex step). The first ``PACE_CALLS`` calls of that per-entry pass time
it — the calls of the pass carry its own costs, which the noise calls do not — and when the rest
would take longer than ``policy.USER_ANNOUNCE_SECONDS`` the estimate is printed, then the
progress every ``USER_PROGRESS_SECONDS``. Reports (console, JSON, …) never carry these lines:
they go to standard error only.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.fd import richardson
from gradcheck_cli.usercode.numerics import Evaluate

#: Calls of the noise measurement, before the per-entry pass.
NOISE_CALLS = policy.USER_NOISE_DIRECTIONS * (policy.USER_NOISE_POINTS - 1)
#: Calls of the per-entry pass that time it before the estimate: the stencils of 8 entries.
PACE_CALLS = 8 * len(richardson.OFFSETS)


class Progress:
    """``evaluate``, counting and timing its calls against the ~``expected`` of a full check."""

    def __init__(self, evaluate: Evaluate, entries: int, fun: str, stream: TextIO | None = None, *,
                 complex_step: bool = False) -> None:
        self.evaluate = evaluate
        self.entries = entries
        self.fun = fun
        self.before = 0 if complex_step else NOISE_CALLS
        self.expected = self.before + (1 if complex_step else len(richardson.OFFSETS)) * entries
        self.stream = stream
        self.calls = 0
        self.started = 0.0
        self.shown: float | None = None

    def __call__(self, point: Mapping[str, Any], doing: str) -> Array:
        if self.calls == self.before:
            self.started = time.perf_counter()
        out = self.evaluate(point, doing)
        self.calls += 1
        if self.calls == self.before + PACE_CALLS:
            self._announce()
        elif self.shown is not None and time.perf_counter() - self.shown >= policy.USER_PROGRESS_SECONDS:
            self._report()
        return out

    def _left(self) -> float:
        """Seconds still to go at the pace of the pass so far (at least one more call)."""
        per_call = (time.perf_counter() - self.started) / max(self.calls - self.before, 1)
        return per_call * max(self.expected - self.calls, 1)

    def _announce(self) -> None:
        left = self._left()
        if left > policy.USER_ANNOUNCE_SECONDS:
            self._write(f"a full check of {self.entries:,} entries calls `{self.fun}` ~{self.expected:,} "
                        f"times: about {_duration(left)} (mode='directional' takes a few hundred calls)")
            self.shown = time.perf_counter()

    def _report(self) -> None:
        share = min(self.calls / self.expected, 0.99)
        self._write(f"full check: {share:.0%} ({self.calls:,} of ~{self.expected:,} calls of `{self.fun}`), "
                    f"about {_duration(self._left())} left")
        self.shown = time.perf_counter()

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"gradcheck: {line}\n")
        stream.flush()


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
