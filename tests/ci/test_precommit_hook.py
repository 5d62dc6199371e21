"""The pre-commit hook definition at the repository root runs `gradcheck check` on spec files."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

HOOKS = Path(__file__).parents[2] / ".pre-commit-hooks.yaml"


@pytest.fixture(scope="module")
def hook() -> dict:
    (found,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return found


def test_the_hook_is_named_gradcheck_and_installs_as_python(hook):
    assert (hook["id"], hook["language"]) == ("gradcheck", "python")
    assert {"name", "entry"} <= set(hook)


@pytest.mark.parametrize(("path", "selected"), [
    ("specs/mlp.gradcheck.yaml", True),
    ("homework/sheet.gradcheck.yml", True),
    ("docker-compose.yaml", False),
    (".github/workflows/ci.yml", False),
    ("specs/mlp.gradcheck.yaml.bak", False),
])
def test_the_hook_selects_only_gradcheck_spec_files(hook, path, selected):
    assert (re.search(hook["files"], path) is not None) is selected


def test_the_entry_is_the_check_command_and_accepts_the_files_as_arguments(hook, gradcheck, write_spec):
    program, *args = shlex.split(hook["entry"])
    assert program == "gradcheck"
    spec = write_spec("data: {batch: 2, inputs: 2}\nnetwork: [linear: {out: 2}, tanh]\nloss: squared_error\n",
                      "a.gradcheck.yaml")
    other = write_spec("data: {batch: 2, inputs: 3}\nnetwork: [sigmoid]\nloss: squared_error\nwrt: [x]\n",
                       "b.gradcheck.yaml")
    result = gradcheck(*args, spec, other)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "3 passed, 0 failed"
