"""Gradients computed by autograd are checked as they come, without an adapter: positional
inputs, a tuple in argument order, a list of (W, b) pairs. Skipped where autograd is not
installed (it is never required)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gradcheck_cli import check_function, check_vjp

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

Array = np.ndarray[Any, Any]
RNG = np.random.default_rng(3)
X, Y = RNG.standard_normal(4), RNG.standard_normal(4)
PARAMS = [(RNG.standard_normal((n, m)), RNG.standard_normal(n)) for n, m in [(3, 4), (1, 3)]]


def coupled(x: Any, y: Any) -> Any:
    return anp.sum(anp.tanh(x * y) + anp.exp(-(x**2)) * y)


def mlp(params: Any, x: Any) -> Any:
    h = x
    for W, b in params[:-1]:
        h = anp.tanh(anp.dot(W, h) + b)
    W, b = params[-1]
    return anp.sum((anp.dot(W, h) + b) ** 2)


def test_autograd_grad_over_two_arguments_is_checked_without_an_adapter() -> None:
    result = check_function(coupled, autograd.grad(coupled, argnum=(0, 1)), (X, Y))
    assert result.passed and list(result.inputs) == ["x", "y"]


def test_autograd_value_and_grad_is_checked_without_an_adapter() -> None:
    assert check_function(coupled, autograd.value_and_grad(coupled, argnum=(0, 1)), (X, Y)).passed


def test_autograd_grad_of_a_list_of_pairs_is_checked_entry_by_entry() -> None:
    result = check_function(mlp, autograd.grad(mlp), (PARAMS, X), wrt="params")
    assert result.passed
    assert list(result.inputs) == ["params[0][0]", "params[0][1]", "params[1][0]", "params[1][1]"]


def test_a_wrong_autograd_rule_is_caught() -> None:
    @autograd.extend.primitive
    def cube(x: Any) -> Any:
        return x**3

    autograd.extend.defvjp(cube, lambda ans, x: lambda g: g * 3 * x**2 * 1.001)  # 0.1 % off
    result = check_function(lambda x: anp.sum(cube(x)), autograd.grad(lambda x: anp.sum(cube(x))), (X,))
    assert result.failed == ("x",)


def test_autograd_vjp_of_an_array_function_is_checked_as_a_vjp() -> None:
    def vjp(c: Array, x: Array) -> Any:
        return autograd.make_vjp(anp.sin)(x)[0](c)

    assert check_vjp(anp.sin, vjp, (X,)).passed
