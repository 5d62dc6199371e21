"""Build small Problems directly (no YAML) for engine and op tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gradcheck_cli.ops import Layer, Loss
from gradcheck_cli.ops.activations import Sigmoid, Softmax
from gradcheck_cli.ops.penalty import L2Penalty
from gradcheck_cli.problem import INPUT, Node, Problem, Reduction


def make_problem(
    layers: Sequence[Layer],
    loss: Loss,
    *,
    inputs: int = 3,
    batch: int = 5,
    seed: int = 0,
    wrt: Sequence[str] | None = None,
    reduction: Reduction = "mean",
    l2: float = 0.0,
) -> Problem:
    """A problem with seeded x, y and parameters; the loss's domain is respected by appending
    softmax or sigmoid when the loss needs probabilities."""
    rng = np.random.default_rng(seed)
    layers = list(layers)
    if loss.domain == "simplex":
        layers.append(Softmax())
    elif loss.domain == "unit":
        layers.append(Sigmoid())
    x = rng.standard_normal((batch, inputs))
    nodes, values, n_in, count = [], {}, inputs, 0
    for index, op in enumerate(layers):
        params = op.init_params(n_in, rng)
        names = {local: f"{local}{count}" for local in params}
        values.update({names[k]: v for k, v in params.items()})
        count += bool(params)
        nodes.append(Node(op, index, n_in, op.out_size(n_in), names))
        n_in = op.out_size(n_in)
    k = n_in
    if loss.targets == "onehot":
        y = np.eye(k)[rng.integers(k, size=batch)]
    elif loss.targets == "binary":
        y = rng.integers(2, size=(batch, k)).astype(float)
    else:
        y = rng.standard_normal((batch, k))
    return Problem(
        name="test",
        seed=seed,
        x=x,
        y=y,
        nodes=tuple(nodes),
        loss=loss,
        values=values,
        wrt=tuple(wrt) if wrt is not None else (*values, INPUT),
        reduction=reduction,
        penalty=L2Penalty(strength=l2) if l2 else None,
    )
