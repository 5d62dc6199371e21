"""Complex-step evaluation (``to_complex``), the third witness of the matrix engine: at real
points it is the NumPy form, and Im f(x + ih)/h is f′(x) for every function of the language."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli.expr import FUNCTIONS, compile_expr, to_complex, to_numpy

VARIABLES = {"x": (3, 1), "y": (3, 1), "A": (3, 3)}

#: f of x, one per function of the language (domains kept: log of a positive, sqrt too)
FORMULAS = {
    "exp": "sum(exp(x))", "log": "sum(log(x * x + 1))", "sqrt": "sum(sqrt(x * x + 1))",
    "sin": "sum(sin(x))", "cos": "sum(cos(x))", "tanh": "sum(tanh(x))", "sigmoid": "sum(sigmoid(x))",
    "relu": "sum(relu(x) * x)", "softplus": "sum(softplus(3 * x))", "abs": "sum(abs(x) * x)",
    "sign": "sum(sign(x) * x * x)", "step": "sum(step(x) * x * x)", "maximum": "sum(maximum(x, y) * x)",
    "minimum": "sum(minimum(x, y) * x)", "softmax": "y.T @ softmax(x)", "logsumexp": "logsumexp(A @ x)",
    "sum": "sum(x * x)", "mean": "mean(A @ x)", "norm": "norm(A @ x)", "trace": "trace(A * x.T)",
    "det": "det(A + x @ x.T)", "logdet": "logdet(A + x @ x.T)", "inv": "sum(inv(A + x @ x.T))",
    "diag": "sum(diag(x) @ A)", "outer": "sum(outer(x, y) * A)", "eye": "sum(eye(3) @ x)",
    "ones": "ones(3).T @ x", "vec": "vec(A @ x).T @ x", "kron": "sum(kron(x, y.T) * A)",
}


def test_every_function_of_the_language_has_a_formula_here() -> None:
    assert set(FUNCTIONS) <= set(FORMULAS)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_the_complex_step_is_the_derivative(name: str) -> None:
    f = compile_expr(FORMULAS[name], VARIABLES)
    rng = np.random.default_rng([11, len(name)])
    point = {"x": rng.normal(size=(3, 1)), "y": rng.normal(size=(3, 1)), "A": rng.normal(size=(3, 3))}
    assert np.allclose(to_complex(f, point).real, to_numpy(f, point), rtol=1e-13, atol=1e-13)
    h, step = 1e-20, 1e-6
    for i in range(3):
        unit = np.zeros((3, 1))
        unit[i] = 1.0
        stepped = to_complex(f, {**point, "x": point["x"] + 1j * h * unit}).imag[0, 0] / h
        central = (to_numpy(f, {**point, "x": point["x"] + step * unit})
                   - to_numpy(f, {**point, "x": point["x"] - step * unit}))[0, 0] / (2 * step)
        assert stepped == pytest.approx(central, rel=1e-6, abs=1e-6)
