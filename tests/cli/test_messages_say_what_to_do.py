"""Messages for what newcomers trip over say what to do (issue 14): differentiating by a let, an
assumption on an undeclared name, a missing file with a close name beside it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gradcheck_cli.cli import app

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_wrt_a_let_names_the_variables_to_differentiate_by_instead() -> None:
    code, output = run("expr", "z.T @ z", "--wrt", "z", "--var", "x=3", "--let", "z=2 * x")
    assert code == 2
    assert "`z` is a named sub-expression (--let), not a variable" in output
    assert "differentiate by a variable it is made of (x)" in output


def test_an_assumption_on_an_undeclared_name_says_to_declare_it() -> None:
    code, output = run("expr", "x.T @ x", "--wrt", "x", "--var", "x=3", "--assume", "y:positive")
    assert code == 2 and "`y` is not a declared variable" in output and "--var y=SIZES" in output


def test_an_assumption_on_a_misspelt_name_suggests_the_declared_one() -> None:
    code, output = run("expr", "x.T @ A @ x", "--wrt", "x", "--var", "x=3", "--var", "A=3x3",
                       "--assume", "a:symmetric")
    assert code == 2 and "did you mean `A`?" in output


def test_a_missing_file_suggests_the_close_name_beside_it() -> None:
    missing = ROOT / "specs" / "tanh-layer-squared-loss.yml"
    code, output = run("check", str(missing))
    assert code == 2 and "no such file or directory" in output
    assert "did you mean" in output and "tanh-layer-squared-loss.yaml" in output


def test_a_missing_folder_is_named() -> None:
    code, output = run("check", "no-such-folder/spec.yaml")
    assert code == 2 and "the folder no-such-folder does not exist either" in output
