"""The truth and a claim as numbers at random points that respect the assumptions."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.claims import points
from gradcheck_cli.ops.base import Array

Point = dict[str, Array]


def substitution(symbols: Mapping[str, sp.Matrix], point: Mapping[str, Array]) -> dict[sp.Symbol, sp.Float]:
    """Symbol → number for every entry of every variable."""
    subs: dict[sp.Symbol, sp.Float] = {}
    for name, matrix in symbols.items():
        for sym, value in zip(matrix, np.asarray(point[name]).reshape(-1), strict=True):
            if isinstance(sym, sp.Symbol):
                subs[sym] = sp.Float(float(value))
    return subs


def evaluate(matrix: sp.Matrix, subs: Mapping[sp.Symbol, sp.Float]) -> Array:
    """A SymPy matrix at a point, as floats; NaN where it is not a finite real number."""
    out = np.empty(matrix.shape)
    for i in range(matrix.rows):
        for j in range(matrix.cols):
            out[i, j] = _number(matrix[i, j].xreplace(subs).evalf())
    return out


def _number(value: sp.Basic) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def close(a: Array, b: Array) -> bool:
    """Equal up to the rounding of two exact formulas (``policy.CLAIM_RTOL``)."""
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), policy.TINY)
    return bool(np.all(np.abs(a - b) <= policy.CLAIM_RTOL * scale))


@dataclass
class Sampler:
    """Draws points for one question; every draw is seeded, so runs are reproducible."""

    variables: Mapping[str, tuple[int, int]]
    assume: Mapping[str, Collection[str]]
    seed: int
    draws: int = field(default=0)

    def points(
        self, finite: Callable[[Point], bool], *, also_symmetric: Collection[str] = ()
    ) -> list[Point] | None:
        """``CLAIM_POINTS`` points where ``finite`` holds, or None if they cannot be found."""
        rng = np.random.default_rng([self.seed, self.draws])
        self.draws += 1
        found: list[Point] = []
        for _ in range(policy.CLAIM_POINTS * policy.CLAIM_REDRAWS):
            point = points.draw(self.variables, self.assume, rng, also_symmetric=also_symmetric)
            if finite(point):
                found.append(point)
                if len(found) == policy.CLAIM_POINTS:
                    return found
        return None
