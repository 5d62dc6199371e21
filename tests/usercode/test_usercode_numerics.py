"""The numerics of user-code checks: honest error estimates, no wasted calls, the options."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import student_layers as s
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck_cli import GradcheckError, UserCodeError, check_function, check_vjp, policy
from gradcheck_cli.report import REPORTERS

Array = np.ndarray[Any, Any]
RNG = np.random.default_rng(3)
VJP = {"x": RNG.standard_normal((3, 4)), "w": RNG.standard_normal((4, 2))}


def smooth(x: Array) -> float:
    return float(np.sum(np.exp(np.sin(x)) * x**2))


def smooth_grad(x: Array) -> dict[str, Array]:
    return {"x": np.exp(np.sin(x)) * (np.cos(x) * x**2 + 2 * x)}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), log_scale=st.floats(-3, 2))
def test_a_correct_gradient_passes_at_any_scale_of_the_inputs(seed: int, log_scale: float) -> None:
    x = 10**log_scale * np.random.default_rng(seed).standard_normal(6)
    result = check_function(smooth, smooth_grad, {"x": x})
    assert result.passed, result.report()


def test_the_tolerance_is_tight_enough_to_catch_a_relative_error_of_1e_6() -> None:
    x = RNG.standard_normal(6)

    def slightly_off(x: Array) -> dict[str, Array]:
        return {"x": smooth_grad(x)["x"] * (1 + 1e-6)}

    assert not check_function(smooth, slightly_off, {"x": x}).passed


def test_the_function_is_called_once_per_stencil_point_and_the_gradient_once() -> None:
    points: list[bytes] = []
    calls = {"grad": 0}

    def cubic(x: Array) -> float:
        points.append(x.tobytes())
        return float(np.sum(x**3 - x))

    def cubic_grad(x: Array) -> dict[str, Array]:
        calls["grad"] += 1
        return {"x": 3 * x**2 - 1}

    assert check_function(cubic, cubic_grad, {"x": RNG.standard_normal((2, 3))}).passed
    noise = policy.USER_NOISE_DIRECTIONS * (policy.USER_NOISE_POINTS - 1)  # all from the given point
    # f⁽⁴⁾ = 0: smooth at every scale, so no stencil is shrunk: θ ± s, ±2s, ±4s per entry
    # the gradient once: its own rounding noise is measured only where a verdict would fail
    assert (len(points), calls["grad"]) == (1 + noise + 6 * 6, 1)
    assert len(set(points)) == len(points)


def test_a_stencil_is_shrunk_only_where_the_function_is_not_smooth_at_its_scale() -> None:
    moves: list[float] = []

    def hinge(x: Array) -> float:
        moves.append(float(x[0]) - 0.5)
        return float(np.maximum(x[0], 0.5) + x[1] ** 2)

    x = np.array([0.5 - 2.0**-14, 0.25])  # the kink at x0 = 0.5 is within the first stencil of x0
    result = check_function(hinge, lambda x: {"x": np.array([0.0, 2 * x[1]])}, {"x": x})
    assert result.passed, result.report()
    noise = policy.USER_NOISE_DIRECTIONS * (policy.USER_NOISE_POINTS - 1)
    stencil = [m + 2.0**-14 for m in moves[1 + noise:]]
    first = max(stencil[:6])  # x0's stencil: the largest move is its first 4s
    assert len(stencil) > 6 + 6 and min(abs(m) for m in stencil[:-6] if m) < first / 4


def test_a_vjp_is_checked_with_random_cotangents_and_every_row_of_a_small_jacobian() -> None:
    cotangents: list[Array] = []

    def recording(cotangent: Array, x: Array, w: Array) -> dict[str, Array]:
        cotangents.append(cotangent)
        return s.tanh_affine_vjp(cotangent, x, w)

    assert check_vjp(s.tanh_affine, recording, VJP).passed
    assert len(cotangents) == policy.USER_PROBES + 3 * 2
    assert all(c.shape == (3, 2) for c in cotangents)
    assert all(np.all(np.abs(c[: policy.USER_PROBES]) * 8 % 1 == 0) for c in cotangents)


def test_a_sign_flipped_vjp_fails_with_a_sign_diagnosis() -> None:
    result = check_vjp(s.tanh_affine, s.tanh_affine_vjp_sign_flipped, VJP)
    assert result.failed == ("w",) and result.inputs["w"].diagnosis == "sign"


def test_the_cotangents_depend_on_the_seed_and_only_on_it() -> None:
    def first_probe(seed: int) -> str:
        return check_vjp(s.tanh_affine, s.tanh_affine_vjp_sign_flipped, VJP, seed=seed).report("json")

    assert first_probe(1) == first_probe(1) != first_probe(2)


def test_the_complex_step_checks_complex_safe_code_to_rounding() -> None:
    def complex_safe(x: Array) -> Array:
        return np.sum(np.exp(np.sin(x)) * x**2)

    result = check_function(complex_safe, smooth_grad, {"x": RNG.standard_normal(5)}, scheme="complex")
    assert result.passed and result.inputs["x"].max_rel < 1e-12


def test_the_complex_step_refuses_code_that_is_not_complex_safe() -> None:
    def real_only(x: Array) -> Array:
        return np.sum(np.real(x) ** 2)

    with pytest.raises(UserCodeError, match=r"`real_only` returned a real float64 output .* complex-safe"):
        check_function(real_only, lambda x: {"x": 2 * x}, {"x": RNG.standard_normal(3)}, scheme="complex")


def test_user_atol_and_rtol_widen_the_tolerance_and_say_so() -> None:
    def doubled(x: Array) -> dict[str, Array]:
        return {"x": 2 * smooth_grad(x)["x"]}

    x = {"x": RNG.standard_normal(4)}
    assert not check_function(smooth, doubled, x).passed
    result = check_function(smooth, doubled, x, rtol=1.5)
    assert result.passed and "atol/rtol" in result.inputs["x"].tolerance


@pytest.mark.parametrize(("options", "words"), [
    ({"schem": "central"}, "unknown option `schem`; did you mean `scheme`?"),
    ({"scheme": "forwards"}, "unknown scheme `forwards`"),
    ({"step": -1e-3}, "option `step` must be a positive number"),
    ({"probes": 0}, "option `probes` must be a positive integer"),
])
def test_a_bad_option_is_a_gradcheck_error(options: dict[str, Any], words: str) -> None:
    with pytest.raises(GradcheckError, match="^" + words.replace("?", r"\?")):
        check_function(smooth, smooth_grad, {"x": np.ones(2)}, **options)


@pytest.mark.parametrize("format", sorted(REPORTERS))
def test_every_reporter_renders_a_user_code_result(format: str) -> None:
    text = check_vjp(s.tanh_affine, s.tanh_affine_vjp_sign_flipped, VJP).report(format)
    assert "tanh_affine_vjp_sign_flipped" in text.replace("\\_", "_")


def test_the_json_report_compares_the_user_with_finite_differences() -> None:
    import json

    document = json.loads(check_vjp(s.tanh_affine, s.tanh_affine_vjp_sign_flipped, VJP).report("json"))
    (spec,) = document["specs"]
    assert [(t["name"], t["verdict"]) for t in spec["tensors"]] == [("x", "pass"), ("w", "fail")]
    pair = spec["tensors"][1]["pairs"][0]
    assert (pair["first"], pair["second"]) == ("user", "numeric")
    assert set(spec["tensors"][1]["worst"][0]["values"]) == {"user", "numeric"}


def _square_sum(x: np.ndarray) -> float:  # type: ignore[type-arg]
    return float(np.sum(x**2))


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("scale", [1e50, 1e100, 1e150])
def test_a_loss_near_the_top_of_the_float64_range_is_judged_without_overflow(scale: float) -> None:
    """Σx² at |x| ~ 1e150 is ~1e300: finite in float64, so no false 'precision-limited' verdict
    (its noise squared used to overflow) and no refusal from probing it in float32."""
    x = scale * np.array([1.0, -2.0, 0.5])
    right = check_function(_square_sum, lambda x: {"x": 2 * x}, {"x": x})
    assert right.passed and not right.precision_limited
    wrong = check_function(_square_sum, lambda x: {"x": 2.01 * x}, {"x": x})
    assert wrong.failed == ("x",)


def _fast_sine(x: np.ndarray) -> float:  # type: ignore[type-arg]
    return float(np.sum(np.sin(1e6 * x)))


def test_a_tensor_of_tiny_entries_is_stepped_at_its_own_scale() -> None:
    """sin(10⁶x) at x ~ 1e-6 varies on the scale of x itself: a step relative to 1 would jump
    over many periods (a correct gradient failed); x² at 1e-100 has a gradient far below what a
    step of order one resolves (a wrong gradient passed, and the noise looked like float32's)."""
    x = np.random.default_rng(0).standard_normal(4) * 1e-6
    right = check_function(_fast_sine, lambda x: {"x": 1e6 * np.cos(1e6 * x)}, {"x": x})
    assert right.passed, right.report()
    wrong = check_function(_fast_sine, lambda x: {"x": 1.01e6 * np.cos(1e6 * x)}, {"x": x})
    assert wrong.failed == ("x",)
    tiny = np.array([1e-100, -2e-100, 3e-100])
    right = check_function(_square_sum, lambda x: {"x": 2 * x}, {"x": tiny})
    assert right.passed and not right.precision_limited
    wrong = check_function(_square_sum, lambda x: {"x": (2 + 2e-5) * x}, {"x": tiny})
    assert wrong.failed == ("x",)


def test_a_pass_that_could_not_resolve_the_gradient_says_so() -> None:
    """sin(x) plus noise of amplitude 0.1 that no step resolves (a fresh pseudo-random number at
    every point; sin(1e9·x) would not do: a step of 1e-11 resolves it, and its derivative is the
    function's), where sin's curvature keeps the step from growing past the noise: the finite
    differences cannot see a 10 % error, and the pass must say what it did not show."""
    x = np.random.default_rng(0).standard_normal(3)

    def noisy(x: np.ndarray) -> float:  # type: ignore[type-arg]
        jitter = np.random.default_rng(list(x.view(np.uint32))).standard_normal()
        return float(np.sum(np.sin(x)) + 0.1 * jitter)

    result = check_function(noisy, lambda x: {"x": 1.1 * np.cos(x)}, {"x": x})
    caution = result.inputs["x"].caution
    assert result.passed and caution is not None and "could resolve errors above" in caution
    assert "in ∂/∂x only (the function is noisy" in caution
    assert f"⚠ x: {caution[:40]}" in result.report("console", width=400)
    assert json.loads(result.report("json"))["specs"][0]["tensors"][0]["caution"] == caution
