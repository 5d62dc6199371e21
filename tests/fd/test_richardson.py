"""Richardson differences of one entry: the functionals over the seven stencil values, checked on
monomials whose central differences are known in closed form, and the step shrink at a kink.

At θ = 0 the central difference of x⁷ is D(w) = w⁶; the even part of x⁴ is Δ²(w) = 2w⁴. By hand:
R(s, 2s) = (4D(s) − D(2s))/3 = −20s⁶, R(2s, 4s) = −1280s⁶, the extrapolated value
(16R(s, 2s) − R(2s, 4s))/15 = 64s⁶ and the truncation term (R(s, 2s) − R(2s, 4s))/15 = 84s⁶;
the kink term of x⁴ is s/2·(2s² − 32s²) = −15s³ and Q = 4·2s⁴ − 5·32s⁴ + 512s⁴ = 360s⁴.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from relative import approx

from gradcheck_cli import policy
from gradcheck_cli.fd.richardson import OFFSETS, Derivative, _settled, derivative, weights

S = 0.5
MOVES = np.array(OFFSETS) * S


def stencil(f: Callable[[float], float], theta: float = 0.0, s: float = S) -> np.ndarray:
    return np.array([f(theta)] + [f(theta + o * s) for o in OFFSETS])


def test_the_extrapolated_value_of_x7_is_off_by_64_s6_and_its_truncation_term_is_84_s6():
    w = weights(MOVES, richardson=True)
    values = stencil(lambda x: x**7)
    assert w.value @ values == approx(64 * S**6, rel=1e-12)
    assert w.truncation @ values == approx(84 * S**6, rel=1e-12)


def test_the_extrapolated_value_is_exact_for_a_polynomial_of_degree_six():
    w = weights(MOVES * 0.2, richardson=True)
    f = lambda x: x**6 - 2 * x**5 + x**3 + 3 * x  # noqa: E731
    theta = 0.3
    assert w.value @ stencil(f, theta, 0.2 * S) == approx(
        6 * theta**5 - 10 * theta**4 + 3 * theta**2 + 3)


def test_the_central_value_of_a_cubic_is_off_by_s2_and_its_truncation_term_is_that_error():
    w = weights(MOVES, richardson=False)
    values = stencil(lambda x: x**3)   # D(w) = w² at 0, D(2w) = 4w²: (D(s) − D(2s))/3 = −s²
    assert w.value @ values == approx(S**2, rel=1e-12)
    assert w.truncation @ values == approx(-(S**2), rel=1e-12)


def test_the_kink_term_of_x4_is_five_eighths_of_f4_s3_and_q_is_15_f4_s4():
    w = weights(MOVES, richardson=True)
    values = stencil(lambda x: x**4)
    assert w.kink @ values == approx(-15 * S**3, rel=1e-12)
    assert w.smoothness @ values == approx(360 * S**4, rel=1e-12)
    assert w.value @ values == pytest.approx(0.0, abs=1e-12)


def test_q_cancels_a_constant_and_a_parabola():
    w = weights(MOVES, richardson=True)
    assert w.smoothness @ stencil(lambda x: 7.0 + 3 * x + 2 * x**2) == pytest.approx(0.0, abs=1e-12)
    assert w.kink @ stencil(lambda x: 7.0 + 3 * x + 2 * x**2) == pytest.approx(0.0, abs=1e-12)


def test_moves_rounded_off_their_nominal_offsets_are_accounted_for_exactly():
    moves = MOVES * np.array([1.01, 0.98, 1.02, 0.99, 1.03, 0.97])
    w = weights(moves, richardson=False)
    f = lambda x: 5 * x + x**2  # noqa: E731  the central difference of a parabola is exact
    values = np.array([f(0.0)] + [f(m) for m in moves[:1]] + [f(-abs(moves[1]))] + [f(m) for m in moves[2:3]]
                      + [f(-abs(moves[3]))] + [f(m) for m in moves[4:5]] + [f(-abs(moves[5]))])
    # the first level is asymmetric: (f(+a) − f(−b))/(a + b) = 5 + (a − b) for f = 5x + x²
    a, b = moves[0], -moves[1]
    assert w.value @ values == approx(5 + (a - b), rel=1e-12)


class Counted:
    """J along one coordinate, counting the evaluations (the stencil's cost)."""

    def __init__(self, f: Callable[[float], float]) -> None:
        self.f, self.calls = f, 0

    def __call__(self, offset: float) -> tuple[float, np.ndarray]:
        self.calls += 1
        return offset, np.array([self.f(offset)])


def test_a_smooth_entry_costs_six_evaluations_and_its_bound_holds_the_rounding_term():
    probe = Counted(lambda x: 3.0 * x)
    sigma = 1e-10
    found = derivative(probe, 0.0, np.array([0.0]), 0.25, np.array([sigma]), richardson=True)
    assert found is not None and probe.calls == len(OFFSETS)
    assert found.value[0] == approx(3.0, rel=1e-14)
    # value = (64 D(s) − 20 D(2s) + D(4s))/45, so its weights on f(±s), f(±2s), f(±4s) are
    # ±64/90s, ∓20/180s, ±1/360s
    norm = np.sqrt(2.0) * np.linalg.norm([64 / 90, 20 / 180, 1 / 360]) / 0.25
    assert found.error[0] == approx(policy.USER_NOISE_SIGMAS * sigma * norm, rel=1e-6)


@pytest.mark.parametrize("kink", [0.3, 0.375])
def test_a_kink_inside_the_stencil_shrinks_the_step_until_the_stencil_clears_it(kink: float):
    # |x − kink| at s = 0.25: the kink lies between s and 2s. At 0.375 = 1.5s three levels fit a
    # smooth model (Δ²(s) = 0, Δ²(2s) = 1/4, Δ²(4s) = 5/4: Q = 0), but the kink term 5/32 outweighs
    # the round-off. One shrink (s = 1/16, 4s = 0.25) clears it, reusing ±0.25: four evaluations
    probe = Counted(lambda x: abs(x - kink))
    found = derivative(probe, 0.0, np.array([kink]), 0.25, np.array([1e-16]), richardson=True)
    assert found is not None and probe.calls == len(OFFSETS) + 4 and found.step == 0.25 / 4
    assert found.value[0] == pytest.approx(-1.0, abs=1e-14) and found.error[0] < 1e-14


def test_a_kink_on_theta_stops_the_shrinking_within_its_budget_and_the_tolerance_covers_it():
    probe = Counted(lambda x: abs(x - 1e-9))
    found = derivative(probe, 0.0, np.array([1e-9]), 0.25, np.array([1e-16]), richardson=True)
    assert found is not None
    least, most = policy.USER_STEP_SHRINKS, policy.USER_STEP_SHRINKS_MAX
    assert len(OFFSETS) + 4 * least <= probe.calls <= len(OFFSETS) + 4 * most
    # the slope left of the kink is −1; the bound is at least 3/4 of the kink's error
    assert abs(found.value[0] + 1.0) <= policy.ESTIMATE_SAFETY * found.error[0]


def richardson_norm(s: float) -> float:
    """‖weights of the extrapolated value‖ at step s: ±64/90s, ∓20/180s, ±1/360s (module doc)."""
    return float(np.sqrt(2.0) * np.linalg.norm([64 / 90, 20 / 180, 1 / 360]) / s)


def test_the_derivative_reports_its_round_off_part_of_the_bound():
    sigma = 1e-10
    found = derivative(Counted(lambda x: 3.0 * x), 0.0, np.array([0.0]), 0.25, np.array([sigma]),
                       richardson=True)
    assert found is not None
    assert np.asarray(found.roundoff)[0] == approx(policy.USER_NOISE_SIGMAS * sigma * richardson_norm(0.25),
                                                   rel=1e-12)


def test_a_first_level_resolving_too_coarsely_for_its_round_off_widens_the_step_fourfold_at_a_time():
    # 3x is exact at every stencil point (s a power of two): no truncation, no kink, and the bound
    # is all round-off, 2σ‖w‖ ∝ 1/s, which is above resolution·|3|: each wider level (four more
    # evaluations) has a quarter of the bound, up to USER_STEP_WIDENINGS times
    s, sigma = 2.0**-12, 1e-6
    probe = Counted(lambda x: 3.0 * x)
    found = derivative(probe, 0.0, np.array([0.0]), s, np.array([sigma]), richardson=True,
                       resolution=1e-9)
    widenings = policy.USER_STEP_WIDENINGS
    wide = s * 4.0**widenings
    assert found is not None and found.step == wide and not found.edge
    assert probe.calls == len(OFFSETS) + 4 * widenings
    assert found.value[0] == approx(3.0, rel=1e-12)
    bound = policy.USER_NOISE_SIGMAS * sigma * richardson_norm(wide)
    assert np.asarray(found.roundoff)[0] == approx(bound, rel=1e-12)
    # the truncation and kink terms are rounding-level: the bound is the round-off
    assert found.error[0] == approx(bound, rel=1e-9)


def test_without_a_resolution_the_first_level_that_suits_f_is_kept():
    s = 2.0**-12
    probe = Counted(lambda x: 3.0 * x)
    found = derivative(probe, 0.0, np.array([0.0]), s, np.array([1e-6]), richardson=True)
    assert found is not None and found.step == s and probe.calls == len(OFFSETS)


def test_widening_stops_where_the_value_is_resolved_well_enough():
    # the bound is 2σ‖w‖ with ‖w‖ ≈ 1.018/s: at s = 2⁻¹², σ = 1e-6 it is ≈ 8.3e-3, and ESTIMATE_SAFETY
    # (4) times it, 3.3e-2, is below 0.1·|3|: resolved, nothing widens. Asked for 1e-3·|3| = 3e-3,
    # 4·8.3e-3 and (at 4s) 4·2.1e-3 are above it, (at 16s) 4·5.2e-4 below: two widenings
    s = 2.0**-12
    kept = derivative(Counted(lambda x: 3.0 * x), 0.0, np.array([0.0]), s, np.array([1e-6]),
                      richardson=True, resolution=0.1)
    assert kept is not None and kept.step == s
    widened = derivative(Counted(lambda x: 3.0 * x), 0.0, np.array([0.0]), s, np.array([1e-6]),
                         richardson=True, resolution=1e-3)
    assert widened is not None and widened.step == s * 16


def level(value: float, error: float, excess: float) -> tuple[Derivative, float]:
    return Derivative(np.array([value]), np.array([error]), 0.25, False), excess


def test_levels_settle_when_the_excess_falls_at_most_settling_fold_and_the_values_agree():
    # excess 16 → 1 is a ratio of exactly 1/USER_STEP_SETTLING: the bound is inclusive
    assert policy.USER_STEP_SETTLING == 16.0
    assert _settled([level(1.0, 0.1, 16.0), level(1.1, 0.1, 1.0)])
    assert _settled([level(1.0, 0.1, 2.0), level(1.0, 0.1, 2.0)])
    # falling faster than 16-fold: a smaller step still helps
    assert not _settled([level(1.0, 0.1, 16.0), level(1.0, 0.1, 0.5)])
    # 1.0 and 1.3 are 0.3 apart, beyond the bounds' sum 0.2: a jump from level to level
    assert not _settled([level(1.0, 0.1, 2.0), level(1.3, 0.1, 2.0)])
    # one level has no predecessor to be compared with
    assert not _settled([level(1.0, 0.1, 2.0)])


def test_after_a_rise_of_the_excess_two_calm_levels_in_a_row_are_needed():
    rise, calm = level(1.0, 0.1, 1.0), level(1.0, 0.1, 4.0)
    assert not _settled([rise, calm, level(1.0, 0.1, 2.0)])
    assert _settled([rise, calm, level(1.0, 0.1, 2.0), level(1.0, 0.1, 1.0)])


def test_a_level_after_one_with_no_excess_is_not_settled():
    # an excess of 0 (f exactly linear at the step) before: the ratio is infinite, a rise
    assert not _settled([level(1.0, 0.1, 0.0), level(1.0, 0.1, 0.5)])
    assert not _settled([level(1.0, 0.1, 0.0), level(1.0, 0.1, 0.5), level(1.0, 0.1, 0.25)])
    assert _settled([level(1.0, 0.1, 0.0), level(1.0, 0.1, 0.5), level(1.0, 0.1, 0.25),
                     level(1.0, 0.1, 0.125)])
