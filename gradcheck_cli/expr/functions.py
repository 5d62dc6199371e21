"""The function table: one record per function, its arity, shape rule, SymPy form and NumPy form.

Adding a function to the language means adding one record here (or in ``linalg``) and a test.
The SymPy form is the math, written from the definition; the NumPy form computes the same
values in a numerically careful way (max-subtraction, stable logistic, ``slogdet``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sympy as sp

from gradcheck_cli.expr.nodes import SCALAR, Call, Expr, Shape, entrywise_shape, is_vector

Array = npt.NDArray[np.float64]
#: ``(operands, sizes, axis) -> shape``; raises ``Problem`` when the operands do not fit.
ShapeRule = Callable[[Sequence[Expr], Sequence[int], "int | None"], Shape]
SympyForm = Callable[[Sequence[Any], Call], Any]
NumpyForm = Callable[[Sequence[Array], Call], Array]


@dataclass(frozen=True)
class Function:
    """A function of the language.

    ``operands`` is the least and most number of expression arguments (None: no limit),
    ``sizes`` the least and most number of positive integer literal sizes (``eye(n)``), and
    ``axis`` whether an axis 0 or 1 may follow the operand (``sum(X, 0)``, ``sum(X, axis=0)``).
    """

    name: str
    math: str
    shape: ShapeRule
    sympy: SympyForm
    numpy: NumpyForm
    operands: tuple[int, int | None] = (1, 1)
    sizes: tuple[int, int] = (0, 0)
    axis: bool = False
    #: the form at complex-step points x + ih (``to_complex``), where the NumPy form is not
    #: analytic there (|z|, comparisons): the real function's branch, continued analytically
    complex: NumpyForm | None = None


FUNCTIONS: dict[str, Function] = {}

#: Other names people write for functions of the table; each compiles to its canonical function
#: (``Call.function`` holds the canonical name). ``max``/``min`` of one argument, a reduction
#: elsewhere, is refused: only the entrywise ``maximum(a, b)``/``minimum(a, b)`` exist here.
ALIASES: dict[str, str] = {"σ": "sigmoid", "ln": "log", "tr": "trace", "max": "maximum", "min": "minimum"}


def as_array(value: Any) -> Array:
    """A NumPy result as a float64 array (NumPy's reductions are typed loosely); complex values
    (complex-step evaluation) stay complex."""
    array = np.asarray(value)
    return array if np.iscomplexobj(array) else np.asarray(array, dtype=np.float64)


def register(function: Function) -> Function:
    """Add a function to the table under its name."""
    FUNCTIONS[function.name] = function
    return function


def sympy_broadcast(value: Any, shape: Shape) -> Any:
    """``value`` repeated to ``shape`` as NumPy broadcasts it: a 1×1 everywhere, an m×1 column
    along the columns, a 1×n row down the rows (``entrywise_shape`` has checked that it fits)."""
    if value.shape == shape:
        return value
    rows, cols = value.shape
    return sp.Matrix(shape[0], shape[1], lambda i, j: value[i if rows > 1 else 0, j if cols > 1 else 0])


# ---------------------------------------------------------------- entrywise functions


def same_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """An entrywise function keeps the shape of its operand."""
    return args[0].shape


def entrywise(name: str, math: str, scalar: Callable[[Any], Any], array: Callable[[Array], Array],
              at_complex: Callable[[Array], Array] | None = None) -> None:
    """Register f applied to every entry: SymPy ``scalar`` per entry, NumPy ``array`` at once,
    and ``at_complex`` at complex-step points where ``array`` is not analytic there."""

    def sympy_form(values: Sequence[Any], call: Call) -> Any:
        return values[0].applyfunc(scalar)

    def numpy_form(values: Sequence[Array], call: Call) -> Array:
        return array(values[0])

    def complex_form(values: Sequence[Array], call: Call) -> Array:
        assert at_complex is not None
        return at_complex(values[0])

    sympy_form.__name__ = f"{name}_sympy"
    numpy_form.__name__ = f"{name}_numpy"
    register(Function(name, math, same_shape, sympy_form, numpy_form,
                      complex=complex_form if at_complex is not None else None))


# At a complex-step point z = x + ih the real part picks the branch (as x does for the real
# function) and the formula of that branch is continued analytically, so Im f(x + ih)/h = f′(x).


def sigmoid_complex(z: Array) -> Array:
    """1/(1 + e^{−z}), its own analytic continuation."""
    return 1.0 / (1.0 + np.exp(-z))


def relu_complex(z: Array) -> Array:
    return np.where(z.real > 0, z, 0.0)


def softplus_complex(z: Array) -> Array:
    """log(1 + e^{z}), written around the larger of 0 and Re z so e^{·} cannot overflow."""
    return np.where(z.real > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z)))


def abs_complex(z: Array) -> Array:
    return np.where(z.real >= 0, z, -z)


def sign_complex(z: Array) -> Array:
    return as_array(np.sign(z.real).astype(np.complex128))


def step_complex(z: Array) -> Array:
    return as_array((z.real > 0).astype(np.complex128))


def sigmoid_sympy(t: Any) -> Any:
    """σ(t) = 1/(1 + e^{−t})."""
    return 1 / (1 + sp.exp(-t))


def sigmoid_numpy(z: Array) -> Array:
    """σ(z) without overflow: e^{−|z|} ≤ 1, and e^{z}/(1 + e^{z}) for z < 0 keeps tiny values."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu_sympy(t: Any) -> Any:
    """relu(t) = max(t, 0)."""
    return sp.Max(t, 0)


def relu_numpy(z: Array) -> Array:
    """relu(z) = max(z, 0)."""
    return np.maximum(z, 0.0)


def softplus_sympy(t: Any) -> Any:
    """softplus(t) = log(1 + e^{t})."""
    return sp.log(1 + sp.exp(t))


def softplus_numpy(z: Array) -> Array:
    """log(1 + e^{z}) = logaddexp(0, z), which never overflows."""
    return np.logaddexp(0.0, z)


def step_sympy(t: Any) -> Any:
    """step(t) = 1[t > 0], the derivative of relu: Heaviside with H(0) = 0."""
    return sp.Heaviside(t, 0)


def step_numpy(z: Array) -> Array:
    """step(z) = 1[z > 0]."""
    return (z > 0).astype(np.float64)


entrywise("exp", "exp(z) = e^z", sp.exp, np.exp)
entrywise("log", "log(z), natural logarithm", sp.log, np.log)
entrywise("sqrt", "sqrt(z) = √z", sp.sqrt, np.sqrt)
entrywise("sin", "sin(z)", sp.sin, np.sin)
entrywise("cos", "cos(z)", sp.cos, np.cos)
entrywise("tanh", "tanh(z)", sp.tanh, np.tanh)
entrywise("sigmoid", "sigmoid(z) = 1/(1 + e^{-z})", sigmoid_sympy, sigmoid_numpy, sigmoid_complex)
entrywise("relu", "relu(z) = max(z, 0)", relu_sympy, relu_numpy, relu_complex)
entrywise("softplus", "softplus(z) = log(1 + e^z)", softplus_sympy, softplus_numpy, softplus_complex)
entrywise("abs", "abs(z) = |z|", sp.Abs, np.abs, abs_complex)
entrywise("sign", "sign(z) ∈ {−1, 0, 1}", sp.sign, np.sign, sign_complex)
entrywise("step", "step(z) = 1[z > 0], the derivative of relu", step_sympy, step_numpy, step_complex)




def pairwise_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """Two operands of one shape, or broadcast as in ``+`` (a 1×1, or a row or column of a matrix)."""
    return entrywise_shape("maximum", args[0], args[1])


def pairwise(name: str, math: str, scalar: Callable[[Any, Any], Any],
             array: Callable[[Array, Array], Array]) -> None:
    """Register f(a, b) of two operands entry by entry, broadcast like ``+``."""

    def sympy_form(values: Sequence[Any], call: Call) -> Any:
        left, right = (sympy_broadcast(value, call.shape) for value in values)
        return sp.Matrix(call.shape[0], call.shape[1],
                         [scalar(a, b) for a, b in zip(left, right, strict=True)])

    def numpy_form(values: Sequence[Array], call: Call) -> Array:
        return as_array(array(values[0], values[1]))

    def complex_form(values: Sequence[Array], call: Call) -> Array:
        first, second = values
        larger = first.real >= second.real if name == "maximum" else first.real <= second.real
        return np.where(larger, first, second)

    sympy_form.__name__ = f"{name}_sympy"
    numpy_form.__name__ = f"{name}_numpy"
    register(Function(name, math, pairwise_shape, sympy_form, numpy_form, operands=(2, 2),
                      complex=complex_form))


pairwise("maximum", "maximum(a, b), the larger of aᵢⱼ and bᵢⱼ (also written max(a, b))", sp.Max, np.maximum)
pairwise("minimum", "minimum(a, b), the smaller of aᵢⱼ and bᵢⱼ (also written min(a, b))", sp.Min, np.minimum)


# ---------------------------------------------------------------- softmax and logsumexp


def columns_of(matrix: Any) -> list[Any]:
    """A vector (either orientation) is one group of entries; a matrix is one per column."""
    if is_vector(matrix.shape):
        return [list(matrix)]
    return [list(matrix[:, j]) for j in range(matrix.cols)]


def reduce_axis(array: Array) -> int | None:
    """NumPy axis of the groups of ``columns_of``: all entries of a vector, else down columns."""
    return None if is_vector((array.shape[0], array.shape[1])) else 0


def softmax_sympy(values: Sequence[Any], call: Call) -> Any:
    """softmax(v)ᵢ = e^{vᵢ} / Σⱼ e^{vⱼ}, of a vector, or of each column of a matrix."""
    (m,) = values
    groups = [[sp.exp(e) for e in group] for group in columns_of(m)]
    probs = [[e / sp.Add(*group) for e in group] for group in groups]
    if is_vector(m.shape):
        return sp.Matrix(m.rows, m.cols, probs[0])
    return sp.Matrix.hstack(*(sp.Matrix(p) for p in probs))


def softmax_numpy(values: Sequence[Array], call: Call) -> Array:
    """softmax with the maximum subtracted first, so no e^{v} overflows."""
    (a,) = values
    axis = reduce_axis(a)
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return as_array(e / np.sum(e, axis=axis, keepdims=True))


def logsumexp_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """A vector gives a scalar; an m×n matrix gives a 1×n row, one value per column."""
    shape = args[0].shape
    return SCALAR if is_vector(shape) else (1, shape[1])


def logsumexp_sympy(values: Sequence[Any], call: Call) -> Any:
    """logsumexp(v) = log Σᵢ e^{vᵢ}, of a vector, or of each column of a matrix."""
    sums = [sp.log(sp.Add(*(sp.exp(e) for e in group))) for group in columns_of(values[0])]
    return sp.Matrix(1, len(sums), sums)


def logsumexp_numpy(values: Sequence[Array], call: Call) -> Array:
    """m + log Σ e^{v − m} with m = max v, so no e^{v} overflows."""
    (a,) = values
    axis = reduce_axis(a)
    top = np.max(a, axis=axis, keepdims=True)
    return as_array(top + np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True))).reshape(1, -1)


register(Function("softmax", "softmax(v) = e^v / Σ e^v (per column of a matrix)",
                  same_shape, softmax_sympy, softmax_numpy))
register(Function("logsumexp", "logsumexp(v) = log Σ e^v (per column of a matrix)",
                  logsumexp_shape, logsumexp_sympy, logsumexp_numpy))


# ---------------------------------------------------------------- sum, mean, norm


def reduced_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """All entries give 1×1; axis 0 (down the rows) gives 1×n; axis 1 (along rows) gives m×1."""
    m, n = args[0].shape
    return {None: SCALAR, 0: (1, n), 1: (m, 1)}[axis]


def sum_sympy(values: Sequence[Any], call: Call) -> Any:
    """sum(X) = Σᵢⱼ Xᵢⱼ; sum(X, 0)ⱼ = Σᵢ Xᵢⱼ; sum(X, 1)ᵢ = Σⱼ Xᵢⱼ."""
    (m,) = values
    if call.axis is None:
        return sp.Matrix([[sp.Add(*m)]])
    if call.axis == 0:
        return sp.Matrix(1, m.cols, [sp.Add(*m[:, j]) for j in range(m.cols)])
    return sp.Matrix(m.rows, 1, [sp.Add(*m[i, :]) for i in range(m.rows)])


def sum_numpy(values: Sequence[Array], call: Call) -> Array:
    """sum over all entries or one axis, keeping two dimensions."""
    return as_array(np.sum(values[0], axis=call.axis, keepdims=True))


def mean_sympy(values: Sequence[Any], call: Call) -> Any:
    """mean = sum / (number of entries summed)."""
    (m,) = values
    count = {None: m.rows * m.cols, 0: m.rows, 1: m.cols}[call.axis]
    return sum_sympy(values, call) / count


def mean_numpy(values: Sequence[Array], call: Call) -> Array:
    """mean over all entries or one axis, keeping two dimensions."""
    return as_array(np.mean(values[0], axis=call.axis, keepdims=True))


def scalar_shape(args: Sequence[Expr], sizes: Sequence[int], axis: int | None) -> Shape:
    """A function of the whole operand with one number as its value."""
    return SCALAR


def norm_sympy(values: Sequence[Any], call: Call) -> Any:
    """norm(X) = √(Σᵢⱼ Xᵢⱼ²): the 2-norm of a vector, the Frobenius norm of a matrix."""
    return sp.Matrix([[sp.sqrt(sp.Add(*(e**2 for e in values[0])))]])


def norm_numpy(values: Sequence[Array], call: Call) -> Array:
    """np.linalg.norm, which scales to avoid overflow in the squares."""
    return np.array([[np.linalg.norm(values[0])]])


register(Function("sum", "sum(X) = Σ Xᵢⱼ; sum(X, 0) sums down the rows, sum(X, 1) along them",
                  reduced_shape, sum_sympy, sum_numpy, axis=True))
register(Function("mean", "mean(X) = sum(X) / (number of entries); mean(X, 0), mean(X, 1) per axis",
                  reduced_shape, mean_sympy, mean_numpy, axis=True))
def norm_complex(values: Sequence[Array], call: Call) -> Array:
    """√(Σ Xᵢⱼ²) continued analytically (np.linalg.norm takes moduli)."""
    return as_array(np.sqrt(np.sum(values[0] * values[0]))).reshape(1, 1)


register(Function("norm", "norm(X) = √(Σ Xᵢⱼ²), the 2-norm of a vector or Frobenius norm",
                  scalar_shape, norm_sympy, norm_numpy, complex=norm_complex))
