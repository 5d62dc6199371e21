"""Settings every reporter receives, and the summary line they share."""

from __future__ import annotations

from dataclasses import dataclass

from gradcheck_cli.results import Report


@dataclass(frozen=True)
class RenderOptions:
    """``color``: emit ANSI styles; ``width``: console width (None: the terminal's)."""

    color: bool = False
    width: int | None = None


def summary_line(report: Report) -> str:
    """The plain last line of every console run: ``N passed, M failed`` (``, K errors``)."""
    line = f"{report.count('pass')} passed, {report.count('fail')} failed"
    errors = report.count("error")
    return line + (f", {errors} error{'s' if errors > 1 else ''}" if errors else "")
