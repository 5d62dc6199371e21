"""The judge: two sources of one derivative compared entry by entry, and what the result tree
records of that comparison.

Whatever the subject — a network spec's engines, user code against finite differences — a
comparison is the same: the |difference| of every entry against its tolerance (``fd.tolerance``),
entries at a kink judged against the interval between their one-sided differences (``Band``), a
``Pair`` summarising it, the worst entries and, for a small tensor, the grid of error/tolerance.
Spec checks (``compare``, ``compare_directional``) and user-code checks (``usercode.verdict``)
call it; none compares twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import Gradients
from gradcheck_cli.fd import tolerance
from gradcheck_cli.results import Entry, Pair

#: Added to what the tolerance is said to come from where entries were judged at a kink.
AT_A_KINK = "; at a kink: between the one-sided differences"


@dataclass(frozen=True)
class Band:
    """Entries whose stencil straddled a kink: any value between the one-sided differences
    (widened by their error estimate) is a valid subgradient there."""

    at: Array
    low: Array
    high: Array

    @classmethod
    def of(cls, found: Mapping[str, Gradients], name: str) -> Band | None:
        """The entries of ``name`` the numeric engine's stencils found at a kink (None when it did
        not run or found none)."""
        numeric = found.get("numeric")
        if numeric is None or name not in numeric.kinks or not numeric.kinks[name].any():
            return None
        low, high = tolerance.widened(*numeric.one_sided[name], numeric.error[name])
        return cls(numeric.kinks[name], low, high)

    def judge(self, a: Array, b: Array, ratio: Array, wrong: Array) -> tuple[Array, Array]:
        inside = (a >= self.low) & (a <= self.high) & (b >= self.low) & (b <= self.high)
        return np.where(self.at & inside, 0.0, ratio), np.where(self.at, ~inside, wrong)


@dataclass(frozen=True)
class Judged:
    """Two sources compared: the summary, and per entry error/tolerance, over-tolerance and the
    tolerance itself (each of the shape compared)."""

    pair: Pair
    ratio: Array
    wrong: Array
    tol: Array


def compare(first: str, second: str, a: Array, b: Array, tol: Array, source: str, *,
            entries: int | None = None, band: Band | None = None) -> Judged:
    """``a`` (from ``first``) against ``b`` (from ``second``), entry by entry, within ``tol``.

    Args:
        source: where the tolerance comes from, in words.
        entries: how many entries the derivative has, when ``a`` holds several comparisons of
            each (user code's probes, one row each): an entry fails once however many of its
            comparisons fail. Default: every value of ``a`` is an entry.
        band: entries at a kink, judged between their one-sided differences.
    """
    err = np.abs(a - b)
    rel = err / np.maximum(np.maximum(np.abs(a), np.abs(b)), policy.TINY)
    ratio = err / np.maximum(tol, policy.TINY)
    wrong = err > tol
    if band is not None:
        ratio, wrong = band.judge(a, b, ratio, wrong)
        source += AT_A_KINK
    per_entry = wrong.reshape(-1, entries if entries is not None else max(wrong.size, 1))
    failing = int(per_entry.any(axis=0).sum())
    pair = Pair(first, second, float(err.max(initial=0.0)), float(rel.max(initial=0.0)),
                float(ratio.max(initial=0.0)), failing, source)
    return Judged(pair, ratio, wrong, np.broadcast_to(tol, np.shape(a)))


def worst(values: Mapping[str, Array], pair: Pair, ratio: Array, tol: Array) -> tuple[Entry, ...]:
    """The ``policy.WORST_ENTRIES`` entries of highest error/tolerance in ``pair``, each with the
    value of every source in ``values`` (arrays of ``ratio``'s shape), the pair's absolute and
    relative error and the tolerance; ties in the order of the entries."""
    a, b = values[pair.first], values[pair.second]
    order = np.argsort(-ratio, axis=None, kind="stable")[: policy.WORST_ENTRIES]
    entries = []
    for flat in order:
        index = tuple(int(i) for i in np.unravel_index(int(flat), ratio.shape))
        err = abs(float(a[index]) - float(b[index]))
        scale = max(abs(float(a[index])), abs(float(b[index])), policy.TINY)
        entries.append(Entry(index, {s: float(v[index]) for s, v in values.items()}, err, err / scale,
                             float(tol[index])))
    return tuple(entries)


def error_grid(ratio: Array) -> tuple[tuple[float, ...], ...]:
    """Error / tolerance per entry, row by row, for a tensor small enough to show as a grid."""
    if ratio.size > policy.GRID_MAX_ENTRIES:
        return ()
    rows = ratio.reshape(ratio.shape[0], -1) if ratio.ndim else ratio.reshape(1, 1)
    return tuple(tuple(float(v) for v in row) for row in rows)
