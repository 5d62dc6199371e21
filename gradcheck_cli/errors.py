"""One exception family: every user mistake is a ``GradcheckError`` with a place and a hint."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: Most problems of one file listed in one run; any beyond are counted in a last line. A file
#: with dozens of mistakes is usually the wrong file, and the first ones are what to fix first.
MAX_PROBLEMS = 20


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


class SpecProblems(SpecError):
    """Several problems of one file, reported together: one line each, in the order of the file.

    Its place, message and hint are those of the first problem, so code that reads one error
    still works; ``problems`` holds them all.
    """

    def __init__(self, problems: Sequence[SpecError]) -> None:
        first = problems[0]
        super().__init__(first.message, file=first.file, line=first.line, column=first.column,
                         hint=first.hint)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems[:MAX_PROBLEMS]]
        hidden = len(self.problems) - MAX_PROBLEMS
        if hidden > 0:
            where = f"{self.file}: " if self.file else ""
            lines.append(f"{where}{hidden} more problem(s) not listed (at most {MAX_PROBLEMS} are)")
        return "\n".join(lines)


def together(problems: Sequence[SpecError]) -> SpecError:
    """One error for the ``problems`` of one file: the only one, or all of them in file order
    (a problem found twice, at the same place with the same words, is listed once)."""
    unique = {(p.line or 0, p.column or 0, str(p)): p for p in problems}
    ordered = [unique[key] for key in sorted(unique)]
    return ordered[0] if len(ordered) == 1 else SpecProblems(ordered)


class Problems:
    """Collects the problems of one file so that one run reports every one of them."""

    def __init__(self) -> None:
        self.found: list[SpecError] = []

    def add(self, error: SpecError) -> None:
        self.found.append(error)

    def attempt(self, make: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """``make(*args, **kwargs)``, or None when it raises a ``SpecError``, which is collected."""
        try:
            return make(*args, **kwargs)
        except SpecError as exc:
            self.add(exc)
            return None

    def raise_any(self) -> None:
        """Raise what was collected, if anything.

        Raises:
            SpecError: the one problem found, or a ``SpecProblems`` listing them all.
        """
        if self.found:
            raise together(self.found)


def printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\x1b``): names quoted
    from the input stay on one line and cannot drive the terminal (ANSI escapes in a CI log)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def plain_text(text: str) -> str:
    """``text`` itself, when every character of it prints as it is (newlines and tabs aside).

    The rule for every name or description read from the input that a terminal, a report or a
    CI log shows: no control characters (ANSI and OSC escapes, a clear-screen) and no bidi
    overrides (U+202E) that would drive the terminal or disguise what it shows.

    Raises:
        ValueError: naming the first such character, escaped (pydantic places it in the file).
    """
    bad = next((c for c in text if not c.isprintable() and c not in "\n\t"), None)
    if bad is not None:
        raise ValueError(f"contains the control character {bad.encode('unicode_escape').decode()}: "
                         "names and descriptions are printed, write plain text")
    return text


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A "did you mean `x`?" hint for a misspelt name, or None when nothing is close: the same
    name in another case first (``ReLU`` → ``relu``), else the closest by edit distance."""
    options = list(choices)
    close = [option for option in options if option.lower() == word.lower()]
    close = close or difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
