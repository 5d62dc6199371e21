"""A sheet with an answer key says, for a question that does not match it, what was expected."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gradcheck_cli.cli import app

SHEET = """\
questions:
  - name: quadratic form
    variables: {x: [3], A: [3, 3]}
    f: x.T @ A @ x
    wrt: x
    claimed: (A + A.T) @ x
    expect: incorrect
    expect_diagnosis: sign
  - name: least squares
    variables: {x: [3], A: [4, 3], y: [4]}
    f: 0.5 * norm(y - A @ x)**2
    wrt: x
    claimed: A.T @ (A @ x - y)
    expect: correct
"""


def test_a_mismatch_with_the_key_names_what_the_key_expected(tmp_path: Path) -> None:
    path = tmp_path / "sheet.yaml"
    path.write_text(SHEET, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path), "--no-color"])
    assert result.exit_code == 1, result.output
    table = " ".join(" ".join(line.split()) for line in result.output.splitlines() if line.startswith("│"))
    assert "NO: expected incorrect" in table and "(sign)" in table  # the cell may wrap
    assert table.count("yes") == 1
