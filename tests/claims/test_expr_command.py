"""`gradcheck expr`: one question from the command line — exit 0 correct, 1 incorrect, 2 invalid;
one JSON question object with --format json; the derivative itself without --claim."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

from gradcheck_cli.report import jsonout

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py

LEAST_SQUARES = ("0.5 * norm(y - A @ x)**2", "--wrt", "x", "--var", "x=3", "--var", "A=4x3", "--var", "y=4")


def expr(gradcheck: Invoke, *args: str) -> Result:
    result = gradcheck("expr", *args)
    assert isinstance(result.exception, SystemExit) or result.exception is None, result.exception
    return result


def test_a_correct_claim_exits_0_and_says_correct(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *LEAST_SQUARES, "--claim", "-A.T @ (y - A @ x)")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("correct")
    assert "evidence: symbolic" in result.stdout


def test_an_incorrect_claim_exits_1_and_names_the_mistake(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *LEAST_SQUARES, "--claim", "A.T @ (y - A @ x)")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0].startswith("incorrect")
    assert "sign is wrong" in result.stdout


def test_the_jacobian_layout_is_chosen_with_layout(gradcheck: Invoke) -> None:
    args = ("A @ x", "--wrt", "x", "--var", "A=2x3", "--var", "x=3", "--claim", "A")
    assert expr(gradcheck, *args, "--layout", "jacobian").exit_code == 0
    assert expr(gradcheck, *args).exit_code == 1  # the gradient layout wants A.T


def test_assumptions_and_lets_are_taken_from_the_options(gradcheck: Invoke) -> None:
    base = ("x.T @ A @ x", "--wrt", "x", "--var", "x=3", "--var", "A=3x3",
            "--let", "g=2 * A @ x", "--claim", "g")
    assert expr(gradcheck, *base).exit_code == 1
    assert expr(gradcheck, *base, "--assume", "A:symmetric").exit_code == 0


def test_json_prints_one_question_object(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *LEAST_SQUARES, "--claim", "-(y - A @ x).T @ A", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)  # the whole of stdout is one document
    assert data["schema_version"] == jsonout.SCHEMA_VERSION
    assert isinstance(data["schema_version"], int)
    assert data["kind"] == "question"
    assert data["verdict"] == "incorrect"
    assert data["diagnosis"]["kind"] == "layout"
    assert data["expected_shape"] == [3, 1]
    assert data["claimed_shape"] == [1, 3]
    assert data["outcome"] == "fail"


def test_json_for_a_correct_claim_has_no_diagnosis(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *LEAST_SQUARES, "--claim", "-A.T @ (y - A @ x)", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["kind"], data["verdict"], data["diagnosis"], data["evidence"]) == (
        "question", "correct", None, "symbolic")


def test_the_answer_is_shown_only_with_show_answer(gradcheck: Invoke) -> None:
    args = ("a.T @ x", "--wrt", "x", "--var", "a=2", "--var", "x=2", "--claim", "2 * a")
    hidden = expr(gradcheck, *args)
    shown = expr(gradcheck, *args, "--show-answer")
    assert "answer" not in hidden.stdout
    assert "answer: a\n" in shown.stdout
    assert json.loads(expr(gradcheck, *args, "--format", "json").stdout)["answer"] is None


def test_without_a_claim_it_prints_the_derivative(gradcheck: Invoke) -> None:
    """d(x³)/dx = 3x²; ∂(aᵀx)/∂x = a — in the language, as a claim would be written."""
    scalar = expr(gradcheck, "x**3", "--wrt", "x", "--var", "x=scalar")
    assert (scalar.exit_code, scalar.stdout) == (0, "3 * x**2\n")
    vector = expr(gradcheck, "a.T @ x", "--wrt", "x", "--var", "a=2", "--var", "x=2")
    assert (vector.exit_code, vector.stdout) == (0, "a\n")
    entries = expr(gradcheck, "a.T @ x", "--wrt", "x", "--var", "a=2", "--var", "x=2", "--elementwise")
    assert "a₀" in entries.stdout and "a₁" in entries.stdout  # SymPy's pretty entries


def test_latex_prints_the_derivative_as_latex(gradcheck: Invoke) -> None:
    scalar = expr(gradcheck, "x**3", "--wrt", "x", "--var", "x=scalar", "--latex")
    assert "3 x^{2}" in scalar.stdout
    vector = expr(gradcheck, "a.T @ x", "--wrt", "x", "--var", "a=2", "--var", "x=2", "--latex")
    assert vector.stdout.strip() == "a"


@pytest.mark.parametrize(("args", "fragment"), [
    (("a.T @ x", "--wrt", "x", "--var", "x:3", "--var", "a=3"), "--var 'x:3'"),
    (("a.T @ x", "--wrt", "x", "--var", "x=3x3x3", "--var", "a=3"), "--var"),
    (("a.T @ x", "--wrt", "x", "--var", "x=0", "--var", "a=3"), "--var"),
    (("a.T @ x", "--wrt", "z", "--var", "x=3", "--var", "a=3"), "--wrt z"),
    (("a.T @ x", "--wrt", "xx", "--var", "x=3", "--var", "a=3"), "did you mean `x`?"),
    (("a.T @ x", "--wrt", "x", "--var", "x=3", "--var", "a=3", "--assume", "a:symetric"),
     "did you mean `symmetric`?"),
    (("a.T @ x", "--wrt", "x", "--var", "x=3", "--var", "a=3", "--assume", "B:symmetric"), "--assume"),
    (("a.T @ x", "--wrt", "x", "--var", "x=3", "--var", "a=3", "--claim", "a + zz"), "unknown variable `zz`"),
    (("a.T @ x", "--wrt", "x", "--var", "x=3", "--var", "a=3", "--claim", "tahn(a)"), "did you mean `tanh`?"),
    (("a.T @ x", "--wrt", "x", "--var", "x=3", "--var", "a=3", "--claim", "__import__('os')"), "--claim"),
], ids=["var-syntax", "var-3d", "var-zero", "unknown-wrt", "misspelt-wrt", "unknown-property",
        "assume-undeclared", "claim-undeclared", "claim-unknown-function", "claim-hostile"])
def test_invalid_input_exits_2_with_one_line_on_stderr(gradcheck: Invoke, args: tuple[str, ...],
                                                       fragment: str) -> None:
    result = expr(gradcheck, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("gradcheck: ")
    assert fragment in line


def test_junit_and_markdown_report_the_question_as_a_one_question_sheet(gradcheck: Invoke) -> None:
    import xml.etree.ElementTree as ET

    wrong = ("--claim", "A.T @ (y - A @ x)")
    junit = expr(gradcheck, *LEAST_SQUARES, *wrong, "--format", "junit")
    assert junit.exit_code == 1, junit.output
    root = ET.fromstring(junit.stdout)
    (case,) = root.iter("testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "sign"
    markdown = expr(gradcheck, *LEAST_SQUARES, *wrong, "--format", "markdown")
    assert markdown.exit_code == 1
    assert "| sign |" in markdown.stdout and markdown.stdout.rstrip().endswith("**0 passed, 1 failed**")
    right = expr(gradcheck, *LEAST_SQUARES, "--claim", "-A.T @ (y - A @ x)", "--format", "junit")
    assert right.exit_code == 0 and ET.fromstring(right.stdout).get("failures") == "0"


@pytest.mark.parametrize(
    ("f", "claim", "which"),
    [
        ("logdet(outer(x, x))", "x", "f is not finite"),  # det x xᵀ is identically 0
        ("x.T @ x", "x / (x.T @ x - x.T @ x)", "the claim is not finite"),
    ],
)
def test_a_question_not_finite_anywhere_is_an_error_naming_what_exits_2(
    gradcheck: Invoke, f: str, claim: str, which: str
) -> None:
    result = expr(gradcheck, f, "--wrt", "x", "--var", "x=3", "--claim", claim)
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith("error") and which in result.stdout
    assert f"gradcheck: {which}" in result.stderr


def test_the_slides_tanh_layer_by_its_matrix_takes_a_kron_claim_in_the_vec_layout(gradcheck: Invoke) -> None:
    """∂tanh(Ax + b)/∂A by vec(A), columns stacked: diag(1 − tanh²(z)) (xᵀ ⊗ I); the slides' block
    picture with the rows of A stacked, I ⊗ xᵀ, has the right numbers in the wrong columns."""
    layer = ("tanh(A @ x + b)", "--wrt", "A", "--var", "A=2x3", "--var", "x=3", "--var", "b=2",
             "--layout", "jacobian")
    right = expr(gradcheck, *layer, "--claim", "diag(1 - tanh(A @ x + b)**2) @ kron(x.T, eye(2))")
    assert right.exit_code == 0, right.output
    rows = expr(gradcheck, *layer, "--claim", "diag(1 - tanh(A @ x + b)**2) @ kron(eye(2), x.T)")
    assert rows.exit_code == 1, rows.output
