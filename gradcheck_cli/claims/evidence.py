"""The truth and a claim as numbers at random points that respect the assumptions."""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import budget, points
from gradcheck_cli.ops.base import Array

Point = dict[str, Array]


def substitution(symbols: Mapping[str, sp.Matrix], point: Mapping[str, Array]) -> dict[sp.Symbol, sp.Float]:
    """Symbol → number for every entry of every variable."""
    subs: dict[sp.Symbol, sp.Float] = {}
    for name, matrix in symbols.items():
        for sym, value in zip(matrix, np.asarray(point[name]).reshape(-1), strict=True):
            if isinstance(sym, sp.Symbol):
                subs[sym] = sp.Float(float(value))
    return subs


def evaluate(matrix: sp.Matrix, subs: Mapping[sp.Symbol, sp.Float]) -> Array:
    """A SymPy matrix at a point, as floats; NaN where it is not a finite real number.

    Each entry is first run through float arithmetic (``_screen``); where an intermediate value
    leaves the float range (a tower of exponentials) that float value is taken as it is —
    SymPy's arbitrary-precision ``evalf`` would build integers of gigabytes in C, where no alarm
    reaches. Otherwise ``evalf`` gives the entry to 15 digits, within ``policy.EVALUATE_BUDGET``.

    Raises:
        OutOfBudget: evaluating the matrix took longer than ``policy.EVALUATE_BUDGET``.
    """
    return budget.bounded(policy.EVALUATE_BUDGET, lambda: _evaluate(matrix, subs),
                          "the budget for evaluating at one random point (policy.EVALUATE_BUDGET)")


def _evaluate(matrix: sp.Matrix, subs: Mapping[sp.Symbol, sp.Float]) -> Array:
    out = np.empty(matrix.shape)
    for i in range(matrix.rows):
        for j in range(matrix.cols):
            out[i, j] = _entry(matrix[i, j], subs)
    return out


def _entry(expr: sp.Basic, subs: Mapping[sp.Symbol, sp.Float]) -> float:
    with np.errstate(all="ignore"):
        try:
            screened = _screen(expr, subs, {})
        except (_Unknown, RecursionError):
            screened = None
    if screened is not None and not screened.tame:
        return _real(screened.value)
    try:
        return _number(expr.xreplace(subs).evalf())
    except (ArithmeticError, TypeError, ValueError, RecursionError):
        # OverflowError from mpmath, "the argument 'zoo' is not comparable", …: not a finite real
        return float("nan")


def _number(value: sp.Basic) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


#: Above this argument math.exp overflows float64 (log of the largest float).
_EXP_OVERFLOW = math.log(float(np.finfo(np.float64).max))


class _Unknown(Exception):
    """A node the float screen does not know; ``evalf`` decides alone."""


@dataclass(frozen=True)
class _Screened:
    value: complex
    #: every intermediate value stayed finite and within ``policy.EVALUATE_MAX_MAGNITUDE``
    tame: bool


_UNARY: dict[type, Callable[[complex], complex]] = {
    sp.exp: cmath.exp, sp.log: cmath.log, sp.sin: cmath.sin, sp.cos: cmath.cos, sp.tanh: cmath.tanh,
}


def _screen(expr: sp.Basic, subs: Mapping[sp.Symbol, sp.Float], seen: dict[sp.Basic, _Screened]) -> _Screened:
    """``expr`` at ``subs`` in complex float arithmetic (IEEE overflow to inf), with whether
    every intermediate value stayed tame."""
    if expr in seen:
        return seen[expr]
    args = [_screen(arg, subs, seen) for arg in expr.args]
    values = [a.value for a in args]
    value = _node(expr, values, subs)
    tame = all(a.tame for a in args) and cmath.isfinite(value) and abs(value) <= policy.EVALUATE_MAX_MAGNITUDE
    seen[expr] = _Screened(value, tame)
    return seen[expr]


def _node(expr: sp.Basic, values: list[complex], subs: Mapping[sp.Symbol, sp.Float]) -> complex:
    """One node's value from its arguments' values."""
    if isinstance(expr, sp.Symbol):
        if expr not in subs:
            raise _Unknown
        return complex(float(subs[expr]))
    if isinstance(expr, sp.Number):
        return complex(expr) if expr.is_finite else complex(float("nan"), float("nan"))
    if isinstance(expr, (sp.Add, sp.Mul)):
        real = all(v.imag == 0 for v in values)
        terms: list[Any] = [v.real for v in values] if real else values
        total = terms[0]
        for v in terms[1:]:
            total = total + v if isinstance(expr, sp.Add) else total * v
        return complex(total)
    if isinstance(expr, sp.Pow):
        return _power(*values)
    if type(expr) in _UNARY:
        return _unary(_UNARY[type(expr)], values[0])
    return _piecewise(expr, values)


def _power(base: complex, exponent: complex) -> complex:
    try:
        if base.imag == 0 and exponent.imag == 0 and (base.real > 0 or float(exponent.real).is_integer()):
            return complex(math.pow(base.real, exponent.real))
        return base**exponent
    except (ZeroDivisionError, ValueError):  # 0 to a negative power
        return complex(float("inf"), 0.0)
    except OverflowError:
        return complex(float("inf"), float("inf"))


def _unary(function: Callable[[complex], complex], value: complex) -> complex:
    if function is cmath.exp and value.imag == 0:  # real overflow is +inf, not inf + nan·i
        return complex(math.inf) if value.real >= _EXP_OVERFLOW else complex(math.exp(value.real))
    if function is cmath.log and value == 0:
        return complex(-math.inf)
    try:
        return function(value)
    except (OverflowError, ValueError):
        return complex(float("inf"), float("inf")) if cmath.isfinite(value) else complex(float("nan"), 0.0)


def _piecewise(expr: sp.Basic, values: list[complex]) -> complex:
    """Max, Min, Abs, sign, Heaviside and DiracDelta of real numbers; anything else is unknown."""
    if isinstance(expr, sp.Abs):
        return complex(abs(values[0]))
    if not all(cmath.isfinite(v) and v.imag == 0 for v in values):
        return complex(math.nan, 0.0)  # a comparison of complex numbers or infinities means nothing
    reals = [v.real for v in values]
    if isinstance(expr, sp.Max):
        return complex(max(reals))
    if isinstance(expr, sp.Min):
        return complex(min(reals))
    if isinstance(expr, sp.sign):
        return complex(float(np.sign(reals[0])))
    if isinstance(expr, sp.Heaviside):
        at_zero = reals[1] if len(reals) > 1 else 0.5
        return complex(1.0 if reals[0] > 0 else 0.0 if reals[0] < 0 else at_zero)
    if isinstance(expr, sp.DiracDelta) and len(values) == 1:
        return complex(0.0 if reals[0] != 0 else float("inf"))
    raise _Unknown


def _real(value: complex) -> float:
    """A real, finite value, or NaN (a complex result is not a real number)."""
    if not cmath.isfinite(value) or abs(value.imag) > policy.CLAIM_RTOL * max(abs(value.real), 1.0):
        return float("nan")
    return value.real


def close(a: Array, b: Array) -> bool:
    """Equal up to the rounding of two exact formulas (``policy.CLAIM_RTOL``)."""
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), policy.TINY)
    return bool(np.all(np.abs(a - b) <= policy.CLAIM_RTOL * scale))


@dataclass
class Sampler:
    """Draws points for one question; every draw is seeded, so runs are reproducible."""

    variables: Mapping[str, tuple[int, int]]
    assume: Mapping[str, Collection[str]]
    seed: int
    draws: int = field(default=0)

    def points(
        self, finite: Callable[[Point], bool], *, also_symmetric: Collection[str] = ()
    ) -> list[Point] | None:
        """``CLAIM_POINTS`` points where ``finite`` holds, or None if they cannot be found."""
        rng = np.random.default_rng([self.seed, self.draws])
        self.draws += 1
        found: list[Point] = []
        for _ in range(policy.CLAIM_POINTS * policy.CLAIM_REDRAWS):
            point = points.draw(self.variables, self.assume, rng, also_symmetric=also_symmetric)
            if finite(point):
                found.append(point)
                if len(found) == policy.CLAIM_POINTS:
                    return found
        return None
