"""Central, forward and one-sided differences of J over a stencil, with their error model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gradcheck_cli.fd import stencils
from gradcheck_cli.fd.stencils import central, forward, sides


def cubic(t: float) -> float:
    return t**3 + 2 * t


def test_the_central_difference_of_a_cubic_is_off_by_h_squared_and_its_estimate_says_so():
    h = 1e-2
    f = np.array([cubic(h), cubic(-h), cubic(2 * h), cubic(-2 * h)])
    d1, d2, error = central(f, h, 0.0)
    # D(h) = f'(0) + h² f'''/6 = 2 + h², D(2h) = 2 + 4h²; the estimate |D(h) − D(2h)|/3 = h²
    assert d1 == pytest.approx(2 + h**2, rel=1e-12)
    assert d2 == pytest.approx(2 + 4 * h**2, rel=1e-12)
    assert error == pytest.approx(h**2, rel=1e-9)


def test_the_round_off_term_is_the_noise_over_the_step():
    f = np.zeros(4)
    assert central(f, 0.5, 1e-3)[2] == pytest.approx(2e-3)
    assert forward(f[:2], 0.0, 0.5, 1e-3)[1] == pytest.approx(4e-3)


def test_the_forward_difference_of_a_parabola_is_off_by_h_and_its_estimate_is_that_gap():
    h = 1e-3
    d1, error = forward(np.array([h**2, 4 * h**2]), 0.0, h, 0.0)
    assert d1 == pytest.approx(h) and error == pytest.approx(h)


def test_at_the_kink_of_abs_the_one_sided_differences_are_minus_one_and_one_with_no_error():
    h = 0.25
    f = np.abs(np.array([h, -h, 2 * h, -2 * h]))
    side = sides(f, 0.0, h, 0.0)
    assert (side.left, side.right) == (-1.0, 1.0)
    assert (side.left_error, side.right_error) == (0.0, 0.0)


def test_a_one_sided_difference_of_a_parabola_is_off_by_h_which_its_gap_to_2h_estimates():
    h = 1e-2
    f = np.array([h**2, h**2, 4 * h**2, 4 * h**2])
    side = sides(f, 0.0, h, 0.0)
    assert side.right == pytest.approx(h) and side.left == pytest.approx(-h)
    assert side.right_error == pytest.approx(h) and side.left_error == pytest.approx(h)


@pytest.mark.parametrize(("scheme", "exact"), [
    # exp at θ ± h, θ ± 2h (θ + ih): each scheme's value in closed form, times e^θ
    ("complex", lambda h: np.sin(h) / h),
    ("forward", lambda h: np.expm1(h) / h),
    ("central", lambda h: np.sinh(h) / h),
    ("richardson", lambda h: (4 * np.sinh(h) / h - np.sinh(2 * h) / (2 * h)) / 3),
])
def test_each_scheme_reads_its_own_difference_from_the_stencil(scheme: str, exact: Any) -> None:
    theta, h = 0.3, 1e-2
    offsets = {"complex": [1j], "forward": [1.0, 2.0]}.get(scheme, [1.0, -1.0, 2.0, -2.0])
    f = np.exp(theta + np.array(offsets) * h)
    value = stencils.difference(scheme, f, np.exp(theta), h)
    assert value == pytest.approx(np.exp(theta) * exact(h), rel=1e-13)
    # and the truncation order each is known for: h² central, h⁴ Richardson, h forward
    order = {"complex": 2, "forward": 1, "central": 2, "richardson": 4}[scheme]
    assert abs(value / np.exp(theta) - 1) < 2 * h**order
