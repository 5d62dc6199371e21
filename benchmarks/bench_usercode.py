"""Checking your own gradient code: gradcheck's ``check_function`` against ``torch.autograd.gradcheck``
on the same MLP loss, in one run (run by hand).

    python benchmarks/bench_usercode.py                  # 1k, 10k and 100k parameters
    python benchmarks/bench_usercode.py --budget 150     # torch full mode measured at 100k too
    python benchmarks/bench_usercode.py --sizes 1000 10000

The function is a tanh MLP with a softmax cross-entropy (``nets``: batch 8, widths as in
``compare_checkers.SIZES``). gradcheck checks it as user code: the NumPy loss of named parameters
(W0, b0, …) and a hand-written NumPy gradient (``nets.numpy_loss``/``numpy_grad``), through
``check_function`` with ``mode`` auto (the default), full and directional. torch checks the same
loss written with torch ops in float64, with autograd's gradient: ``gradcheck`` in full mode and
with ``fast_mode=True``, defaults otherwise.

For each size:

* the time of one check of the correct gradient (best of up to 5 when under 0.2 s, after an
  untimed warm-up), and torch full's time over gradcheck's (the default, auto);
* whether each tool flags the gradient with its entry of median magnitude × (1 + 1e-6), and with
  that entry's sign flipped — and, for gradcheck, whether the report names that entry;
* whether each tool passes the correct gradient in float64, and the correct gradient of the same
  network computed in float32 (loss and gradient; torch on float32 tensors).

A check whose time, extrapolated from the previous size, exceeds ``--budget`` seconds is not run:
it reads ``~T est.``. The extrapolation is its cost model: a per-entry check (torch full,
gradcheck full) makes O(n) calls of the function, each timed at the new size, so its time is
the previous time × (n′/n) × (one call at n′ / one call at n) — O(n²) in all where a call costs
O(n). At the first size measured there is no previous time: a per-entry check's floor (two calls
per entry) stands in, so ``--sizes 100000`` alone estimates the full modes rather than running them.
Standard output is Markdown; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import _threads  # noqa: F401  (first: it sets the thread counts before NumPy is imported)
import checkers
import nets
import numpy as np
from checkers import Case, Tool
from compare_checkers import SIZES, Estimator, Outcome, bug_entry, entry_of, machine, run_tool

#: The relative error planted in one entry of the gradient.
PLANTED = 1e-6
#: The targets of the issue: torch full's time over gradcheck's, by size.
TARGETS = {10_000: 10.0, 100_000: 100.0}


def tools() -> list[Tool]:
    return [checkers.GradcheckUserCode("auto"), checkers.GradcheckUserCode("full"),
            checkers.GradcheckUserCode("directional"), checkers.TorchGradcheck(fast=False),
            checkers.TorchGradcheck(fast=True)]


@dataclass
class Row:
    """Every tool on one size: timed checks, and what each flagged."""

    size: int
    net: nets.Net
    timed: dict[str, Outcome] = field(default_factory=dict)
    float32: dict[str, Outcome] = field(default_factory=dict)
    #: tool → (flags the planted 1e-6, flags the sign flip), with what gradcheck named
    flagged: dict[str, tuple[str, str]] = field(default_factory=dict)


def detection(tool: Tool, case: Case, outcome: Outcome) -> tuple[str, str]:
    """Cells for the planted error and the sign flip of the median entry."""
    if outcome.check is None:
        return ("not run", "not run") if outcome.estimated else (outcome.skipped, outcome.skipped)
    if not outcome.check.passed:
        return ("— (fails a correct g)",) * 2
    k = bug_entry(case.analytic)
    cells = []
    for change in (1.0 + PLANTED, -1.0):
        broken = case.analytic.copy()
        broken[k] *= change
        cells.append(_flagged(tool, case, outcome, broken, k))
    return cells[0], cells[1]


def _flagged(tool: Tool, case: Case, outcome: Outcome, broken: np.ndarray, k: int) -> str:
    assert outcome.check is not None
    if not isinstance(tool, checkers.GradcheckUserCode):
        return "flagged" if tool.flags(case, tool.prepare(case), outcome.check, broken) else "**missed**"
    result = checkers.user_code_check(case.net, broken, mode=tool.mode)
    if result.passed:
        return "**missed**"
    name, index = entry_of(case.net, k)
    worst = result.inputs[name].worst if name in result.inputs else ()
    named = bool(worst) and worst[0].index == index
    return f"flagged, {name}{list(index)} {'named' if named else '**not named**'}"


def measure(sizes: Sequence[int], budget: float) -> list[Row]:
    rows = []
    estimator, estimator32 = Estimator(), Estimator()
    for size in sizes:
        net = nets.make(SIZES[size], "tanh", "softmax")
        case, case32 = Case.of(net), Case.of(net.in_float32())
        row = Row(size, net)
        print(f"- {net.size:,} parameters ({net.label})", file=sys.stderr, flush=True)
        for tool in tools():
            outcome = run_tool(tool, case, budget, estimator, detect=False)
            row.timed[tool.name] = outcome
            row.flagged[tool.name] = detection(tool, case, outcome)
            row.float32[tool.name] = run_tool(tool, case32, budget, estimator32, detect=False)
            print(f"    {tool.name:<22} {_time(outcome):<16} {row.flagged[tool.name]} "
                  f"float32: {_passes(row.float32[tool.name])}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def _time(o: Outcome) -> str:
    if o.seconds is None:
        return o.skipped or "—"
    return f"~{o.seconds:.3g} est." if o.estimated else f"{o.seconds:.3g}"


def _passes(o: Outcome) -> str:
    if o.check is None:
        return "not run" if o.estimated else (o.skipped or "—")
    return "pass" if o.check.passed else "**false failure**"


def _mode(o: Outcome) -> str:
    return o.check.note.removeprefix("mode ") if o.check is not None else ""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def report(rows: Sequence[Row]) -> str:
    names = [t.name for t in tools()]
    times = []
    for row in rows:
        auto, torch = row.timed["gradcheck"], row.timed["torch full"]
        ratio = (f"{'~' if torch.estimated else ''}{torch.seconds / auto.seconds:.3g}×"
                 if torch.seconds and auto.seconds else "—")
        times.append([f"{row.net.size:,}", f"{_time(auto)} ({_mode(auto)})",
                      *(_time(row.timed[n]) for n in names[1:]), ratio])
    header = ["params", "gradcheck (auto: mode)", *names[1:], "torch full ÷ gradcheck"]
    detect = [[f"{row.net.size:,}", name, *row.flagged[name], _passes(row.timed[name]),
               _passes(row.float32[name])] for row in rows for name in names]
    return "\n\n".join([
        "### Time of a check of the correct gradient, seconds",
        _table(header, times),
        "### Detection (the entry of median |g|) and false failures",
        _table(["params", "tool", f"× (1 + {PLANTED:g}) flagged", "sign flip flagged", "correct float64",
                "correct float32"], detect),
        "### Targets",
        _table(["target", "measured", "holds?"], _targets(rows)),
    ])


def _targets(rows: Sequence[Row]) -> list[list[str]]:
    found = []
    for row in rows:
        auto, torch = row.timed["gradcheck"], row.timed["torch full"]
        if row.size not in TARGETS or not (auto.seconds and torch.seconds):
            continue
        want, ratio = TARGETS[row.size], torch.seconds / auto.seconds
        how = "torch full's time extrapolated" if torch.estimated else "both measured"
        found.append([f"≥ {want:g}× faster than torch full at {row.net.size:,} parameters",
                      f"{ratio:.3g}× ({how})", "yes" if ratio >= want else "**no**"])
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", choices=[1_000, 10_000, 100_000],
                        default=[1_000, 10_000, 100_000])
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds a check may be expected to take before it is estimated, not run")
    args = parser.parse_args(argv)
    print(f"## bench_usercode — {machine()}\n", flush=True)
    print(report(measure(sorted(args.sizes), args.budget)), flush=True)


if __name__ == "__main__":
    main()
