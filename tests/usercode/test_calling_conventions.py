"""How the user's code is called: a mismatch between the inputs and its signature, or a gradient
of the wrong structure, is one sentence before any finite differences are taken."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from gradcheck_cli import check_function, check_layer, check_vjp
from gradcheck_cli.usercode import UserCodeError

Array = np.ndarray[Any, Any]
RNG = np.random.default_rng(5)
X, Y = RNG.standard_normal(4), RNG.standard_normal(3)


def counted(fn: Callable[..., Any], calls: list[str], name: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return fn(*args, **kwargs)
    return wrapper


def energy(x: Array, y: Array) -> float:
    return float(np.sum(x**2) * np.sum(np.sin(y)))


def energy_grad(x: Array, y: Array) -> dict[str, Array]:
    return {"x": 2 * x * np.sum(np.sin(y)), "y": np.sum(x**2) * np.cos(y)}


@pytest.mark.parametrize(("grad", "words"), [
    (lambda x, z: energy_grad(x, z), "`<lambda>` cannot be called with the keywords x, y: "
                                     "missing a required argument: 'z' (computing the gradient)"),
    (lambda x: {"x": 2 * x}, "`<lambda>` cannot be called with the keywords x, y"),
    (lambda x, y: {"x": 2 * x}, "returned no gradient for `y`"),
    (lambda x, y: (2 * x, np.cos(y), x), "returned 3 gradients for 2 inputs"),
    (lambda x, y: "dx", "returned str; expected a dict of gradients"),
])
def test_a_gradient_that_cannot_be_checked_fails_before_any_finite_difference(grad: Any, words: str) -> None:
    log: list[str] = []
    with pytest.raises(UserCodeError) as caught:
        check_function(counted(energy, log, "f"), counted(grad, log, "grad"), {"x": X, "y": Y})
    assert words in str(caught.value)
    assert log == ["f", "grad"]  # the function once at the point, the gradient once: no stencil


def test_a_function_whose_parameters_are_not_the_inputs_fails_at_its_first_call() -> None:
    log: list[str] = []
    with pytest.raises(UserCodeError) as caught:
        check_function(counted(lambda a, b: 0.0, log, "f"), energy_grad, {"x": X, "y": Y})
    assert str(caught.value).startswith("`<lambda>` cannot be called with the keywords x, y: ")
    assert log == ["f"]


def test_a_signature_mismatch_shows_the_signature_and_both_ways_to_call_it() -> None:
    with pytest.raises(UserCodeError) as caught:
        check_function(lambda x, y, z: energy(x, y), energy_grad, {"x": X, "y": Y})
    assert "missing a required argument: 'z' (at the given inputs)" in str(caught.value)
    assert caught.value.hint == ("it is defined as <lambda>(x, y, z): name the inputs after its parameters, "
                                 "or (from Python) pass them as a tuple to call it positionally")


def test_a_type_error_raised_inside_the_users_code_is_reported_as_raised_with_its_traceback() -> None:
    def broken(x: Array, y: Array) -> float:
        return float(len(x, y))  # type: ignore[call-arg]

    with pytest.raises(UserCodeError) as caught:
        check_function(broken, energy_grad, {"x": X, "y": Y})
    assert str(caught.value).startswith("`broken` raised TypeError: ")
    assert caught.value.details is not None and "broken" in caught.value.details


def test_a_vjp_of_the_wrong_signature_fails_before_any_finite_difference() -> None:
    log: list[str] = []
    with pytest.raises(UserCodeError, match="cannot be called with 1 positional argument and the keywords x"):
        check_vjp(counted(lambda x: np.tanh(x), log, "f"), counted(lambda x: 1 - np.tanh(x) ** 2, log, "vjp"),
                  {"x": X})
    assert log == ["f", "vjp"]


def test_a_backward_returning_the_wrong_count_fails_before_any_finite_difference() -> None:
    log: list[str] = []

    def forward(x: Array, w: Array) -> tuple[Array, tuple[Array, Array]]:
        log.append("forward")
        return x * w, (x, w)

    def backward(dout: Array, cache: tuple[Array, Array]) -> tuple[Array, Array, Array]:
        log.append("backward")
        return dout * cache[1], dout * cache[0], dout

    with pytest.raises(UserCodeError, match="returned 3 gradients for 2 inputs"):
        check_layer(forward, backward, {"x": X, "w": X[::-1].copy()})
    assert log == ["forward", "forward", "backward"]  # the point, the cache for backward, backward


# Positional inputs: a tuple of inputs calls f(x, y), and the gradient may answer in that order.

def energy_grads_in_order(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x * np.sum(np.sin(y)), np.sum(x**2) * np.cos(y)


def test_a_tuple_of_inputs_is_passed_positionally_and_named_after_the_parameters() -> None:
    result = check_function(energy, energy_grads_in_order, (X, Y))
    assert result.passed and list(result.inputs) == ["x", "y"]


def test_a_wrong_gradient_of_a_positional_input_is_named() -> None:
    def off_in_y(x: Array, y: Array) -> tuple[Array, Array]:
        gx, gy = energy_grads_in_order(x, y)
        return gx, np.where(np.arange(y.size) == 2, 1.001 * gy, gy)

    result = check_function(energy, off_in_y, (X, Y))
    assert result.failed == ("y",)
    assert tuple(result.inputs["y"].worst[0].index) == (2,)


def test_a_function_taking_any_number_of_arguments_has_them_named_by_place() -> None:
    result = check_function(lambda *a: energy(*a), lambda *a: energy_grads_in_order(*a), [X, Y])
    assert result.passed and list(result.inputs) == ["arg0", "arg1"]


def test_a_gradient_for_every_positional_argument_may_leave_the_fixed_ones_none() -> None:
    labels = np.array([0, 2, 1])

    def picked(x: Array, labels: Array) -> float:
        return float(np.sum(x[labels] ** 3))

    def picked_grads(x: Array, labels: Array) -> tuple[Array, None]:
        g = np.zeros_like(x)
        np.add.at(g, labels, 3 * x[labels] ** 2)
        return g, None

    result = check_function(picked, picked_grads, (X, labels))
    assert result.passed and list(result.inputs) == ["x"]


def test_one_array_is_one_positional_input_and_a_ufunc_is_checked_as_it_is() -> None:
    assert check_vjp(np.tanh, lambda c, x: c * (1 - np.tanh(x) ** 2), X).passed
    assert not check_vjp(np.tanh, lambda c, x: c * (1 + np.tanh(x) ** 2), X).passed


def test_keyword_inputs_are_passed_by_keyword_as_before() -> None:
    assert check_function(lambda *, x, y: energy(x, y), energy_grad, {"x": X, "y": Y}).passed


# Parameters as a list of (W, b) pairs: each array is checked and reported as params[i][j].

SIZES = [(3, 4), (2, 3)]
PARAMS = [(RNG.standard_normal(shape), RNG.standard_normal(shape[0])) for shape in SIZES]
PAIR_NAMES = ["params[0][0]", "params[0][1]", "params[1][0]", "params[1][1]"]


def mlp(params: list[tuple[Array, Array]], x: Array) -> float:
    assert type(params) is list and all(type(layer) is tuple for layer in params)  # as given
    (W1, b1), (W2, b2) = params
    out = W2 @ np.tanh(W1 @ x + b1) + b2
    return float(0.5 * np.sum(out**2))


def mlp_grads(params: list[tuple[Array, Array]], x: Array) -> tuple[list[tuple[Array, Array]], Array]:
    (W1, b1), (W2, b2) = params
    h = np.tanh(W1 @ x + b1)
    out = W2 @ h + b2
    dz = (W2.T @ out) * (1 - h**2)
    return [(np.outer(dz, x), dz), (np.outer(out, h), out)], W1.T @ dz


def test_a_list_of_pairs_is_checked_entry_by_entry_with_gradients_in_the_same_structure() -> None:
    before = [(W.copy(), b.copy()) for W, b in PARAMS]
    result = check_function(mlp, mlp_grads, (PARAMS, X))
    assert result.passed and list(result.inputs) == [*PAIR_NAMES, "x"]
    assert all(np.array_equal(W, W0) and np.array_equal(b, b0)
               for (W, b), (W0, b0) in zip(PARAMS, before, strict=True))


def test_a_list_of_pairs_passed_by_keyword_is_checked_the_same_way() -> None:
    result = check_function(mlp, mlp_grads, {"params": PARAMS, "x": X})
    assert result.passed and list(result.inputs) == [*PAIR_NAMES, "x"]


def test_the_gradient_of_the_pairs_alone_is_taken_in_their_structure() -> None:
    result = check_function(mlp, lambda params, x: mlp_grads(params, x)[0], (PARAMS, X), wrt="params")
    assert result.passed and list(result.inputs) == PAIR_NAMES


def test_a_wrong_entry_inside_the_pairs_is_named_by_its_place() -> None:
    def off(params: list[tuple[Array, Array]], x: Array) -> tuple[list[tuple[Array, Array]], Array]:
        grads, dx = mlp_grads(params, x)
        dW2 = grads[1][0].copy()
        dW2[1, 2] *= 1.001
        return [grads[0], (dW2, grads[1][1])], dx

    result = check_function(mlp, off, (PARAMS, X))
    assert result.failed == ("params[1][0]",)
    assert tuple(result.inputs["params[1][0]"].worst[0].index) == (1, 2)


def test_a_gradient_list_of_the_wrong_length_is_one_sentence_before_any_finite_difference() -> None:
    log: list[str] = []

    def three_layers(params: list[tuple[Array, Array]], x: Array) -> list[tuple[Array, Array]]:
        return [*mlp_grads(params, x)[0], (X, X)]

    with pytest.raises(UserCodeError) as caught:
        check_function(counted(mlp, log, "f"), counted(three_layers, log, "grad"), (PARAMS, X), wrt="params")
    assert str(caught.value) == (
        "`three_layers` returned a list of 3 as the gradient of `params`, which is a list of 2 "
        "(computing the gradient); return each gradient in the structure of its input")
    assert log == ["f", "grad"]


def test_a_pair_of_the_pairs_can_be_checked_alone() -> None:
    result = check_function(mlp, mlp_grads, (PARAMS, X), wrt=["params[1]"])
    assert result.passed and list(result.inputs) == PAIR_NAMES[2:]


# A gradient that returns (value, gradient), as jax.value_and_grad does; a loss that returns (loss, aux).

def test_a_gradient_returning_value_and_gradient_is_read_for_its_gradient() -> None:
    def value_and_grads(x: Array, y: Array) -> tuple[float, tuple[Array, Array]]:
        return energy(x, y), energy_grads_in_order(x, y)

    def value_and_wrong_grads(x: Array, y: Array) -> tuple[float, tuple[Array, Array]]:
        gx, gy = energy_grads_in_order(x, y)
        return energy(x, y), (gx, -gy)

    assert check_function(energy, value_and_grads, (X, Y)).passed
    assert check_function(energy, value_and_wrong_grads, (X, Y)).failed == ("y",)


def test_value_and_gradient_of_one_input_held_beside_fixed_labels() -> None:
    labels = np.array([1, 0, 3])

    def picked(x: Array, labels: Array) -> float:
        return float(np.sum(np.exp(x[labels])))

    def value_and_grad(x: Array, labels: Array) -> tuple[float, Array]:
        g = np.zeros_like(x)
        np.add.at(g, labels, np.exp(x[labels]))
        return picked(x, labels), g

    assert check_function(picked, value_and_grad, (X, labels)).passed


def test_two_scalar_inputs_gradients_are_not_taken_for_a_value_and_a_gradient() -> None:
    a, b = np.array(0.7), np.array(-0.4)
    result = check_function(lambda a, b: float(a**2 * b), lambda a, b: (2 * a * b, a**2), (a, b))
    assert result.passed and list(result.inputs) == ["a", "b"]


def test_a_loss_returning_loss_and_aux_is_told_how_to_check_the_loss_alone() -> None:
    def loss_and_accuracy(x: Array, y: Array) -> tuple[float, float]:
        return energy(x, y), 0.5

    with pytest.raises(UserCodeError) as caught:
        check_function(loss_and_accuracy, energy_grad, {"x": X, "y": Y})
    assert str(caught.value).startswith(
        "`loss_and_accuracy` must return a scalar loss but returned a tuple of two")
    assert caught.value.hint is not None
    assert "lambda *a, **k: loss_and_accuracy(*a, **k)[0]" in caught.value.hint
    loss_alone = check_function(lambda *a, **k: loss_and_accuracy(*a, **k)[0], energy_grad, {"x": X, "y": Y})
    assert loss_alone.passed


def test_a_layer_given_positional_inputs_is_checked_with_its_backward_in_argument_order() -> None:
    x, w, b = RNG.standard_normal((4, 5)), RNG.standard_normal((5, 3)), RNG.standard_normal(3)

    def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, tuple[Array, Array, Array]]:
        return x @ w + b, (x, w, b)

    def affine_backward(dout: Array, cache: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
        x, w, _ = cache
        return dout @ w.T, x.T @ dout, dout.sum(axis=0)

    result = check_layer(affine_forward, affine_backward, (x, w, b))
    assert result.passed and list(result.inputs) == ["x", "w", "b"]


def test_dicts_inside_dicts_are_unpacked_to_every_depth() -> None:
    params = {"hidden": {"W": RNG.standard_normal((3, 4)), "sizes": (3, 4)}, "scale": RNG.standard_normal(3)}

    def net(params: dict[str, Any], x: Array) -> float:
        assert params["hidden"]["sizes"] == (3, 4)  # a tuple of numbers is passed as it is
        return float(np.sum(params["scale"] * np.tanh(params["hidden"]["W"] @ x)))

    def net_grad(params: dict[str, Any], x: Array) -> dict[str, Any]:
        h = np.tanh(params["hidden"]["W"] @ x)
        return {"hidden": {"W": np.outer(params["scale"] * (1 - h**2), x)}, "scale": h}

    result = check_function(net, net_grad, (params, X), wrt="params")
    assert result.passed and list(result.inputs) == ["params.hidden.W", "params.scale"]
