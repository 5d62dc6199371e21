"""J along stacked directions: the structure-aware forward equals the plain forward of the
perturbed copies, value for value and kink crossing for kink crossing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from problems import make_problem

from gradcheck_cli.engines import along, forward, kinks
from gradcheck_cli.engines.numeric import Base
from gradcheck_cli.ops.activations import ReLU, Tanh
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SoftmaxCrossEntropy
from gradcheck_cli.problem import INPUT, Problem


def network(activation: type[ReLU] | type[Tanh]) -> Problem:
    layers = [Linear(out=7), activation(), Linear(out=6), activation(), Linear(out=4, bias=False)]
    problem = make_problem(layers, SoftmaxCrossEntropy(), inputs=5, batch=6, l2=0.3)
    if activation is ReLU:  # units on their kink for the first example: some copies cross it
        x = problem.x.copy()
        x[0] = 0.0
        b0 = problem.values["b0"].copy()
        b0[:3] = 0.0
        problem = dataclasses.replace(problem, x=x, values={**problem.values, "b0": b0})
    return problem


def base_point(problem: Problem) -> Base:
    J, outputs, caches, _ = forward.run(problem)
    pieces = kinks.pieces(problem.nodes, caches)
    return Base(float(J), outputs, pieces, 0.0, kinks.loss_pieces(problem, outputs[-1]))


def plain(problem: Problem, base: Base, tangents: dict[str, Array], steps: Array) -> tuple[Array, Array]:
    """The straightforward way: every perturbed copy of every tensor, through ``forward.run``."""
    values = dict(problem.values)
    for name, t in tangents.items():
        value = problem.x if name == INPUT else problem.values[name]
        values[name] = value + steps.reshape(-1, *([1] * t.ndim)) * t
    J, outputs, caches, _ = forward.run(problem, values)
    stack = (steps.size, next(iter(tangents.values())).shape[0])
    copies = stack[0] * stack[1]
    # layers before the first moved tensor are not stacked: every copy has the base's pieces
    pieces = [None if p is None else np.broadcast_to(p, stack + p.shape[-2:])
              for p in kinks.pieces(problem.nodes, caches)]
    crossed = kinks.crossed(base.pieces, pieces, copies)
    crossed |= kinks.crossed([base.hinges], [kinks.loss_pieces(problem, outputs[-1])], copies)
    return J, crossed.reshape(stack)


@pytest.mark.parametrize("activation", [Tanh, ReLU])
@pytest.mark.parametrize("moved", [("W0", "b0", "W1", "b1", "W2"), ("W1",), ("b0", "W2"), (INPUT, "W1")])
@pytest.mark.parametrize("steps", [np.array([1e-20j]), np.array([1.0, -1.0, 2.0, -2.0]) * 1e-3])
def test_the_fast_path_is_the_forward_at_the_perturbed_points(
    activation: type[ReLU] | type[Tanh], moved: tuple[str, ...], steps: Array
) -> None:
    problem = network(activation)
    base = base_point(problem)
    rng = np.random.default_rng(1)
    tangents = {n: rng.choice([-1.5, -1.0, 1.0, 1.25], size=(3, *problem.shape_of(n))) for n in moved}
    J, crossed = along.losses(problem, base, tangents, steps)
    J_plain, crossed_plain = plain(problem, base, tangents, steps)
    assert J.shape == J_plain.shape == (steps.size, 3)
    np.testing.assert_allclose(J.real, J_plain.real, rtol=1e-14)
    # the complex step's derivative is Im J / h: the imaginary parts must agree to rounding too
    np.testing.assert_allclose(J.imag, J_plain.imag, rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(crossed, crossed_plain)
    if activation is ReLU and np.isrealobj(steps) and "b0" in moved:
        assert crossed.any()  # the comparison of crossings is not vacuous
