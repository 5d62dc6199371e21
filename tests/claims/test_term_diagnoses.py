"""Wrong answers diagnosed term by term, in the user's own notation, with verified fixes."""

from __future__ import annotations

import pytest

from gradcheck_cli.claims import oneliner
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.results import QuestionResult

RIDGE = ("0.5 * norm(y - A @ x)**2 + lam * x.T @ x", "x", ["x=3", "A=4x3", "y=4", "lam=scalar"])


def judged(f: str, wrt: str, variables: list[str], claim: str, *, lets: tuple[str, ...] = (),
           assume: tuple[str, ...] = ()) -> QuestionResult:
    return judge(oneliner.question(f, wrt=wrt, variables=variables, lets=list(lets), assume=list(assume),
                                   claim=claim))


def diagnosis_of(result: QuestionResult, kind: str) -> tuple[str, dict[str, object]]:
    assert result.verdict == "incorrect", result
    assert result.diagnosis is not None and result.diagnosis.kind == kind, result.diagnosis
    return result.diagnosis.message, dict(result.diagnosis.details)


def test_a_term_with_a_missing_factor_2_names_the_term_and_its_fix() -> None:
    message, details = diagnosis_of(judged(*RIDGE, "A.T @ (A @ x - y) + lam * x"), "factor")
    assert "the term `lam * x`" in message and "should be `2 * lam * x`" in message
    assert details["scope"] == "term" and details["factor"] == 0.5  # claim = 0.5 × the right term


def test_a_term_with_the_wrong_sign_is_named() -> None:
    message, details = diagnosis_of(judged(*RIDGE, "A.T @ A @ x + A.T @ y + 2 * lam * x"), "sign")
    assert "the term `A.T @ y` has the wrong sign" in message and "`-A.T @ y`" in message
    assert details["term"] == "A.T @ y"


def test_a_missing_term_is_printed_in_matrix_form() -> None:
    _message, details = diagnosis_of(judged(*RIDGE, "A.T @ A @ x + 2 * lam * x"), "missing-term")
    assert details["term"] == "-A.T @ y"


def test_an_extra_term_is_quoted_as_the_user_wrote_it() -> None:
    message, details = diagnosis_of(judged(*RIDGE, "A.T @ (A @ x - y) + 2 * lam * x - y.T @ y * x"),
                                    "extra-term")
    assert details["term"] == "y.T @ y * x" and "`-y.T @ y * x` is extra" in message


def test_a_transposed_matrix_inside_one_term_is_a_transpose() -> None:
    f = "x.T @ B @ x + c.T @ M @ x"
    message, details = diagnosis_of(judged(f, "x", ["x=3", "B=3x3", "c=3", "M=3x3"],
                                           "(B + B.T) @ x + M @ c"), "transpose")
    assert "in the term `M @ c`, `M` should be `M.T`" in message and "`M.T @ c`" in message
    assert details["scope"] == "term" and details["variable"] == "M"


def test_a_claim_that_is_exactly_the_transpose_is_transpose_not_symmetric_assumption() -> None:
    message, details = diagnosis_of(judged("logdet(X)", "X", ["X=3x3"], "inv(X)"), "transpose")
    assert "should be `inv(X).T`" in message and "`X` were symmetric" in message
    assert details["scope"] == "whole"


def test_an_activation_slip_through_a_let_quotes_the_let() -> None:
    message, details = diagnosis_of(judged("0.5 * norm(y - h)**2", "z", ["z=3", "y=3"], "(h - y) * (1 - h)",
                                           lets=("h=tanh(z)",)), "activation-derivative")
    assert "`1 - h` should be `1 - h**2`" in message and "h = tanh(z)" in message
    assert (details["found"], details["expected"]) == ("1 - h", "1 - h**2")


def test_a_missing_sigmoid_derivative_inside_a_term_is_found() -> None:
    f = "0.5 * norm(sigmoid(W @ x) - y)**2"
    message, details = diagnosis_of(judged(f, "x", ["x=3", "W=2x3", "y=2"], "W.T @ (sigmoid(W @ x) - y)"),
                                    "activation-derivative")
    assert "the derivative of `sigmoid(W @ x)` is missing" in message
    assert details["found"] == "sigmoid(W @ x) - y"
    fixed = judged(f, "x", ["x=3", "W=2x3", "y=2"], f"W.T @ ({details['expected']})")
    assert fixed.verdict == "correct"


@pytest.mark.parametrize("claim", ["W.T @ (1 - tanh(W @ x))", "W.T @ sign(W @ x)"])
def test_a_fix_is_shown_only_when_it_makes_the_claim_right(claim: str) -> None:
    """tanh and sign agree to 1e-8 at large arguments: a fix swapping them must be proved, not
    merely observed at a few points."""
    result = judged("sum(tanh(W @ x))", "x", ["x=3", "W=2x3"], claim)
    assert result.verdict == "incorrect" and result.diagnosis is not None
    if result.diagnosis.kind == "activation-derivative":
        details = result.diagnosis.details
        fixed = claim.replace(str(details["found"]), f"({details['expected']})")
        again = judged("sum(tanh(W @ x))", "x", ["x=3", "W=2x3"], fixed)
        assert again.verdict == "correct"


def test_an_ill_typed_claim_is_incorrect_with_kind_shape() -> None:
    result = judged("x.T @ A.T @ A @ x - 2 * b.T @ A @ x", "x", ["x=3", "A=4x3", "b=4"],
                    "2 * A.T @ A @ x - 2 * b.T @ A")
    assert result.verdict == "incorrect"
    assert result.diagnosis is not None and result.diagnosis.kind == "shape"


def test_a_power_minus_one_meant_as_the_inverse_says_so() -> None:
    """`A**-1` keeps NumPy's meaning (entrywise); a claim right with inv(A) is told which it is."""
    message, details = diagnosis_of(judged("logdet(X)", "X", ["X=3x3"], "(X**-1).T"), "other")
    assert "`X**-1` is the entrywise reciprocal" in message and "with `inv(X)` the claim is right" in message
    assert (details["found"], details["expected"]) == ("X**-1", "inv(X)")


def test_an_entrywise_reciprocal_that_inv_would_not_fix_is_not_called_one() -> None:
    result = judged("a.T @ X @ b", "b", ["X=3x3", "a=3", "b=3"], "X**-1 @ a")
    assert result.verdict == "incorrect" and result.diagnosis is not None
    assert "reciprocal" not in result.diagnosis.message


def test_a_whole_claim_twice_the_derivative_says_twice() -> None:
    """At a point where every ReLU is off the derivative is 0 and no ratio can be read from the
    numbers; the canonical forms still say the claim is 2 × the derivative."""
    net = dict(variables=["x=4", "W=3x4", "b1=3", "U=2x3", "b2=2", "y=2"], assume=["y:onehot"],
               lets=["z=W @ x + b1", "h=relu(z)", "yhat=softmax(U @ h + b2)"])
    claim = "outer((U.T @ (yhat - y)) * step(z), x) * 2"
    result = judge(oneliner.question("-y.T @ log(yhat)", wrt="W", claim=claim, **net))  # type: ignore[arg-type]
    message, details = diagnosis_of(result, "factor")
    assert "the claim is 2 times the derivative" in message and details["factor"] == 2.0


def test_a_missing_relu_derivative_inside_outer_is_found() -> None:
    net = dict(variables=["x=4", "W=3x4", "b1=3", "U=2x3", "b2=2", "y=2"], assume=["y:onehot"],
               lets=["z=W @ x + b1", "h=relu(z)", "yhat=softmax(U @ h + b2)"])
    result = judge(oneliner.question("-y.T @ log(yhat)", wrt="W", claim="outer(U.T @ (yhat - y), x)",
                                     **net))  # type: ignore[arg-type]
    message, details = diagnosis_of(result, "activation-derivative")
    assert "the derivative of `relu(z)` is missing" in message
    assert details["expected"] == "(U.T @ (yhat - y)) * step(z)"
