"""One entry's derivative from central differences at three steps, Richardson-extrapolated, and an
honest error bound — for functions seen only through calls (user code), one entry at a time.

The entry θ is moved by ±s, ±2s and ±4s. With f₀ = J(θ) and f(±w) = J(θ ± w):

    D(w)  = (f(+w) − f(−w)) / 2w          central difference: f′ + a w² + b w⁴ + …
    R     = D extrapolated to w = 0        from D(s), D(2s), D(4s) (Neville in w²): error O(s⁶)
    Δ²(w) = f(+w) + f(−w) − 2f₀            the even part: f″w² + f⁽⁴⁾w⁴/12 + …

The error bound of R (of D(s) for ``central``) is the sum of

    truncation   |R(s, 2s) − R(2s, 4s)|/15, the error of the O(s⁴) extrapolation, which bounds the
                 O(s⁶) one (for ``central``: |D(s) − D(2s)|/3, the error of D(s));
    kink         s/2 · |Δ²(s)/s² − Δ²(4s)/16s²|: (5/8)|f⁽⁴⁾|s³ where f is smooth, but at least 3/4
                 of the error a kink (relu, max, a hinge) anywhere within ±4s causes. Richardson
                 extrapolation assumes the expansion in w²; a kink at distance k from θ breaks it
                 for every w > k, and three levels can fit a wrong smooth model exactly (a kink at
                 1.5s does): the truncation term alone would then vouch for a wrong value;
    round-off    ``USER_NOISE_SIGMAS`` standard deviations of the value's rounding error,
                 σ·‖weights of the value‖ each, σ the measured rounding noise of J.

Where f is not smooth at the scale of the stencil — Q = 4Δ²(s) − 5Δ²(2s) + Δ²(4s), which cancels
f₀ and f″ and is 15 f⁽⁴⁾s⁴ for a smooth f but of the order of s·(slope jump) at a kink, exceeds
what rounding noise explains — the step is divided by 4 (the old ±s become the new ±4s, so a
shrink costs four evaluations) and the entry is differenced again, at most ``USER_STEP_SHRINKS``
times. Several kinks within ±4s are then resolved one at a time, as the stencil narrows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array

#: Stencil offsets in units of s, after θ itself: the three levels, each + then −.
OFFSETS = (1.0, -1.0, 2.0, -2.0, 4.0, -4.0)

#: Ratio between successive steps: a shrink by 4 reuses the outer points ±s as the new ±4s.
SHRINK = 4.0

#: J at θ moved by an offset: (the coordinate actually taken, the probes' J there).
Probe = Callable[[float], tuple[float, Array]]


@dataclass(frozen=True)
class Weights:
    """Linear functionals over (f₀, f(+s), f(−s), f(+2s), f(−2s), f(+4s), f(−4s))."""

    value: Array
    truncation: Array
    kink: Array
    smoothness: Array


def weights(moves: Array, richardson: bool) -> Weights:
    """The functionals for the moves actually taken (``moves``: coordinate − θ, in OFFSETS
    order), so a step rounded to the precision computed in is accounted for exactly."""
    half = (moves[0::2] - moves[1::2]) / 2.0
    unit = np.eye(len(OFFSETS) + 1)
    central = [(unit[1 + 2 * k] - unit[2 + 2 * k]) / (2.0 * half[k]) for k in range(3)]
    even = [unit[1 + 2 * k] + unit[2 + 2 * k] - 2.0 * unit[0] for k in range(3)]

    def extrapolated(fine: Array, coarse: Array, a: float, b: float) -> Array:
        return fine + (fine - coarse) / ((b / a) ** 2 - 1.0)

    if richardson:
        fine = extrapolated(central[0], central[1], half[0], half[1])
        coarse = extrapolated(central[1], central[2], half[1], half[2])
        value = extrapolated(fine, coarse, half[0], half[2])
        truncation = (fine - coarse) / ((half[2] / half[0]) ** 2 - 1.0)
    else:
        value = central[0]
        truncation = (central[0] - central[1]) / ((half[1] / half[0]) ** 2 - 1.0)
    kink = half[0] / 2.0 * (even[0] / half[0] ** 2 - even[2] / half[2] ** 2)
    smoothness = 4.0 * even[0] - 5.0 * even[1] + even[2]
    return Weights(value, truncation, kink, smoothness)


@dataclass(frozen=True)
class Difference:
    """One stencil's outcome for every probe: the derivative, its error bound, whether J was
    smooth at the last step tried (False: a kink or a jump at θ itself, where no step is right and
    the bound's kink term carries the error), and that step (below the first: J was not smooth
    at a larger scale)."""

    value: Array
    error: Array
    smooth: Array
    step: float


def derivative(probe: Probe, theta: float, base: Array, step: float, sigma: Array,
               richardson: bool) -> tuple[Array, Array]:
    """∂J_c/∂θ for every probe c and its error bound, both of shape (probes,).

    ``base`` is J_c at θ, ``step`` the first s, ``sigma`` the rounding noise of each J_c.
    """
    found = difference(probe, theta, base, step, sigma, richardson)
    return found.value, found.error


def difference(probe: Probe, theta: float, base: Array, step: float, sigma: Array,
               richardson: bool) -> Difference:
    """``derivative``, and whether J was smooth at the step it ended with."""
    taken: dict[float, tuple[float, Array]] = {}
    s, z = step, policy.USER_SMOOTHNESS_Z
    for shrink in range(policy.USER_STEP_SHRINKS + 1):
        for offset in OFFSETS:
            if offset * s not in taken:
                taken[offset * s] = probe(offset * s)
        moves = np.array([taken[o * s][0] - theta for o in OFFSETS])
        values = np.stack([base, *(taken[o * s][1] for o in OFFSETS)])
        w = weights(moves, richardson)
        noise = sigma * float(np.linalg.norm(w.smoothness))
        if shrink == policy.USER_STEP_SHRINKS or np.all(np.abs(w.smoothness @ values) <= z * noise):
            break
        s /= SHRINK
    error = (np.abs(w.truncation @ values) + np.abs(w.kink @ values)
             + policy.USER_NOISE_SIGMAS * sigma * float(np.linalg.norm(w.value)))
    return Difference(w.value @ values, error, np.abs(w.smoothness @ values) <= z * noise, s)
