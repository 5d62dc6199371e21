"""What every refusal of bad input looks like from the command line: exit code 2, no traceback,
and one line on stderr, ``gradcheck: PLACE: sentence``."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import Result


def refusal(result: Result) -> str:
    """Assert a clean refusal (exit 2, one stderr line, no traceback); return that line without
    its ``gradcheck: `` prefix."""
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    assert result.exit_code == 2, (result.exit_code, result.exception, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gradcheck: "), lines[0]
    return lines[0].removeprefix("gradcheck: ")


def refusal_at(result: Result, path: Path, line: int, column: int) -> str:
    """``refusal``, placed at ``path:line:column``; return the sentence after the place."""
    message = refusal(result)
    match = re.match(rf"{re.escape(str(path))}:{line}:{column}: ", message)
    assert match, f"{message!r} is not at {path}:{line}:{column}"
    return message[match.end():]
