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
    return float(estimates(f[:, None])[0])


def estimates(f: Array) -> Array:
    """``estimate`` of every column of ``f`` (points, columns) at once: (columns,)."""
    sigmas = _orders(f)
    return np.median(np.stack(sigmas), axis=0) if sigmas else np.zeros(f.shape[1])


def settled(f: Array) -> bool:
    """Whether the difference table of ``f`` is one of noise: the estimates of every order agree
    within ``NOISE_AGREEMENT`` (Moré & Wild's acceptance test). Where f varies on a scale near
    or below the spacing (a near-singular matrix's inverse), the smooth part dominates and the
    orders disagree: the spacing is too wide to measure noise. Identical samples count as settled
    (nothing to measure at this spacing; no narrower one would show more)."""
    sigmas = [float(s[0]) for s in _orders(f[:, None]) if s[0] > 0]
    return not sigmas or max(sigmas) <= policy.NOISE_AGREEMENT * min(sigmas)


def _orders(f: Array) -> list[Array]:
    """σ_k of every column of ``f`` (points, columns), for every order k in ``NOISE_ORDERS`` the
    points allow; each difference scaled by its column's largest first, as in ``rms``."""
    sigmas = []
    for k in policy.NOISE_ORDERS:
        if k >= f.shape[0]:
            break
        diff = np.diff(f, n=k, axis=0)
        top = np.abs(diff).max(axis=0)
        scaled = diff / np.where(top > 0, top, 1.0)
        gamma = factorial(k) ** 2 / factorial(2 * k)
        sigmas.append(float(np.sqrt(gamma)) * top * np.sqrt(np.mean(scaled**2, axis=0)))
    return sigmas


def rms(v: Array) -> float:
    """√mean(v²), scaled by the largest |v| first, so that values near 1e200 cannot overflow."""
    top = float(np.abs(v).max(initial=0.0))
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.sqrt(np.mean((v / top) ** 2)))
