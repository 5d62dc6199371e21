"""How small an error a user-code check finds, in float32 and in float64 code.

The targets are the issue's ("Finite differences at the limit"): float32 code is judged with
float32's error budget, yet a 1 % error in one typical entry (the entry of median magnitude) of
a tanh MLP is flagged; in float64 the finite differences agree with the exact gradient to 1e-10
of its largest entry, and a relative error of 1e-6 in one typical entry is flagged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import student_layers as s

from gradcheck_cli import Result, check_function

Array = np.ndarray[Any, Any]
PARAMS = ("W1", "b1", "W2", "b2")


def tanh_net(seed: int, widths: tuple[int, int, int], batch: int = 8) -> dict[str, Any]:
    """A tanh MLP's parameters (W ~ N(0, 1/n_in), b ~ N(0, 1/4)) and a batch (x, labels)."""
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = widths
    return {"W1": rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in),
            "b1": rng.standard_normal(n_hidden) / 2,
            "W2": rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden),
            "b2": rng.standard_normal(n_out) / 2,
            "X": rng.standard_normal((batch, n_in)), "y": rng.integers(0, n_out, batch)}


def typical_entry(grads: dict[str, Array]) -> tuple[str, tuple[int, ...]]:
    """The parameter and index of the gradient entry of median magnitude."""
    flat = np.concatenate([grads[n].reshape(-1) for n in PARAMS])
    k = int(np.argsort(np.abs(flat), kind="stable")[flat.size // 2])
    for name in PARAMS:
        if k < grads[name].size:
            return name, tuple(int(i) for i in np.unravel_index(k, grads[name].shape))
        k -= grads[name].size
    raise AssertionError("unreachable")


def with_one_entry_off(
    grad: Any, inputs: dict[str, Any], relative: float
) -> tuple[Any, str, tuple[int, ...]]:
    """``grad`` with its typical entry multiplied by 1 + ``relative``; the entry's name, index."""
    name, index = typical_entry(s.tanh_net_grad(**inputs))

    def off(**values: Any) -> dict[str, Array]:
        grads = grad(**values)
        grads[name][index] *= 1 + relative
        return grads

    return off, name, index


def fails_at(result: Result, name: str, index: tuple[int, ...]) -> bool:
    return result.failed == (name,) and result.inputs[name].worst[0].index == index


# --- float32 ------------------------------------------------------------------------------------

FLOAT32_WIDTHS = (10, 12, 5)  # 197 parameters


@pytest.mark.parametrize("seed", range(4))
def test_a_correct_float32_mlp_passes_and_is_judged_as_float32(seed: int) -> None:
    inputs = tanh_net(seed, FLOAT32_WIDTHS)
    result = check_function(s.tanh_net_value_float32, s.tanh_net_grad_float32, inputs, wrt=PARAMS)
    assert result.passed, result.report()
    assert result.precision_limited and result.precision == "float32"


@pytest.mark.parametrize("seed", range(3))
def test_a_one_percent_error_in_a_typical_entry_of_a_float32_mlp_is_flagged(seed: int) -> None:
    inputs = tanh_net(seed, FLOAT32_WIDTHS)
    wrong, name, index = with_one_entry_off(s.tanh_net_grad_float32, inputs, 1e-2)
    result = check_function(s.tanh_net_value_float32, wrong, inputs, wrt=PARAMS)
    assert fails_at(result, name, index), result.report()


# --- float64 ------------------------------------------------------------------------------------

FLOAT64_WIDTHS = (16, 24, 8)  # 608 parameters
#: 32 examples: per-example terms of both signs average out, so a typical entry is small next
#: to the loss, whose rounding the finite differences see; a relative error is hardest to find.
FLOAT64_BATCH = 32


def test_float64_finite_differences_agree_with_the_exact_gradient_to_1e_10() -> None:
    inputs = tanh_net(0, FLOAT64_WIDTHS, FLOAT64_BATCH)
    result = check_function(s.tanh_net_value, s.tanh_net_grad, inputs, wrt=PARAMS)
    largest = max(float(np.abs(g).max()) for g in s.tanh_net_grad(**inputs).values())
    assert result.passed, result.report()
    assert max(r.max_abs for r in result.inputs.values()) <= 1e-10 * largest


def test_a_relative_error_of_1e_6_in_a_typical_entry_of_a_float64_mlp_is_flagged() -> None:
    inputs = tanh_net(1, FLOAT64_WIDTHS, FLOAT64_BATCH)
    wrong, name, index = with_one_entry_off(s.tanh_net_grad, inputs, 1e-6)
    result = check_function(s.tanh_net_value, wrong, inputs, wrt=PARAMS)
    assert fails_at(result, name, index), result.report()
