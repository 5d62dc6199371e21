"""Directional checks for large problems: compare uᵀ∇J with the finite difference of J along u
for a few random directions u, and when they disagree, localise the wrong entry by bisection.

A full check costs one stencil per entry; a direction costs one stencil for all of them. Every
entry of a random direction is ±(1 + k/8), k = 0..7 (``policy.DIRECTION_LEVELS``), so a single
wrong entry moves uᵀ∇J by at least its full error: it is detected as soon as that error exceeds
the directional difference's own error estimate. Then the direction is restricted to half of the
entries, and to the half of that half where the disagreement stays, until one entry is left:
~log₂(N) more stencils name it.

Kinks. A central stencil whose perturbed copies put some kinked input (relu at 0, …) on another
piece than the base point crossed a kink; its difference is not a derivative, and with several
kinks of both signs uᵀ∇J need not even lie between the one-sided differences. So a direction
that crossed is split in halves, and again, until every part either crossed nothing — and is
judged strictly like any direction — or is a single entry that still crosses: that entry is
judged as the full check judges it, against the interval between its one-sided differences.
A wrong entry next to a kink sits in a part that does not cross, or is itself such an entry.

What a directional pass does not prove: errors in several entries that cancel along every tried
direction (see ``policy.DIRECTIONS``), or errors below the directional tolerance, which grows
with the size of the terms in uᵀ∇J while a full check's tolerance is per entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import Gradients, numeric
from gradcheck_cli.engines.directions import Directions, Segment, Stencil
from gradcheck_cli.fd import tolerance
from gradcheck_cli.problem import Problem


@dataclass(frozen=True)
class Located:
    """The entry bisection ended on, and the values there: the source's, the finite
    difference's, and at a kink the interval of valid subgradients (low, high)."""

    tensor: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    kink: tuple[float, float] | None = None


@dataclass(frozen=True)
class SourceCheck:
    """One analytic source against the directional differences."""

    source: str
    #: the largest |uᵀg - D_u J| over its tolerance, across the directions and their parts
    worst_ratio: float
    located: Located | None

    @property
    def passed(self) -> bool:
        return self.worst_ratio <= 1.0


@dataclass(frozen=True)
class KinkEntries:
    """Entries whose own stencil crossed a kink, per tensor (``at``), with the interval a valid
    subgradient lies in there: the one-sided differences widened by ``ESTIMATE_SAFETY`` × the
    error estimate, intersected over the directions that reached the entry."""

    at: Mapping[str, Array]
    low: Mapping[str, Array]
    high: Mapping[str, Array]


@dataclass(frozen=True)
class Outcome:
    """Every analytic source's check, how many random directions there were and how many of them
    crossed a kink, and the entries found at a kink."""

    checks: tuple[SourceCheck, ...]
    directions: int
    crossing: int
    kinks: KinkEntries

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def check(problem: Problem, analytic: Mapping[str, Gradients], count: int | None = None) -> Outcome:
    """Compare every analytic source with ``count`` (default ``policy.DIRECTIONS``) random
    directions, split where they cross kinks; localise the worst disagreement of a failing source."""
    d = Directions(problem, count or policy.DIRECTIONS)
    parts, found, crossing = _screen(d)
    checks = []
    for source, gradients in analytic.items():
        g = d.flat(gradients.grads)
        ratio = _ratios(d, g, parts, found)
        worst = int(np.argmax(ratio))
        located = _localise(d, g, parts[worst], found.take(worst)) if ratio[worst] > 1.0 else None
        checks.append(SourceCheck(source, float(ratio[worst]), located))
    return Outcome(_refereed(problem, analytic, checks), d.count, crossing, _kink_entries(d, parts, found))


def _refereed(
    problem: Problem, analytic: Mapping[str, Gradients], checks: Sequence[SourceCheck]
) -> tuple[SourceCheck, ...]:
    """The checks, after the entry each failing source was localised to is differenced again
    plainly (``numeric.plain``: the whole real forward, no complex step, no layer's structure).

    The directional differences take those shortcuts, which write an op's structure a second
    time; a slip there matching a slip in a backward would fail the right source. So where the
    plain difference sides with a failing source at its entry, the directional difference was off
    there: every source is judged at that entry against the plain value instead.
    """
    for check in checks:
        located = check.located
        if located is None or located.kink is not None:
            continue
        shape = problem.shape_of(located.tensor)
        flat = int(np.ravel_multi_index(located.index, shape)) if located.index else 0
        plain = numeric.plain(problem, located.tensor, np.array([flat]))
        value, error = float(plain.value[0]), float(plain.error[0])
        if bool(plain.kink[0]) or _off(located.analytic, value, error) > 1.0:
            continue
        judged = []
        for other in checks:
            mine = float(np.asarray(analytic[other.source].grads[located.tensor]).reshape(-1)[flat])
            ratio = _off(mine, value, error)
            at = Located(located.tensor, located.index, mine, value) if ratio > 1.0 else None
            judged.append(SourceCheck(other.source, ratio, at))
        return tuple(judged)
    return tuple(checks)


def _off(analytic: float, value: float, error: float) -> float:
    """|analytic - value| over what one entry's difference allows (as in a full check)."""
    allowed = float(tolerance.allowed(max(abs(analytic), abs(value)), error))
    return abs(analytic - value) / max(allowed, policy.TINY)


def _screen(d: Directions) -> tuple[list[Segment], Stencil, int]:
    """Every random direction, split until its parts cross no kink or are single entries: the
    parts, their differences, and how many whole directions crossed."""
    pending = d.full()
    stencil = d.evaluate(pending)
    crossing = int(stencil.crossed.sum())
    parts: list[Segment] = []
    found: list[Stencil] = []
    while True:
        split = stencil.crossed & (np.array([s.size for s in pending]) > 1)
        keep = np.flatnonzero(~split)
        parts += [pending[i] for i in keep]
        found.append(stencil.take(keep))
        pending = [half for i in np.flatnonzero(split) for half in pending[i].halves()]
        if not pending:
            return parts, Stencil.join(found), crossing
        stencil = d.evaluate(pending)


def _ratios(d: Directions, g: Array, parts: Sequence[Segment], found: Stencil) -> Array:
    """|uᵀg - D| over its tolerance for each part; a single entry whose stencil crossed a kink
    passes (0) when uᵀg lies between its one-sided differences, as in a full check."""
    p, scale = d.project(g, parts)
    ratio = np.abs(p - found.value) / _tolerance(found, scale)
    inside = (p >= found.low) & (p <= found.high)
    single = np.array([s.size == 1 for s in parts])
    # a difference that is not finite (a copy left the function's domain) is no agreement
    return np.where(found.crossed & single & inside, 0.0, np.nan_to_num(ratio, nan=np.inf))


def _tolerance(found: Stencil, scale: Array) -> Array:
    """What |uᵀg - D| may be: the difference's error estimate times ``ESTIMATE_SAFETY``, plus
    the rounding of uᵀg (``ANALYTIC_ULPS`` of the size of its terms), as for a single entry."""
    return np.maximum(tolerance.allowed(scale, found.error), policy.TINY)


def _localise(d: Directions, g: Array, part: Segment, found: Stencil) -> Located:
    """Halve the failing part, keeping the half that disagrees more, down to one entry."""
    while part.size > 1:
        halves = list(part.halves())
        found = d.evaluate(halves)
        p, scale = d.project(g, halves)
        # a half that crossed a kink (only if the parent's moves of that input cancelled) is
        # scored by how far uᵀg lies outside its one-sided differences
        gap = np.where(found.crossed, np.maximum(found.low - p, p - found.high), np.abs(p - found.value))
        which = int(np.argmax(gap / _tolerance(found, scale)))
        part, found = halves[which], found.take(which)
    k, i = part.k, part.lo
    weight = float(d.u[k, i])
    name, index = d.entry(i)
    kink = None
    if bool(found.crossed[0]):
        ends = sorted((float(found.low[0]) / weight, float(found.high[0]) / weight))
        kink = (ends[0], ends[1])
    return Located(name, index, float(g[i]), float(found.value[0]) / weight, kink)


def _kink_entries(d: Directions, parts: Sequence[Segment], found: Stencil) -> KinkEntries:
    kinked = [j for j, part in enumerate(parts) if part.size == 1 and found.crossed[j]]
    if not kinked:
        return KinkEntries({}, {}, {})
    at = np.zeros(d.total, dtype=bool)
    low, high = np.full(d.total, -np.inf), np.full(d.total, np.inf)
    for j in kinked:
        part = parts[j]
        i, weight = part.lo, float(d.u[part.k, part.lo])
        ends = sorted((float(found.low[j]) / weight, float(found.high[j]) / weight))
        at[i], low[i], high[i] = True, max(low[i], ends[0]), min(high[i], ends[1])
    return KinkEntries(d.split(at), d.split(low), d.split(high))
