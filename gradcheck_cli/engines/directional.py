"""Directional checks for large problems: compare uᵀ∇J with the finite difference of J along u
for a few random directions u, and when they disagree, localise the wrong entry by bisection.

A full check costs one stencil per entry; a direction costs one stencil for all of them. A
random ±1 direction sees every entry with weight 1, so a single wrong entry moves uᵀ∇J by its
full error: it is detected as soon as that error exceeds the directional difference's own error
estimate. Then the direction is restricted to half of the entries, and to the half of that half
where the disagreement stays, until one entry is left: ~log₂(N) more stencils name it.

What a directional pass does not prove: errors in several entries that cancel along every tried
direction (vanishingly unlikely for random signs), or errors below the directional tolerance,
which grows with √N while a full check's tolerance is per entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.engines import Gradients, forward, noise
from gradcheck_cli.ops.base import Array
from gradcheck_cli.problem import INPUT, Problem


@dataclass(frozen=True)
class Located:
    """The entry bisection ended on, and the two values there."""

    tensor: str
    index: tuple[int, ...]
    analytic: float
    numeric: float


@dataclass(frozen=True)
class SourceCheck:
    """One analytic source against the directional differences."""

    source: str
    #: the largest |uᵀg - D_u J| over its tolerance, across the random directions
    worst_ratio: float
    located: Located | None

    @property
    def passed(self) -> bool:
        return self.worst_ratio <= 1.0


class Directions:
    """The concatenated entries of every tensor in ``wrt``, and directional differences of J."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.names = list(problem.wrt)
        self.values = {n: problem.x if n == INPUT else problem.values[n] for n in self.names}
        self.sizes = [self.values[n].size for n in self.names]
        self.total = int(sum(self.sizes))
        flat = np.concatenate([self.values[n].reshape(-1) for n in self.names])
        self.complex = problem.scheme == "complex"
        base = policy.COMPLEX_STEP if self.complex else policy.CENTRAL_STEP
        self.h = base * max(1.0, float(np.sqrt(np.mean(flat * flat))))
        J, _, _, _ = forward.run(problem)
        # the complex step has no round-off from subtraction: no need to measure J's noise
        self.sigma = 0.0 if self.complex else noise.level(problem, float(J))

    def derivative(self, u: Array) -> tuple[Array, Array]:
        """D_u J for each row of ``u`` (directions × entries) and its error estimate."""
        offsets = np.array([1j]) if self.complex else np.array([1.0, -1.0, 2.0, -2.0])
        steps = (offsets[:, None] * self.h).reshape(-1, 1)
        stacked = {}
        start = 0
        for name, size in zip(self.names, self.sizes, strict=True):
            shape = self.values[name].shape
            piece = u[:, start:start + size].reshape(1, u.shape[0], *shape)
            moved = self.values[name][None, None] + steps.reshape(-1, 1, *([1] * len(shape))) * piece
            stacked[name] = moved.reshape(-1, *shape)
            start += size
        J, _, _, _ = forward.run(self.problem, {**self.problem.values, **stacked})
        f = np.asarray(J).reshape(offsets.size, u.shape[0])
        if self.complex:
            d = f[0].imag / self.h
            return d, policy.COMPLEX_ULPS * policy.EPS * (np.abs(d) + policy.TINY)
        f = f.real
        d1, d2 = (f[0] - f[1]) / (2 * self.h), (f[2] - f[3]) / (4 * self.h)
        return d1, np.abs(d1 - d2) / 3 + self.sigma / self.h

    def project(self, grads: Mapping[str, Array], u: Array) -> Array:
        g = np.concatenate([np.asarray(grads[n]).reshape(-1) for n in self.names])
        return np.asarray(u @ g)

    def scale(self, grads: Mapping[str, Array], u: Array) -> Array:
        """The size of the terms in uᵀg, for the rounding allowance of the analytic side."""
        g = np.concatenate([np.asarray(grads[n]).reshape(-1) for n in self.names])
        return np.asarray(np.abs(u) @ np.abs(g))

    def entry(self, k: int) -> tuple[str, tuple[int, ...]]:
        for name, size in zip(self.names, self.sizes, strict=True):
            if k < size:
                return name, tuple(int(i) for i in np.unravel_index(k, self.values[name].shape))
            k -= size
        raise IndexError(k)


def check(problem: Problem, analytic: Mapping[str, Gradients], count: int | None = None) -> list[SourceCheck]:
    """Compare every analytic source with ``count`` random ±1 directions; localise failures."""
    d = Directions(problem)
    rng = np.random.default_rng(problem.seed)
    u = rng.choice([-1.0, 1.0], size=(count or policy.DIRECTIONS, d.total))
    numeric, error = d.derivative(u)
    results = []
    for source, gradients in analytic.items():
        ratio = _ratios(d, gradients.grads, u, numeric, error)
        located = None
        if ratio.max() > 1.0:
            located = _bisect(d, gradients.grads, u[int(np.argmax(ratio))])
        results.append(SourceCheck(source, float(ratio.max()), located))
    return results


def _ratios(d: Directions, grads: Mapping[str, Array], u: Array, numeric: Array, error: Array) -> Array:
    tol = policy.ESTIMATE_SAFETY * error + policy.ANALYTIC_ULPS * policy.EPS * d.scale(grads, u)
    return np.asarray(np.abs(d.project(grads, u) - numeric) / np.maximum(tol, policy.TINY))


def _bisect(d: Directions, grads: Mapping[str, Array], u: Array) -> Located:
    """Halve the failing direction's support, keeping the half that disagrees more."""
    lo, hi = 0, d.total
    while hi - lo > 1:
        mid = (lo + hi) // 2
        halves = np.zeros((2, d.total))
        halves[0, lo:mid], halves[1, mid:hi] = u[lo:mid], u[mid:hi]
        numeric, error = d.derivative(halves)
        ratio = _ratios(d, grads, halves, numeric, error)
        lo, hi = (lo, mid) if ratio[0] >= ratio[1] else (mid, hi)
    single = np.zeros((1, d.total))
    single[0, lo] = 1.0
    numeric, _ = d.derivative(single)
    name, index = d.entry(lo)
    return Located(name, index, float(np.asarray(grads[name])[index]), float(numeric[0]))
