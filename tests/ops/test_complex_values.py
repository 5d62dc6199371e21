"""The catalogue's activations at complex points: the analytic continuation, to rounding.

NumPy's own complex functions (tanh, exp, log1p on complex128) are the independent reference:
the ops compute complex values through real functions and branches on the real part, for speed
and overflow safety, and must land on the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli.ops.activations import LeakyReLU, ReLU, logistic, softplus
from gradcheck_cli.ops.complexstep import exp, log, tanh

RNG = np.random.default_rng(7)
REAL = np.concatenate([RNG.normal(scale=4.0, size=400), [0.0, -30.0, 30.0, 400.0, -400.0]])


@pytest.mark.parametrize("b", [1e-20, 1e-12, 3e-10])
def test_tanh_at_a_complex_step_matches_numpy_to_rounding(b: float) -> None:
    z = REAL + 1j * b * RNG.choice([-1.0, 1.0], size=REAL.size)
    ours, numpy = tanh(z), np.tanh(z)
    assert np.allclose(ours.real, numpy.real, rtol=4e-16, atol=0)
    # the imaginary part is b·tanh'(a): equal to ~ε in units of b (tanh' is at most 1)
    assert np.max(np.abs(ours.imag - numpy.imag)) <= 8 * np.finfo(float).eps * b


def test_tanh_far_from_the_real_axis_is_numpys() -> None:
    z = REAL + 1j * RNG.normal(size=REAL.size)
    assert np.array_equal(tanh(z), np.tanh(z))


def test_logistic_and_softplus_continue_analytically() -> None:
    z = REAL[np.abs(REAL) < 30] + 1j * 1e-3 * RNG.normal(size=int(np.sum(np.abs(REAL) < 30)))
    assert np.allclose(logistic(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-14, atol=0)
    assert np.allclose(softplus(z), np.log1p(np.exp(z)), rtol=1e-13, atol=1e-300)


def test_softplus_and_logistic_do_not_overflow_far_out() -> None:
    z = np.array([-800.0, 800.0]) + 1e-20j
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.allclose(softplus(z).real, [0.0, 800.0]) and np.allclose(logistic(z).real, [0.0, 1.0])


def test_relus_take_the_piece_of_the_real_part() -> None:
    z = np.array([-2.0 + 1e-20j, 3.0 + 1e-20j])
    assert np.array_equal(ReLU().value(z), np.array([0.0, 3.0 + 1e-20j]))
    assert np.array_equal(LeakyReLU(slope=0.2).value(z), np.array([-0.4 + 2e-21j, 3.0 + 1e-20j]))


@pytest.mark.parametrize("b", [1e-20, 1e-12, 5e-10])
def test_exp_and_log_at_a_complex_step_match_numpy_to_rounding(b: float) -> None:
    a = REAL[np.abs(REAL) < 300]
    z = a + 1j * b * RNG.choice([-1.0, 1.0], size=a.size)
    ours, numpy = exp(z), np.exp(z)
    assert np.allclose(ours, numpy, rtol=4e-16, atol=0)
    positive = np.abs(a) + 0.5 + 1j * z.imag
    assert np.allclose(log(positive), np.log(positive), rtol=4e-16, atol=0)
    assert np.max(np.abs(log(positive).imag - np.log(positive).imag)) <= 4 * np.finfo(float).eps * b


def test_log_of_a_negative_or_far_complex_argument_is_numpys() -> None:
    for z in (np.array([-2.0 + 1e-20j, 3.0 + 0j]), np.array([2.0 + 0.5j])):
        assert np.array_equal(log(z), np.log(z))
    assert np.array_equal(exp(np.array([1.0 + 2.0j])), np.exp(np.array([1.0 + 2.0j])))
