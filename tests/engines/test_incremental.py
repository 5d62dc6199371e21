"""The structure-aware finite differences are the plain stencil, computed with less work."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from problems import make_problem

from gradcheck_cli.engines import forward, incremental, kinks, numeric
from gradcheck_cli.ops.activations import LeakyReLU, Sigmoid, Softmax, Tanh
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import GaussianNLL, SoftmaxCrossEntropy, SquaredError
from gradcheck_cli.problem import Problem

NETWORKS = {
    "tanh-mlp": ([Linear(out=5), Tanh(), Linear(out=4), Sigmoid(), Linear(out=3)], SoftmaxCrossEntropy()),
    "two-activations": ([Linear(out=4), Tanh(), LeakyReLU(slope=0.2), Linear(out=2)], SquaredError()),
    "softmax-inside": ([Linear(out=4), Softmax(), Linear(out=3)], GaussianNLL()),
    "linear-last": ([Linear(out=3), Tanh(), Linear(out=2, bias=False)], SquaredError()),
}


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def _copies(network: str, l2: float, seed: int, size: Callable[[np.random.Generator], Array]) -> Iterator[
    tuple[Problem, str, Array, Array, Array, Array, Array]
]:
    """For every parameter: 12 perturbed copies (entries, signed steps from ``size``) through the
    structure-aware path — the problem, the name, its value, entries, steps, losses, crossings."""
    layers, loss = NETWORKS[network]
    problem = make_problem(layers, loss, batch=6, l2=l2)
    J, outputs, caches, _ = forward.run(problem)
    base = numeric.Base(float(J), outputs, kinks.pieces(problem.nodes, caches), 0.0)
    rng = np.random.default_rng(seed)
    for name, value in problem.values.items():
        where = incremental.applies(problem, name)
        assert where is not None, name
        flat = rng.integers(value.size, size=12)
        delta = rng.choice([-1.0, 1.0], size=12) * size(rng)
        fast, crossed = incremental.shifted_losses(problem, base, where, flat, delta)
        yield problem, name, value, flat, delta, fast, crossed


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_every_perturbed_loss_equals_the_full_forward_to_rounding(network: str, l2: float) -> None:
    real_steps = lambda rng: rng.uniform(1e-6, 1e-1, size=12)  # noqa: E731
    for problem, name, value, flat, delta, fast, _ in _copies(network, l2, 0, real_steps):
        for s in range(12):
            bumped = value.copy().reshape(-1)
            bumped[flat[s]] += delta[s]
            slow, _, _, _ = forward.run(problem, {**problem.values, name: bumped.reshape(value.shape)})
            assert fast[s] == pytest.approx(float(slow), rel=1e-13, abs=1e-15), (name, s)


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("size", [1e-20, 1e-3])  # the imaginary tail alone; the full complex forward
@pytest.mark.parametrize("response", [True, False])  # the loss's response read once, or per copy
def test_every_complex_step_copy_equals_the_full_complex_forward_to_rounding(
    network: str, l2: float, size: float, response: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not response:
        monkeypatch.setattr(incremental, "LOSS_RESPONSE_WIDTH", 0)
    imaginary_steps = lambda rng: 1j * size * rng.uniform(0.5, 2.0, size=12)  # noqa: E731
    for problem, name, value, flat, delta, fast, crossed in _copies(network, l2, 1, imaginary_steps):
        assert not crossed.any()
        for s in range(12):
            bumped = value.astype(complex).reshape(-1)
            bumped[flat[s]] += delta[s]
            slow, _, _, _ = forward.run(problem, {**problem.values, name: bumped.reshape(value.shape)})
            # Im J / h is the derivative: it must agree to rounding, whatever the step's size
            derivative = float(np.imag(slow)) / size
            assert fast[s].imag / size == pytest.approx(derivative, rel=1e-12, abs=1e-14), (name, s)


def test_the_numeric_gradient_is_the_same_with_and_without_the_structure(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    layers, loss = NETWORKS["tanh-mlp"]
    problem = make_problem(layers, loss, batch=5)
    fast = numeric.gradients(problem)
    monkeypatch.setattr(incremental, "applies", lambda problem, name: None)
    plain = numeric.gradients(problem)
    for name in problem.wrt:
        # the two differ only by the rounding of J, which the error estimate covers
        assert np.all(np.abs(fast.grads[name] - plain.grads[name]) <= fast.error[name]), name


def test_the_input_and_unknown_names_fall_back_to_the_plain_stencil() -> None:
    layers, loss = NETWORKS["tanh-mlp"]
    problem = make_problem(layers, loss)
    assert incremental.applies(problem, "x") is None
    assert incremental.applies(problem, "W0") == (0, "W")
    assert incremental.applies(problem, "b1") == (2, "b")


def test_the_penalty_change_comes_from_the_penalty_forward(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Whatever the penalty's forward is, the structure-aware differences follow it: with R(W)
    = (λ/4) Σ W⁴ in place of the L2 form, ∂R/∂W = λW³ is what the penalty adds to them."""
    from gradcheck_cli.ops.penalty import L2Penalty

    layers, loss = NETWORKS["tanh-mlp"]
    plain, penalised = (make_problem(layers, loss, batch=5, l2=l2) for l2 in (0.0, 0.3))
    quartic = lambda self, W: 0.25 * self.strength * (W**4).sum(axis=(-2, -1))  # noqa: E731
    monkeypatch.setattr(L2Penalty, "forward", quartic)
    for scheme in ("complex", "central"):
        settings = dataclasses.replace(penalised.settings, scheme=scheme)
        with_penalty = numeric.gradients(dataclasses.replace(penalised, settings=settings))
        without = numeric.gradients(dataclasses.replace(plain, settings=settings))
        for name in ("W0", "W1", "W2"):
            assert incremental.applies(penalised, name) is not None
            added = with_penalty.grads[name] - without.grads[name]
            expected = 0.3 * penalised.values[name] ** 3
            assert np.allclose(added, expected, rtol=0, atol=1e-8), (scheme, name)
