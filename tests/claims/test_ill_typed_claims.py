"""A claim that does not type-check (3×1 − 1×3) is a wrong answer: verdict `incorrect`, diagnosis
`shape` with the column and the shapes, exit 1 from `gradcheck expr`, 0 points in a sheet whose
other questions are still judged. A claim with a syntax error or an unknown name, and a question
whose f does not type-check, stay invalid input (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from gradcheck_cli.expr import ExprError, compile_expr

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

#: ‖Ax − b‖² by x: 2Aᵀ(Ax − b), with the second term written as a row by mistake (issue 10, item 8)
F = "norm(A @ x - b)**2"
ILL_TYPED = "2 * A.T @ A @ x - 2 * b.T @ A"
#: the column of the `-` between the 3×1 and the 1×3 term, counted by hand: "2 * A.T @ A @ x " is 16
MINUS_COLUMN = 17
QUESTION = (F, "--wrt", "x", "--var", "A=3x3", "--var", "x=3", "--var", "b=3")


def expr(gradcheck: Invoke, *args: str) -> Result:
    result = gradcheck("expr", *args)
    assert isinstance(result.exception, SystemExit) or result.exception is None, result.exception
    return result


def test_the_hand_counted_column_is_the_minus_between_the_two_terms() -> None:
    assert ILL_TYPED[MINUS_COLUMN - 1] == "-"
    assert ILL_TYPED[: MINUS_COLUMN - 1] == "2 * A.T @ A @ x "


@pytest.mark.parametrize(("claim", "variables"), [
    ("x - x.T", {"x": (3, 1)}),
    ("A @ x", {"A": (2, 3), "x": (4, 1)}),
    ("trace(A)", {"A": (2, 3)}),
    ("outer(A, x)", {"A": (2, 3), "x": (3, 1)}),
])
def test_the_compiler_marks_a_shape_mismatch_as_kind_shape(claim: str, variables: dict[str, Any]) -> None:
    with pytest.raises(ExprError) as caught:
        compile_expr(claim, variables)
    assert caught.value.kind == "shape"


@pytest.mark.parametrize("claim", ["x +", "x + zz", "tahn(x)", "x[7]", "1 / 0 * x"])
def test_the_compiler_leaves_other_mistakes_without_a_kind(claim: str) -> None:
    with pytest.raises(ExprError) as caught:
        compile_expr(claim, {"x": (3, 1)})
    assert caught.value.kind is None


def test_an_ill_typed_claim_is_incorrect_with_exit_1_and_the_column(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *QUESTION, "--claim", ILL_TYPED)
    assert result.exit_code == 1, result.output
    assert result.stderr == ""
    out = " ".join(result.stdout.split())
    assert out.startswith("incorrect")
    assert "does not type-check" in out
    assert f"at column {MINUS_COLUMN}" in out
    assert "is 3×1 but 2 * b.T @ A is 1×3" in out
    assert "evidence: shape check" in out


def test_the_json_of_an_ill_typed_claim_carries_kind_shape_and_the_column(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *QUESTION, "--claim", ILL_TYPED, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "incorrect"
    assert data["claimed"] == ILL_TYPED
    assert data["claimed_shape"] is None
    assert data["expected_shape"] == [3, 1]
    assert data["diagnosis"]["kind"] == "shape"
    assert data["diagnosis"]["details"]["column"] == MINUS_COLUMN
    assert data["diagnosis"]["details"]["expected_shape"] == [3, 1]


def test_the_expected_shape_follows_the_layout(gradcheck: Invoke) -> None:
    """The jacobian layout of a scalar by a 3-vector is 1×3 (the layouts table)."""
    result = expr(gradcheck, *QUESTION, "--claim", ILL_TYPED, "--layout", "jacobian", "--format", "json")
    assert json.loads(result.stdout)["expected_shape"] == [1, 3]


@pytest.mark.parametrize("claim", ["2 * A.T @ (A @ x - b", "2 * A.T @ (A @ x - c)"],
                         ids=["syntax-error", "unknown-name"])
def test_a_claim_that_cannot_be_read_is_still_invalid_input(gradcheck: Invoke, claim: str) -> None:
    result = expr(gradcheck, *QUESTION, "--claim", claim)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("gradcheck: --claim:")


def test_a_question_whose_f_does_not_type_check_is_invalid_input(gradcheck: Invoke) -> None:
    result = expr(gradcheck, "norm(A @ x - b.T)**2", *QUESTION[1:], "--claim", ILL_TYPED)
    assert result.exit_code == 2, result.output
    assert "is 3×1 but b.T is 1×3" in " ".join(result.stderr.split())


SHEET = f"""\
name: ill-typed
questions:
  - name: first, correct
    variables: {{A: [3, 3], x: [3], b: [3]}}
    f: {F}
    wrt: x
    claimed: 2 * A.T @ (A @ x - b)
    points: 1
  - name: second, ill-typed
    variables: {{A: [3, 3], x: [3], b: [3]}}
    f: {F}
    wrt: x
    claimed: {ILL_TYPED}
    points: 2
    expect: incorrect
    expect_diagnosis: shape
  - name: third, a sign slip
    variables: {{A: [3, 3], x: [3], b: [3]}}
    f: {F}
    wrt: x
    claimed: 2 * A.T @ (b - A @ x)
    points: 1
"""


@pytest.fixture(scope="module")
def sheet_run(gradcheck: Invoke, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, str]:
    path = tmp_path_factory.mktemp("sheet") / "ill-typed.yaml"
    path.write_text(SHEET, encoding="utf-8")
    return gradcheck("check", path, "--format", "json"), SHEET


def test_in_a_sheet_an_ill_typed_claim_scores_0_and_the_others_are_judged(
    sheet_run: tuple[Result, str],
) -> None:
    result, _ = sheet_run
    assert result.exit_code == 1, result.output  # the third answer is wrong and has no key
    (sheet,) = json.loads(result.stdout)["specs"]
    first, second, third = sheet["questions"]
    assert (first["verdict"], first["awarded"]) == ("correct", 1)
    assert (second["verdict"], second["awarded"], second["outcome"]) == ("incorrect", 0, "pass")
    assert (third["verdict"], third["diagnosis"]["kind"]) == ("incorrect", "sign")
    assert sheet["score"] == {"awarded": 1, "possible": 4}


def test_in_a_sheet_the_shape_diagnosis_carries_the_yaml_line_and_the_claims_column(
    sheet_run: tuple[Result, str],
) -> None:
    result, text = sheet_run
    second = json.loads(result.stdout)["specs"][0]["questions"][1]
    line = next(n for n, row in enumerate(text.splitlines(), 1) if ILL_TYPED in row)
    assert second["diagnosis"]["kind"] == "shape"
    assert second["diagnosis"]["details"]["line"] == line
    assert second["diagnosis"]["details"]["column"] == MINUS_COLUMN
    assert second["error"] is None


def test_show_answer_gives_an_answer_that_is_judged_correct_when_pasted_back(gradcheck: Invoke) -> None:
    shown = expr(gradcheck, *QUESTION, "--claim", ILL_TYPED, "--show-answer", "--format", "json")
    assert shown.exit_code == 1, shown.output
    answer = json.loads(shown.stdout)["answer"]
    assert answer
    again = expr(gradcheck, *QUESTION, "--claim", answer)
    assert again.exit_code == 0, again.output


def test_without_show_answer_an_ill_typed_claim_gives_no_answer(gradcheck: Invoke) -> None:
    result = expr(gradcheck, *QUESTION, "--claim", ILL_TYPED, "--format", "json")
    assert json.loads(result.stdout)["answer"] is None


def details_of(gradcheck: Invoke, *args: str) -> dict[str, Any]:
    result = expr(gradcheck, *args, "--format", "json")
    assert result.exit_code == 1, result.output
    diagnosis = json.loads(result.stdout)["diagnosis"]
    assert diagnosis["kind"] == "shape"
    return {"message": diagnosis["message"], **diagnosis["details"]}


def test_a_chain_that_groups_from_the_left_is_shown_regrouped_when_that_is_the_derivative(
    gradcheck: Invoke,
) -> None:
    # ∂ sum(σ(Wx)) / ∂x = Wᵀ(σ ⊙ (1 − σ)); `@` and `*` group from the left, so the claim as
    # written is (Wᵀσ) ⊙ (1 − σ): 4×1 times 3×1
    claim = "W.T @ sigmoid(W @ x) * (1 - sigmoid(W @ x))"
    meant = "W.T @ (sigmoid(W @ x) * (1 - sigmoid(W @ x)))"
    found = details_of(gradcheck, "sum(sigmoid(W @ x))", "--wrt", "x", "--var", "W=3x4", "--var", "x=4",
                       "--claim", claim)
    assert (found["found"], found["expected"]) == (claim, meant)
    assert found["message"].endswith(f"; written `{meant}` it is right")


def test_a_missing_transpose_of_one_operand_is_named_with_its_fix(gradcheck: Invoke) -> None:
    # ∂ ½‖Wx − y‖² / ∂W = (Wx − y) xᵀ: the claim multiplies by x, a 4×1, not by xᵀ
    found = details_of(gradcheck, "0.5 * norm(W @ x - y)**2", "--wrt", "W", "--var", "W=3x4", "--var", "x=4",
                       "--var", "y=3", "--claim", "(W @ x - y) @ x")
    assert (found["found"], found["expected"]) == ("x", "x.T")
    # the piece only: the repaired claim is the answer, shown only with --show-answer
    assert found["message"].endswith("; with `x.T` for `x` it is right")


def test_in_the_jacobian_layout_the_change_that_is_right_there_is_shown(gradcheck: Invoke) -> None:
    # the jacobian of ‖Ax − b‖² is the row 2(Ax − b)ᵀA = (2AᵀAx)ᵀ − 2bᵀA
    found = details_of(gradcheck, *QUESTION, "--claim", ILL_TYPED, "--layout", "jacobian")
    assert (found["found"], found["expected"]) == ("2 * A.T @ A @ x", "(2 * A.T @ A @ x).T")


def test_an_ill_typed_claim_no_single_change_makes_right_keeps_the_compilers_hint(gradcheck: Invoke) -> None:
    # the row term transposed would still carry a 3 for the 2: no change of one piece is the derivative
    found = details_of(gradcheck, *QUESTION, "--claim", "2 * A.T @ A @ x - 3 * b.T @ A")
    assert "expected" not in found and "it is right" not in found["message"]
    assert found["message"].endswith("is one side missing a transpose `.T`?")


def test_the_changes_tried_are_a_transpose_a_dropped_t_a_swap_a_regrouping_or_the_other_product() -> None:
    from gradcheck_cli.claims.repairs import retypings

    tried = [change.whole for change in retypings("A.T @ b * c")]
    assert sorted(tried) == sorted(["A.T @ (b * c)", "(A.T @ b).T * c", "A @ b * c", "A.T @ b.T * c",
                                    "A.T @ b * c.T",
                                    # Aᵀb's operands swapped, each turned or not: rows for columns
                                    "(b @ A) * c", "(b.T @ A.T) * c", "(b.T @ A) * c",
                                    # `*` for `@` and the other way: NumPy's two products
                                    "A.T @ b @ c", "A.T * b * c"])
    assert set(tried[:2]) == {"A.T @ b @ c", "A.T @ (b * c)"}  # outermost first
    # a chain the user bracketed is not regrouped across the brackets (that gave `(W @ x - (y) @ x)`)
    tried = [change.whole for change in retypings("(W @ x - y) @ x")]
    assert "(W @ (x - y)) @ x" in tried and not any("(y)" in whole for whole in tried)


def test_a_product_written_in_the_row_convention_is_shown_in_the_column_one(gradcheck: Invoke) -> None:
    # the notes' σ(θᵀx) per example is σ(Xθ) for the stacked examples; θᵀX does not type-check
    f = "sum(y * log(sigmoid(X @ t)) + (1 - y) * log(1 - sigmoid(X @ t)))"
    found = details_of(gradcheck, f, "--wrt", "t", "--var", "X=5x3", "--var", "t=3", "--var", "y=5",
                       "--claim", "X.T @ (y - sigmoid(t.T @ X))")
    assert (found["found"], found["expected"]) == ("t.T @ X", "X @ t")


def test_an_entrywise_product_written_for_a_matrix_product_is_shown_with_the_right_operator(
    gradcheck: Invoke,
) -> None:
    # δ₁ = (W₂ᵀe) ⊙ (1 − h²): written with `@`, a 3×1 @ 3×1 does not type-check
    found = details_of(gradcheck, "0.5 * norm(W2 @ tanh(W1 @ x) - y)**2", "--wrt", "W1", "--var", "W1=3x4",
                       "--var", "W2=2x3", "--var", "x=4", "--var", "y=2", "--let", "h=tanh(W1 @ x)",
                       "--let", "e=W2 @ h - y", "--claim", "outer((W2.T @ e) @ (1 - h**2), x)")
    assert (found["found"], found["expected"]) == ("(W2.T @ e) @ (1 - h**2)", "(W2.T @ e) * (1 - h**2)")
