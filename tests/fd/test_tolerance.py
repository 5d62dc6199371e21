"""The one tolerance formula: rounding of the analytic value, plus the finite difference's own
error estimate times the safety factor, plus the user's atol/rtol; one-sided bounds widened."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli import policy
from gradcheck_cli.fd.stencils import Sides
from gradcheck_cli.fd.tolerance import allowed, between, described

ULP = policy.ANALYTIC_ULPS * policy.EPS


def test_two_analytic_values_may_differ_by_the_rounding_of_the_largest_entry_only():
    assert allowed(3.0) == pytest.approx(3.0 * ULP, rel=1e-15)


def test_a_finite_difference_adds_its_estimate_times_the_safety_factor():
    tol = allowed(2.0, np.array([1e-9, 0.0]))
    np.testing.assert_allclose(tol, [2.0 * ULP + policy.ESTIMATE_SAFETY * 1e-9, 2.0 * ULP], rtol=1e-15)


def test_code_computing_in_float32_gets_float32_ulps():
    eps32 = float(np.finfo(np.float32).eps)
    assert allowed(1.0, eps=eps32) == pytest.approx(policy.ANALYTIC_ULPS * eps32)
    assert allowed(1.0, eps=eps32) > 1e8 * allowed(1.0)


def test_atol_given_alone_is_added_to_every_entry():
    np.testing.assert_allclose(allowed(0.0, np.zeros(2), atol=1e-3), [1e-3, 1e-3])


def test_rtol_is_relative_to_the_reference_and_adds_to_atol():
    tol = allowed(0.0, None, atol=1e-3, rtol=0.5, reference=np.array([-2.0, 4.0]))
    np.testing.assert_allclose(tol, [1.001, 2.001])


def test_the_description_names_the_terms_that_applied():
    assert described(False) == f"{policy.ANALYTIC_ULPS:g} ulps of the largest entry"
    assert described(True, precision="float32", overrides="atol/rtol") == (
        f"{policy.ESTIMATE_SAFETY:g} × finite-difference error estimate + "
        f"{policy.ANALYTIC_ULPS:g} float32 ulps of the largest entry + atol/rtol")


def test_one_sided_bounds_at_a_kink_widen_each_side_by_its_own_estimate_times_the_safety_factor():
    # right slope 0 (error 0.25), left slope −1 (error 0.5), as relu's at 0 up to their errors
    side = Sides(right=np.array([0.0]), left=np.array([-1.0]), right_error=np.array([0.25]),
                 left_error=np.array([0.5]))
    low, high = between(side)
    assert (low[0], high[0]) == (-1.0 - policy.ESTIMATE_SAFETY * 0.5, policy.ESTIMATE_SAFETY * 0.25)
    # whichever side is larger: the interval is the same with the sides swapped
    swapped = Sides(side.left, side.right, side.left_error, side.right_error)
    assert tuple(between(swapped)) == (low, high)
