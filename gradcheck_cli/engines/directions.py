"""Random directions over all differentiated entries, and finite differences of J along them
(or along their restrictions to a range of entries), for the directional check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import policy, streams
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import along, forward, kinks, noise
from gradcheck_cli.engines.numeric import Base
from gradcheck_cli.fd import stencils, steps, tolerance
from gradcheck_cli.problem import INPUT, Problem


@dataclass(frozen=True)
class Segment:
    """Random direction ``k`` restricted to the flat entries ``lo``..``hi - 1``."""

    k: int
    lo: int
    hi: int

    @property
    def size(self) -> int:
        return self.hi - self.lo

    def halves(self) -> tuple[Segment, Segment]:
        mid = (self.lo + self.hi) // 2
        return Segment(self.k, self.lo, mid), Segment(self.k, mid, self.hi)


@dataclass(frozen=True)
class Stencil:
    """Directional differences D of J, one per segment: their error estimate, whether a
    perturbed copy crossed a kink, and the interval between the one-sided differences, each
    widened by ``ESTIMATE_SAFETY`` × its own error estimate (both ends D for the complex step,
    which moves no real part and so crosses nothing)."""

    value: Array
    error: Array
    crossed: Array
    low: Array
    high: Array

    def take(self, which: int | Array) -> Stencil:
        pick = np.atleast_1d(which)
        return Stencil(*(a[pick] for a in (self.value, self.error, self.crossed, self.low, self.high)))

    @classmethod
    def join(cls, parts: Sequence[Stencil]) -> Stencil:
        fields = zip(*((s.value, s.error, s.crossed, s.low, s.high) for s in parts), strict=True)
        return cls(*(np.concatenate(f) for f in fields))


class Directions:
    """The concatenated entries of every tensor in ``wrt``, random directions over them, and
    finite differences of J along (parts of) those directions.

    The scheme is the problem's, made explicit at this point (``kinks.resolved``): the complex
    step, or central differences where a kinked input sits on its kink (or when asked for).
    """

    def __init__(self, problem: Problem, count: int) -> None:
        J, outputs, caches, _ = forward.run(problem)
        problem = kinks.resolved(problem, outputs, caches)
        self.problem = problem
        self.names = list(problem.wrt)
        self.values = {n: problem.x if n == INPUT else problem.values[n] for n in self.names}
        sizes = [self.values[n].size for n in self.names]
        self.starts = np.cumsum([0, *sizes])
        self.total = int(self.starts[-1])
        self.count = count
        self.complex = problem.scheme == "complex"
        # central differences unless the complex step (a forward scheme is taken centrally here)
        self.h = steps.along(self.values.values(), self.total, "complex" if self.complex else "central",
                             problem.settings.step)
        self.steps = self.h * (np.array([1j]) if self.complex else np.array([1.0, -1.0, 2.0, -2.0]))
        # the complex step has no round-off from subtraction: no need to measure J's noise
        sigma = 0.0 if self.complex else noise.level(problem, float(J))
        self.base = Base(float(J), outputs, kinks.pieces(problem.nodes, caches), sigma,
                         kinks.loss_pieces(problem, outputs[-1]))
        self.u = draw(streams.rng(problem.seed, streams.DIRECTIONS), count, self.total)
        self.whole = [Segment(k, 0, self.total) for k in range(count)]

    def full(self) -> list[Segment]:
        """Every random direction over all entries."""
        return list(self.whole)

    def flat(self, grads: Mapping[str, Array]) -> Array:
        return np.concatenate([np.asarray(grads[n], dtype=np.float64).reshape(-1) for n in self.names])

    def split(self, flat: Array) -> dict[str, Array]:
        """A flat vector over all entries as named, shaped tensors."""
        return {n: flat[self.starts[j]:self.starts[j + 1]].reshape(self.values[n].shape)
                for j, n in enumerate(self.names)}

    def entry(self, i: int) -> tuple[str, tuple[int, ...]]:
        j = int(np.searchsorted(self.starts, i, side="right")) - 1
        name = self.names[j]
        return name, tuple(int(t) for t in np.unravel_index(i - int(self.starts[j]), self.values[name].shape))

    def project(self, g: Array, segments: Sequence[Segment]) -> tuple[Array, Array]:
        """uᵀg over each segment, and a bound on Σ|u_i||g_i| there (the size of its terms, for
        the rounding allowance): the largest weight times Σ|g_i|."""
        if segments == self.whole:
            return self.u @ g, np.full(self.count, WEIGHT_MAX * float(np.abs(g).sum()))
        p = np.array([self.u[s.k, s.lo:s.hi] @ g[s.lo:s.hi] for s in segments])
        return p, WEIGHT_MAX * np.array([np.abs(g[s.lo:s.hi]).sum() for s in segments])

    def evaluate(self, segments: Sequence[Segment]) -> Stencil:
        """The directional differences of J along every segment, in memory-bounded batches."""
        if segments == self.whole:
            return self._combine(*along.losses(self.problem, self.base, self._views(), self.steps))
        found = []
        for batch in self._batches(segments):
            J, crossed = along.losses(self.problem, self.base, self._tangents(batch), self.steps)
            found.append(self._combine(J, crossed))
        return Stencil.join(found)

    def _views(self) -> dict[str, Array]:
        return {n: self.u[:, self.starts[j]:self.starts[j + 1]].reshape(self.count, *self.values[n].shape)
                for j, n in enumerate(self.names)}

    def _touched(self, segment: Segment) -> list[int]:
        return [j for j in range(len(self.names))
                if segment.lo < self.starts[j + 1] and segment.hi > self.starts[j]]

    def _batches(self, segments: Sequence[Segment]) -> list[list[Segment]]:
        """Consecutive groups whose tangent stacks and activations stay within the budget."""
        problem = self.problem
        activations = problem.batch * sum([problem.x.shape[1], *(n.n_out for n in problem.nodes)])
        batches: list[list[Segment]] = [[]]
        touched: set[int] = set()
        for segment in segments:
            more = touched | set(self._touched(segment))
            size = sum(int(self.starts[j + 1] - self.starts[j]) for j in more)
            cost = self.steps.size * (len(batches[-1]) + 1) * (size + activations)
            if batches[-1] and cost > policy.PERTURBATION_BUDGET:
                batches.append([])
                more = set(self._touched(segment))
            batches[-1].append(segment)
            touched = more
        return batches

    def _tangents(self, segments: Sequence[Segment]) -> dict[str, Array]:
        """Per tensor touched by some segment: each segment's direction there (0 outside it)."""
        stacks: dict[str, Array] = {}
        for c, segment in enumerate(segments):
            for j in self._touched(segment):
                name, start = self.names[j], int(self.starts[j])
                if name not in stacks:
                    stacks[name] = np.zeros((len(segments), self.values[name].size))
                lo, hi = max(segment.lo, start), min(segment.hi, int(self.starts[j + 1]))
                stacks[name][c, lo - start:hi - start] = self.u[segment.k, lo:hi]
        return {n: t.reshape(len(segments), *self.values[n].shape) for n, t in stacks.items()}

    def _combine(self, f: Array, crossed: Array) -> Stencil:
        """Value, error estimate and one-sided differences from J at the steps (steps × copies)."""
        moved = np.asarray(crossed.any(axis=0))
        if self.complex:
            d = f[0].imag / self.h
            return Stencil(d, policy.COMPLEX_ULPS * policy.EPS * (np.abs(d) + policy.TINY), moved, d, d)
        f, J, h, sigma = f.real, self.base.J, self.h, self.base.noise
        d1, _, error = stencils.central(f, h, sigma)
        low, high = tolerance.between(stencils.sides(f, J, h, sigma))
        return Stencil(d1, error, moved, low, high)


#: The largest weight of an entry in a random direction (see ``draw``).
WEIGHT_MAX = 2.0 - 1.0 / policy.DIRECTION_LEVELS


def _pairs() -> Array:
    """The two entries each random byte stands for (its low and high four bits: a sign bit and
    three bits of level), as one complex128 per byte so that one lookup yields both."""
    levels = policy.DIRECTION_LEVELS
    nibble = np.arange(16)
    values = np.where(nibble & 8, -1.0, 1.0) * (1.0 + (nibble & (levels - 1)) / levels)
    byte = np.arange(256)
    pairs = np.ascontiguousarray(np.stack([values[byte & 15], values[byte >> 4]], axis=1))
    return pairs.view(np.complex128)[:, 0]


#: Byte → its two direction entries (see ``_pairs``).
PAIRS = _pairs()


def draw(rng: np.random.Generator, count: int, total: int) -> Array:
    """``count`` random directions over ``total`` entries, each entry ±(1 + k/L) with k uniform
    in 0..L-1 (L = ``policy.DIRECTION_LEVELS``): four random bits per entry, read from the
    generator's raw output, two entries per byte looked up in ``PAIRS``."""
    raw = rng.bit_generator.random_raw(-(-count * total // 16)).view(np.uint8)
    return np.take(PAIRS, raw).view(np.float64)[: count * total].reshape(count, total)
