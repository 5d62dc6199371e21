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
                                 "or pass them as a tuple to call it positionally")


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
