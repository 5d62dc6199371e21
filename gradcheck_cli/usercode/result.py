"""The outcome of checking user gradient code, and its rendering through the usual reporters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.results import NotebookDisplay, Report, SpecResult
from gradcheck_cli.usercode.verdict import InputResult


@dataclass(frozen=True)
class Result(NotebookDisplay):
    """The verdict on a user's gradient code (displayed as a report in Jupyter and IPython).

    Attributes:
        name: what was checked, e.g. ``affine_forward / affine_backward``.
        inputs: the verdict per input differentiated, by name.
        precision: the float type the user's code computes in (``float64``, ``float32``, …).
        precision_limited: the code computes below float64, so it was judged with that
            precision's error budget; ``precision_note`` says why we think so.
        spec: the same verdict as the report tree every reporter renders.
    """

    name: str
    inputs: Mapping[str, InputResult]
    precision: str
    precision_limited: bool
    precision_note: str
    spec: SpecResult

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.inputs.values())

    def as_report(self) -> Report:
        return Report((self.spec,))

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the inputs whose gradient is wrong."""
        return tuple(name for name, r in self.inputs.items() if not r.passed)

    def report(self, format: str = "console", *, color: bool = False, width: int | None = None) -> str:
        """The report as text, by any reporter of ``gradcheck check --format``.

        Raises:
            GradcheckError: an unknown format.
        """
        # reporters sit above results: imported when a report is asked for, never at load
        from gradcheck_cli.report import REPORTERS, RenderOptions

        if format not in REPORTERS:
            hint = did_you_mean(format, REPORTERS) or f"known: {', '.join(REPORTERS)}"
            raise GradcheckError(f"unknown report format `{format}`", hint=hint)
        return REPORTERS[format](Report((self.spec,)), RenderOptions(color=color, width=width))

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the plain-text report unless every gradient is right."""
        if not self.passed:
            raise AssertionError("\n" + self.report("console"))

    def __str__(self) -> str:
        verdict = "passed" if self.passed else f"FAILED for {', '.join(self.failed)}"
        note = f"; precision-limited ({self.precision})" if self.precision_limited else ""
        weak = [name for name, r in self.inputs.items() if r.caution]
        if weak:
            note += f"; poorly resolved for {', '.join(weak)} (see .inputs[name].caution)"
        return f"{self.name}: {verdict}{note}"
