"""Code that takes its parameters as one dict (``loss(params, X)``): name the dict in ``wrt`` and
every float array in it is checked, under the name ``params.W``; the gradient may come back flat
(``{"W": …}``) or nested (``{"params": {"W": …}}``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gradcheck_cli import GradcheckError, check_function, check_vjp

Array = np.ndarray[Any, Any]
RNG = np.random.default_rng(11)
PARAMS = {"W": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2), "activation": "tanh"}
X = RNG.standard_normal((5, 3))


def loss(params: dict[str, Any], X: Array) -> float:
    assert params["activation"] == "tanh"  # the non-array entries arrive as given
    return float(np.sum(np.tanh(X @ params["W"] + params["b"]) ** 2))


def grad(params: dict[str, Any], X: Array) -> dict[str, Array]:
    t = np.tanh(X @ params["W"] + params["b"])
    d = 2 * t * (1 - t**2)
    return {"W": X.T @ d, "b": d.sum(axis=0)}


def grad_nested(params: dict[str, Any], X: Array) -> dict[str, dict[str, Array]]:
    return {"params": grad(params, X)}


def grad_off_in_one_entry(params: dict[str, Any], X: Array) -> dict[str, Array]:
    grads = grad(params, X)
    grads["W"][2, 1] *= 1.01
    return grads


@pytest.mark.parametrize("gradient", [grad, grad_nested])
def test_a_parameter_dict_named_in_wrt_is_checked_entry_by_entry(gradient: Any) -> None:
    result = check_function(loss, gradient, {"params": PARAMS, "X": X}, wrt=["params"])
    assert result.passed
    assert list(result.inputs) == ["params.W", "params.b"]


def test_one_entry_of_a_dict_can_be_checked_alone() -> None:
    result = check_function(loss, grad, {"params": PARAMS, "X": X}, wrt="params.b")
    assert result.passed and list(result.inputs) == ["params.b"]


def test_a_wrong_entry_inside_the_dict_is_named_with_its_dotted_name() -> None:
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in PARAMS.items()}
    result = check_function(loss, grad_off_in_one_entry, {"params": PARAMS, "X": X}, wrt=["params"])
    assert result.failed == ("params.W",)
    worst = result.inputs["params.W"].worst[0]
    assert tuple(worst.index) == (2, 1)
    assert all(np.array_equal(PARAMS[k], v) if isinstance(v, np.ndarray) else PARAMS[k] == v
               for k, v in before.items())


def test_a_vjp_over_a_parameter_dict() -> None:
    def forward(params: dict[str, Any], X: Array) -> Array:
        return np.tanh(X @ params["W"] + params["b"])

    def vjp(c: Array, params: dict[str, Any], X: Array) -> dict[str, Array]:
        d = c * (1 - forward(params, X) ** 2)
        return {"params": {"W": X.T @ d, "b": d.sum(axis=0)}, "X": d @ params["W"].T}

    result = check_vjp(forward, vjp, {"params": PARAMS, "X": X}, wrt=["params", "X"])
    assert result.passed and set(result.inputs) == {"params.W", "params.b", "X"}


def test_a_dict_not_named_in_wrt_is_passed_as_it_is_and_an_unknown_entry_is_refused() -> None:
    # with the default wrt only top-level float arrays are differentiated: the dict is held fixed
    with pytest.raises(GradcheckError, match="returned no gradient for `X`"):
        check_function(loss, grad, {"params": PARAMS, "X": X})
    with pytest.raises(GradcheckError, match=r"did you mean `params\.b`"):
        check_function(loss, grad, {"params": PARAMS, "X": X}, wrt=["params.V"])
    with pytest.raises(GradcheckError, match=r"`params\.activation` is not an array of floats"):
        check_function(loss, grad, {"params": PARAMS, "X": X}, wrt=["params.activation"])
