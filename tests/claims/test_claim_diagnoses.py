"""Typical wrong answers are judged incorrect, and the diagnosis names the mistake.

Each wrong claim is built by hand from a known right answer with one deliberate mistake, so the
expected diagnosis (and its factor, piece or variable) is known before the library runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gradcheck_cli import policy
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.claims.oneliner import question
from gradcheck_cli.results import Diagnosis, QuestionResult


def judged(
    f: str,
    wrt: str,
    variables: Sequence[str],
    claim: str,
    *,
    layout: str = "gradient",
    assume: Sequence[str] = (),
    lets: Sequence[str] = (),
) -> QuestionResult:
    q = question(f, wrt=wrt, variables=variables, lets=lets, assume=assume, layout=layout,  # type: ignore[arg-type]
                 claim=claim)
    return judge(q)


def diagnosed(result: QuestionResult, kind: str) -> Diagnosis:
    assert result.verdict == "incorrect", result
    assert result.diagnosis is not None
    assert result.diagnosis.kind == kind, result.diagnosis
    return result.diagnosis


@pytest.fixture(autouse=True)
def _short_residual_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readable residuals get less time; no diagnosis below needs more than a fraction of it."""
    monkeypatch.setattr(policy, "RESIDUAL_BUDGET", 1.0)


LEAST_SQUARES = ("0.5 * norm(y - A @ x)**2", "x", ["A=4x3", "x=3", "y=4"])


# --- sign ---------------------------------------------------------------------------------------


def test_a_dropped_minus_sign_is_diagnosed_as_sign() -> None:
    d = diagnosed(judged(*LEAST_SQUARES, "A.T @ (y - A @ x)"), "sign")
    assert d.details["factor"] == pytest.approx(-1.0)


def test_a_negated_linear_gradient_is_diagnosed_as_sign() -> None:
    diagnosed(judged("a.T @ x", "x", ["a=3", "x=3"], "-a"), "sign")


# --- transpose ----------------------------------------------------------------------------------


def test_trace_of_a_x_claimed_a_for_square_non_symmetric_matrices_is_a_transpose() -> None:
    """∂tr(AX)/∂X = Aᵀ; claiming A is the transpose (A, X 3×3, A not symmetric)."""
    diagnosed(judged("trace(A @ X)", "X", ["A=3x3", "X=3x3"], "A"), "transpose")


# --- layout -------------------------------------------------------------------------------------


def test_a_row_for_a_scalar_gradient_by_a_column_vector_is_a_layout_mistake() -> None:
    d = diagnosed(judged(*LEAST_SQUARES, "-(y - A @ x).T @ A"), "layout")
    assert d.details["expected_shape"] == [3, 1]
    assert d.details["claimed_shape"] == [1, 3]
    assert d.details["layout"] == "jacobian"


def test_a_column_for_a_scalar_jacobian_is_a_layout_mistake() -> None:
    d = diagnosed(judged("a.T @ x", "x", ["a=3", "x=3"], "a", layout="jacobian"), "layout")
    assert d.details["expected_shape"] == [1, 3]
    assert d.details["claimed_shape"] == [3, 1]
    assert d.details["layout"] == "gradient"


@pytest.mark.parametrize(("layout", "claim", "want", "got"), [
    ("gradient", "A", [3, 2], [2, 3]),
    ("jacobian", "A.T", [2, 3], [3, 2]),
])
def test_a_vector_by_vector_derivative_in_the_other_layout_is_a_layout_mistake(
    layout: str, claim: str, want: list[int], got: list[int]
) -> None:
    """f = Ax with A 2×3: jacobian 2×3 (= A), gradient 3×2 (= Aᵀ)."""
    d = diagnosed(judged("A @ x", "x", ["A=2x3", "x=3"], claim, layout=layout), "layout")
    assert d.details["expected_shape"] == want
    assert d.details["claimed_shape"] == got


# --- shape --------------------------------------------------------------------------------------


def test_a_scalar_claimed_where_a_vector_is_due_is_a_shape_mistake() -> None:
    result = judged("a.T @ x", "x", ["a=3", "x=3"], "a.T @ x")
    d = diagnosed(result, "shape")
    assert d.details["expected_shape"] == [3, 1]
    assert d.details["claimed_shape"] == [1, 1]
    assert result.expected_shape == (3, 1)
    assert result.claimed_shape == (1, 1)


def test_a_wrongly_shaped_matrix_that_is_not_the_transpose_is_a_shape_mistake() -> None:
    """∂(aᵀXb)/∂X is 2×3; a 3×3 claim is no layout of it."""
    d = diagnosed(judged("a.T @ X @ b", "X", ["a=2", "X=2x3", "b=3"], "outer(b, b)"), "shape")
    assert d.details["expected_shape"] == [2, 3]
    assert d.details["claimed_shape"] == [3, 3]


# --- factor -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("claim", "factor", "named"), [
    ("-2 * A.T @ (y - A @ x)", 2.0, "2"),
    ("-0.5 * A.T @ (y - A @ x)", 0.5, "1/2"),
])
def test_a_constant_factor_is_diagnosed_and_named(claim: str, factor: float, named: str) -> None:
    d = diagnosed(judged(*LEAST_SQUARES, claim), "factor")
    assert d.details["factor"] == pytest.approx(factor)
    assert named in d.message


def test_a_dropped_one_over_m_of_a_mean_is_a_factor_m_naming_the_batch_size() -> None:
    """mean over m = 5 rows: ∂/∂w mean((Xw − y)²) = (2/m) Xᵀ(Xw − y); dropping 1/m gives m×."""
    d = diagnosed(judged("mean((X @ w - y)**2)", "w", ["X=5x2", "w=2", "y=5"], "2 * X.T @ (X @ w - y)"),
                  "factor")
    assert d.details["factor"] == pytest.approx(5.0)
    assert "5" in d.message and "rows" in d.message


def test_an_extra_one_over_m_is_a_factor_one_over_m() -> None:
    d = diagnosed(judged("mean((X @ w - y)**2)", "w", ["X=5x2", "w=2", "y=5"],
                         "2 / 25 * X.T @ (X @ w - y)"), "factor")
    assert d.details["factor"] == pytest.approx(0.2)
    assert "1/5" in d.message


def test_a_dropped_determinant_is_a_factor_naming_det_x() -> None:
    """∂det X/∂X = det(X) X⁻ᵀ; claiming X⁻ᵀ is the truth divided by det(X)."""
    d = diagnosed(judged("det(X)", "X", ["X=3x3"], "inv(X).T"), "factor")
    assert "det(X)" in str(d.details["factor"])
    assert "det(X)" in d.message


# --- missing / extra term -----------------------------------------------------------------------


def test_a_left_out_term_is_a_missing_term() -> None:
    """∂(aᵀx + xᵀx)/∂x = a + 2x; claiming a leaves out 2x."""
    d = diagnosed(judged("a.T @ x + x.T @ x", "x", ["a=3", "x=3"], "a"), "missing-term")
    assert d.details["term"] == "2 * x"


def test_an_added_constant_is_an_extra_term() -> None:
    d = diagnosed(judged("a.T @ x + x.T @ x", "x", ["a=3", "x=3"], "a + 2 * x + 1"), "extra-term")
    assert "1" in str(d.details["term"])


def test_an_added_variable_term_is_an_extra_term() -> None:
    """∂(½‖x‖²)/∂x = x; claiming x + a adds a."""
    d = diagnosed(judged("0.5 * x.T @ x", "x", ["a=3", "x=3"], "x + a"), "extra-term")
    assert d.details["term"] == "a"


# --- symmetric assumption -----------------------------------------------------------------------


def test_two_a_x_for_an_undeclared_symmetric_a_is_a_symmetric_assumption() -> None:
    d = diagnosed(judged("x.T @ A @ x", "x", ["A=3x3", "x=3"], "2 * A @ x"), "symmetric-assumption")
    assert d.details["variable"] == "A"


def test_two_a_x_is_correct_once_a_is_declared_symmetric() -> None:
    result = judged("x.T @ A @ x", "x", ["A=3x3", "x=3"], "2 * A @ x", assume=["A:symmetric"])
    assert result.verdict == "correct"


def test_the_inverse_identity_without_transposes_assumes_a_symmetric_x() -> None:
    """−X⁻¹abᵀX⁻¹ equals −X⁻ᵀabᵀX⁻ᵀ only for symmetric X."""
    d = diagnosed(judged("a.T @ inv(X) @ b", "X", ["a=2", "X=2x2", "b=2"], "-inv(X) @ outer(a, b) @ inv(X)"),
                  "symmetric-assumption")
    assert d.details["variable"] == "X"


@pytest.mark.parametrize(("f", "variables", "claim", "convention"), [
    # the Matrix Cookbook's gradient for a symmetric matrix: every off-diagonal pair counted once
    ("x.T @ A @ x", ["x=3", "A=3x3"], "2 * outer(x, x) - diag(diag(outer(x, x)))", "free-entries"),
    ("a.T @ A @ b", ["a=3", "b=3", "A=3x3"], "outer(a, b) + outer(b, a) - diag(diag(outer(a, b)))",
     "free-entries"),
    ("a.T @ A @ b", ["a=3", "b=3", "A=3x3"], "(outer(a, b) + outer(b, a)) / 2", "symmetrised"),
])
def test_another_convention_for_a_symmetric_matrix_is_named(
    f: str, variables: list[str], claim: str, convention: str
) -> None:
    """The derivative treats every entry as independent (G = xxᵀ, abᵀ); these claims are G's
    images under the two other conventions, built by hand from G."""
    d = diagnosed(judged(f, "A", variables, claim, assume=["A:symmetric"]), "symmetric-convention")
    assert d.details["convention"] == convention


def test_the_independent_entries_gradient_of_a_symmetric_matrix_is_correct() -> None:
    result = judged("a.T @ A @ b", "A", ["a=3", "b=3", "A=3x3"], "outer(a, b)", assume=["A:symmetric"])
    assert result.verdict == "correct"


# --- activation derivative ----------------------------------------------------------------------


@pytest.mark.parametrize(("f", "claim", "found", "expected"), [
    ("sum(tanh(z))", "1 - tanh(z)", "1 - tanh(z)", "1 - tanh(z)**2"),
    ("sum(relu(z))", "relu(z)", "relu(z)", "step(z)"),
    ("sum(sigmoid(z))", "sigmoid(z)", "sigmoid(z)", "sigmoid(z) * (1 - sigmoid(z))"),
])
def test_a_wrong_elementwise_derivative_quotes_the_users_piece(f: str, claim: str, found: str,
                                                               expected: str) -> None:
    d = diagnosed(judged(f, "z", ["z=3"], claim), "activation-derivative")
    assert d.details["found"] == found
    assert d.details["expected"] == expected
    assert f"`{found}`" in d.message


def test_tanh_prime_written_one_minus_tanh_inside_a_jacobian_is_an_activation_derivative() -> None:
    result = judged("tanh(W @ x)", "x", ["W=2x3", "x=3"], "diag(1 - tanh(W @ x)) @ W", layout="jacobian")
    d = diagnosed(result, "activation-derivative")
    assert d.details["found"] == "1 - tanh(W @ x)"


def test_relu_where_step_belongs_in_a_backprop_formula_quotes_only_that_relu() -> None:
    """∂/∂x Σ relu(Wx) = Wᵀ step(Wx); the claim used relu for relu′."""
    d = diagnosed(judged("sum(relu(W @ x))", "x", ["W=2x3", "x=3"], "W.T @ relu(W @ x)"),
                  "activation-derivative")
    assert d.details["found"] == "relu(W @ x)"
    assert d.details["expected"] == "step(W @ x)"


def test_a_wrong_derivative_inside_a_let_quotes_the_piece_and_names_the_let() -> None:
    d = diagnosed(judged("sum(relu(z))", "x", ["W=2x3", "x=3"], "W.T @ d", lets=["z=W @ x", "d=relu(z)"]),
                  "activation-derivative")
    assert d.details["found"] == "relu(z)"
    assert "`d`" in d.message
    assert d.message.count("`") % 2 == 0, d.message


# --- partial ------------------------------------------------------------------------------------


def test_a_claim_right_on_one_row_only_is_partial() -> None:
    """∂(xᵀx)/∂x = 2x; the claim has 2x₀ but x₁, x₂ (factor 2 dropped on two rows)."""
    d = diagnosed(judged("x.T @ x", "x", ["x=3"], "vec(2 * x[0], x[1], x[2])"), "partial")
    assert d.details["wrong_rows"] == [1, 2]


def test_a_claim_wrong_on_one_row_names_that_row() -> None:
    d = diagnosed(judged("x.T @ x", "x", ["x=3"], "vec(2 * x[0], 2 * x[1], 5 * x[2])"), "partial")
    assert d.details["wrong_rows"] == [2]


# --- other --------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["exp(x)", "x * x + 1", "ones(3)"])
def test_a_well_shaped_claim_with_no_pattern_is_other(claim: str) -> None:
    diagnosed(judged("x.T @ x", "x", ["x=3"], claim), "other")


# --- evidence -----------------------------------------------------------------------------------


def test_a_wrong_claim_is_rejected_on_numeric_evidence() -> None:
    result = judged("a.T @ x", "x", ["a=3", "x=3"], "-a")
    assert result.evidence.startswith("numeric")


def test_a_shape_mistake_is_rejected_before_any_point_is_drawn() -> None:
    result = judged("a.T @ x", "x", ["a=3", "x=3"], "a.T @ x")
    assert result.evidence == "shape check"
