"""The outcome of checking user gradient code: a node of the one result tree, with the Python
API's conveniences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.results import SpecResult, TensorResult


@dataclass(frozen=True)
class Result(SpecResult):
    """The verdict on a user's gradient code: the report tree's ``SpecResult`` of subject
    ``function``, ``vjp`` or ``layer`` (displayed as a report in Jupyter and IPython).

    Attributes:
        name: what was checked, e.g. ``affine_forward / affine_backward``.
        tensors: the verdict per input differentiated, also by name in ``inputs``.
        precision: the float type the user's code computes in (``float64``, ``float32``, …).
        precision_limited: the code computes below float64, so it was judged with that
            precision's error budget; ``precision_note`` says why we think so.
    """

    precision: str = "float64"
    precision_limited: bool = False
    precision_note: str = ""

    @property
    def inputs(self) -> Mapping[str, TensorResult]:
        """The verdict per input, by name."""
        return {t.name: t for t in self.tensors}

    @property
    def spec(self) -> SpecResult:
        """This result as the report tree holds it (itself; kept for callers of older versions)."""
        return self

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.tensors)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the inputs whose gradient is wrong."""
        return tuple(t.name for t in self.tensors if not t.passed)

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
        return REPORTERS[format](self.as_report(), RenderOptions(color=color, width=width))

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the plain-text report unless every gradient is right."""
        if not self.passed:
            raise AssertionError("\n" + self.report("console"))

    def __str__(self) -> str:
        verdict = "passed" if self.passed else f"FAILED for {', '.join(self.failed)}"
        note = f"; precision-limited ({self.precision})" if self.precision_limited else ""
        weak = [t.name for t in self.tensors if t.caution]
        if weak:
            note += f"; poorly resolved for {', '.join(weak)} (see .inputs[name].caution)"
        return f"{self.name}: {verdict}{note}"
