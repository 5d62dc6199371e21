"""Standard first-order identities (matrix cookbook) are judged correct in the layout they are
written in; the same claims, doubled, are judged incorrect by a factor 2.

Every claim below is the derivative worked out by hand, not read back from the library:

- ∂(aᵀx)/∂x = a;  ∂(Ax)/∂x = A (jacobian), Aᵀ (gradient)
- ∂(xᵀAx)/∂x = (A + Aᵀ)x, = 2Ax when A = Aᵀ;  ∂‖x‖²/∂x = 2x;  ∂‖x‖/∂x = x/‖x‖
- ∂(½‖y − Ax‖²)/∂x = −Aᵀ(y − Ax)
- ∂(aᵀXb)/∂X = abᵀ;  ∂tr(AX)/∂X = Aᵀ;  ∂tr(XᵀAX)/∂X = (A + Aᵀ)X
- ∂det X/∂X = det(X) X⁻ᵀ;  ∂log det X/∂X = X⁻ᵀ (= X⁻¹ for X symmetric)
- ∂(aᵀX⁻¹b)/∂X = −X⁻ᵀ abᵀ X⁻ᵀ  (from dX⁻¹ = −X⁻¹ dX X⁻¹)
- ∂(−yᵀ log softmax θ)/∂θ = softmax(θ) − y for one-hot y (Σ yᵢ = 1)
- ∂/∂θ Σ yᵢ log σ(xᵢᵀθ) + (1 − yᵢ) log(1 − σ(xᵢᵀθ)) = Xᵀ(y − σ(Xθ))  (σ′ = σ(1 − σ))
- d tanh(x³)/dx = (1 − tanh²(x³))·3x²
- ∂ tanh(Wx)/∂x = diag(1 − tanh²(Wx)) W (jacobian: rows are outputs), its transpose (gradient)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from gradcheck_cli import policy
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.claims.oneliner import question
from gradcheck_cli.results import QuestionResult


@dataclass(frozen=True)
class Identity:
    id: str
    f: str
    wrt: str
    variables: Sequence[str]
    claim: str
    layout: str = "gradient"
    assume: Sequence[str] = ()


IDENTITIES = [
    Identity("linear a.T x -> a", "a.T @ x", "x", ["a=3", "x=3"], "a"),
    Identity("linear a.T x -> a.T (jacobian)", "a.T @ x", "x", ["a=3", "x=3"], "a.T", "jacobian"),
    Identity("Ax -> A (jacobian)", "A @ x", "x", ["A=2x3", "x=3"], "A", "jacobian"),
    Identity("Ax -> A.T (gradient)", "A @ x", "x", ["A=2x3", "x=3"], "A.T", "gradient"),
    Identity("quadratic form -> (A + A.T) x", "x.T @ A @ x", "x", ["A=3x3", "x=3"], "(A + A.T) @ x"),
    Identity("quadratic form, A symmetric -> 2 A x", "x.T @ A @ x", "x", ["A=3x3", "x=3"], "2 * A @ x",
             assume=["A:symmetric"]),
    Identity("squared norm -> 2x", "norm(x)**2", "x", ["x=3"], "2 * x"),
    Identity("squared norm as x.T x -> 2x", "x.T @ x", "x", ["x=3"], "2 * x"),
    Identity("norm -> x / norm(x)", "norm(x)", "x", ["x=3"], "x / norm(x)"),
    Identity("least squares -> -A.T (y - Ax)", "0.5 * norm(y - A @ x)**2", "x", ["A=4x3", "x=3", "y=4"],
             "-A.T @ (y - A @ x)"),
    Identity("bilinear a.T X b wrt X -> outer(a, b)", "a.T @ X @ b", "X", ["a=2", "X=2x3", "b=3"],
             "outer(a, b)"),
    Identity("trace(AX) wrt X -> A.T", "trace(A @ X)", "X", ["A=3x3", "X=3x3"], "A.T"),
    Identity("trace(AX), rectangular -> A.T", "trace(A @ X)", "X", ["A=2x3", "X=3x2"], "A.T"),
    Identity("trace(X.T A X) wrt X -> (A + A.T) X", "trace(X.T @ A @ X)", "X", ["A=3x3", "X=3x2"],
             "(A + A.T) @ X"),
    Identity("det(X) wrt X -> det(X) inv(X).T", "det(X)", "X", ["X=3x3"], "det(X) * inv(X).T"),
    Identity("logdet(X), positive definite -> inv(X).T", "logdet(X)", "X", ["X=2x2"], "inv(X).T",
             assume=["X:positive_definite"]),
    Identity("logdet(X), positive definite (symmetric) -> inv(X)", "logdet(X)", "X", ["X=2x2"], "inv(X)",
             assume=["X:positive_definite"]),
    Identity("a.T inv(X) b wrt X -> -inv(X).T outer(a, b) inv(X).T", "a.T @ inv(X) @ b", "X",
             ["a=2", "X=2x2", "b=2"], "-inv(X).T @ outer(a, b) @ inv(X).T"),
    Identity("softmax cross-entropy wrt logits -> softmax(theta) - y", "-y.T @ log(softmax(theta))", "theta",
             ["theta=3", "y=3"], "softmax(theta) - y", assume=["y:onehot"]),
    Identity("logistic regression log-likelihood -> X.T (y - sigmoid(X theta))",
             "sum(y * log(sigmoid(X @ theta)) + (1 - y) * log(1 - sigmoid(X @ theta)))", "theta",
             ["X=3x2", "theta=2", "y=3"], "X.T @ (y - sigmoid(X @ theta))", assume=["y:binary"]),
    Identity("scalar chain rule tanh(x**3)", "tanh(x**3)", "x", ["x=scalar"],
             "(1 - tanh(x**3)**2) * 3 * x**2"),
    Identity("tanh(Wx) wrt x, jacobian -> diag(1 - tanh(Wx)**2) W", "tanh(W @ x)", "x", ["W=2x3", "x=3"],
             "diag(1 - tanh(W @ x)**2) @ W", "jacobian"),
    Identity("tanh(Wx) wrt x, gradient -> W.T diag(1 - tanh(Wx)**2)", "tanh(W @ x)", "x", ["W=2x3", "x=3"],
             "W.T @ diag(1 - tanh(W @ x)**2)", "gradient"),
]


def judged(identity: Identity, claim: str | None = None) -> QuestionResult:
    q = question(identity.f, wrt=identity.wrt, variables=identity.variables, assume=identity.assume,
                 layout=identity.layout, claim=identity.claim if claim is None else claim)  # type: ignore[arg-type]
    return judge(q)


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.id)
def test_a_standard_identity_is_judged_correct_in_its_own_layout(identity: Identity) -> None:
    result = judged(identity)
    assert result.verdict == "correct", (result.diagnosis, result.residual)
    assert result.diagnosis is None
    assert result.layout == identity.layout
    assert result.claimed_shape == result.expected_shape


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.id)
def test_the_same_identity_doubled_is_incorrect_by_a_factor_2(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy, "RESIDUAL_BUDGET", 0.25)  # only the readable residual gets less time
    result = judged(identity, f"2 * ({identity.claim})")
    assert result.verdict == "incorrect"
    assert result.diagnosis is not None and result.diagnosis.kind == "factor"
    assert result.diagnosis.details["factor"] == pytest.approx(2.0)


def test_a_vector_identity_in_the_other_layout_is_not_correct() -> None:
    """∂(Ax)/∂x is A only in the jacobian layout; the gradient layout wants Aᵀ (3×2)."""
    ax = next(i for i in IDENTITIES if i.id == "Ax -> A (jacobian)")
    result = judge(question(ax.f, wrt=ax.wrt, variables=ax.variables, layout="gradient", claim="A"))
    assert result.verdict == "incorrect"
    assert result.expected_shape == (3, 2)


def test_a_polynomial_identity_is_proved_symbolically() -> None:
    result = judge(question("x.T @ A @ x", wrt="x", variables=["A=3x3", "x=3"], claim="(A + A.T) @ x"))
    assert result.verdict == "correct"
    assert result.evidence == "symbolic"


def test_a_matrix_identity_is_proved_in_matrix_form_even_without_time_for_sympy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "ELEMENTWISE_PROOF_BUDGET", 1e-4)
    q = question("trace(X.T @ A @ X)", wrt="X", variables=["A=3x3", "X=3x3"], claim="A @ X + A.T @ X")
    result = judge(q)
    assert (result.verdict, result.evidence) == ("correct", "symbolic")


def test_when_sympy_runs_out_of_time_the_evidence_is_named_numeric(monkeypatch: pytest.MonkeyPatch) -> None:
    """sin(2x) = 2 sin x cos x is trigonometry, not matrix algebra: only SymPy could prove it."""
    monkeypatch.setattr(policy, "ELEMENTWISE_PROOF_BUDGET", 1e-4)
    q = question("sin(x)**2", wrt="x", variables=["x=scalar"], claim="sin(2 * x)")
    result = judge(q)
    assert result.verdict == "correct"
    assert result.evidence != "symbolic"
    assert result.evidence.startswith(f"numeric at {policy.CLAIM_POINTS} random points")
    assert "SymPy did not prove it" in result.evidence
