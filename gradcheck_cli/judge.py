"""The judge: two sources of one derivative compared entry by entry, and what the result tree
records of that comparison.

Whatever the subject — a network spec's engines, user code against finite differences — a
comparison is the same: the |difference| of every entry against its tolerance (``fd.tolerance``),
entries at a kink judged against the interval between their one-sided differences (``Band``), a
``Pair`` summarising it, the worst entries and, for a small tensor, the grid of error/tolerance;
of three sources, the odd one out.
A directional run adds its own evidence (``engines.directional``): each analytic source against
differences along random directions, the entries found at a kink, and the entry bisection
localised where a source fails; ``directional_checks``, ``bands`` and ``located`` turn it into
the result tree's terms. Spec checks (``compare``) and user-code checks (``usercode.verdict``)
call it; none compares twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import Gradients
from gradcheck_cli.results import DirectionalCheck, Entry, Pair

if TYPE_CHECKING:  # its evidence is only read here: the directional engine loads where it runs
    from gradcheck_cli.engines.directional import Outcome

#: The source of finite differences, whose one-sided differences make a kink's band.
NUMERIC = "numeric"

#: Added to what the tolerance is said to come from where entries were judged at a kink.
AT_A_KINK = "; at a kink: between the one-sided differences"


@dataclass(frozen=True)
class Band:
    """Entries whose stencil straddled a kink: any value between the one-sided differences
    (widened by their error estimates, ``fd.tolerance.between``) is a valid subgradient there."""

    at: Array
    low: Array
    high: Array

    @classmethod
    def of(cls, found: Mapping[str, Gradients], name: str) -> Band | None:
        """The entries of ``name`` the numeric engine's stencils found at a kink (None when it did
        not run or found none)."""
        numeric = found.get(NUMERIC)
        if numeric is None or name not in numeric.kinks or not numeric.kinks[name].any():
            return None
        return cls(numeric.kinks[name], *numeric.one_sided[name])

    def judge(self, a: Array, b: Array, ratio: Array, wrong: Array, *,
              analytic: bool = False) -> tuple[Array, Array]:
        """Entries at a kink pass when both values lie in the band. Two analytic sources
        (``analytic``) also pass where they agree within tolerance: a band from the numeric
        source's one-sided differences is evidence against a value only when compared with it,
        and two independent derivations agreeing make the numeric source the odd one out."""
        inside = (a >= self.low) & (a <= self.high) & (b >= self.low) & (b <= self.high)
        at_fault = ~inside & wrong if analytic else ~inside
        return np.where(self.at & inside, 0.0, ratio), np.where(self.at, at_fault, wrong)


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
        ratio, wrong = band.judge(a, b, ratio, wrong, analytic=NUMERIC not in (first, second))
        source += AT_A_KINK
    failing = int(wrong.reshape(-1, entries or wrong.size).any(axis=0).sum()) if wrong.size else 0
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


def odd_one_out(pairs: tuple[Pair, ...]) -> str | None:
    """Of three sources compared pairwise, the one outside the only pair that agrees; None unless
    exactly one of the three pairs agrees (all agree, or no two do, or fewer than three)."""
    agreeing = [p for p in pairs if p.passed]
    if len(pairs) != 3 or len(agreeing) != 1:
        return None
    sources = {s for p in pairs for s in (p.first, p.second)}
    return (sources - {agreeing[0].first, agreeing[0].second}).pop()


def error_grid(ratio: Array) -> tuple[tuple[float, ...], ...]:
    """Error / tolerance per entry, row by row, for a tensor small enough to show as a grid."""
    if ratio.size > policy.GRID_MAX_ENTRIES:
        return ()
    rows = ratio.reshape(ratio.shape[0], -1) if ratio.ndim else ratio.reshape(1, 1)
    return tuple(tuple(float(v) for v in row) for row in rows)


def bands(outcome: Outcome) -> dict[str, Band]:
    """The entries a directional run found at a kink, per tensor: judged in the analytic pair as a
    full check judges them — any value between the one-sided differences is a valid subgradient
    (backprop's relu'(0) = 0 and SymPy's Heaviside(0) = 1/2 both are)."""
    kinks = outcome.kinks
    return {name: Band(at, kinks.low[name], kinks.high[name]) for name, at in kinks.at.items() if at.any()}


def directional_checks(outcome: Outcome) -> tuple[DirectionalCheck, ...]:
    """What each analytic source showed along the random directions, for the result tree."""
    found = []
    for check in outcome.checks:
        at = check.located
        found.append(DirectionalCheck(
            source=check.source, directions=outcome.directions, worst_ratio=check.worst_ratio,
            passed=check.passed, tensor=at.tensor if at else None, index=at.index if at else (),
            analytic=at.analytic if at else None, numeric=at.numeric if at else None, kinks=outcome.crossing,
        ))
    return tuple(found)


def located(outcome: Outcome, name: str) -> tuple[str | None, str] | None:
    """Where bisection localised a failing source's wrong entry in ∂J/∂``name``: the odd one out
    (the source, when not every source failed) and the sentence that says so; None when no
    failing source's bisection ended in this tensor."""
    failing = [c for c in outcome.checks if not c.passed]
    here = [c for c in failing if c.located is not None and c.located.tensor == name]
    if not here:
        return None
    check, at = here[0], here[0].located
    assert at is not None
    odd = check.source if len(failing) < len(outcome.checks) else None
    values = f"{check.source} {at.analytic:.10g}, numeric {at.numeric:.10g}"
    if at.kink is not None:
        values += (f"; its stencil crosses a kink and {check.source}'s value is outside the one-sided "
                   f"differences [{at.kink[0]:.10g}, {at.kink[1]:.10g}]")
    text = (f"{check.source} disagrees with the finite difference along random directions; bisection "
            f"localised entry {list(at.index)} of ∂J/∂{name}: {values}")
    return odd, (f"{odd} is the odd one out: " + text) if odd else text
