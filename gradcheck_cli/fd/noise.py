"""How noisy is a computed function? Moré & Wild's ECnoise, from values along a line.

f is evaluated at points x + t·δ·u (t = 0..n-1) along a random direction u with a spacing δ so
small that the k-th differences of a smooth f are ~δ^k, below rounding. What is left in the
difference table is noise: for independent noise of level σ, E[(Δ^k f)²] = σ²·(2k)!/(k!)², so
σ_k = sqrt(γ_k·mean((Δ^k f)²)) with γ_k = (k!)²/(2k)! estimates σ at every order k.

Reference: J. J. Moré and S. M. Wild, "Estimating computational noise", SIAM J. Sci. Comput.
33(3), 2011.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array


def estimate(f: Array) -> float:
    """Noise level of samples ``f`` taken at equally spaced points (a difference table)."""
    sigmas = _orders(f)
    return float(np.median(sigmas)) if sigmas else 0.0


def settled(f: Array) -> bool:
    """Whether the difference table of ``f`` is one of noise: the estimates of every order agree
    within ``NOISE_AGREEMENT`` (Moré & Wild's acceptance test). Where f varies on a scale near
    or below the spacing (a near-singular matrix's inverse), the smooth part dominates and the
    orders disagree: the spacing is too wide to measure noise. Identical samples count as settled
    (nothing to measure at this spacing; no narrower one would show more)."""
    sigmas = [s for s in _orders(f) if s > 0]
    return not sigmas or max(sigmas) <= policy.NOISE_AGREEMENT * min(sigmas)


def _orders(f: Array) -> list[float]:
    """σ_k of every order k in ``NOISE_ORDERS`` the samples allow."""
    sigmas = []
    for k in policy.NOISE_ORDERS:
        if k >= f.size:
            break
        gamma = factorial(k) ** 2 / factorial(2 * k)
        sigmas.append(float(np.sqrt(gamma)) * rms(np.diff(f, n=k)))
    return sigmas


def rms(v: Array) -> float:
    """√mean(v²), scaled by the largest |v| first, so that values near 1e200 cannot overflow."""
    top = float(np.abs(v).max(initial=0.0))
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.sqrt(np.mean((v / top) ** 2)))
