"""Run one fuzz case through the real CLI, in-process, and classify what happened.

The contract under test: every input ends in a normal report (exit 0 or 1) or in a refusal
(exit 2 with one ``gradcheck: …`` line per problem on stderr) — never in an exception that
escapes the error boundary, never in a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from gradcheck_cli.cli import app

#: ``gradcheck expr`` declarations of the variables that random expressions use.
EXPR_OPTIONS = ("--var", "x=3", "--var", "A=2x3", "--var", "X=2x2", "--var", "s=scalar", "--var", "t=scalar")

RESULT, REFUSED, CRASH = "result", "refused", "crash"
#: How the long run counts a case that hit the OS memory limit, or that outran its budget.
OVER_MEMORY, OVER_BUDGET = "over-memory", "over-budget"

#: Seconds a fuzzed spec file may take (``--file-budget``): far below the default, so that the
#: long run finds the inputs that escape their budget instead of waiting on the ones that use it.
FILE_BUDGET = 20

_runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"})


@dataclass(frozen=True)
class Outcome:
    """How a case ended: a ``result`` (exit 0/1), ``refused`` (exit 2 and a message), or a
    ``crash`` (anything else), with the details a crash needs to be reproduced."""

    kind: str
    detail: str = ""


def classify(args: list[str]) -> Outcome:
    """Run ``gradcheck ARGS…`` and check the contract."""
    result = _runner.invoke(app, args)
    if isinstance(result.exception, MemoryError):
        return Outcome(OVER_MEMORY, "MemoryError escaped")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = result.exception
        return Outcome(CRASH, f"{type(error).__name__}: {error}"[:500])
    if "MemoryError" in result.output or "ran out of memory" in result.output:
        return Outcome(OVER_MEMORY, result.output[-300:])
    if "Traceback" in result.stderr or ("Traceback" in result.stdout and not _json(result.stdout)):
        # (a JSON report may carry a traceback in an error's `details`, for the maintainers)
        return Outcome(CRASH, "a traceback was printed: " + result.output[-500:])
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        if not lines or not all(line.startswith("gradcheck: ") and len(line) > 12 for line in lines):
            return Outcome(CRASH, f"exit 2 without one message per line: {result.stderr[:300]!r}")
        return Outcome(REFUSED, lines[0])
    if result.exit_code not in (0, 1):
        return Outcome(CRASH, f"exit code {result.exit_code}: {result.output[-300:]}")
    return Outcome(RESULT)


def _json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def check_spec_text(text: str | bytes, directory: Path) -> Outcome:
    """``gradcheck check`` on a file holding ``text``, reported as JSON (which must parse)."""
    path = directory / "fuzzed.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome = classify(["check", str(path), "--format", "json", "--file-budget", str(FILE_BUDGET)])
    return outcome


def check_expression(f: str, wrt: str, claim: str | None, lets: dict[str, str]) -> Outcome:
    """``gradcheck expr F --wrt W [--let …] [--claim C]`` over ``EXPR_OPTIONS``."""
    args = ["expr", "--wrt", wrt, *EXPR_OPTIONS]
    for name, body in lets.items():
        args += ["--let", f"{name}={body}"]
    if claim is not None:
        args += ["--claim", claim, "--format", "json"]
    return classify([*args, "--", f])  # `--`: an expression may start with a minus sign
