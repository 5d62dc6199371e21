"""Bad input in a claim file is refused with the place: file:line:col of the offending name inside
the YAML line (whatever the scalar's quoting), a one-sentence reason, a did-you-mean where one
fits — and exit code 2, as for any invalid input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture


def position(text: str, anchor: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of ``needle`` after ``anchor`` on the first line holding ``anchor``."""
    for number, line in enumerate(text.splitlines(), 1):
        if anchor in line:
            return number, line.index(needle, line.index(anchor) + len(anchor)) + 1
    raise AssertionError(f"{anchor!r} is not in the text")


def place(path: Path, where: tuple[int, int]) -> str:
    return f"{path}:{where[0]}:{where[1]}:"


class Run:
    """A finished `gradcheck check`; ``output`` is stdout and stderr with the console's line
    wrapping undone (runs of whitespace → one space), so a message reads as one string."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.exit_code = result.exit_code
        self.output = " ".join(result.output.split())
        self.stderr = " ".join(result.stderr.split())


def run(gradcheck: Invoke, path: Path) -> Run:
    result = gradcheck("check", path)
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert "Traceback" not in result.output
    return Run(result)


def one_question(*, claimed: str = "a", f: str = "a.T @ x", wrt: str = "x",
                 variables: str = "{a: [3], x: [3]}", extra: str = "") -> str:
    return (
        "questions:\n"
        "  - name: q\n"
        f"    variables: {variables}\n"
        f"{extra}"
        f"    f: {f}\n"
        f"    wrt: {wrt}\n"
        f"    claimed: {claimed}\n"
    )


@pytest.mark.parametrize("claimed", ["a + zz", "'a + zz'", '"a + zz"', "a +   zz", '"a + 2 * zz"'],
                         ids=["plain", "single-quoted", "double-quoted", "spaced", "double-quoted-later"])
def test_an_undeclared_name_in_claimed_points_at_the_name_in_the_yaml_line(
    gradcheck: Invoke, write_spec: WriteSpec, claimed: str
) -> None:
    text = one_question(claimed=claimed)
    path = write_spec(text)
    result = run(gradcheck, path)
    assert place(path, position(text, "claimed:", "zz")) in result.output
    assert "unknown variable `zz`" in result.output


def test_an_undeclared_name_in_f_points_at_the_name(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    text = one_question(f="a.T @ x + sum(zz)")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert place(path, position(text, "f:", "zz")) in result.output


def test_an_undeclared_name_in_a_let_points_at_the_name(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    text = one_question(extra="    let: {z: a * zz}\n", claimed="z")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert place(path, position(text, "let:", "zz")) in result.output


def test_an_undeclared_name_in_a_block_scalar_points_at_the_name(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = one_question(claimed="|\n      a + zz")
    path = write_spec(text)
    result = run(gradcheck, path)
    line = text.splitlines().index("      a + zz") + 1
    assert place(path, (line, len("      a + ") + 1)) in result.output


def test_an_undeclared_name_in_a_wrapped_plain_scalar_points_at_the_name(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = one_question(claimed="a +\n      2 * zz")
    path = write_spec(text)
    result = run(gradcheck, path)
    line = text.splitlines().index("      2 * zz") + 1
    assert place(path, (line, len("      2 * ") + 1)) in result.output


def test_an_unknown_function_is_named_with_a_did_you_mean(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    text = one_question(claimed="a * tahn(x)")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert place(path, position(text, "claimed:", "tahn")) in result.output
    assert "unknown function `tahn`" in result.output
    assert "did you mean `tanh`?" in result.output


def test_a_shape_mismatch_in_f_names_both_shapes_and_exits_2(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    """A broken question, not a wrong answer (a claim that does not type-check is scored instead:
    tests/claims/test_ill_typed_claims.py)."""
    text = one_question(variables="{x: [4], A: [2, 3]}", f="sum(A @ x)", claimed="x")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert result.exit_code == 2, result.output
    assert "A is 2×3 but x has 4 rows" in result.output
    line, start = position(text, "f:", "A @ x")
    assert place(path, (line, start)) in result.output or place(path, (line, start + 2)) in result.output


def test_differentiating_by_a_let_is_refused_at_wrt(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    text = one_question(extra="    let: {z: 2 * x}\n", f="a.T @ z", wrt="z", claimed="2 * a")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert place(path, position(text, "wrt:", "z")) in result.output
    assert "`z` is a `let` (a named sub-expression), not a variable" in result.output
    assert "let" in result.output


def test_a_misspelt_wrt_gets_a_did_you_mean(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    text = one_question(wrt="xx")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert place(path, position(text, "wrt:", "xx")) in result.output
    assert "did you mean `x`?" in result.output


def test_an_assumption_on_an_undeclared_variable_points_at_its_name(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = one_question(extra="    assume: {B: [symmetric]}\n")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert "`B` is not a declared variable" in result.output
    assert place(path, position(text, "assume:", "B")) in result.output


def test_symmetric_on_a_non_square_variable_is_refused_on_its_line(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = one_question(variables="{a: [2], x: [3], A: [2, 3]}", extra="    assume: {A: [symmetric]}\n",
                        f="a.T @ A @ x", claimed="A.T @ a")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert "`A` is 2×3; only a square matrix can be symmetric" in result.output
    line, _ = position(text, "assume:", "A")
    assert f"{path}:{line}:" in result.output


def test_an_unknown_property_exits_2_with_its_place_and_a_did_you_mean(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = one_question(variables="{a: [3], x: [3], A: [3, 3]}", extra="    assume: {A: [symetric]}\n")
    path = write_spec(text)
    result = run(gradcheck, path)
    assert result.exit_code == 2, result.output
    assert place(path, position(text, "assume:", "symetric")) in result.stderr
    assert "did you mean `symmetric`?" in result.stderr


def test_a_question_that_does_not_compile_exits_2(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    """Invalid input, not a wrong answer: README's exit code 2 ("a spec error")."""
    path = write_spec(one_question(claimed="a + zz"))
    result = run(gradcheck, path)
    assert result.exit_code == 2, result.output


def test_a_broken_question_does_not_stop_the_others_from_being_judged(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = one_question(claimed="a + zz") + one_question(claimed="-a").split("\n", 1)[1]
    path = write_spec(text)
    result = gradcheck("check", path, "--format", "json")
    first, second = json.loads(result.stdout)["specs"][0]["questions"]
    assert first["verdict"] == "error" and "zz" in first["error"]
    assert second["verdict"] == "incorrect" and second["diagnosis"]["kind"] == "sign"
