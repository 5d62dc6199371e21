"""The matrix-calculus engine: textbook identities in matrix form, checked three ways — the
printed answer against the identity as the textbooks write it, against the element-wise SymPy
derivative at random points, and (pasted back) as a claim the judge proves."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from gradcheck_cli.claims import oneliner
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.expr import compile_expr, to_numpy
from gradcheck_cli.matrix import Facts, derivative, derive
from gradcheck_cli.matrix import calculus as rules

#: (f, wrt, variables, layout, assumptions, the answer as Magnus & Neudecker, the Matrix Cookbook
#: or the course notes write it)
IDENTITIES = [
    ("logdet(X)", "X", ["X=3x3"], "gradient", [], "inv(X).T"),
    ("det(X)", "X", ["X=3x3"], "gradient", [], "det(X) * inv(X).T"),
    ("x.T @ A @ x", "x", ["x=3", "A=3x3"], "gradient", [], "(A + A.T) @ x"),
    ("x.T @ A @ x", "x", ["x=3", "A=3x3"], "gradient", ["A:symmetric"], "2 * A @ x"),
    ("0.5 * norm(y - A @ x)**2", "x", ["x=3", "A=4x3", "y=4"], "gradient", [], "A.T @ (A @ x - y)"),
    ("trace(A @ X @ B)", "X", ["A=2x3", "X=3x3", "B=3x2"], "gradient", [], "A.T @ B.T"),
    ("tanh(W @ x + b)", "b", ["x=3", "W=2x3", "b=2"], "jacobian", [], "diag(1 - tanh(W @ x + b)**2)"),
    ("-y.T @ log(softmax(z))", "z", ["z=3", "y=3"], "gradient", ["y:onehot"], "softmax(z) - y"),
    ("tanh(A @ x + b)", "A", ["x=3", "A=2x3", "b=2"], "jacobian", [],
     "diag(1 - tanh(A @ x + b)**2) @ kron(x.T, eye(2))"),
    ("-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))", "w", ["X=5x3", "w=3", "y=5"],
     "gradient", [], "X.T @ (sigmoid(X @ w) - y)"),
    ("sum(tanh(W @ x))", "x", ["x=3", "W=2x3"], "gradient", [], "W.T @ (1 - tanh(W @ x)**2)"),
    # x ⊙ sign(x) = |x| and |u|² = u²: the answers as a person writes them, not |x| + x ⊙ sign(x)
    ("sum(x * abs(x))", "x", ["x=3"], "gradient", [], "2 * abs(x)"),
    ("sum(abs(x)**3)", "x", ["x=3"], "gradient", [], "3 * x * abs(x)"),
    ("sum(abs(W @ x)**2)", "x", ["x=3", "W=2x3"], "gradient", [], "2 * W.T @ W @ x"),
]


def compiled(f: str, wrt: str, variables: list[str], layout: str, assume: list[str]):  # type: ignore[no-untyped-def]
    return oneliner.question(f, wrt=wrt, variables=variables, assume=assume, layout=layout)  # type: ignore[arg-type]


@pytest.mark.parametrize(("f", "wrt", "variables", "layout", "assume", "expected"), IDENTITIES)
def test_the_answer_is_printed_as_the_textbooks_write_it(
        f: str, wrt: str, variables: list[str], layout: str, assume: list[str], expected: str) -> None:
    q = compiled(f, wrt, variables, layout, assume)
    answer = derive(q.f, q.wrt, q.variables, q.layout, Facts.of(q.assume), q.lets)
    assert answer is not None and answer.text == expected


@pytest.mark.parametrize(("f", "wrt", "variables", "layout", "assume", "expected"), IDENTITIES)
def test_the_printed_answer_pasted_back_is_proved_correct(
        f: str, wrt: str, variables: list[str], layout: str, assume: list[str], expected: str) -> None:
    q = oneliner.question(f, wrt=wrt, variables=variables, assume=assume, layout=layout,  # type: ignore[arg-type]
                          claim=expected)
    result = judge(q)
    assert (result.verdict, result.evidence, result.error) == ("correct", "symbolic", None)


def test_the_answer_is_independent_of_the_declared_sizes() -> None:
    texts = set()
    for n in (2, 3, 5):
        sizes = [f"x={n}", f"A={n + 1}x{n}", f"y={n + 1}"]
        q = compiled("0.5 * norm(y - A @ x)**2", "x", sizes, "gradient", [])
        found = derive(q.f, q.wrt, q.variables, q.layout)
        assert found is not None
        texts.add(found.text)
    assert texts == {"A.T @ (A @ x - y)"}


def test_equal_matrix_expressions_have_one_canonical_form() -> None:
    variables = {"x": (3, 1), "A": (3, 3), "y": (3, 1)}
    forms = {derivative(compile_expr("x.T @ A @ x + y.T @ x", variables), "x", variables, "gradient")}
    for text in ("A @ x + A.T @ x + y", "(A.T + A) @ x + y", "y + (A + A.T) @ x"):
        from gradcheck_cli.matrix import canonical

        forms.add(canonical(compile_expr(text, variables)))
    assert len(forms) == 1


def points(variables: dict[str, tuple[int, int]], count: int = 3) -> Iterator[dict[str, np.ndarray]]:
    rng = np.random.default_rng([7, 1])
    for _ in range(count):
        yield {name: rng.normal(size=shape) for name, shape in variables.items()}


def test_the_jacobian_by_a_matrix_is_the_kronecker_form_of_vec() -> None:
    """∂vec(tanh(Ax + b))/∂vec(A) = diag(1 − tanh²(z)) (xᵀ ⊗ I), checked with NumPy's own kron
    and a column-major vec of central differences."""
    variables = {"x": (3, 1), "A": (2, 3), "b": (2, 1)}
    f = compile_expr("tanh(A @ x + b)", variables)
    found = derive(f, "A", variables, "jacobian")
    assert found is not None
    for p in points(variables):
        z = p["A"] @ p["x"] + p["b"]
        expected = np.diag(1 - np.tanh(z).ravel() ** 2) @ np.kron(p["x"].T, np.eye(2))
        assert np.allclose(to_numpy(found.expr, p), expected, rtol=1e-12, atol=1e-12)
        h = 1e-6
        columns = []
        for k in range(6):
            step = np.zeros(6)
            step[k] = h
            delta = step.reshape(3, 2).T  # column-major: vec index k is A[k % 2, k // 2]
            up, down = dict(p, A=p["A"] + delta), dict(p, A=p["A"] - delta)
            columns.append((to_numpy(f, up) - to_numpy(f, down)).ravel() / (2 * h))
        assert np.allclose(np.array(columns).T, expected, atol=1e-8)


def test_a_wrong_rule_of_the_matrix_engine_is_caught_by_the_witness(monkeypatch: pytest.MonkeyPatch) -> None:
    """d logdet X = tr(X⁻¹ dX) gives X⁻ᵀ; a rule that forgets the transpose must not pass as truth."""
    from gradcheck_cli.matrix import algebra as al

    def forgets_the_transpose(node, g, value):  # type: ignore[no-untyped-def]
        (arg,) = node.args
        x = value(arg)
        yield arg, al.hadamard(g, al.call("inv", (x,), x.shape))

    monkeypatch.setitem(rules.CALL_VJPS, "logdet", forgets_the_transpose)
    q = oneliner.question("logdet(X)", wrt="X", variables=["X=3x3"], claim="inv(X)")
    result = judge(q)
    assert result.verdict == "error"
    assert result.error is not None and "disagree" in result.error and "matrix" in result.error


def test_a_slip_shared_by_the_matrix_rule_and_sympy_is_caught_by_the_complex_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix rule and the element-wise derivative both forget the transpose of X⁻¹: only the
    complex step of f's NumPy form, the third witness, can tell — and it must."""
    from gradcheck_cli.claims import question as question_module
    from gradcheck_cli.matrix import algebra as al

    def forgets_the_transpose(node, g, value):  # type: ignore[no-untyped-def]
        (arg,) = node.args
        x = value(arg)
        yield arg, al.hadamard(g, al.call("inv", (x,), x.shape))

    real = question_module.derivative

    def transposed(F, v, layout):  # type: ignore[no-untyped-def]
        return real(F, v, layout).T

    monkeypatch.setitem(rules.CALL_VJPS, "logdet", forgets_the_transpose)
    monkeypatch.setattr(question_module, "derivative", transposed)
    result = judge(oneliner.question("logdet(X)", wrt="X", variables=["X=3x3"], claim="inv(X)"))
    assert result.verdict == "error"
    assert result.error is not None and "complex-step" in result.error


def test_the_logistic_loss_with_labels_in_the_exponent_reads_as_a_person_writes_it() -> None:
    """d/dw Σ log(1 + e^{−y·Xw}) = −Xᵀ (y ∘ σ(−y·Xw)): e^u/(1 + e^u) is written σ(u)."""
    q = compiled("sum(log(1 + exp(-y * (X @ w))))", "w", ["X=4x3", "w=3", "y=4"], "gradient", [])
    found = derive(q.f, q.wrt, q.variables, q.layout)
    assert found is not None and found.text == "-X.T @ (y * sigmoid(-y * (X @ w)))"
    claim = oneliner.question("sum(log(1 + exp(-y * (X @ w))))", wrt="w", variables=["X=4x3", "w=3", "y=4"],
                              claim="-X.T @ (y * exp(-y * (X @ w)) / (1 + exp(-y * (X @ w))))")
    assert (judge(claim).verdict, judge(claim).evidence) == ("correct", "symbolic")
