"""Matrix functions of the language: trace, det, logdet, inv, diag, outer, eye, ones, vec, kron.

Records of the same function table as ``functions``; importing this module registers them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from gradcheck_cli.expr.functions import Array, Function, as_array, register, same_shape
from gradcheck_cli.expr.limits import (
    COFACTOR_MAX_SIZE,
    MAX_CONSTRUCTED_ENTRIES,
    SINGULAR_TEST_RANGE,
    SINGULAR_TEST_SEED,
)
from gradcheck_cli.expr.nodes import SCALAR, Call, Expr, Problem, Shape, is_vector, quote, show

# ---------------------------------------------------------------- square matrices


def square(name: str, args: Sequence[Expr]) -> int:
    """The size n of an n×n operand; anything else is refused."""
    (operand,) = args
    m, n = operand.shape
    if m != n:
        raise Problem(f"{name} needs a square matrix but {quote(operand.text)} is {show(operand.shape)}",
                      kind="shape")
    return n


def trace_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """tr X of an n×n X is 1×1."""
    square("trace", args)
    return SCALAR


def det_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """det X of an n×n X is 1×1."""
    square("det", args)
    return SCALAR


def logdet_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """log|det X| of an n×n X is 1×1."""
    square("logdet", args)
    return SCALAR


def inv_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """X⁻¹ of an n×n X is n×n."""
    square("inv", args)
    return same_shape(args, sizes, axis)


def trace_sympy(values: Sequence[Any], call: Call) -> Any:
    """tr X = Σᵢ Xᵢᵢ."""
    return sp.Matrix([[values[0].trace()]])


def trace_numpy(values: Sequence[Array], call: Call) -> Array:
    """tr X = Σᵢ Xᵢᵢ."""
    return np.array([[np.trace(values[0])]])


def symbolic_det_method(matrix: Any) -> str:
    """Cofactor expansion (the textbook formula, n! terms) for small matrices, else Berkowitz.

    Both are division-free, so nothing is cancelled or simplified; Bareiss, SymPy's default,
    cancels fractions at every step and takes seconds on a symbolic 5×5.
    """
    return "laplace" if matrix.rows <= COFACTOR_MAX_SIZE else "berkowitz"


def det_sympy(values: Sequence[Any], call: Call) -> Any:
    """det X, expanded along rows (unsimplified)."""
    (m,) = values
    return sp.Matrix([[m.det(method=symbolic_det_method(m))]])


def det_numpy(values: Sequence[Array], call: Call) -> Array:
    """det X by LU factorisation."""
    return np.array([[np.linalg.det(values[0])]])


def logdet_sympy(values: Sequence[Any], call: Call) -> Any:
    """logdet X = log|det X|."""
    (m,) = values
    return sp.Matrix([[sp.log(sp.Abs(m.det(method=symbolic_det_method(m))))]])


def logdet_numpy(values: Sequence[Array], call: Call) -> Array:
    """log|det X| from ``slogdet``, which never forms the (possibly overflowing) determinant."""
    return np.array([[np.linalg.slogdet(values[0])[1]]])


def inv_sympy(values: Sequence[Any], call: Call) -> Any:
    """X⁻¹ = adj(X) / det X; a matrix whose determinant is identically 0 is refused."""
    (m,) = values
    method = symbolic_det_method(m)
    det = m.det(method=method)
    if vanishes(det):
        raise Problem(f"{quote(call.args[0].text)} is singular, so it has no inverse")
    return m.adjugate(method=method) / det


def vanishes(expr: Any) -> bool:
    """Whether ``expr`` is identically 0, tested at one random integer point (Schwartz–Zippel:
    a nonzero polynomial of degree d vanishes at a random point of [1, N]ⁿ with probability at
    most d/N), so no costly expansion is needed. Seeded, so the answer is reproducible."""
    rng = random.Random(SINGULAR_TEST_SEED)
    point = {symbol: sp.Integer(rng.randint(1, SINGULAR_TEST_RANGE))
             for symbol in sorted(expr.free_symbols, key=str)}
    value = expr.xreplace(point)
    return bool(value == 0 or value.is_zero)


def inv_numpy(values: Sequence[Array], call: Call) -> Array:
    """X⁻¹ by LU factorisation; a singular value of X is refused."""
    try:
        return as_array(np.linalg.inv(values[0]))
    except np.linalg.LinAlgError:
        raise Problem(f"{quote(call.args[0].text)} is singular at these values") from None


register(Function("trace", "trace(X) = Σ Xᵢᵢ", trace_shape, trace_sympy, trace_numpy))
register(Function("det", "det(X), the determinant", det_shape, det_sympy, det_numpy))
def logdet_complex(values: Sequence[Array], call: Call) -> Array:
    """log(±det X), the sign of Re det X taken out first (slogdet takes moduli)."""
    det = np.linalg.det(values[0])
    return np.array([[np.log(det * np.sign(det.real))]])


register(Function("logdet", "logdet(X) = log|det X|", logdet_shape, logdet_sympy, logdet_numpy,
                  complex=logdet_complex))
register(Function("inv", "inv(X) = X⁻¹", inv_shape, inv_sympy, inv_numpy))

# ---------------------------------------------------------------- diag and outer


def diag_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """A vector of n entries gives an n×n diagonal matrix; an n×n matrix gives its n×1 diagonal."""
    (operand,) = args
    m, n = operand.shape
    if is_vector(operand.shape):
        return (m * n, m * n)
    if m == n:
        return (n, 1)
    raise Problem(f"diag needs a vector or a square matrix but {quote(operand.text)} is {show((m, n))}",
                  kind="shape")


def diag_sympy(values: Sequence[Any], call: Call) -> Any:
    """diag(v)ᵢⱼ = vᵢ if i = j else 0; diag(X)ᵢ = Xᵢᵢ."""
    (m,) = values
    if is_vector(m.shape):
        return sp.diag(*m)
    return sp.Matrix([m[i, i] for i in range(m.rows)])


def diag_numpy(values: Sequence[Array], call: Call) -> Array:
    """np.diag, with a vector flattened first and a diagonal returned as a column."""
    (a,) = values
    if is_vector((a.shape[0], a.shape[1])):
        return as_array(np.diag(a.reshape(-1)))
    return as_array(np.diag(a).reshape(-1, 1).copy())


def outer_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """outer of an n-vector and an m-vector is n×m (either orientation counts as a vector)."""
    for operand in args:
        if not is_vector(operand.shape):
            raise Problem(f"outer needs two vectors but {quote(operand.text)} is {show(operand.shape)}",
                          kind="shape")
    (m1, n1), (m2, n2) = args[0].shape, args[1].shape
    return (m1 * n1, m2 * n2)


def outer_sympy(values: Sequence[Any], call: Call) -> Any:
    """outer(a, b) = a bᵀ: (a bᵀ)ᵢⱼ = aᵢ bⱼ."""
    a, b = values
    return sp.Matrix(list(a)) * sp.Matrix(list(b)).T


def outer_numpy(values: Sequence[Array], call: Call) -> Array:
    """np.outer flattens both vectors."""
    return np.outer(values[0], values[1])


register(Function("diag", "diag(v), the diagonal matrix of v; diag(X), the diagonal of X",
                  diag_shape, diag_sympy, diag_numpy))
register(Function("outer", "outer(a, b) = a bᵀ", outer_shape, outer_sympy, outer_numpy, operands=(2, 2)))

# ---------------------------------------------------------------- constructors


def constructed_shape(rows: int, cols: int) -> Shape:
    """A matrix built from size literals, refused when it would be unreasonably large."""
    if rows * cols > MAX_CONSTRUCTED_ENTRIES:
        raise Problem(f"a {rows}×{cols} matrix has more than {MAX_CONSTRUCTED_ENTRIES:,} entries")
    return (rows, cols)


def eye_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """eye(n) is n×n."""
    return constructed_shape(sizes[0], sizes[0])


def ones_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """ones(n) is an n×1 column; ones(m, n) is m×n."""
    return constructed_shape(sizes[0], sizes[1] if len(sizes) == 2 else 1)


def eye_sympy(values: Sequence[Any], call: Call) -> Any:
    """The n×n identity."""
    return sp.eye(call.shape[0])


def eye_numpy(values: Sequence[Array], call: Call) -> Array:
    """The n×n identity."""
    return np.eye(call.shape[0])


def ones_sympy(values: Sequence[Any], call: Call) -> Any:
    """All entries 1."""
    return sp.ones(*call.shape)


def ones_numpy(values: Sequence[Array], call: Call) -> Array:
    """All entries 1."""
    return np.ones(call.shape)


def vec_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """vec(X) of one m×n operand is (m·n)×1; vec of k 1×1 scalars is a k×1 column."""
    if len(args) == 1:
        rows, cols = args[0].shape
        return (rows * cols, 1)
    for operand in args:
        if operand.shape != SCALAR:
            raise Problem(f"vec takes 1×1 scalars but {quote(operand.text)} is {show(operand.shape)}",
                          "vec(X) of one matrix alone stacks its columns", kind="shape")
    return (len(args), 1)


def vec_sympy(values: Sequence[Any], call: Call) -> Any:
    """vec(X) = (X₁₁ … X_m1, X₁₂ … X_m2, …)ᵀ, the columns stacked (Magnus & Neudecker), or the
    column (s₁, …, s_k)ᵀ of scalars."""
    if len(values) == 1:
        (m,) = values
        return sp.Matrix([m[i, j] for j in range(m.cols) for i in range(m.rows)])
    return sp.Matrix([v[0, 0] for v in values])


def vec_numpy(values: Sequence[Array], call: Call) -> Array:
    """A column-major (Fortran-order) reshape of one operand, or the scalars concatenated."""
    if len(values) == 1:
        return as_array(values[0].reshape(-1, 1, order="F"))
    return np.concatenate([v.reshape(1, 1) for v in values], axis=0)


def kron_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """kron of an m₁×n₁ and an m₂×n₂ matrix is (m₁m₂)×(n₁n₂), refused above the size limit."""
    (m1, n1), (m2, n2) = args[0].shape, args[1].shape
    return constructed_shape(m1 * m2, n1 * n2)


def kron_sympy(values: Sequence[Any], call: Call) -> Any:
    """(A ⊗ B) at row i·m₂ + k, column j·n₂ + l is Aᵢⱼ Bₖₗ: each entry of A scales a copy of B."""
    a, b = values
    m2, n2 = b.shape
    return sp.Matrix(a.rows * m2, a.cols * n2,
                     lambda r, c: a[r // m2, c // n2] * b[r % m2, c % n2])


def kron_numpy(values: Sequence[Array], call: Call) -> Array:
    """np.kron."""
    return as_array(np.kron(values[0], values[1]))


register(Function("eye", "eye(n), the n×n identity", eye_shape, eye_sympy, eye_numpy,
                  operands=(0, 0), sizes=(1, 1)))
register(Function("ones", "ones(n), an n×1 column of ones; ones(m, n), an m×n matrix of ones",
                  ones_shape, ones_sympy, ones_numpy, operands=(0, 0), sizes=(1, 2)))
register(Function("vec", "vec(X), the columns of X stacked into one column; vec(s1, …, sk), the "
                  "column of k scalars", vec_shape, vec_sympy, vec_numpy, operands=(1, None)))
register(Function("kron", "kron(A, B), the Kronecker product: blocks Aᵢⱼ B", kron_shape, kron_sympy,
                  kron_numpy, operands=(2, 2)))
