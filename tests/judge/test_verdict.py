"""The user-code judge on hand-made arrays: the ratios and worst entries it reports, which probe
they come from, the error grid, the caution on a weakly resolved pass, ``atol`` given alone and a
gradient of the wrong shape. Tolerances are worked out from ``fd.tolerance``'s formula: ANALYTIC_ULPS
ulps (of the user's precision) of the probe's largest entry + ESTIMATE_SAFETY × the estimate."""

from __future__ import annotations

import numpy as np
import pytest
from relative import approx

from gradcheck_cli import policy
from gradcheck_cli.usercode.options import Options
from gradcheck_cli.usercode.verdict import Compared, judge, misshapen

EPS = policy.EPS
SAFETY = policy.ESTIMATE_SAFETY


def compared(user: list[list[float]], numeric: list[list[float]], estimate: float,
             eps: float = EPS) -> Compared:
    n = np.array(numeric)
    dtype = "float64" if eps == EPS else "float32"
    return Compared(np.array(user), n, np.full(n.shape, estimate), eps, dtype)


def run(arrays: Compared, shape: tuple[int, ...] = (2, 2), probes: tuple[str, ...] = ("",), random: int = 0,
        options: Options | None = None):  # type: ignore[no-untyped-def]
    return judge("w", shape, arrays, probes, random, options or Options(), "grad", "input")


def tol(scale: float, estimate: float, eps: float = EPS) -> float:
    return policy.ANALYTIC_ULPS * eps * scale + SAFETY * estimate


def test_a_pass_reports_its_largest_error_relative_error_and_ratio_to_tolerance():
    arrays = compared([[1.0, -2.0, 4.0 + 3e-6, 0.5]], [[1.0, -2.0, 4.0, 0.5]], 1e-6)
    tensor = run(arrays)
    assert (tensor.verdict == "pass") and tensor.verdict == "pass" and tensor.pairs[0].failing == 0
    assert tensor.pairs[0].max_abs == approx(3e-6, rel=1e-6)
    assert tensor.pairs[0].max_rel == approx(3e-6 / (4.0 + 3e-6), rel=1e-6)
    assert tensor.pairs[0].worst_ratio == approx(3e-6 / tol(4.0 + 3e-6, 1e-6), rel=1e-6)
    (pair,) = tensor.pairs
    assert (pair.first, pair.second) == ("user", "numeric")
    assert (pair.worst_ratio, pair.failing) == (tensor.pairs[0].worst_ratio, 0)
    assert tensor.grid == () and tensor.odd_one_out is None and tensor.explanation is None


def test_the_worst_entries_carry_both_values_the_errors_and_the_tolerance_with_their_index():
    user, numeric = [[1.0, -2.5, 4.0, 0.6]], [[1.0, -2.0, 4.0, 0.5]]
    tensor = run(compared(user, numeric, 1e-3))
    assert tensor.verdict != "pass" and tensor.pairs[0].failing == 2
    first, second = tensor.worst[0], tensor.worst[1]
    assert (first.index, second.index) == ((0, 1), (1, 1))
    assert first.values == {"user": -2.5, "numeric": -2.0}
    assert second.values == {"user": 0.6, "numeric": 0.5}
    assert first.abs_error == approx(0.5) and first.rel_error == approx(0.5 / 2.5)
    assert second.abs_error == approx(0.1) and second.rel_error == approx(0.1 / 0.6)
    assert first.tolerance == approx(tol(4.0, 1e-3))


def test_a_failure_s_error_grid_is_the_error_over_the_tolerance_of_every_entry_row_by_row():
    user, numeric = [[1.0, -2.5, 4.0, 0.6]], [[1.0, -2.0, 4.0, 0.5]]
    tensor = run(compared(user, numeric, 1e-3))
    t = tol(4.0, 1e-3)
    np.testing.assert_allclose(np.array(tensor.grid), [[0.0, 0.5 / t], [0.0, 0.1 / t]], rtol=1e-9)


def test_the_entries_of_a_scalar_input_have_the_empty_index():
    tensor = run(compared([[3.5]], [[3.0]], 1e-6), shape=())
    assert tensor.worst[0].index == ()


def test_a_failing_random_probe_is_reported_even_when_a_jacobian_row_fails_worse():
    # probe 0, random, off by 1.5 tolerances; probe 1, a row of the Jacobian, off by far more
    t = tol(1.0, 1e-3)
    user = [[1.0 + 1.5 * t, 0.0], [1.0 + 100 * t, 0.0]]
    tensor = run(compared(user, [[1.0, 0.0], [1.0, 0.0]], 1e-3), shape=(2,),
                    probes=("random cotangent 0", "row 0 of the Jacobian"), random=1)
    assert tensor.probe == "random cotangent 0"
    assert "(random cotangent 0)" in (tensor.explanation or "")


def test_a_pass_reports_the_probe_closest_to_its_tolerance_whatever_its_kind():
    t = tol(1.0, 1e-3)
    user = [[1.0 + 0.1 * t, 0.0], [1.0 + 0.9 * t, 0.0]]
    tensor = run(compared(user, [[1.0, 0.0], [1.0, 0.0]], 1e-3), shape=(2,),
                    probes=("random cotangent 0", "row 0 of the Jacobian"), random=1)
    assert (tensor.verdict == "pass") and tensor.probe == "row 0 of the Jacobian"


def test_a_pass_resolved_more_coarsely_than_the_precision_s_resolution_carries_a_caution():
    share = policy.USER_RESOLUTION["float64"]
    # tolerance ≈ 4 × estimate: 10 × the resolution of the largest entry (2), then 0.5 × it
    loose = run(compared([[1.0, 2.0]], [[1.0, 2.0]], 10 * share * 2.0 / SAFETY), shape=(2,))
    tight = run(compared([[1.0, 2.0]], [[1.0, 2.0]], 0.5 * share * 2.0 / SAFETY), shape=(2,))
    assert loose.verdict == "pass" and loose.caution is not None
    assert f"could resolve errors above {10 * share:.0e} of its largest entry in ∂/∂w only" in loose.caution
    # a pass that cannot tell small errors from none says so
    assert loose.caution.endswith("smaller errors would pass too")
    assert tight.verdict == "pass" and tight.caution is None
    # the same figure, as a number for a test suite to assert on, with or without a caution
    assert loose.resolution == pytest.approx(10 * share, rel=0.01)
    assert tight.resolution == pytest.approx(0.5 * share, rel=0.01)


def test_the_measured_rounding_noise_of_the_user_s_gradient_scales_with_its_size_under_each_probe():
    # noise 1e-4 per entry measured under probe 0, whose gradient's largest entry is 2; probe 1's
    # is 4, so its noise is taken to be 2e-4, and its tolerance grants SAFETY × USER_NOISE_SIGMAS
    # × 2e-4 beside the estimate and the ulps
    spread = np.array([1e-4, 1e-4])
    sigmas = policy.USER_NOISE_SIGMAS
    t1 = tol(4.0, 1e-12 + sigmas * 2e-4)
    for share, verdict in ((0.9, "pass"), (1.1, "fail")):
        arrays = Compared(np.array([[2.0, 1.0], [4.0, 1.0 + share * t1]]), np.array([[2.0, 1.0], [4.0, 1.0]]),
                          np.full((2, 2), 1e-12), EPS, "float64", spread=spread)
        tensor = run(arrays, shape=(2,), probes=("row 0 of the Jacobian", "row 1 of the Jacobian"))
        assert (tensor.verdict == "pass") == (verdict == "pass")
        assert tensor.pairs[0].worst_ratio == approx(share, rel=1e-9)
        assert "your gradient's measured rounding noise" in tensor.pairs[0].tolerance_source


def test_a_pass_of_a_zero_gradient_with_a_nonzero_tolerance_says_so():
    tensor = run(compared([[0.0, 0.0]], [[0.0, 0.0]], 1e-3), shape=(2,))
    assert tensor.verdict == "pass" and tensor.caution is not None
    assert f"{SAFETY * 1e-3:.1e} while it is 0" in tensor.caution


def test_a_failure_carries_no_caution():
    tensor = run(compared([[1.0, 3.0]], [[1.0, 2.0]], 0.2), shape=(2,))
    assert tensor.verdict != "pass" and tensor.caution is None


def test_atol_given_alone_is_added_to_the_tolerance():
    arrays = compared([[1.0, 2.3]], [[1.0, 2.0]], 1e-9)
    assert run(arrays, shape=(2,)).verdict != "pass"
    tensor = run(arrays, shape=(2,), options=Options(atol=0.5))
    assert (tensor.verdict == "pass")
    assert tensor.pairs[0].worst_ratio == approx(0.3 / (tol(2.3, 1e-9) + 0.5))
    assert tensor.pairs[0].tolerance_source.endswith("+ atol/rtol")
    assert run(arrays, shape=(2,), options=Options(atol=0.2)).verdict != "pass"


def test_float32_code_is_allowed_float32_rounding():
    eps32 = float(np.finfo(np.float32).eps)
    arrays = compared([[1.0, 2.0 + 1e-5]], [[1.0, 2.0]], 0.0, eps=eps32)
    tensor = run(arrays, shape=(2,))
    assert (tensor.verdict == "pass")
    assert tensor.pairs[0].worst_ratio == approx(1e-5 / tol(2.0 + 1e-5, 0.0, eps32), rel=1e-6)
    assert "float32 ulps" in tensor.pairs[0].tolerance_source


def test_a_sign_error_is_named_and_blames_the_user():
    tensor = run(compared([[-1.0, 2.0, -3.0, 4.0]], [[1.0, -2.0, 3.0, -4.0]], 1e-6))
    assert (tensor.diagnosis, tensor.odd_one_out) == ("sign", "user")
    assert tensor.explanation == "`grad` is wrong for `w`: it has the wrong sign"


def test_one_entry_off_by_too_little_to_classify_is_named_by_its_place():
    numeric = [[1.0, -2.0, 3.0, 4.0]]
    user = [[1.0, -2.0, 3.0 + 1e-8, 4.0]]
    tensor = run(compared(user, numeric, 1e-12))
    assert tensor.diagnosis == "partial"
    assert "only entry [1, 0] differs" in (tensor.explanation or "")
    assert "(worst: w[1, 0]" in (tensor.explanation or "")


def test_a_gradient_of_the_wrong_shape_fails_every_entry():
    tensor = misshapen("w", (2, 3), (3, 2), "grad", "input", None)
    assert tensor.verdict != "pass" and tensor.pairs[0].failing == 6 and tensor.probe == ""
    assert tensor.diagnosis == "shape" and tensor.explanation is not None
    assert tensor.explanation.startswith("`grad` is wrong for `w`: it has shape [3, 2]")
    assert tensor.verdict == "fail" and tensor.odd_one_out == "user"
    assert tensor.pairs[0].failing == 6 and tensor.pairs[0].worst_ratio == np.inf


def test_the_tolerance_is_described_with_the_estimate_and_the_user_s_precision():
    tensor = run(compared([[1.0, 2.0]], [[1.0, 2.0]], 1e-9), shape=(2,))
    assert tensor.pairs[0].tolerance_source == (f"{SAFETY:g} × finite-difference error estimate + "
                                f"{policy.ANALYTIC_ULPS:g} float64 ulps of the largest entry")


def test_an_input_with_no_entries_passes_with_nothing_compared():
    tensor = run(Compared(np.zeros((2, 0)), np.zeros((2, 0)), np.zeros((2, 0)), EPS, "float64"),
                         shape=(0,), probes=("", ""))
    assert tensor.verdict == "pass" and tensor.worst == () and tensor.caution is None
    assert tensor.pairs[0].worst_ratio == 0.0
    assert tensor.verdict == "pass"


def test_the_pair_carries_the_largest_errors_and_the_tensor_its_place():
    tensor = run(compared([[1.0, -2.5, 4.0, 0.6]], [[1.0, -2.0, 4.0, 0.5]], 1e-3))
    (pair,) = tensor.pairs
    assert (pair.max_abs, pair.max_rel) == (approx(0.5), approx(0.5 / 2.5))
    assert pair.worst_ratio == approx(0.5 / tol(4.0, 1e-3)) and pair.failing == 2
    assert (tensor.name, tensor.shape, tensor.owner) == ("w", (2, 2), "input")
    assert tensor.diagnosis == "partial"


def test_a_caution_names_the_input():
    tensor = run(compared([[1.0, 2.0]], [[1.0, 2.0]], 0.1), shape=(2,))
    assert tensor.caution is not None and "in ∂/∂w only" in tensor.caution


def test_an_error_in_every_entry_too_small_to_classify_names_the_worst_entry():
    numeric = [[1.0, -2.0, 3.0, 4.0]]
    user = [[1.0 + 1e-9, -2.0 - 2e-9, 3.0 + 1e-9, 4.0 + 3e-9]]
    tensor = run(compared(user, numeric, 1e-13))
    assert tensor.diagnosis == "other"
    assert tensor.explanation is not None and "4 of 4 entries differ" in tensor.explanation
    assert f"(worst: w[1, 1], {3e-9 / (4.0 + 3e-9):.1e} relative)" in tensor.explanation


def test_a_transposed_gradient_whose_transpose_passes_is_a_transpose_failure():
    turned = run(compared([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]], [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]], 1e-9),
                 shape=(2, 3))
    tensor = misshapen("w", (2, 3), (3, 2), "grad", "input", turned)
    assert tensor.diagnosis == "transpose" and tensor.odd_one_out == "user"
    assert tensor.explanation is not None and "its transpose is right" in tensor.explanation
    assert (tensor.name, tensor.shape, tensor.verdict) == ("w", (2, 3), "fail")
    (pair,) = tensor.pairs
    assert (pair.max_abs, pair.max_rel, pair.worst_ratio, pair.failing) == (np.inf, np.inf, np.inf, 6)
    assert pair.tolerance_source == "the shapes differ"
