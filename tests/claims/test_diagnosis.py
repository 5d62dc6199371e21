"""The conditions of the claim diagnosis that only a near miss tells apart: a claim of the other
layout's shape whose values are not that layout's; a wrong claim about a symmetric variable that is
no other convention; positive definite counting as symmetric; the words of the messages."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.claims.oneliner import question
from gradcheck_cli.claims.repairs import entries_text, sign_flips
from gradcheck_cli.results import Diagnosis


@pytest.fixture(autouse=True)
def _short_residual_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "RESIDUAL_BUDGET", 1.0)


def diagnosis(f: str, wrt: str, variables: Sequence[str], claim: str, *, assume: Sequence[str] = (),
              lets: Sequence[str] = ()) -> Diagnosis:
    result = judge(question(f, wrt=wrt, variables=variables, lets=lets, assume=assume, layout="gradient",
                            claim=claim))
    assert result.verdict == "incorrect" and result.diagnosis is not None
    return result.diagnosis


LEAST_SQUARES = ("0.5 * norm(y - A @ x)**2", "x", ["A=4x3", "x=3", "y=4"])
BILINEAR = ("a.T @ A @ b", "A", ["a=3", "b=3", "A=3x3"])


def test_a_claim_of_the_other_layout_s_shape_but_wrong_values_is_a_shape_mistake():
    # the Jacobian layout's row is −(y − Ax)ᵀA; this one has the wrong sign as well
    d = diagnosis(*LEAST_SQUARES, "(y - A @ x).T @ A")
    assert d.kind == "shape"
    assert d.message == "wrong shape: the gradient layout needs 3×1, the claim is 1×3"


def test_a_scalar_claim_is_called_a_scalar():
    d = diagnosis("a.T @ x", "x", ["a=3", "x=3"], "a.T @ x")
    assert d.message == "wrong shape: the gradient layout needs 3×1, the claim is a scalar"


def test_a_wrong_claim_about_a_symmetric_matrix_that_is_no_other_convention_is_not_called_one():
    d = diagnosis(*BILINEAR, "outer(a, b) * outer(a, a)", assume=["A:symmetric"])
    assert d.kind == "other"


def test_a_positive_definite_matrix_counts_as_symmetric_for_its_conventions():
    d = diagnosis(*BILINEAR, "outer(a, b) + outer(b, a) - diag(diag(outer(a, b)))",
                  assume=["A:positive_definite"])
    assert (d.kind, d.details) == ("symmetric-convention", {"convention": "free-entries"})


def test_a_wrong_elementwise_derivative_without_lets_names_no_binding():
    d = diagnosis("sum(sigmoid(z))", "z", ["z=3"], "sigmoid(z)")
    assert d.kind == "activation-derivative" and "let" not in d.details
    assert d.message.endswith("should be `sigmoid(z) * (1 - sigmoid(z))`")


def test_a_wrong_elementwise_derivative_inside_a_let_names_the_let_and_its_bindings():
    d = diagnosis("sum(relu(z))", "x", ["W=2x3", "x=3"], "W.T @ d", lets=["z=W @ x", "d=relu(z)"])
    assert d.details == {"found": "relu(z)", "expected": "step(z)", "let": "d"}
    assert d.message.endswith("`relu(z)` (in `d`) should be `step(z)` (z = W @ x)")


def test_an_extra_constant_broadcast_into_the_claim_is_named_as_the_term_written():
    # 2x + 1: the `1` is a scalar broadcast into a vector, still one of the terms the user wrote
    d = diagnosis("x.T @ x", "x", ["x=3"], "2 * x + 1")
    assert (d.kind, d.details) == ("extra-term", {"scope": "term", "term": "1"})
    assert d.message == "the term `1` is extra: the derivative has no such term"


def test_a_wrong_broadcast_constant_is_shown_with_the_constant_it_should_be_not_a_vector():
    # the derivative is 2x + 1; the written `3` is three times the `1` it should be
    d = diagnosis("x.T @ x + sum(x)", "x", ["x=3"], "2 * x + 3")
    assert (d.kind, d.details["factor"]) == ("factor", 3.0)
    assert d.message == "the term `3` has the wrong factor: it should be `1`"


def test_an_offset_the_same_in_every_entry_is_a_missing_term_said_so():
    # the derivative is 2x + 2; the claim 2x + 1 is off by one in every entry at every point
    d = diagnosis("x.T @ x + 2 * sum(x)", "x", ["x=3"], "2 * (x + 0.5)")
    assert (d.kind, d.details) == ("missing-term", {"same_in_every": "entry"})
    assert d.message.startswith("at every point the claim is off by the same amount in every entry")


def test_a_term_left_out_of_entries_written_one_by_one_is_a_missing_term():
    # the derivative's entries are 2xᵢ + 1; written entry by entry, the claim drops the 1s
    d = diagnosis("x.T @ x + sum(x)", "x", ["x=3"], "vec(2 * x[0], 2 * x[1], 2 * x[2])")
    assert (d.kind, d.details) == ("missing-term", {"term": "1 in every entry"})
    assert d.message == "a term is missing: the claim lacks 1 in every entry"


def test_a_term_left_out_of_one_entry_lists_the_vector_entries_flat():
    # the derivative's entries are 2x₀, 2x₁ + 3, 2x₂: only the middle entry lacks its 3
    d = diagnosis("x.T @ x + 3 * x[1]", "x", ["x=3"], "vec(2 * x[0], 2 * x[1], 2 * x[2])")
    assert (d.kind, d.details) == ("missing-term", {"term": "[0, 3, 0]"})


def test_entries_are_written_as_one_value_a_flat_vector_or_rows():
    a, b = sp.symbols("a b")
    assert entries_text(sp.Matrix([[a]])) == "a"
    assert entries_text(sp.Matrix([[a, a], [a, a]])) == "a in every entry"
    assert entries_text(sp.Matrix([a, b, 1])) == "[a, b, 1]"
    assert entries_text(sp.Matrix([[a, b], [1, 2]])) == "[a, b; 1, 2]"


def test_a_sign_slipped_inside_a_call_is_shown_where_it_is_with_the_flip_that_fixes_it():
    # log(1 + exp(-t))′ = −σ(−t): the claim wrote σ(t); the fix is a minus inside, not outside
    d = diagnosis("sum(log(1 + exp(-y * (X @ w))))", "w", ["X=5x3", "w=3", "y=5"],
                  "-X.T @ (y * sigmoid(y * (X @ w)))")
    assert (d.kind, d.details) == ("sign", {"found": "sigmoid(y * (X @ w))",
                                            "expected": "sigmoid(-y * (X @ w))", "scope": "inside"})


def test_a_sign_slipped_between_two_terms_inside_a_product_flips_the_operator():
    d = diagnosis(*LEAST_SQUARES, "A.T @ (A @ x + y)")
    assert (d.kind, d.details["found"], d.details["expected"]) == ("sign", "A @ x + y", "A @ x - y")
    assert d.message == "a sign is wrong inside the claim: `A @ x + y` should be `A @ x - y`"


def test_a_minus_written_inside_is_taken_away_when_that_is_the_fix():
    d = diagnosis("sum(exp(x**2))", "x", ["x=3"], "2 * x * exp(-x**2)")
    assert (d.kind, d.details["expected"]) == ("sign", "exp(x**2)")


def test_a_claim_no_single_sign_flip_repairs_is_not_called_a_sign_slip():
    # two slips (a sign and a missing 2): no flip of one sign makes it right
    d = diagnosis("sum(exp(-x**2))", "x", ["x=3"], "-x * exp(x**2)")
    assert d.kind != "sign"


def test_each_sign_flip_negates_exactly_one_piece_with_the_brackets_it_needs():
    flips = [(context, fixed) for context, fixed, _, _ in sign_flips("a - (b + c)")]
    assert flips == [("a - (b + c)", "-a - (b + c)"), ("a - (b + c)", "a + (b + c)"),
                     ("b + c", "-b + c"), ("b + c", "b - c")]
    # -x**2 would be -(x**2): the base of a power takes brackets; `X` of `X.T` is `X.T` itself
    assert ("x**2", "(-x)**2") in [(c, f) for c, f, _, _ in sign_flips("x**2 / -y")]
    assert [f for _, f, _, _ in sign_flips("X.T @ s(z)")] == ["-X.T @ s(z)", "X.T @ -s(z)", "s(-z)"]


def test_a_square_weight_left_untransposed_in_the_delta_is_named():
    # δ₁ = (W₂ᵀ e) ⊙ (1 − h²); with W₂ square the claim's W₂ e type-checks and is wrong
    d = diagnosis("0.5 * norm(W2 @ tanh(W1 @ x) - y)**2", "W1", ["W1=3x3", "W2=3x3", "x=3", "y=3"],
                  "outer((W2 @ e) * (1 - h**2), x)", lets=["h=tanh(W1 @ x)", "e=W2 @ h - y"])
    assert (d.kind, d.details) == ("transpose", {"found": "W2", "expected": "W2.T"})
    # the piece only: the repaired claim is the answer, shown only with --show-answer
    assert d.message == "`W2` should be `W2.T`: with it the claim is right"


def test_a_chain_grouped_from_the_left_that_type_checks_is_shown_regrouped():
    # Wᵀ(σ ⊙ (1 − σ)) written without brackets is (Wᵀσ) ⊙ (1 − σ); W square, so it type-checks
    d = diagnosis("sum(sigmoid(W @ x))", "x", ["W=3x3", "x=3"], "W.T @ sigmoid(W @ x) * (1 - sigmoid(W @ x))")
    assert d.details["expected"] == "W.T @ (sigmoid(W @ x) * (1 - sigmoid(W @ x)))"
    assert "groups from the left" in d.message and d.message.endswith("the claim is right")


def test_one_factor_of_a_trace_left_untransposed_is_named():
    # ∂ tr(AXB) / ∂X = AᵀBᵀ (the Matrix Cookbook, (101))
    d = diagnosis("trace(A @ X @ B)", "X", ["A=3x3", "X=3x3", "B=3x3"], "A.T @ B")
    assert (d.kind, d.details["found"], d.details["expected"]) == ("transpose", "B", "B.T")


BATCH = ("0.5 * norm(W @ X + b - Y)**2", "b", ["W=3x4", "X=4x5", "b=3", "Y=3x5"])


def test_a_bias_gradient_that_forgot_to_sum_the_batch_is_shown_summed():
    # b is added to each of the 5 columns: ∂f/∂b = Σ_columns (WX + b − Y), a 3×1
    d = diagnosis(*BATCH, "W @ X + b - Y")
    assert (d.kind, d.details["expected"]) == ("shape", "sum(W @ X + b - Y, axis=1)")
    assert d.message.endswith("; summed along each row (over its columns), `sum(W @ X + b - Y, axis=1)`, "
                              "it is right")


def test_a_row_parameter_broadcast_down_the_rows_sums_down_the_columns():
    d = diagnosis("0.5 * norm(X - mu)**2", "mu", ["X=4x3", "mu=1x3"], "mu - X")
    assert d.details["expected"] == "sum(mu - X, axis=0)"


def test_a_wrong_shape_no_sum_repairs_gets_no_repair():
    # twice the batch's residual: summed it is still 2 × the derivative
    d = diagnosis(*BATCH, "2 * (W @ X + b - Y)")
    assert d.kind == "shape" and "expected" not in d.details
    assert d.message == "wrong shape: the gradient layout needs 3×1, the claim is 3×5"


def test_a_matrix_product_written_as_an_entrywise_one_is_shown_with_the_right_operator():
    # (A + Aᵀ) * x broadcasts a 3×1 across a 3×3: the wrong shape, and `@` makes it right
    d = diagnosis("x.T @ A @ x", "x", ["A=3x3", "x=3"], "(A + A.T) * x")
    assert (d.kind, d.details["expected"]) == ("shape", "(A + A.T) @ x")
    assert d.message.endswith("; written `(A + A.T) @ x` it is right")


def test_an_entrywise_product_of_square_matrices_for_their_matrix_product_is_named():
    # ∂ tr(Xᵀ A B) / ∂X = A B; A * B type-checks (3×3 ⊙ 3×3) and is wrong
    d = diagnosis("trace(X.T @ A @ B)", "X", ["A=3x3", "B=3x3", "X=3x3"], "A * B")
    assert (d.kind, d.details["expected"]) == ("other", "A @ B")
    assert d.message.startswith("`A * B` should be `A @ B` (`*` is the entrywise product, `@` the matrix "
                                "product)")


def test_a_repair_search_that_meets_a_limit_leaves_the_verdict_without_a_repair(monkeypatch):  # type: ignore[no-untyped-def]
    from gradcheck_cli.claims import budget, repairs

    def out_of_budget(case):  # type: ignore[no-untyped-def]
        raise budget.OutOfBudget("the budget for evaluating at one random point ran out")

    monkeypatch.setattr(repairs, "regrouped", out_of_budget)
    d = diagnosis("x.T @ A @ x", "x", ["A=3x3", "x=3"], "(A + A.T) * x")
    assert (d.kind, d.message) == ("shape", "wrong shape: the gradient layout needs 3×1, the claim is 3×3")
