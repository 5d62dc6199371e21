"""Output the documentation shows, kept true: the README's console examples and every command's help.

A README example is a ```text block whose first line is ``$ gradcheck …`` (continued by lines
ending in ``\\``; a block may hold several, each from its ``$`` line); the rest is what the command
prints: its stdout, or its stderr
when the command ends in ``>/dev/null``. Help snapshots live in ``tests/cli/help/`` (one file per
command). Both are produced in-process, from the repository root, with the width pinned. The
README's table of limits names its constants; its Default column is their values.

    python tests/snapshots.py            # compare; a diff and exit 1 for any that drifted
    python tests/snapshots.py --update   # rewrite them from what the tool prints now
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import math
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
HELP = ROOT / "tests" / "cli" / "help"

#: The terminal the examples are shown for: 100 columns, no colour (the CLI's own piped width).
ENV: dict[str, str | None] = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None}

#: The commands whose help is kept, as argument lists ([] is `gradcheck` itself).
COMMANDS: tuple[tuple[str, ...], ...] = ((), ("check",), ("expr",), ("steps",), ("derive",), ("func",),
                                         ("ops",), ("schema",), ("grade",))

#: A number in a report; scientific ones below ROUNDING_LEVEL are rounding noise (see `same`).
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")
ROUNDING_LEVEL = 1e-12
EXAMPLE = re.compile(r"```text\n(\$ gradcheck .*?)```", re.DOTALL)


@dataclass(frozen=True)
class Example:
    """One console example of the README: the command as typed and the output shown."""

    command: str
    shown: str
    start: int  # offset of the block's body in README.md
    end: int

    @property
    def argv(self) -> list[str]:
        words = shlex.split(self.command.removeprefix("$ ").replace("\\\n", " "))
        return [w for w in words[1:] if w != ">/dev/null"]

    @property
    def stderr_only(self) -> bool:
        return self.command.rstrip().endswith(">/dev/null")


def examples(text: str) -> list[Example]:
    """The console examples in ``text`` (the README), in order; a block may hold several, each
    starting at its ``$ gradcheck`` line."""
    found = []
    for match in EXAMPLE.finditer(text):
        start = match.start(1)
        for session in re.split(r"(?m)^(?=\$ gradcheck )", match.group(1)):
            if session:
                found.append(_example(session, start))
                start += len(session)
    return found


def _example(session: str, start: int) -> Example:
    lines = session.splitlines(keepends=True)
    n = 1
    while lines[n - 1].rstrip("\n").endswith("\\"):
        n += 1
    return Example("".join(lines[:n]).rstrip("\n"), "".join(lines[n:]), start, start + len(session))


@contextlib.contextmanager
def _at_root() -> Iterator[None]:
    before = Path.cwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(before)


def run(argv: list[str], *, stderr_only: bool = False) -> str:
    """What ``gradcheck ARGV`` prints, run in-process from the repository root."""
    from gradcheck_cli.cli import app

    with _at_root():
        result = CliRunner(env=ENV).invoke(app, argv, prog_name="gradcheck")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.stderr if stderr_only else result.stdout


def produced(example: Example) -> str:
    """What the example's command prints now, without the trailing spaces of padded table rows."""
    printed = run(example.argv, stderr_only=example.stderr_only)
    return "".join(f"{line.rstrip()}\n" for line in printed.splitlines())


def same(shown: str, actual: str) -> bool:
    """Equal, but for numbers that are both at rounding level (|x| < 1e-12 in scientific
    notation: the last bits of a float64 sum vary with the BLAS and the CPU). Any other number,
    and every word, must be as shown."""
    if NUMBER.split(shown) != NUMBER.split(actual):
        return False
    pairs = zip(NUMBER.findall(shown), NUMBER.findall(actual), strict=True)
    return all(a == b or (_noise(a) and _noise(b)) for a, b in pairs)


def _noise(number: str) -> bool:
    return "e" in number and abs(float(number)) < ROUNDING_LEVEL


def help_text(argv: tuple[str, ...]) -> str:
    return run([*argv, "--help"])


def help_file(argv: tuple[str, ...]) -> Path:
    return HELP / f"{'-'.join(argv) or 'gradcheck'}.txt"


#: A row of the README's limits table: | what | `module.CONSTANT`, `OTHER` … | value; value … |
LIMIT_ROW = re.compile(r"^\| (?P<what>[^|]+) \| (?P<names>`gradcheck_cli\.[^|]+) \| (?P<values>[^|]+) \|$",
                       re.MULTILINE)
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def limit_constants(names: str) -> list[float]:
    """The values of the constants a limits row names: the first with its module, the others in
    the same module."""
    dotted = re.findall(r"`([\w.]+)`", names)
    module = importlib.import_module(dotted[0].rsplit(".", 1)[0])
    return [getattr(module, name.rsplit(".", 1)[-1]) for name in dotted]


def shown_value(value: float) -> str:
    """How the README writes a limit: 2¹⁷ and 10¹² for round powers, 4,000,000, 0.5."""
    if float(value).is_integer():
        n = int(value)
        for base, least in ((2, 2**10), (10, 10**9)):
            exponent = round(math.log(n, base)) if n > 0 else 0
            if n >= least and base**exponent == n:
                return f"{base}{str(exponent).translate(SUPERSCRIPT)}"
        return f"{n:,}"
    return f"{value:g}"


def limits_drifted(text: str) -> list[str]:
    """The rows of the limits table whose Default is not the constants' values, as sentences."""
    wrong = []
    for row in LIMIT_ROW.finditer(text):
        values = "; ".join(shown_value(v) for v in limit_constants(row.group("names")))
        if row.group("values").strip() != values:
            wrong.append(f"README limits: {row.group('what').strip()}: shown {row.group('values').strip()}, "
                         f"the code has {values}")
    return wrong


def _updated_limits(text: str) -> str:
    def value_cell(row: re.Match[str]) -> str:
        values = "; ".join(shown_value(v) for v in limit_constants(row.group("names")))
        return f"| {row.group('what')} | {row.group('names')} | {values} |"

    return LIMIT_ROW.sub(value_cell, text)


def drifted() -> list[str]:
    """A unified diff for every example and help snapshot that no longer matches the tool, and a
    sentence for every limit the README misstates."""
    diffs = limits_drifted(README.read_text(encoding="utf-8"))
    for example in examples(README.read_text(encoding="utf-8")):
        actual = produced(example)
        if not same(example.shown, actual):
            diffs.append(_diff(example.shown, actual, f"README: {example.command.splitlines()[0]}"))
    for argv in COMMANDS:
        path = help_file(argv)
        kept = path.read_text(encoding="utf-8") if path.exists() else ""
        if kept != help_text(argv):
            diffs.append(_diff(kept, help_text(argv), str(path.relative_to(ROOT))))
    return diffs


def _diff(shown: str, actual: str, name: str) -> str:
    return "".join(difflib.unified_diff(shown.splitlines(keepends=True), actual.splitlines(keepends=True),
                                        f"{name} (shown)", f"{name} (printed now)"))


def update() -> None:
    """Rewrite the README's examples and the help snapshots from what the tool prints now."""
    text = README.read_text(encoding="utf-8")
    for example in reversed(examples(text)):  # from the end, so earlier offsets stay valid
        actual = produced(example)
        if not same(example.shown, actual):
            body = f"{example.command}\n{actual}"
            text = text[:example.start] + body + text[example.end:]
    README.write_text(_updated_limits(text), encoding="utf-8")
    HELP.mkdir(parents=True, exist_ok=True)
    for argv in COMMANDS:
        help_file(argv).write_text(help_text(argv), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="rewrite the examples from the tool's output")
    if parser.parse_args().update:
        update()
        return 0
    diffs = drifted()
    sys.stdout.write("\n".join(diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
