"""How noisy is the computed J? Moré & Wild's ECnoise, from forward evaluations only.

J is evaluated at points θ + t·δ·u (t = 0..n-1) along a random direction u with a spacing δ so
small that the k-th differences of the smooth J are ~δ^k, below rounding. What is left in the
difference table is noise: for independent noise of level σ, E[(Δ^k f)²] = σ²·(2k)!/(k!)², so
σ_k = sqrt(γ_k·mean((Δ^k f)²)) with γ_k = (k!)²/(2k)! estimates σ at every order k.

Reference: J. J. Moré and S. M. Wild, "Estimating computational noise", SIAM J. Sci. Comput.
33(3), 2011.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.engines import forward
from gradcheck_cli.ops.base import Array
from gradcheck_cli.problem import INPUT, Problem


def level(problem: Problem, J: float) -> float:
    """The standard deviation of the rounding noise of J at the problem's point (≥ the floor)."""
    rng = np.random.default_rng(problem.seed)
    names = [n for n in problem.wrt]
    t = np.arange(policy.NOISE_POINTS, dtype=np.float64)
    values: dict[str, Array] = dict(problem.values)
    for name in names:
        base = problem.x if name == INPUT else problem.values[name]
        u = rng.choice([-1.0, 1.0], size=base.shape)
        delta = policy.NOISE_SPACING * np.maximum(1.0, np.abs(base)) * u
        values[name] = base + t.reshape(-1, *([1] * base.ndim)) * delta
    f, _, _, _ = forward.run(problem, values)
    floor = policy.FORWARD_NOISE_ULPS * policy.EPS * max(abs(J), policy.TINY)
    return max(floor, estimate(np.asarray(f, dtype=np.float64)))


def estimate(f: Array) -> float:
    """Noise level of samples ``f`` taken at equally spaced points (a difference table)."""
    sigmas = []
    for k in policy.NOISE_ORDERS:
        if k >= f.size:
            break
        gamma = factorial(k) ** 2 / factorial(2 * k)
        sigmas.append(float(np.sqrt(gamma)) * rms(np.diff(f, n=k)))
    return float(np.median(sigmas)) if sigmas else 0.0


def rms(v: Array) -> float:
    """√mean(v²), scaled by the largest |v| first, so that values near 1e200 cannot overflow."""
    top = float(np.abs(v).max(initial=0.0))
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.sqrt(np.mean((v / top) ** 2)))
