"""Gradients computed by JAX are checked as they come: ``jax.grad`` over several arguments,
``jax.value_and_grad``, a ``jax.vjp`` pullback, a ``custom_vjp`` rule. Skipped where JAX is not
installed (it is never required)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from gradcheck_cli import check_function, check_vjp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

RNG = np.random.default_rng(8)
X, Y = RNG.standard_normal(4), RNG.standard_normal(4)


@pytest.fixture
def x64() -> Iterator[None]:
    """JAX computing in float64, as it does not by default; restored afterwards."""
    before = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def coupled(x: Any, y: Any) -> Any:
    return jnp.sum(jnp.tanh(x * y) + jnp.exp(-(x**2)) * y)


@pytest.mark.usefixtures("x64")
def test_jax_grad_over_two_arguments_is_checked_in_float64() -> None:
    result = check_function(coupled, jax.grad(coupled, argnums=(0, 1)), (X, Y))
    assert result.passed and list(result.inputs) == ["x", "y"]
    assert result.precision == "float64" and not result.precision_limited


def test_jax_in_its_default_float32_is_checked_as_precision_limited() -> None:
    result = check_function(coupled, jax.grad(coupled, argnums=(0, 1)), (X, Y))
    assert result.passed and result.precision == "float32" and result.precision_limited


@pytest.mark.usefixtures("x64")
def test_jax_value_and_grad_is_read_for_its_gradient() -> None:
    assert check_function(coupled, jax.value_and_grad(coupled, argnums=(0, 1)), (X, Y)).passed


@pytest.mark.usefixtures("x64")
def test_a_jax_vjp_pullback_is_checked_as_a_vjp() -> None:
    def vjp(c: Any, x: Any, y: Any) -> Any:
        return jax.vjp(lambda x, y: jnp.sin(x) * y, x, y)[1](c)

    assert check_vjp(lambda x, y: jnp.sin(x) * y, vjp, (X, Y)).passed


@pytest.mark.usefixtures("x64")
def test_a_custom_vjp_rule_off_by_a_tenth_of_a_percent_is_caught() -> None:
    @jax.custom_vjp
    def cube(x: Any) -> Any:
        return x**3

    def cube_fwd(x: Any) -> tuple[Any, Any]:
        return x**3, x

    def cube_bwd(x: Any, g: Any) -> tuple[Any]:
        return (g * 3 * x**2 * 1.001,)

    cube.defvjp(cube_fwd, cube_bwd)
    result = check_function(lambda x: jnp.sum(cube(x)), jax.grad(lambda x: jnp.sum(cube(x))), (X,))
    assert result.failed == ("x",)
