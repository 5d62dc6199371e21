"""User code at the edges: ill-conditioned linear algebra, points near the edge of a function's
domain, inputs dominated by an offset, and cancellation. A correct gradient passes — with a
caution where the check could not resolve small errors — and one entry off by 1e-3 is caught.

Every gradient here is derived by hand, independently of the check: d/dA ⟨W, A⁻¹⟩ = −A⁻ᵀWA⁻ᵀ,
d/dA cᵀA⁻¹b = −λxᵀ and d/db = λ with x = A⁻¹b, λ = A⁻ᵀc; the derivatives of log, sqrt and
arccosh; the gradient of a weighted variance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from gradcheck_cli import Result, check_function, policy

Array = np.ndarray[Any, Any]
SEEDS = range(4)
#: the relative error planted in one entry: caught wherever the check resolves it
PLANTED = 1e-3


def conditioned(rng: np.random.Generator, n: int, cond: float) -> Array:
    """A random n × n matrix with singular values from 1 down to 1/cond, evenly in log."""
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return np.asarray(u @ np.diag(np.logspace(0, -np.log10(cond), n)) @ v.T)


def typical(grad: Array) -> tuple[int, ...]:
    """The index of the entry of median magnitude: neither the largest nor a zero."""
    flat = np.argsort(np.abs(grad).reshape(-1), kind="stable")[grad.size // 2]
    return tuple(int(i) for i in np.unravel_index(int(flat), grad.shape))


def planted(grad: Callable[..., dict[str, Array]], name: str, index: tuple[int, ...]) -> Callable[..., Any]:
    """``grad`` with entry ``index`` of ``name``'s gradient off by ``PLANTED``, relatively."""

    def off(**values: Any) -> dict[str, Array]:
        grads = grad(**values)
        grads[name] = grads[name].copy()
        grads[name][index] *= 1 + PLANTED
        return grads

    return off


def stated(caution: str | None) -> float:
    """The resolution a caution says the check reached, relative to the largest entry (0 where
    there is no such caution)."""
    found = re.search(r"could resolve errors above ([0-9.e+-]+) of its largest entry", caution or "")
    return float(found.group(1)) if found else 0.0


def caught(result: Result, name: str, index: tuple[int, ...]) -> bool:
    """The check failed for ``name`` alone, with the planted entry the worst."""
    return result.failed == (name,) and result.inputs[name].worst[0].index == index


# --- ill-conditioned linear algebra ---------------------------------------------------------------


def inverse_case(seed: int) -> tuple[Callable[..., float], Callable[..., dict[str, Array]], dict[str, Array]]:
    """⟨W, A⁻¹⟩ at A of condition 1e6."""
    rng = np.random.default_rng([seed, 1])
    a, w = conditioned(rng, 4, 1e6), rng.standard_normal((4, 4))

    def f(A: Array) -> float:
        return float(np.sum(w * np.linalg.inv(A)))

    def grad(A: Array) -> dict[str, Array]:
        inv = np.linalg.inv(A)
        return {"A": -inv.T @ w @ inv.T}

    return f, grad, {"A": a}


def solve_case(seed: int) -> tuple[Callable[..., float], Callable[..., dict[str, Array]], dict[str, Array]]:
    """cᵀ solve(A, b) at A of condition 1e8."""
    rng = np.random.default_rng([seed, 2])
    a, b, c = conditioned(rng, 4, 1e8), rng.standard_normal(4), rng.standard_normal(4)

    def f(A: Array, b: Array) -> float:
        return float(c @ np.linalg.solve(A, b))

    def grad(A: Array, b: Array) -> dict[str, Array]:
        x, lam = np.linalg.solve(A, b), np.linalg.solve(A.T, c)
        return {"A": -np.outer(lam, x), "b": lam}

    return f, grad, {"A": a, "b": b}


ILL_CONDITIONED = {"inv, cond 1e6": inverse_case, "solve, cond 1e8": solve_case}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", ILL_CONDITIONED)
def test_a_correct_gradient_of_an_ill_conditioned_function_passes(case: str, seed: int) -> None:
    f, grad, inputs = ILL_CONDITIONED[case](seed)
    result = check_function(f, grad, inputs)
    assert result.passed, result.report()
    assert not result.precision_limited  # float64 code, however noisy: not taken for float32


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", ILL_CONDITIONED)
def test_one_entry_off_by_1e_3_in_an_ill_conditioned_gradient_is_caught(case: str, seed: int) -> None:
    f, grad, inputs = ILL_CONDITIONED[case](seed)
    index = typical(grad(**inputs)["A"])
    result = check_function(f, planted(grad, "A", index), inputs)
    assert caught(result, "A", index), result.report()


# --- the edge of the domain -----------------------------------------------------------------------

Elementwise = Callable[[Array], Array]
#: f, its gradient, and points of its domain reaching close to its edge
DOMAIN: dict[str, tuple[Elementwise, Elementwise, Callable[[np.random.Generator], Array]]] = {
    "log over 1e-6…1e3": (np.log, lambda x: 1 / x,
                          lambda rng: np.logspace(-6, 3, 8) * rng.uniform(0.5, 1.5, 8)),
    "sqrt over 1e-6…1e3": (np.sqrt, lambda x: 0.5 / np.sqrt(x),
                           lambda rng: np.logspace(-6, 3, 8) * rng.uniform(0.5, 1.5, 8)),
    "arccosh near 1": (np.arccosh, lambda x: 1 / np.sqrt(x * x - 1),
                       lambda rng: 1 + np.logspace(-6, -2, 6) * rng.uniform(0.5, 1.5, 6)),
}


def domain_case(case: str, seed: int) -> tuple[Callable[..., float], Callable[..., dict[str, Array]],
                                                dict[str, Array]]:
    """Σ wᵢ·g(xᵢ) for the elementwise g of ``case``, at points near the edge of its domain."""
    g, dg, points = DOMAIN[case]
    rng = np.random.default_rng([seed, 3])
    x = points(rng)
    w = rng.uniform(0.5, 1.5, x.size)

    def f(x: Array) -> float:
        return float(np.sum(w * g(x)))

    def grad(x: Array) -> dict[str, Array]:
        return {"x": w * dg(x)}

    return f, grad, {"x": x}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the stencil's points outside the domain
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", DOMAIN)
def test_a_correct_gradient_near_the_edge_of_the_domain_passes_and_says_the_step_shrank(
        case: str, seed: int) -> None:
    f, grad, inputs = domain_case(case, seed)
    result = check_function(f, grad, inputs)
    assert result.passed, result.report()
    caution = result.inputs["x"].caution
    assert caution is not None and "the step was shrunk" in caution
    assert "left the function's domain" in caution
    assert "returned nan" in caution  # the failure that made it shrink


def test_a_function_that_raises_outside_its_domain_is_stepped_inside_it() -> None:
    """math.log raises ValueError (no nan) at a stencil point below 0: the step shrinks too."""
    x = np.array([2e-6, 0.5, 30.0])

    def f(x: Array) -> float:
        return sum(math.log(v) for v in x)

    result = check_function(f, lambda x: {"x": 1 / x}, {"x": x})
    assert result.passed, result.report()
    caution = result.inputs["x"].caution
    assert caution is not None and "the step was shrunk" in caution and "for x[0]," in caution
    assert "raised ValueError: math domain error" in caution


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", DOMAIN)
def test_one_entry_off_by_1e_3_near_the_edge_of_the_domain_is_caught(case: str, seed: int) -> None:
    f, grad, inputs = domain_case(case, seed)
    index = typical(grad(**inputs)["x"])
    result = check_function(f, planted(grad, "x", index), inputs)
    assert caught(result, "x", index), result.report()


# --- offsets and cancellation ---------------------------------------------------------------------


def offset_case(seed: int) -> tuple[Callable[..., float], Callable[..., dict[str, Array]], dict[str, Array]]:
    """A weighted variance Σ wᵢ(xᵢ − x̄)² of inputs 1e8 + N(0, 1): the offset cancels in every
    difference, and with it 8 of the 16 digits of the inputs."""
    rng = np.random.default_rng([seed, 4])
    x, w = 1e8 + rng.standard_normal(6), rng.uniform(0.5, 1.5, 6)

    def f(x: Array) -> float:
        return float(np.sum(w * (x - x.mean()) ** 2))

    def grad(x: Array) -> dict[str, Array]:
        d = 2 * w * (x - x.mean())
        return {"x": d - d.mean()}

    return f, grad, {"x": x}


def cancelling_case(seed: int) -> tuple[Callable[..., float], Callable[..., dict[str, Array]],
                                        dict[str, Array]]:
    """Σ eˣ − 1 − x at x ~ 1e-4: f ~ 1e-8 is what is left of terms of order 1, 8 digits lost."""
    rng = np.random.default_rng([seed, 5])
    x = rng.uniform(0.5, 2.0, 5) * 1e-4 * rng.choice([-1.0, 1.0], 5)

    def f(x: Array) -> float:
        return float(np.sum(np.exp(x) - 1 - x))

    def grad(x: Array) -> dict[str, Array]:
        return {"x": np.exp(x) - 1}

    return f, grad, {"x": x}


def naive_case(seed: int) -> tuple[Callable[..., float], Callable[..., dict[str, Array]], dict[str, Array]]:
    """Σ (1 − cos xᵢ)/xᵢ² at x ~ 1e-3, and its gradient as the quotient rule writes it,
    (xᵢ sin xᵢ − 2(1 − cos xᵢ))/xᵢ³: both lose digits to cancellation, f 6 of them."""
    rng = np.random.default_rng([seed, 6])
    x = rng.uniform(0.5, 2.0, 5) * 1e-3 * rng.choice([-1.0, 1.0], 5)

    def f(x: Array) -> float:
        return float(np.sum((1 - np.cos(x)) / x**2))

    def grad(x: Array) -> dict[str, Array]:
        return {"x": (x * np.sin(x) - 2 * (1 - np.cos(x))) / x**3}

    return f, grad, {"x": x}


SCALAR = {"offset 1e8": offset_case, "cancellation": cancelling_case}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", SCALAR)
def test_a_correct_gradient_at_an_offset_or_under_cancellation_passes(case: str, seed: int) -> None:
    f, grad, inputs = SCALAR[case](seed)
    result = check_function(f, grad, inputs)
    assert result.passed, result.report()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", SCALAR)
def test_one_entry_off_by_1e_3_at_an_offset_or_under_cancellation_is_caught(case: str, seed: int) -> None:
    f, grad, inputs = SCALAR[case](seed)
    index = typical(grad(**inputs)["x"])
    result = check_function(f, planted(grad, "x", index), inputs)
    assert caught(result, "x", index), result.report()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_correct_gradient_that_cancels_passes_with_a_caution_that_states_the_resolution(seed: int) -> None:
    f, grad, inputs = naive_case(seed)
    result = check_function(f, grad, inputs)
    assert result.passed, result.report()
    found = result.inputs["x"]
    assert stated(found.caution) > policy.USER_RESOLUTION["float64"]
    assert f"⚠ x: {found.caution[:40]}" in result.report("console", width=400)


def rounding(x: Array, size: float) -> Array:
    """Noise of relative ``size`` that depends on every bit of ``x``, as the rounding of an
    ill-conditioned computation does: the same at the same point, unrelated at the next."""
    return size * np.random.default_rng(list(x.view(np.uint32))).standard_normal(x.shape)


def test_a_gradient_is_entitled_to_its_own_measured_rounding_noise() -> None:
    """A correct gradient that rounds to 1e-9 relative, a million ulps (a solve at cond 1e7
    does): 1024 ulps of its largest entry would fail it; its measured noise lets it pass, and
    an entry off by 1e-6 is still caught."""
    x = np.random.default_rng(8).uniform(0.5, 2.0, 6)

    def f(x: Array) -> float:
        return float(np.sum(np.sin(x) * x))

    def grad(x: Array) -> dict[str, Array]:
        exact = np.sin(x) + x * np.cos(x)
        return {"x": exact * (1 + rounding(x, 1e-9))}

    result = check_function(f, grad, {"x": x})
    assert result.passed, result.report()
    assert "8 × your gradient's measured rounding noise" in result.inputs["x"].tolerance
    index = typical(grad(x)["x"])

    def off(x: Array) -> dict[str, Array]:
        return {"x": grad(x)["x"] * np.where(np.arange(x.size) == index[0], 1 + 1e-6, 1.0)}

    wrong = check_function(f, off, {"x": x})
    assert caught(wrong, "x", index), wrong.report()


# --- never a silent miss --------------------------------------------------------------------------

CASES: dict[str, Callable[[int], tuple[Callable[..., float], Callable[..., dict[str, Array]],
                                       dict[str, Array]]]] = {
    **ILL_CONDITIONED, **{name: (lambda seed, name=name: domain_case(name, seed)) for name in DOMAIN},
    **SCALAR, "quotient rule under cancellation": naive_case,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("relative", [1e-3, 1e-6])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", CASES)
def test_an_error_a_user_would_expect_caught_is_caught_or_the_pass_says_it_could_not_be(
        case: str, seed: int, relative: float) -> None:
    """One entry off by ``relative``: unless the error is below what float64 is expected to
    resolve (``USER_RESOLUTION`` of the largest entry), it fails, or the pass cautions with a
    resolution coarse enough to hide it."""
    f, grad, inputs = CASES[case](seed)
    name = next(iter(inputs))
    exact = grad(**inputs)[name]
    index = typical(exact)
    result = check_function(f, planted(grad, name, index), inputs)
    size = relative * abs(float(exact[index])) / float(np.abs(exact).max())
    if caught(result, name, index) or size <= policy.USER_RESOLUTION["float64"]:
        return
    found = result.inputs[name]
    assert found.passed and stated(found.caution) >= size, result.report()
