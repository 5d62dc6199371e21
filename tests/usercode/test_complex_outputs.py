"""A complex-valued output is refused with a sentence saying what to do, never reduced to its real
part unseen; the complex step, which feeds complex inputs on purpose, still works."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gradcheck_cli import check_function, check_vjp
from gradcheck_cli.usercode import UserCodeError

Array = np.ndarray[Any, Any]
X = np.array([0.3, -1.2, 0.7])


def phase_sum(x: Array) -> Any:
    # real part sum(cos x), imaginary part sum(sin x): dropping either changes the gradient
    return np.sum(np.exp(1j * x))


def real_part_gradient(x: Array) -> Array:
    return -np.sin(x)


def test_a_function_returning_a_complex_number_is_refused_with_what_to_do() -> None:
    with pytest.raises(UserCodeError) as caught:
        check_function(phase_sum, real_part_gradient, {"x": X})
    assert "`phase_sum` returned complex numbers (complex128) for real inputs (at the given inputs)" in str(
        caught.value)
    assert caught.value.hint is not None and "two real functions" in caught.value.hint
    assert ".real" in caught.value.hint and ".imag" in caught.value.hint


def test_a_complex_array_output_of_a_vjp_check_is_refused_too() -> None:
    with pytest.raises(UserCodeError, match="returned complex numbers"):
        check_vjp(lambda x: np.exp(1j * x), lambda c, x: np.real(c * 1j * np.exp(1j * x)), {"x": X})


def test_a_complex_output_with_a_zero_imaginary_part_is_still_refused() -> None:
    # its type says complex: at the stencil's points the imaginary part need not stay zero
    with pytest.raises(UserCodeError, match="returned complex numbers"):
        check_function(lambda x: np.sum(x**2).astype(np.complex128), lambda x: 2 * x, {"x": X})


def test_its_real_and_imaginary_parts_are_checked_as_two_real_functions() -> None:
    real = check_function(lambda x: phase_sum(x).real, real_part_gradient, {"x": X})
    imag = check_function(lambda x: phase_sum(x).imag, lambda x: np.cos(x), {"x": X})
    wrong = check_function(lambda x: phase_sum(x).imag, real_part_gradient, {"x": X})
    assert real.passed and imag.passed and not wrong.passed


def test_a_complex_gradient_is_refused_and_named() -> None:
    with pytest.raises(UserCodeError) as caught:
        check_function(lambda x: float(np.sum(np.cos(x))), lambda x: -np.sin(x) + 0j, {"x": X})
    assert "returned complex numbers (complex128) as the gradient of `x`" in str(caught.value)


def test_the_complex_step_still_feeds_complex_inputs_to_complex_safe_code() -> None:
    result = check_function(lambda x: np.sum(np.sin(x) * x), lambda x: np.cos(x) * x + np.sin(x), {"x": X},
                            scheme="complex")
    assert result.passed
