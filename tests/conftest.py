"""Shared fixtures: a CLI runner with the console width pinned, and a spec-file writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gradcheck_cli.cli import app

#: The pytest plugin's tests run pytest on spec files in temp dirs; pytester must be declared
#: here, in the top-level conftest (pytest refuses ``pytest_plugins`` in nested ones).
pytest_plugins = ["pytester"]

#: The width the CLI uses when stdout is not a terminal; COLUMNS pins it when it is.
WIDTH = 100

#: Environment of every in-process run: width pinned, colour left to the flags under test.
ENV: dict[str, str | None] = {
    "COLUMNS": str(WIDTH),
    "TERM": "xterm-256color",
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
}

Invoke = Callable[..., Result]
WriteSpec = Callable[..., Path]


@pytest.fixture(scope="session")
def runner() -> CliRunner:
    """A CliRunner whose environment pins the width and leaves colour to the flags under test."""
    return CliRunner(env=ENV)


@pytest.fixture(scope="session")
def gradcheck(runner: CliRunner) -> Invoke:
    """Run ``gradcheck ARGS…`` in-process; path arguments may be ``Path`` objects."""

    def invoke(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], env=env)

    return invoke


@pytest.fixture
def write_spec(tmp_path: Path) -> WriteSpec:
    """Write YAML text to ``tmp_path/<name>`` and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
