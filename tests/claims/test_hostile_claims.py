"""Hostile claims — code smuggled into `claimed`, `f`, a let, `--claim`, or a YAML tag — are refused
as invalid input (exit 2), fast, and nothing in them ever runs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

#: Claims that Python would run; the expression language must refuse every one.
HOSTILE = [
    "x.__class__",
    "x.__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "[x for x in y]",
    "f'{x}'",
    "(y := x)",
    "2**10**10",
    "open('f')",
    "eval('1')",
    "exec('1')",
    "getattr(x, 'T')",
    "x.T.__dict__",
]

VARIABLES = ("--var", "x=3", "--var", "y=3")


def touch(target: Path) -> str:
    return f"__import__('os').system('touch {target}')"


def sheet(claimed: str, *, f: str = "sum(x)", let: str = "") -> str:
    return (
        "questions:\n"
        "  - name: hostile\n"
        "    variables: {x: [3], y: [3]}\n"
        f"{let}"
        f"    f: {f}\n"
        "    wrt: x\n"
        f"    claimed: {claimed}\n"
    )


def quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar."""
    return json.dumps(text)


def test_an_import_in_a_claim_is_refused_and_runs_nothing(gradcheck: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    result = gradcheck("expr", "sum(x)", "--wrt", "x", *VARIABLES, "--claim", touch(target))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("gradcheck: --claim:")
    assert not target.exists()


@pytest.mark.parametrize("claim", HOSTILE)
def test_a_hostile_claim_on_the_command_line_exits_2(gradcheck: Invoke, claim: str) -> None:
    result = gradcheck("expr", "sum(x)", "--wrt", "x", *VARIABLES, "--claim", claim)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.startswith("gradcheck: --claim:")


@pytest.mark.parametrize("option", ["f", "--let"])
def test_hostile_code_in_f_or_a_let_is_refused_and_runs_nothing(
    gradcheck: Invoke, tmp_path: Path, option: str
) -> None:
    target = tmp_path / "pwned"
    if option == "f":
        args: tuple[str, ...] = (touch(target), "--wrt", "x", *VARIABLES)
    else:
        args = ("sum(x)", "--wrt", "x", *VARIABLES, "--let", f"z={touch(target)}", "--claim", "z")
    result = gradcheck("expr", *args)
    assert result.exit_code == 2, result.output
    assert not target.exists()


def test_a_tower_of_powers_is_refused_in_under_a_second(gradcheck: Invoke) -> None:
    start = time.perf_counter()
    result = gradcheck("expr", "sum(x)", "--wrt", "x", *VARIABLES, "--claim", "2**10**10")
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    assert "exponent" in result.stderr
    assert elapsed < 1.0


def test_a_tower_of_powers_in_a_sheet_is_refused_in_under_a_second(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec(sheet("x * 2**10**10"))
    start = time.perf_counter()
    result = gradcheck("check", path, "--format", "json")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    (question,) = json.loads(result.stdout)["specs"][0]["questions"]
    assert question["verdict"] == "error"
    assert "exponent" in question["error"]


@pytest.mark.parametrize("where", ["claimed", "f", "let"])
def test_an_import_in_a_sheet_is_an_error_and_runs_nothing(
    gradcheck: Invoke, write_spec: WriteSpec, tmp_path: Path, where: str
) -> None:
    target = tmp_path / "pwned"
    evil = quoted(touch(target))
    text = {
        "claimed": sheet(evil),
        "f": sheet("ones(3)", f=evil),
        "let": sheet("z", let=f"    let: {{z: {evil}}}\n"),
    }[where]
    result = gradcheck("check", write_spec(text), "--format", "json")
    assert not target.exists()
    (question,) = json.loads(result.stdout)["specs"][0]["questions"]
    assert question["verdict"] == "error"
    assert result.exit_code != 0


@pytest.mark.parametrize("claim", HOSTILE)
def test_a_hostile_claim_in_a_sheet_is_a_question_error(
    gradcheck: Invoke, write_spec: WriteSpec, claim: str
) -> None:
    result = gradcheck("check", write_spec(sheet(quoted(claim))), "--format", "json")
    (question,) = json.loads(result.stdout)["specs"][0]["questions"]
    assert question["verdict"] == "error"
    assert question["error"]


def test_a_sheet_with_a_hostile_claim_exits_2(
    gradcheck: Invoke, write_spec: WriteSpec, tmp_path: Path
) -> None:
    target = tmp_path / "pwned"
    result = gradcheck("check", write_spec(sheet(quoted(touch(target)))))
    assert result.exit_code == 2, result.output
    assert not target.exists()


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/name:os.system",
                                 "!!python/object/new:os.system"])
def test_a_python_yaml_tag_in_a_sheet_is_refused_and_runs_nothing(
    gradcheck: Invoke, write_spec: WriteSpec, tmp_path: Path, tag: str
) -> None:
    target = tmp_path / "pwned"
    path = write_spec(sheet(f'{tag} ["touch {target}"]'))
    result = gradcheck("check", path)
    assert result.exit_code == 2, result.output
    assert not target.exists()
    line = sheet("X").splitlines().index("    claimed: X") + 1
    assert f"{path}:{line}:" in result.stderr
    assert "tag" in result.stderr
