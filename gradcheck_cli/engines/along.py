"""J along a stack of directions: the forward at θ + s·t for every step s and direction t, with
the work the perturbation does not change done once.

A linear layer's forward f(a; W, b) = a Wᵀ + b is linear in its parameters, so at a perturbed
point f(a; W + sU, b + sv) = f(a; W, b + sv) + s·f(a; U, 0): the product's distributivity, not a
derivative rule. Both terms are the layer's own forward, evaluated on the base weights and on the
direction; neither K perturbed copies of W (complex ones for the complex step) nor their products
are formed. Everything else is the ops' forwards on the stacked activations, and the layers
before the first perturbed one are the unperturbed point's outputs. Every value is still J at
the perturbed point (to rounding; a test compares it with the plain stacked forward).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from gradcheck_cli.engines import kinks
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.problem import INPUT, Node, Problem

if TYPE_CHECKING:
    from gradcheck_cli.engines.numeric import Base as Point

#: Ops whose forward is a linear function of their parameters: f(a; P + sQ) = f(a; P) + s·f(a; Q).
LINEAR_IN_PARAMETERS = (Linear,)


def losses(
    problem: Problem, base: Point, tangents: Mapping[str, Array], steps: Array
) -> tuple[Array, Array]:
    """J at θ + s·t for every step s and every direction t, and whether each such copy moved a
    kinked input onto another piece: two arrays of shape (steps, directions).

    Args:
        problem: the network and the point θ.
        base: the unperturbed point: every layer's output and the kinked ops' pieces.
        tangents: name → a stack of directions for that tensor, shape (directions, *shape);
            tensors not named do not move.
        steps: the step sizes s (real, or imaginary for the complex step), shape (steps,).
    """
    copies = steps.size * next(iter(tangents.values())).shape[0]
    first = 0 if INPUT in tangents else _first_moved(problem, tangents)
    unmoved = None
    if INPUT in tangents:
        a = _moved(problem.x, tangents[INPUT], steps)
    else:
        a = problem.x if first == 0 else base.outputs[first - 1]
        # the first moved layer sees the base's input: at the base weights its output is the base's
        unmoved = base.outputs[first] if first < len(problem.nodes) else None
    caches: list[Cache] = []
    for node in problem.nodes[first:]:
        a, cache = _layer(problem, node, a, tangents, steps, unmoved)
        caches.append(cache)
        unmoved = None
    crossed = kinks.crossed(base.pieces[first:], kinks.pieces(problem.nodes[first:], caches), copies)
    crossed |= kinks.crossed([base.hinges], [kinks.loss_pieces(problem, a)], copies)
    per_example, _ = problem.loss.forward(a, problem.y)
    J = problem.scale * per_example.sum(axis=-1)
    for penalty, name in problem.penalties():
        value = problem.values[name]
        J = J + penalty.forward(value if name not in tangents else _moved(value, tangents[name], steps))
    shape = (steps.size, copies // steps.size)
    return np.broadcast_to(J, shape), crossed.reshape(shape)


def _first_moved(problem: Problem, tangents: Mapping[str, Array]) -> int:
    moving = [i for i, node in enumerate(problem.nodes) if any(g in tangents for g in node.params.values())]
    return moving[0] if moving else len(problem.nodes)


def _moved(value: Array, tangent: Array, steps: Array) -> Array:
    """value + s·t for every step s (axis 0) and direction t (axis 1)."""
    moved: Array = value + steps.reshape(-1, *([1] * tangent.ndim)) * tangent
    return moved


def _layer(
    problem: Problem, node: Node, a: Array, tangents: Mapping[str, Array], steps: Array,
    unmoved: Array | None,
) -> tuple[Array, Cache]:
    """The layer's output at the perturbed parameters for every step and direction (``unmoved``:
    its output at the base parameters, when already known)."""
    local = problem.local_values(node)
    moving = {n: tangents[g] for n, g in node.params.items() if g in tangents}
    if not moving:
        return node.op.forward(a, local)
    if not isinstance(node.op, LINEAR_IN_PARAMETERS):
        return node.op.forward(a, {**local, **{n: _moved(local[n], t, steps) for n, t in moving.items()}})
    # (a layer linear in its parameters has no kink: its cache is never looked at)
    z, cache = (unmoved, ()) if unmoved is not None else node.op.forward(a, local)
    direction = {n: moving[n] if n in moving else np.zeros_like(v) for n, v in local.items()}
    dz, _ = node.op.forward(a, direction)
    # activations are (m, n), or (steps, directions, m, n) once perturbed: s runs along axis 0
    return z + steps.reshape(-1, 1, 1, 1) * dz, cache
