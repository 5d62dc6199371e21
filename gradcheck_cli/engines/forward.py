"""The NumPy forward pass of a problem, shared by the backprop and numeric engines."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.problem import INPUT, Problem


def run(
    problem: Problem, values: Mapping[str, Array] | None = None
) -> tuple[Array, list[Array], list[Cache], Cache]:
    """Evaluate J through the ops' NumPy forwards.

    ``values`` overrides parameters (and ``x``) by global name; any of them may carry leading
    axes (a stack of perturbed copies), which broadcast through every op to J.

    Returns:
        J (a float array with the leading axes), the output of every layer (the last is the
        network output ŷ; the input itself when there are no layers), the layer caches and the
        loss cache.
    """
    values = problem.values if values is None else values
    a = values.get(INPUT, problem.x)
    caches: list[Cache] = []
    outputs: list[Array] = []
    for node in problem.nodes:
        a, cache = node.op.forward(a, problem.local_values(node, values))
        caches.append(cache)
        outputs.append(a)
    per_example, loss_cache = problem.loss.forward(a, problem.y)
    J = problem.scale * per_example.sum(axis=-1)
    for penalty, name in problem.penalties():
        J = J + penalty.forward(values[name])
    return np.asarray(J), outputs or [a], caches, loss_cache
