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
what rounding noise explains — or where the truncation term outweighs the round-off term (the
step is wider than the scale f varies on: a near-singular matrix's inverse) — the step is divided
by 4 (the old ±s become the new ±4s, so a shrink costs four evaluations) and the entry is
differenced again, ``USER_STEP_SHRINKS`` times, and on while that still helps (see ``derivative``).
Several kinks within ±4s are then resolved one at a time, as the stencil narrows. A stencil point
where f is not defined (nan, inf, an exception: log near 0, arccosh near 1) shrinks the step too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array

#: Stencil offsets in units of s, after θ itself: the three levels, each + then −.
OFFSETS = (1.0, -1.0, 2.0, -2.0, 4.0, -4.0)

#: Ratio between successive steps: a shrink by 4 reuses the outer points ±s as the new ±4s.
SHRINK = 4.0

#: J at θ moved by an offset: (the coordinate actually taken, the probes' J there).
Probe = Callable[[float], tuple[float, Array]]
#: A ``Probe`` that may find f undefined there (it returned nan or inf, or raised: the point left
#: its domain): None.
Partial = Callable[[float], tuple[float, Array] | None]


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
class Derivative:
    """∂J_c/∂θ of every probe c, its error bound (both (probes,)), the step s it was taken at,
    and whether the step had to shrink because f was not defined at a wider stencil's points."""

    value: Array
    error: Array
    step: float
    edge: bool
    #: the round-off part of ``error``
    roundoff: Array | float = 0.0


def derivative(probe: Partial, theta: float, base: Array, step: float, sigma: Array,
               richardson: bool, resolution: float = np.inf) -> Derivative | None:
    """∂J_c/∂θ for every probe c and its error bound, or None when f is undefined (``probe``
    returned None) at some point of every stencil down to the last shrink.

    ``base`` is J_c at θ, ``step`` the first s, ``sigma`` the rounding noise of each J_c. The step
    shrinks (by ``SHRINK``) where it does not suit f (``_level``) — ``USER_STEP_SHRINKS`` times,
    and on, up to ``USER_STEP_SHRINKS_MAX``, unless the levels look like a kink on θ or a jump,
    where no step is right (``_settled``) — and wherever a stencil point leaves f's domain. The
    last level taken is the answer; but where the first step suits f and still resolves the value
    only to worse than ``resolution`` (relative; by default never) for its round-off, wider ones
    are tried (``_widened``).
    """
    taken: dict[float, tuple[float, Array] | None] = {}
    s, last, edge = step, None, False
    levels: list[tuple[Derivative, float]] = []
    for shrink in range(policy.USER_STEP_SHRINKS_MAX + 1):
        for offset in OFFSETS:
            if offset * s not in taken:
                taken[offset * s] = probe(offset * s)
        points = [taken[o * s] for o in OFFSETS]
        if any(p is None for p in points):
            edge, s = True, s / SHRINK
            continue
        last, excess = _level(points, theta, base, s, sigma, richardson)
        levels.append((last, excess))
        if excess <= 1.0 or (shrink >= policy.USER_STEP_SHRINKS and _settled(levels)):
            break
        s /= SHRINK
    if last is None:
        return None
    if len(levels) == 1 and not edge and levels[0][1] <= 1.0:
        last = _widened(probe, taken, theta, base, last, sigma, richardson, resolution)
    return Derivative(last.value, last.error, last.step, edge, last.roundoff)


def _widened(probe: Partial, taken: dict[float, tuple[float, Array] | None], theta: float, base: Array,
             level: Derivative, sigma: Array, richardson: bool, resolution: float) -> Derivative:
    """A first level that suits f but resolves a value that is not zero (above its round-off)
    only to worse than ``resolution``, with round-off the larger part of its error — a noisy or
    cancelling f, smooth on a scale far above the step ((1 − cos x)/x² at x ~ 1e-3) — widened
    ``SHRINK``-fold at a time (four more evaluations each), at most ``USER_STEP_WIDENINGS``
    times, while the wider level still suits f and has the smaller error bound. (The rest of the
    bound, estimated from noisy values, is itself mostly noise there: the wider level's bound
    decides.)"""
    for _ in range(policy.USER_STEP_WIDENINGS):
        rest = level.error - level.roundoff
        if not np.all((rest < level.roundoff)
                      & (level.roundoff < np.abs(level.value))
                      & (policy.ESTIMATE_SAFETY * level.error > resolution * np.abs(level.value))):
            break
        s = level.step * SHRINK
        for offset in OFFSETS:
            if offset * s not in taken:
                taken[offset * s] = probe(offset * s)
        points = [taken[o * s] for o in OFFSETS]
        if any(p is None for p in points):
            break
        wider, excess = _level(points, theta, base, s, sigma, richardson)
        if excess > 1.0 or not np.all(wider.error < level.error):
            break
        level = wider
    return level


def _level(points: list[tuple[float, Array] | None], theta: float, base: Array, s: float, sigma: Array,
           richardson: bool) -> tuple[Derivative, float]:
    """The value and error bound of one stencil of step s, and how far the step is from one that
    suits f (≤ 1: it does), the larger over the probes of

        Q / (``USER_SMOOTHNESS_Z``·σ_Q)          f not smooth at the step's scale (a kink), and
        T / (``USER_TRUNCATION_Z``·round-off)    the bound's truncation and kink terms T, which
                                                 outweigh the value's round-off: a smaller step
                                                 lowers their sum.

    T alone tells a step far wider than the scale f varies on where f looks smooth at the stencil's
    points: a near-singular matrix's inverse along one entry, a + b/(t − p) with its pole p
    within the stencil, gives D(w) ∝ 1/w² and a constant Δ²(w), which Q does not notice."""
    moves = np.array([p[0] - theta for p in points if p is not None])
    values = np.stack([base, *(p[1] for p in points if p is not None)])
    w = weights(moves, richardson)
    floor = np.maximum(sigma, policy.TINY)
    rough = np.abs(w.smoothness @ values) / (policy.USER_SMOOTHNESS_Z * float(np.linalg.norm(w.smoothness)))
    rough = rough / floor
    roundoff = policy.USER_NOISE_SIGMAS * floor * float(np.linalg.norm(w.value))
    truncation = np.abs(w.truncation @ values) + np.abs(w.kink @ values)
    error = truncation + roundoff
    excess = np.maximum(rough, truncation / (policy.USER_TRUNCATION_Z * roundoff))
    return Derivative(w.value @ values, error, s, False, roundoff), float(np.max(excess))


def _settled(levels: list[tuple[Derivative, float]]) -> bool:
    """Whether the levels so far (widest first) look like a kink on θ or a jump, where a smaller
    step does not help: the last one's excess neither above its predecessor's nor far below it,
    and its value within both error bounds of its predecessor's. Where the excess has risen
    somewhere (a scale of variation below the step, being closed in on), two such levels in a
    row: the turn from rising to falling takes one. A step far wider than an oscillation of f
    (sin(x) at x ~ 1e8) gives values that jump from level to level, beyond their bounds."""
    pairs = list(pairwise(levels))
    ratios = [b[1] / a[1] if a[1] > 0 else np.inf for a, b in pairs]
    calm = [1.0 / policy.USER_STEP_SETTLING <= r <= 1.0
            and bool(np.all(np.abs(b[0].value - a[0].value) <= a[0].error + b[0].error))
            for r, (a, b) in zip(ratios, pairs, strict=True)]
    needed = 2 if any(r > 1.0 for r in ratios) else 1
    return len(calm) >= needed and all(calm[-needed:])
