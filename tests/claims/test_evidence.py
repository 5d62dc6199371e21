"""Evaluating f, its derivative and a claim at a point: exact digits where SymPy can afford
them, float arithmetic where an intermediate value is beyond any float, NaN for what is not a
finite real number — never an exception, never minutes of big-integer arithmetic."""

from __future__ import annotations

import math
import time

import sympy as sp

from gradcheck_cli.claims.evidence import evaluate

s = sp.Symbol("s", real=True)


def at(expr: sp.Expr, value: float) -> float:
    return float(evaluate(sp.Matrix([[expr]]), {s: sp.Float(value)})[0, 0])


def sigmoid(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


def test_a_sigmoid_of_a_tower_of_exponentials_is_one_and_takes_milliseconds() -> None:
    # e^(e^(e^4)) has 10^(10^21) digits: SymPy's evalf ran for minutes and gigabytes
    start = time.perf_counter()
    assert at(sigmoid(sp.exp(sp.exp(sp.exp(s + 3)))), 1.0) == 1.0
    assert at(sp.tanh(sp.exp(sp.exp(sp.exp(s + 3)))), 1.0) == 1.0
    assert time.perf_counter() - start < 1.0


def test_a_tower_that_overflows_is_not_finite_rather_than_an_overflow_error() -> None:
    assert math.isnan(at(sp.exp(sp.exp(sp.exp(sp.exp(sp.exp(3 * s))))), 1.0))


def test_ordinary_formulas_get_their_ordinary_values() -> None:
    assert math.isclose(at(sp.sin(s) * sp.exp(s) / (1 + s**2), 0.5), math.sin(0.5) * math.exp(0.5) / 1.25)
    assert math.isclose(at(sp.sqrt(s) + sp.Abs(s - 3), 4.0), 3.0)


def test_complex_infinities_and_complex_values_are_not_finite_real_numbers() -> None:
    assert math.isnan(at(1 / s, 0.0))
    assert math.isnan(at(sp.log(s), 0.0))
    assert math.isnan(at(sp.log(s), -1.0))
    assert math.isnan(at(sp.Max(0, sp.log(s) * sp.exp(sp.exp(sp.exp(s)))), 0.0))


def test_kinked_functions_take_their_conventions_at_the_kink() -> None:
    assert at(sp.Heaviside(s, 0), 0.0) == 0.0
    assert at(sp.Heaviside(s), 0.0) == 0.5
    assert at(sp.Max(s, 0) * sp.exp(sp.exp(sp.exp(sp.exp(s)))), -1.0) == 0.0
