"""The derivative of f with respect to one variable, in the gradient or the jacobian layout.

| f          | wrt           | gradient      | jacobian      |
|------------|---------------|---------------|---------------|
| scalar     | scalar        | 1 × 1         | 1 × 1         |
| scalar     | vector [n]    | n × 1         | 1 × n         |
| scalar     | matrix [m, n] | m × n         | n × m         |
| vector [p] | scalar        | 1 × p         | p × 1         |
| vector [p] | vector [n]    | n × p         | p × n         |
| vector [p] | matrix [m, n] | (m·n) × p     | p × (m·n)     |
| matrix [p, q] | matrix [m, n] | (m·n) × (p·q) | (p·q) × (m·n) |

A scalar f keeps the homework convention: its gradient has the variable's shape. Every other
derivative is the Jacobian of vec(F) with respect to vec(X) (Magnus & Neudecker), where vec
stacks the columns of a matrix (column-major, as in the slides' ∂f/∂A of tanh(Ax + b)):

    J[i, k] = ∂ vec(F)ᵢ / ∂ vec(X)ₖ,   vec(X)ₖ = X[k mod m, k div m]   for X of m rows,

and the gradient layout is Jᵀ. For vectors vec changes nothing, so this is the usual Jacobian;
for F = A x + b it gives ∂F/∂A = xᵀ ⊗ I (``kron(x.T, eye(m))``). A matrix-valued f is read
the same way against a scalar or a vector variable (its Jacobian is (p·q) × 1 or (p·q) × n).

Every entry of the variable is independent (also for a matrix declared symmetric: that only
restricts the points where things are evaluated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradcheck_cli.choices import Layout

if TYPE_CHECKING:
    import sympy as sp


def other(layout: Layout) -> Layout:
    return "jacobian" if layout == "gradient" else "gradient"


def vec(M: sp.Matrix) -> list[sp.Expr]:
    """The entries of ``M`` column by column: vec(M)ₖ = M[k mod rows, k div rows]."""
    return [M[k % M.rows, k // M.rows] for k in range(M.rows * M.cols)]


def derivative(F: sp.Matrix, v: sp.Matrix, layout: Layout) -> sp.Matrix:
    """∂F/∂v laid out as ``layout`` says (see the module table)."""
    import sympy as sp

    if F.shape == (1, 1):
        f = F[0, 0]
        grad = v.applyfunc(lambda s: sp.diff(f, s))
        return grad if layout == "gradient" else grad.T
    outputs, inputs = vec(F), vec(v)
    jac = sp.Matrix(len(outputs), len(inputs), lambda i, k: sp.diff(outputs[i], inputs[k]))
    return jac if layout == "jacobian" else jac.T


def derivative_shape(f: tuple[int, int], v: tuple[int, int], layout: Layout) -> tuple[int, int]:
    """The shape ``derivative`` gives for an f and a variable of these shapes, without SymPy."""
    if f == (1, 1):
        return v if layout == "gradient" else (v[1], v[0])
    jacobian = (f[0] * f[1], v[0] * v[1])
    return jacobian if layout == "jacobian" else (jacobian[1], jacobian[0])
