"""User code that raises or returns the wrong thing, and bad arguments: a GradcheckError that names
the function, the input and what was expected — never a traceback of ours."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import student_layers as s

from gradcheck_cli import GradcheckError, UserCodeError, check_function, check_layer, policy

Array = np.ndarray[Any, Any]
SCORES = {"x": np.arange(12.0).reshape(4, 3) / 7, "y": np.array([0, 2, 1, 1])}
AFFINE = {"x": np.ones((2, 3)), "w": np.ones((3, 4)), "b": np.ones(4)}


def exploding_grad(x: Array, y: Array) -> dict[str, Array]:
    return {"x": np.ones_like(x) @ np.ones((4, 4))}  # a shape error inside the user's code


def test_a_gradient_that_raises_shows_the_users_traceback_and_names_the_function() -> None:
    with pytest.raises(UserCodeError) as caught:
        check_function(s.softmax_value, exploding_grad, SCORES)
    error = caught.value
    assert str(error).startswith("`exploding_grad` raised ValueError: matmul")
    assert "(computing the gradient)" in str(error)
    assert error.details is not None
    assert "test_usercode_bad_input.py" in error.details and "in exploding_grad" in error.details
    assert "gradcheck_cli" not in error.details
    assert isinstance(error.__cause__, ValueError)


def test_a_loss_that_raises_on_one_side_of_the_point_at_every_step_names_the_entry() -> None:
    # x[1, 2] = 5/7 is the edge itself: no step, however small, stays inside on its right
    edge = float(SCORES["x"][1, 2])

    def fragile(x: Array, y: Array) -> float:
        if x[1, 2] > edge:
            raise RuntimeError("x moved")
        return s.softmax_value(x, y)

    moved = r"`fragile` raised RuntimeError: x moved \(at x\[1, 2\] \+ [0-9.e-]+\)"
    with pytest.raises(UserCodeError, match=moved) as caught:
        check_function(fragile, s.softmax_grad, SCORES)
    assert caught.value.hint is not None and "not defined on both sides of x[1, 2]" in caught.value.hint


@pytest.mark.parametrize(("grad", "words"), [
    (lambda x, y: {"x": np.full((4, 3), np.nan)}, "returned nan in the gradient of `x`"),
    (lambda x, y: {"dx": np.ones((4, 3))}, "returned no gradient for `x`; it returned: dx (computing the "
     "gradient); is `dx` meant to be `x`? the keys must be the input names"),
    (lambda x, y: "x", "returned str as the gradient of `x`, not an array of floats"),
])
def test_an_unusable_gradient_is_an_error_saying_what_was_expected(grad: Any, words: str) -> None:
    with pytest.raises(UserCodeError) as caught:
        check_function(s.softmax_value, grad, SCORES)
    assert words in str(caught.value)


@pytest.mark.parametrize(("fun", "words"), [
    (lambda x, y: np.inf, "`<lambda>` returned inf (at the given inputs)"),
    (lambda x, y: x, "must return a scalar loss but returned an array of shape (4, 3)"),
    (lambda x, y: None, "returned NoneType, not numbers"),
])
def test_an_unusable_loss_is_an_error_naming_the_function(fun: Any, words: str) -> None:
    with pytest.raises(UserCodeError) as caught:
        check_function(fun, s.softmax_grad, SCORES)
    assert words in str(caught.value)


def test_a_backward_returning_too_few_gradients_says_how_many_and_in_what_order() -> None:
    def short(dout: Array, cache: Any) -> tuple[Array, Array]:
        return s.affine_backward(dout, cache)[:2]

    with pytest.raises(UserCodeError, match=r"returned 2 gradients for 3 inputs \(x, w, b\)"):
        check_layer(s.affine_forward, short, AFFINE)


def test_a_forward_that_does_not_return_out_and_cache_is_an_error() -> None:
    with pytest.raises(UserCodeError, match=r"`tanh_affine` must return \(out, cache\), not ndarray"):
        check_layer(s.tanh_affine, s.tanh_backward, {"x": np.ones((2, 2)), "w": np.ones((2, 2))})


@pytest.mark.parametrize(("inputs", "wrt", "words"), [
    (SCORES, "xx", "`wrt` names `xx`, which is not among the inputs; did you mean `x`?"),
    (SCORES, ["y"], "`y` is not an array of floats (ndarray, dtype int64); it can only be held fixed"),
    ({"y": np.array([1, 2])}, None, "no float array among the inputs to differentiate; pass `wrt`"),
    (1.0, None, "inputs must be a dict of name → value, passed to the function as keywords, or a tuple"),
    ({"x": np.ones(policy.USER_MAX_ENTRIES + 1), "y": np.zeros(1, int)}, None,
     "entries to perturb is more than"),
])
def test_bad_inputs_or_wrt_are_a_gradcheck_error(inputs: Any, wrt: Any, words: str) -> None:
    with pytest.raises(GradcheckError) as caught:
        check_function(s.softmax_value, s.softmax_grad, inputs, wrt=wrt)
    assert words in str(caught.value)
    assert not isinstance(caught.value, UserCodeError)


def test_an_unknown_report_format_is_an_error_with_a_suggestion() -> None:
    result = check_function(s.softmax_value, s.softmax_grad, SCORES)
    with pytest.raises(GradcheckError, match=r"unknown report format `jsn`; did you mean `json`\?"):
        result.report("jsn")
