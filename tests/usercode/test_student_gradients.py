"""Hand-written gradients of common layers and losses: correct ones pass, typical bugs fail,
each failure naming the input, its worst entries and what the error looks like."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import student_layers as s

from gradcheck_cli import Result, assert_gradients_ok, check_function, check_layer

Array = np.ndarray[Any, Any]
RNG = np.random.default_rng(7)

AFFINE = {"x": RNG.standard_normal((4, 5)), "w": RNG.standard_normal((5, 3)), "b": RNG.standard_normal(3)}
#: square shapes (batch = inputs = outputs) so that a transposed dw or a db summed over the wrong
#: axis has the right shape and is a wrong value rather than a shape error
SQUARE = {"x": RNG.standard_normal((4, 4)), "w": RNG.standard_normal((4, 4)), "b": RNG.standard_normal(4)}
ACTIVATION = {"x": RNG.standard_normal((4, 5))}
SCORES = {"x": RNG.standard_normal((6, 4)), "y": RNG.integers(0, 4, 6)}
BATCHNORM = {"x": 2 * RNG.standard_normal((6, 4)) + 1, "gamma": RNG.standard_normal(4),
             "beta": RNG.standard_normal(4), "bn_param": {"mode": "train"}}
NET = {"W1": 0.5 * RNG.standard_normal((5, 8)), "b1": 0.1 * RNG.standard_normal(8),
       "W2": 0.5 * RNG.standard_normal((8, 3)), "b2": 0.1 * RNG.standard_normal(3),
       "X": RNG.standard_normal((6, 5)), "y": RNG.integers(0, 3, 6), "reg": 0.1}
NET_PARAMS = ("W1", "b1", "W2", "b2")


def layer(forward: Any, backward: Any, inputs: dict[str, Any]) -> Result:
    return check_layer(forward, backward, inputs)


CORRECT = {
    "affine": lambda: layer(s.affine_forward, s.affine_backward, AFFINE),
    "relu": lambda: layer(s.relu_forward, s.relu_backward, ACTIVATION),
    "sigmoid": lambda: layer(s.sigmoid_forward, s.sigmoid_backward, ACTIVATION),
    "tanh": lambda: layer(s.tanh_forward, s.tanh_backward, ACTIVATION),
    "softmax loss": lambda: check_function(s.softmax_value, s.softmax_grad, SCORES),
    "svm loss": lambda: check_function(s.svm_value, s.svm_grad, SCORES),
    "batch norm": lambda: layer(s.batchnorm_forward, s.batchnorm_backward, BATCHNORM),
    "two-layer net": lambda: check_function(s.two_layer_value, s.two_layer_grad, NET, wrt=NET_PARAMS),
    # the assignment convention: one function returns (loss, grads), no separate gradient function
    "two-layer net returning (loss, grads)": lambda: check_function(s.two_layer_loss, None, NET,
                                                                    wrt=NET_PARAMS),
}


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_hand_written_gradient_passes(name: str) -> None:
    result = CORRECT[name]()
    assert result.passed, result.report()
    assert not result.precision_limited
    assert all(r.worst_ratio < 0.5 for r in result.inputs.values())
    # smooth float64 code is resolved far below 5 % of its gradient: no caution on these passes
    assert all(r.caution is None for r in result.inputs.values())


def test_integer_labels_are_held_fixed_and_only_the_scores_are_checked() -> None:
    assert list(CORRECT["softmax loss"]().inputs) == ["x"]


def test_a_check_never_modifies_the_callers_arrays_or_settings() -> None:
    before = {k: (v.copy() if isinstance(v, np.ndarray) else dict(v)) for k, v in BATCHNORM.items()}
    CORRECT["batch norm"]()
    for name, value in before.items():
        now = BATCHNORM[name]
        assert np.array_equal(now, value) if isinstance(value, np.ndarray) else now == value, name


# --- typical bugs -------------------------------------------------------------------------------

def off_by_a_relative_1e_5(x: Array, y: Array) -> dict[str, Array]:
    grads = s.softmax_grad(x, y)
    grads["x"][2, 1] *= 1 + 1e-5
    return grads


def two_layer_grad_without_the_l2_term_of_w1(**inputs: Any) -> dict[str, Array]:
    grads = s.two_layer_grad(**inputs)
    grads["W1"] = grads["W1"] - inputs["reg"] * inputs["W1"]
    return grads


BUGS = {
    # bug: (check, input that must fail, diagnosis kind, words in the explanation, inputs that pass)
    "db summed over the wrong axis": (
        lambda: layer(s.affine_forward, s.affine_backward_db_wrong_axis, SQUARE), "b", "other",
        "every entry differs", {"x", "w"}),
    "missing 1/N in the loss": (
        lambda: check_function(s.softmax_value, s.softmax_grad_missing_mean, SCORES), "x", "factor",
        "6 (x.shape[0]) times the correct value", set()),
    "transposed weight gradient": (
        lambda: layer(s.affine_forward, s.affine_backward_transposed_dw, SQUARE), "w", "transpose",
        "transposed", {"x", "b"}),
    "missing term in the batch-norm backward": (
        lambda: layer(s.batchnorm_forward, s.batchnorm_backward_missing_dvar, BATCHNORM), "x", None,
        "", {"gamma", "beta"}),
    "missing activation derivative": (
        lambda: layer(s.sigmoid_forward, s.sigmoid_backward_missing_derivative, ACTIVATION), "x", None,
        "", set()),
    "missing relu derivative in a two-layer net": (
        lambda: check_function(s.two_layer_value, s.two_layer_grad_missing_relu_derivative, NET,
                               wrt=NET_PARAMS), "W1", None, "differ", {"W2", "b2"}),
    "L2 term of W1 forgotten": (
        lambda: check_function(s.two_layer_value, two_layer_grad_without_the_l2_term_of_w1, NET,
                               wrt=NET_PARAMS), "W1", "missing-term", "off by -0.1·W1", {"b1", "W2", "b2"}),
    "one entry off by a relative 1e-5": (
        lambda: check_function(s.softmax_value, off_by_a_relative_1e_5, SCORES), "x", "partial",
        "1 of 24 entries differ (worst: x[2, 1], 1.0e-05 relative)", set()),
}


@pytest.mark.parametrize("bug", BUGS)
def test_a_typical_bug_fails_naming_the_input_and_what_is_wrong(bug: str) -> None:
    run, name, kind, words, fine = BUGS[bug]
    result = run()
    assert not result.passed
    assert name in result.failed and fine <= {n for n, r in result.inputs.items() if r.passed}
    wrong = result.inputs[name]
    assert wrong.failing > 0 and wrong.worst_ratio > 10
    assert kind is None or wrong.diagnosis == kind
    assert wrong.explanation is not None and words in wrong.explanation and f"`{name}`" in wrong.explanation


def test_the_single_wrong_entry_is_listed_first_among_the_worst() -> None:
    result = BUGS["one entry off by a relative 1e-5"][0]()
    worst = result.inputs["x"].worst[0]
    assert worst.index == (2, 1)
    assert worst.rel_error == pytest.approx(1e-5, rel=1e-3)
    assert worst.abs_error > worst.tolerance


def test_the_report_of_a_bug_names_the_input_and_its_worst_entry() -> None:
    text = BUGS["one entry off by a relative 1e-5"][0]().report()
    assert "softmax_value / off_by_a_relative_1e_5" in text
    assert "[2, 1]" in text and "worst entries of ∂J/∂x" in text
    assert text.rstrip().endswith("0 passed, 1 failed")


# --- float32 ------------------------------------------------------------------------------------

FLOAT32 = {"x": RNG.standard_normal((4, 3)), "w": RNG.standard_normal((3, 3))}


def test_a_correct_float32_layer_passes_and_is_marked_precision_limited() -> None:
    result = check_layer(s.tanh_forward_float32, s.tanh_backward_float32, FLOAT32)
    assert result.passed, result.report()
    assert result.precision_limited and result.precision == "float32"
    assert "float32" in result.precision_note
    assert "precision-limited" in result.report()


def test_a_loss_computed_in_float32_inside_is_detected_from_its_rounding_noise() -> None:
    result = check_function(s.softmax_value_float32_inside, s.softmax_grad_float32_inside, SCORES)
    assert result.passed, result.report()
    assert result.precision_limited and "rounding noise" in result.precision_note


def test_a_float32_layer_with_a_real_bug_still_fails() -> None:
    result = check_layer(s.tanh_forward_float32, s.tanh_backward_float32_missing_derivative, FLOAT32)
    assert result.precision_limited
    assert set(result.failed) == {"x", "w"}
    assert min(r.worst_ratio for r in result.inputs.values()) > 10


def test_a_float64_layer_is_not_precision_limited() -> None:
    assert CORRECT["tanh"]().precision == "float64"


# --- assert_gradients_ok ------------------------------------------------------------------------

def test_assert_gradients_ok_returns_the_result_of_a_correct_gradient() -> None:
    assert assert_gradients_ok(s.svm_value, s.svm_grad, SCORES).passed


def test_assert_gradients_ok_raises_an_assertion_error_with_the_plain_text_report() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_gradients_ok(s.affine_forward, s.affine_backward_transposed_dw, SQUARE, kind="layer")
    message = " ".join(str(caught.value).split())
    assert "it is transposed" in message and "1 failed" in message and "\x1b[" not in message
