"""One exception family: every user mistake is a ``GradcheckError`` with a place and a hint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GradcheckError(Exception):
    """Base of every error caused by user input; the CLI turns it into one line and exit 2."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint

    @property
    def place(self) -> str:
        """``file:line:col`` as far as it is known, or an empty string."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        text = f"{self.place}: {self.message}" if self.place else self.message
        if self.hint:
            text = f"{text.rstrip('.')}; {self.hint}"
        return printable(text)


class SpecError(GradcheckError):
    """A spec file is malformed: YAML syntax, a wrong type, a missing or unknown key, a bad shape."""


def printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\x1b``): names quoted
    from the input stay on one line and cannot drive the terminal (ANSI escapes in a CI log)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A "did you mean `x`?" hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
