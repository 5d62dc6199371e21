"""Compare gradcheck with other gradient checkers, side by side in one run (run by hand).

    pip install -e '.[bench]'                          # torch (CPU), jax, numdifftools, scipy
    python benchmarks/compare_checkers.py              # every size; a few minutes on 2 cores
    python benchmarks/compare_checkers.py --sizes 100 1000 --budget 10
    python benchmarks/compare_checkers.py --profile    # and cProfile gradcheck's numeric engine

On tanh MLPs (batch 8) with a softmax cross-entropy and a squared-error loss of about 100, 1,000,
10,000 and 100,000 parameters, every tool checks the same correct gradient at the same point:

* time of a full check, and its ratio to gradcheck's (``check_problem``: all three engines);
* agreement: the relative error of the tool's numbers against the exact gradient;
* the smallest relative error injected into one entry of the gradient (the entry of median
  magnitude) that the tool flags — along with every larger one of 1e-3, 1e-4, …, 1e-10;
* false failures on a correct gradient at relu's kink and in float32 code (~1,000 parameters);
* gradcheck's directional check: its time against one forward+backward pass (gradcheck's
  backprop engine) measured in the same run, and whether a sign flip of the largest and of the
  median entry fails the check and is localised to that entry.

A tool whose check is estimated to take longer than ``--budget`` seconds is not run: its time is
extrapolated from the previous size and printed as ``~est.``. The output is Markdown.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime
import functools
import io
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import _threads  # noqa: F401  (first: it sets the thread counts before NumPy is imported)
import checkers
import nets
import numpy as np
from checkers import Case, Check, Tool

from gradcheck_cli.engines import backprop, numeric
from gradcheck_cli.ops.base import Array

#: Widths (input, two tanh layers, output) for about 100, 1,000, 10,000 and 100,000 parameters.
SIZES: dict[int, tuple[int, ...]] = {
    100: (6, 8, 4, 3),
    1_000: (16, 24, 16, 8),
    10_000: (64, 96, 32, 10),
    100_000: (256, 256, 128, 10),
}
LOSSES: tuple[nets.LossName, ...] = ("softmax", "squared")
#: Relative errors injected into one entry of the correct gradient, largest first (1e-1 … 1e-10).
BUGS = tuple(10.0 ** -k for k in range(1, 11))
#: The size at which false failures (kinks, float32) are looked for.
MISC_SIZE = 1_000

T = TypeVar("T")

#: Tools already run once: the first call of each pays for imports and caches, untimed.
WARM: set[str] = set()


@dataclass
class Outcome:
    """One tool on one problem."""

    seconds: float | None = None
    estimated: bool = False
    check: Check | None = None
    #: the smallest injected relative error flagged together with every larger one
    detected: float | None = None
    skipped: str = ""


def timed(fn: Callable[[], T], quick: float = 0.2, repeats: int = 5) -> tuple[float, T]:
    """Seconds of ``fn()`` (the best of up to ``repeats`` runs when one run is under ``quick``)."""
    start = time.perf_counter()
    out = fn()
    best = time.perf_counter() - start
    for _ in range(repeats - 1):
        if best >= quick:
            break
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def per_call(fn: Callable[[], object], trials: int = 5, span: float = 0.02) -> float:
    """Seconds per call of a fast ``fn``: loops of ≥ ``span`` seconds, the best of ``trials``
    (robust to the stalls of a shared machine, unlike a single call)."""
    fn()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= span:
            break
        calls *= 2
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


class Estimator:
    """Extrapolates a tool's time from the previous size: a per-entry tool costs ~ entries ×
    one forward of its framework; a projection tool ~ one forward."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], tuple[int, float, float]] = {}
        self.forwards: dict[tuple[str, int, str, str, str], float] = {}

    def forward(self, framework: str, net: nets.Net) -> float:
        key = (framework, net.size, net.loss, net.activation, net.dtype)
        if key not in self.forwards:
            loss, theta = _forward_of(framework, net)
            self.forwards[key] = per_call(lambda: loss(theta))
        return self.forwards[key]

    def estimate(self, tool: Tool, net: nets.Net) -> float | None:
        """The previous size's time grown by the cost model; at the first size a per-entry tool
        has no previous time, and its floor stands in: two calls (a central difference) per
        entry, each one forward (so ``--sizes 100000`` alone does not run per-entry checks that
        cannot end within the budget)."""
        before = self.last.get((tool.name, net.loss))
        if before is None:
            return 2 * net.size * self.forward(tool.framework, net) if tool.per_entry else None
        n, seconds, forward = before
        growth = (net.size / n if tool.per_entry else 1.0) * self.forward(tool.framework, net) / forward
        return seconds * max(growth, 1.0)

    def record(self, tool: Tool, net: nets.Net, seconds: float) -> None:
        self.last[(tool.name, net.loss)] = (net.size, seconds, self.forward(tool.framework, net))


def _forward_of(framework: str, net: nets.Net) -> tuple[Callable[[Any], Any], Any]:
    if framework == "torch":
        import torch

        loss = nets.torch_loss(net)
        return (lambda t: loss(t).item()), torch.tensor(net.theta, dtype=getattr(torch, net.dtype))
    if framework == "jax":
        loss = nets.jax_loss(net)
        return (lambda t: float(loss(t))), net.theta.astype(net.dtype)
    return nets.numpy_loss(net), net.theta


def run_tool(tool: Tool, case: Case, budget: float, estimator: Estimator, detect: bool = True) -> Outcome:
    """Time ``tool``'s check of the correct gradient; then which injected errors it flags."""
    missing = tool.missing()
    if missing:
        return Outcome(skipped=missing)
    guess = estimator.estimate(tool, case.net)
    if guess is not None and guess > budget:
        estimator.record(tool, case.net, guess)
        return Outcome(seconds=guess, estimated=True)
    try:
        ready = tool.prepare(case)
        if tool.name not in WARM:
            tool.run(case, ready)
            WARM.add(tool.name)
        seconds, raw = timed(lambda: tool.run(case, ready))
        check = tool.verdict(case, ready, raw)
    except NotImplementedError as exc:
        return Outcome(skipped=str(exc) or "n/a")
    estimator.record(tool, case.net, seconds)
    outcome = Outcome(seconds, check=check)
    if detect and check.passed:  # a tool that fails the correct gradient has no threshold to find
        outcome.detected = _smallest_detected(tool, case, ready, check)
    return outcome


def bug_entry(exact: Array) -> int:
    """The entry bugs are injected into: the one of median magnitude (a typical entry)."""
    order = np.argsort(np.abs(exact), kind="stable")
    return int(order[order.size // 2])


def _smallest_detected(tool: Tool, case: Case, ready: Any, check: Check) -> float | None:
    k = bug_entry(case.analytic)
    smallest = None
    for bug in BUGS:
        broken = case.analytic.copy()
        broken[k] *= 1.0 + bug
        with np.errstate(all="ignore"):
            if not tool.flags(case, ready, check, broken):
                break
        smallest = bug
    return smallest


def sanity(case: Case) -> str:
    """How far the NumPy/torch/JAX versions of the net are from gradcheck's (loss, gradient)."""
    J = float(case.exact.loss)
    g = case.analytic
    parts = [f"numpy {abs(nets.numpy_loss(case.net)(case.net.theta) - J) / abs(J):.0e}/"
             f"{checkers.relative(nets.numpy_grad(case.net)(case.net.theta), g):.0e}"]
    if checkers._installed("torch") is None:
        import torch

        theta = torch.tensor(case.net.theta, requires_grad=True)
        value = nets.torch_loss(case.net)(theta)
        (grad,) = torch.autograd.grad(value, theta)
        parts.append(f"torch {abs(value.item() - J) / abs(J):.0e}/{checkers.relative(grad.numpy(), g):.0e}")
    if checkers._installed("jax") is None:
        import jax

        value, grad = jax.value_and_grad(nets.jax_loss(case.net))(case.net.theta)
        parts.append(f"jax {abs(float(value) - J) / abs(J):.0e}/{checkers.relative(np.asarray(grad), g):.0e}")
    return ", ".join(parts)


# --- tables ------------------------------------------------------------------------------------

def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _seconds(o: Outcome, reference: Outcome | None) -> str:
    if o.seconds is None:
        return o.skipped or "—"
    text = f"~{o.seconds:.3g} est." if o.estimated else f"{o.seconds:.3g}"
    if reference is not None and reference.seconds:
        text += f" (×{o.seconds / reference.seconds:.3g})"
    return text


def _agreement(o: Outcome) -> str:
    if o.check is None:
        return o.skipped or ("not run" if o.estimated else "—")
    verdict = "pass" if o.check.passed else "**FAIL**"
    if o.check.agreement is None:
        return verdict
    return f"{verdict} {o.check.agreement:.1e}{' (dir.)' if o.check.directional else ''}"


def _detected(o: Outcome) -> str:
    if o.check is None:
        return o.skipped or ("not run" if o.estimated else "—")
    if not o.check.passed:
        return "— (fails a correct g)"
    return f"{o.detected:.0e}" if o.detected is not None else f"none (> {BUGS[0]:.0e})"


Results = dict[tuple[str, int], dict[str, Outcome]]


def report(results: Results, tools: Sequence[Tool], schemes: dict[tuple[str, int], str],
           magnitudes: dict[tuple[str, int], float]) -> str:
    names = [t.name for t in tools]
    keys = list(results)

    def label(key: tuple[str, int]) -> str:
        loss, size = key
        return f"{nets.count(SIZES[size]):,} {loss}"

    out = ["### Time of a full check of the correct gradient, seconds (× gradcheck's time)", "",
           _table(["params, loss", *names],
                  [[label(k), *(_seconds(results[k][n], results[k].get("gradcheck")) for n in names)]
                   for k in keys]),
           "", "### Verdict on the correct gradient; agreement with the exact gradient", "",
           "max|ĝ − g| / max|g| over all entries; (dir.): relative error of the one random projection "
           "the tool compares.", "",
           _table(["params, loss", "gradcheck scheme", *names],
                  [[label(k), schemes[k], *(_agreement(results[k][n]) for n in names)] for k in keys]),
           "", "### Smallest single-entry relative error flagged (entry of median |g|; 1e-1 … 1e-10)", "",
           "size of g_k: |g_k| / max|g|, the size of that entry.", "",
           _table(["params, loss", "size of g_k", *names],
                  [[label(k), f"{magnitudes[k]:.1e}", *(_detected(results[k][n]) for n in names)]
                   for k in keys])]
    return "\n".join(out)


def misc_report(runs: Sequence[dict[str, Outcome]], tools: Sequence[Tool]) -> str:
    """Verdicts on the correct gradient of each misc case; then float32's detection threshold."""
    def cell(o: Outcome) -> str:
        if o.check is None:
            return o.skipped or "—"
        return "pass" if o.check.passed else "**false failure**"

    control, kink, single = runs
    rows = [[t.name, cell(control[t.name]), cell(kink[t.name]), cell(single[t.name]),
             _detected(single[t.name])] for t in tools]
    header = ["tool", "ReLU MLP, no unit at a kink (control)", "ReLU MLP, units exactly at z = 0",
              "tanh MLP in float32", "float32: smallest bug flagged"]
    return "\n".join([f"### False failures on a correct gradient (~{MISC_SIZE:,} parameters, softmax)", "",
                      _table(header, rows)])


def directional_report(sizes: Sequence[int], losses: Sequence[nets.LossName]) -> str:
    """gradcheck's directional check: its time over one forward+backward pass, and sign flips."""
    times, flips = [], []
    for loss in losses:
        for size in sorted(sizes):
            case = Case.of(nets.make(SIZES[size], "tanh", loss))
            label = f"{nets.count(SIZES[size]):,} {loss}"
            forward_backward, check = same_run(functools.partial(backprop.gradients, case.problem),
                                               functools.partial(checkers.directional_check, case.problem,
                                                                 case.exact))
            times.append([label, f"{forward_backward * 1e3:.3g}", f"{check * 1e3:.3g}",
                          f"×{check / forward_backward:.3g}"])
            order = np.argsort(np.abs(case.analytic), kind="stable")
            flips.append([label, *(sign_flip(case, int(k)) for k in (order[-1], order[order.size // 2]))])
            print(f"    directional: {' · '.join(times[-1][1:])} · {' · '.join(flips[-1][1:])}",
                  file=sys.stderr, flush=True)
    return "\n".join([
        "### Directional check time vs one forward+backward pass (ratio)", "",
        "forward+backward: `backprop.gradients(problem)` (gradcheck's NumPy forward and backward "
        "rules); directional check: `directional.check(problem, {\"backprop\": g})` of that correct "
        "gradient. Milliseconds, each the best of alternating timing loops in the same run.", "",
        _table(["params, loss", "forward+backward, ms", "directional check, ms", "ratio"], times),
        "", "### Directional check of the gradient with one sign-flipped entry", "",
        "Each cell: the flipped entry, then what the check said (it must fail and bisection must "
        "name that entry).", "",
        _table(["params, loss", "entry of largest magnitude flipped", "entry of median magnitude flipped"],
               flips)])


def same_run(first: Callable[[], object], second: Callable[[], object], rounds: int = 3
             ) -> tuple[float, float]:
    """Seconds per call of two functions, timed in alternation (so that a change in the
    machine's load hits both) and the best of ``rounds`` each."""
    a = b = float("inf")
    for _ in range(rounds):
        a, b = min(a, per_call(first)), min(b, per_call(second))
    return a, b


def sign_flip(case: Case, k: int) -> str:
    """The directional check of the correct gradient with entry ``k`` negated: caught and named?"""
    name, index = entry_of(case.net, k)
    broken = case.analytic.copy()
    broken[k] = -broken[k]
    wrong = dataclasses.replace(case.exact, grads=case.net.split(broken))
    (check,) = checkers.directional_check(case.problem, wrong).checks
    where = f"{name}{list(index)}"
    if check.passed:
        return f"{where}: **not caught**"
    found = check.located
    if found is None or (found.tensor, found.index) != (name, index):
        named = f"{found.tensor}{list(found.index)}" if found else "nothing"
        return f"{where}: caught, **named {named} instead**"
    return f"{where}: caught and named (worst {check.worst_ratio:.2g}× the tolerance)"


def entry_of(net: nets.Net, k: int) -> tuple[str, tuple[int, ...]]:
    """The tensor and index of entry ``k`` of the flat θ."""
    for name, shape in net.shapes():
        count = int(np.prod(shape))
        if k < count:
            return name, tuple(int(i) for i in np.unravel_index(k, shape))
        k -= count
    raise IndexError(k)


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for module in ("torch", "jax", "numdifftools", "scipy"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            versions.append(f"{module} not installed")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{datetime.datetime.now().isoformat(timespec='minutes')} · {cpu} · {os.cpu_count()} cores · "
            f"load average {load} · " + " · ".join(versions))


def profile(widths: tuple[int, ...], loss: nets.LossName, top: int) -> str:
    """cProfile of gradcheck's numeric engine on one problem: the ``top`` entries by own time."""
    problem = nets.problem(nets.make(widths, "tanh", loss))
    profiler = cProfile.Profile()
    profiler.enable()
    numeric.gradients(problem)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(top)
    body = text.getvalue().strip().splitlines()
    start = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
    lines = [line.rstrip() for line in body[:start + top + 1] if line.strip()]
    title = (f"### cProfile: numeric.gradients, {nets.count(widths):,} parameters, {loss} "
             f"(scheme {problem.scheme})")
    return "\n".join([title, "", "```", *lines, "```"])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", choices=sorted(SIZES), default=sorted(SIZES))
    parser.add_argument("--losses", nargs="+", choices=LOSSES, default=list(LOSSES))
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds a tool's check may be expected to take before it is estimated, not run")
    parser.add_argument("--tools", nargs="+", help="names of the tools to run (default: all)")
    parser.add_argument("--no-misc", action="store_true", help="skip the kink and float32 runs")
    parser.add_argument("--profile", action="store_true", help="cProfile the numeric engine at 100k")
    args = parser.parse_args(argv)

    tools = [t for t in checkers.all_tools() if not args.tools or t.name in args.tools]
    print(f"## compare_checkers — {machine()}\n", flush=True)
    estimator = Estimator()
    results: Results = {}
    schemes: dict[tuple[str, int], str] = {}
    magnitudes: dict[tuple[str, int], float] = {}
    for loss in args.losses:
        for size in sorted(args.sizes):
            case = Case.of(nets.make(SIZES[size], "tanh", loss))
            key = (loss, size)
            schemes[key] = case.problem.scheme
            g = np.abs(case.analytic)
            magnitudes[key] = float(g[bug_entry(case.analytic)] / g.max())
            print(f"- {case.net.size:,} parameters, {case.net.label}, batch 8: loss/gradient vs gradcheck's "
                  f"({sanity(case)})", file=sys.stderr, flush=True)
            results[key] = {}
            for tool in tools:
                outcome = run_tool(tool, case, args.budget, estimator)
                results[key][tool.name] = outcome
                print(f"    {tool.name:<22} {_seconds(outcome, results[key].get('gradcheck')):<24} "
                      f"{_agreement(outcome):<28} {_detected(outcome)}", file=sys.stderr, flush=True)
    print(report(results, tools, schemes, magnitudes), flush=True)
    if any(isinstance(t, checkers.GradcheckDirectional) for t in tools):
        print("\n" + directional_report(args.sizes, args.losses), flush=True)

    if not args.no_misc:
        widths = SIZES[MISC_SIZE]
        cases = [(Case.of(nets.make(widths, "relu", "softmax")), False),
                 (Case.of(nets.make(widths, "relu", "softmax", at_kink=True)), False),
                 (Case.of(nets.make(widths, "tanh", "softmax").in_float32()), True)]
        runs = [{t.name: run_tool(t, case, np.inf, Estimator(), detect) for t in tools}
                for case, detect in cases]
        print("\n" + misc_report(runs, tools), flush=True)

    if args.profile:
        for loss in args.losses:
            print("\n" + profile(SIZES[100_000], loss, top=15), flush=True)


if __name__ == "__main__":
    main()
