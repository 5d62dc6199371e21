"""How noisy is the computed J of a network spec? Moré & Wild's ECnoise (``fd.noise``) on
forward evaluations along a random direction of every differentiated tensor."""

from __future__ import annotations

import numpy as np

from gradcheck_cli import policy, streams
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import forward
from gradcheck_cli.fd import steps
from gradcheck_cli.fd.noise import estimate
from gradcheck_cli.problem import INPUT, Problem


def level(problem: Problem, J: float) -> float:
    """The standard deviation of the rounding noise of J at the problem's point (≥ the floor)."""
    rng = streams.rng(problem.seed, streams.NOISE)
    names = [n for n in problem.wrt]
    t = np.arange(policy.NOISE_POINTS, dtype=np.float64)
    values: dict[str, Array] = dict(problem.values)
    for name in names:
        base = problem.x if name == INPUT else problem.values[name]
        u = rng.choice([-1.0, 1.0], size=base.shape)
        delta = steps.noise_spacing(base) * u
        values[name] = base + t.reshape(-1, *([1] * base.ndim)) * delta
    f, _, _, _ = forward.run(problem, values)
    floor = policy.FORWARD_NOISE_ULPS * policy.EPS * max(abs(J), policy.TINY)
    return max(floor, estimate(np.asarray(f, dtype=np.float64)))
