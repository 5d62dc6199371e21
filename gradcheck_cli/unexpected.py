"""Unexpected exceptions inside one check: a one-line reason for the report, the traceback
for the maintainers (the JSON ``details``), and never a crash of the run."""

from __future__ import annotations

import os
import traceback

from gradcheck_cli.errors import printable

#: What a reader can do about an exception that is a bug of gradcheck, not of the input.
REPORT_IT = "a bug in gradcheck; please report it with the JSON report's `details`"


def reason(exc: BaseException) -> str:
    """One line saying what stopped the check, for the report."""
    if isinstance(exc, MemoryError):
        return "ran out of memory; declare smaller sizes"
    if isinstance(exc, RecursionError):
        return "the expression is nested too deeply to evaluate; write it in fewer levels"
    text = printable(str(exc)).strip()
    first = text.splitlines()[0] if text else ""
    shown = (f"{type(exc).__name__}: {first}" if first else type(exc).__name__)[:200]
    if _raised_in_sympy(exc):
        return (f"SymPy failed on this expression ({shown}): it may be undefined everywhere (a log of 0, "
                "a division by 0) or too large to evaluate")
    return f"an internal error stopped this check ({shown}): {REPORT_IT}"


def _raised_in_sympy(exc: BaseException) -> bool:
    """The exception came from inside SymPy or mpmath (its innermost frame is theirs)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and any(f"{os.sep}{name}{os.sep}" in frames[-1].filename
                                for name in ("sympy", "mpmath"))


def details(exc: BaseException) -> str:
    """The traceback of ``exc``, as text."""
    return "".join(traceback.format_exception(exc))
