"""Finite differences that know the network's structure — still forward evaluations only.

Perturbing one entry of a linear layer's W[p, q] (or b[p]) changes one column of that layer's
output: z[:, p] += δ·x[:, q]. Elementwise layers after it change only that column too. At the
next linear layer the change becomes the rank-1 update Δz = Δa[:, p] ⊗ W'[:, p], and from there
the layers run as usual on a stack of perturbed copies. This uses no derivative of any op: every
value is still the forward of the perturbed network, computed with less arithmetic. It agrees
with recomputing the whole forward to rounding (a test says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from gradcheck_cli.engines import kinks
from gradcheck_cli.ops import Elementwise
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.problem import Problem

if TYPE_CHECKING:
    from gradcheck_cli.engines.numeric import Base as Point


def applies(problem: Problem, name: str) -> tuple[int, str] | None:
    """(node position, local name) when ``name`` is a linear layer's W or b, else None."""
    for position, node in enumerate(problem.nodes):
        for local, global_name in node.params.items():
            if global_name == name and isinstance(node.op, Linear):
                return position, local
    return None


def shifted_losses(
    problem: Problem, base: Point, where: tuple[int, str], flat: Array, delta: Array
) -> tuple[Array, Array]:
    """J after adding ``delta[s]`` to entry ``flat[s]`` of the parameter, for every s, and
    whether copy s moved a kinked op onto another piece: two arrays of shape (S,).

    Args:
        problem: the network.
        base: the unperturbed point: every layer's output and the kinked ops' pieces.
        where: (node position, local parameter name) from ``applies``.
        flat: flat indices into the parameter, one per perturbed copy.
        delta: the signed perturbation of each copy.
    """
    outputs = base.outputs
    position, local = where
    node = problem.nodes[position]
    x_in = problem.x if position == 0 else outputs[position - 1]
    if local == "W":
        p, q = np.divmod(flat, node.n_in)
        shift = delta[:, None] * x_in[:, q].T
    else:
        p, shift = flat, np.broadcast_to(delta[:, None], (flat.size, x_in.shape[0]))
    base_col = outputs[position][:, p].T
    col = base_col + shift
    crossed = np.zeros(flat.size, dtype=bool)
    k = position + 1
    while k < len(problem.nodes):
        op = problem.nodes[k].op
        if not isinstance(op, Elementwise):
            break
        moved = op.branch(col)
        if moved is not None:
            crossed |= (moved != op.branch(base_col)).any(axis=1)
        col = op.value(col)
        base_col = outputs[k][:, p].T
        k += 1
    a = _spread(problem, outputs, k, p, col, base_col)
    start = k + 1 if k < len(problem.nodes) and isinstance(problem.nodes[k].op, Linear) else k
    caches = []
    for later in problem.nodes[start:]:
        a, cache = later.op.forward(a, problem.local_values(later))
        caches.append(cache)
    crossed |= kinks.crossed(base.pieces[start:], kinks.pieces(problem.nodes[start:], caches), flat.size)
    crossed |= kinks.crossed([base.hinges], [kinks.loss_pieces(problem, a)], flat.size)
    per_example, _ = problem.loss.forward(a, problem.y)
    J: Array = problem.scale * per_example.sum(axis=-1) + _penalty(problem, node.params[local], flat, delta)
    return J, crossed


def _spread(
    problem: Problem, outputs: Sequence[Array], k: int, p: Array, col: Array, base_col: Array
) -> Array:
    """The stack of perturbed arrays entering layer ``k`` (or its output, for a linear layer)."""
    if k < len(problem.nodes) and isinstance(problem.nodes[k].op, Linear):
        W = problem.local_values(problem.nodes[k])["W"]
        # one (copies, batch, width) array, written in place: the product, then the base added
        updated: Array = np.multiply((col - base_col)[:, :, None], W[:, p].T[:, None, :])
        updated += outputs[k][None]
        return updated
    before = outputs[k - 1]
    stack: Array = np.broadcast_to(before, (col.shape[0], *before.shape)).astype(np.result_type(before, col))
    stack[np.arange(col.shape[0]), :, p] = col
    return stack


def _penalty(problem: Problem, name: str, flat: Array, delta: Array) -> Array | float:
    """R(θ + δe) for every copy: the base penalty plus the change in the one perturbed entry."""
    if problem.penalty is None:
        return 0.0
    base = sum(float(problem.penalty.forward(problem.values[n])) for n in problem.penalised())
    if name not in problem.penalised():
        return base
    w = problem.values[name].reshape(-1)[flat]
    lam = problem.penalty.strength
    changed: Array = base + lam * (w * delta + 0.5 * delta * delta)
    return changed
