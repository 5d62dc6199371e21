"""The round-off terms of the error estimates and the defaults of the tolerance formula: values
worked out by hand from the docstrings' formulas (fd.stencils, fd.tolerance)."""

from __future__ import annotations

import numpy as np
from relative import approx

from gradcheck_cli import policy
from gradcheck_cli.fd.stencils import sides
from gradcheck_cli.fd.tolerance import allowed


def test_each_one_sided_difference_adds_twice_the_noise_over_the_step_to_its_error():
    # a straight line: the one-sided differences are exact, their gaps to 2h zero, so each error
    # estimate is its round-off term 2σ/h alone
    h, sigma = 0.25, 1e-8
    f = np.array([3.0 * h, -3.0 * h, 6.0 * h, -6.0 * h])
    found = sides(f, 0.0, h, sigma)
    assert (found.right, found.left) == (3.0, 3.0)
    assert found.right_error == approx(2 * sigma / h)
    assert found.left_error == approx(2 * sigma / h)


def test_rtol_without_a_reference_adds_nothing():
    assert allowed(1.0, None, rtol=0.5) == approx(policy.ANALYTIC_ULPS * policy.EPS)


def test_atol_and_rtol_add_to_an_estimate_and_the_rounding():
    tol = allowed(2.0, np.array([0.25]), atol=0.5, rtol=0.1, reference=np.array([-3.0]))
    expected = policy.ANALYTIC_ULPS * policy.EPS * 2.0 + policy.ESTIMATE_SAFETY * 0.25 + 0.5 + 0.3
    assert tol[0] == approx(expected, rel=1e-15)
