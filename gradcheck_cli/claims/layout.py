"""The derivative of f with respect to one variable, in the gradient or the jacobian layout.

| f          | wrt           | gradient | jacobian |
|------------|---------------|----------|----------|
| scalar     | scalar        | 1 × 1    | 1 × 1    |
| scalar     | vector [n]    | n × 1    | 1 × n    |
| scalar     | matrix [m, n] | m × n    | n × m    |
| vector [p] | scalar        | 1 × p    | p × 1    |
| vector [p] | vector [n]    | n × p    | p × n    |

Every entry of the variable is independent (also for a matrix declared symmetric: that only
restricts the points where things are evaluated).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from gradcheck_cli.errors import GradcheckError

Layout = Literal["gradient", "jacobian"]
LAYOUTS: tuple[Layout, ...] = ("gradient", "jacobian")


def other(layout: Layout) -> Layout:
    return "jacobian" if layout == "gradient" else "gradient"


def is_vector(shape: tuple[int, int]) -> bool:
    return shape != (1, 1) and 1 in shape


def derivative(F: sp.Matrix, v: sp.Matrix, layout: Layout) -> sp.Matrix:
    """∂F/∂v laid out as ``layout`` says (see the module table).

    Raises:
        GradcheckError: F is a matrix, or F is a vector and v a matrix (a 3-tensor).
    """
    if F.shape == (1, 1):
        f = F[0, 0]
        grad = v.applyfunc(lambda s: sp.diff(f, s))
        return grad if layout == "gradient" else grad.T
    if not is_vector(F.shape):
        raise GradcheckError(f"f is a {F.rows}×{F.cols} matrix; it must be a scalar or a vector")
    if v.shape != (1, 1) and not is_vector(v.shape):
        raise GradcheckError(
            "the derivative of a vector with respect to a matrix is a 3-tensor; "
            "differentiate a scalar (e.g. one entry f[i]) instead"
        )
    jac = sp.Matrix(len(F), len(v), lambda i, j: sp.diff(F[i], v[j]))
    return jac if layout == "jacobian" else jac.T
