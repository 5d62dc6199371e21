"""The long fuzz run, by hand: thousands of generated spec files and expressions through the CLI.

    nice python fuzz/run_long.py                    # 20,000 specs + 20,000 expressions
    nice python fuzz/run_long.py --specs 500 --expressions 500 --workers 2 --timeout 90

Cases come from the hypothesis strategies of ``tests/fuzz/fuzz_strategies.py`` (the bounded fuzz
tests use the same ones) and run in worker processes through the real CLI, in-process
(``tests/fuzz/fuzz_harness.py``). Each case ends as a ``result`` (exit 0/1), ``refused`` (exit 2
with a message), ``crash`` (an exception escaped, a traceback, or exit 2 without a message) or
``hang`` (no answer within ``--timeout`` seconds: the worker is killed and replaced). The run
prints the counts and every crash and hang with its input, and exits 1 if there was any.

Every worker runs under the OS limits gradcheck's own workers have (``resource.setrlimit``:
``policy.WORKER_MEMORY`` of address space); a case that meets them — a ``MemoryError``, a worker
killed — counts as ``over-memory``, and a case without an answer within ``--timeout`` seconds
(its budget, ``fuzz_harness.FILE_BUDGET`` or ``policy.QUESTION_BUDGET``, plus room to unwind) as
``over-budget``. A quarter of the specs come from the hostile classes of issue 11
(``fuzz_strategies.hostile_spec_texts``: towers, complex infinities, tagged scalars, large
symbolic shapes, many layers, aliases), and the expressions from ``hostile_expressions``.

The per-case timeout is a wall-clock wait in the parent, not a signal in the worker: the
library's own SymPy time budgets use SIGALRM, which a signal-based timeout would clobber.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import random
import resource
import signal
import sys
import tempfile
import time
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

import fuzz_harness  # noqa: E402
import fuzz_strategies  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gradcheck_cli import policy  # noqa: E402

Case = tuple[str, Any]  # ("spec", text) or ("expr", (f, wrt, claim, lets))
#: The outcomes that break the contract: each must stay at 0.
BAD = (fuzz_harness.CRASH, fuzz_harness.OVER_BUDGET, fuzz_harness.OVER_MEMORY)

expression_cases = st.tuples(
    fuzz_strategies.hostile_expressions,
    st.sampled_from([*fuzz_strategies.EXPR_VARIABLES, "u", "q"]),
    st.one_of(st.none(), fuzz_strategies.hostile_expressions),
    st.dictionaries(st.sampled_from(["u", "z"]), fuzz_strategies.expressions, max_size=2),
)


def generate(strategy: st.SearchStrategy[Any], count: int, seed: int) -> list[Any]:
    """``count`` values drawn by hypothesis (generation only: nothing is shrunk or stored)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    while len(drawn) < count:  # hypothesis may stop early when it thinks a space is exhausted
        before = len(drawn)
        collect._hypothesis_internal_use_seed = seed + before  # type: ignore[attr-defined]
        collect()
        if len(drawn) == before:
            break
    return drawn[:count]


def run_case(case: Case, directory: Path) -> fuzz_harness.Outcome:
    kind, value = case
    if kind == "spec":
        return fuzz_harness.check_spec_text(value, directory)
    f, wrt, claim, lets = value
    return fuzz_harness.check_expression(f, wrt, claim, lets)


def worker(conn: Connection, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, resource.RLIM_INFINITY))
    directory = Path(tempfile.mkdtemp(prefix="gradcheck-fuzz-"))
    while True:
        case = conn.recv()
        if case is None:
            return
        try:
            outcome = run_case(case, directory)
        except MemoryError:
            outcome = fuzz_harness.Outcome(fuzz_harness.OVER_MEMORY, "MemoryError in the harness")
        except BaseException as error:  # the harness itself must not die with the case
            outcome = fuzz_harness.Outcome(fuzz_harness.CRASH, f"harness: {type(error).__name__}: {error}")
        conn.send(outcome)


class Pool:
    """Worker processes fed one case at a time; a worker that overruns is killed and replaced."""

    def __init__(self, size: int, timeout: float, memory: int) -> None:
        self.timeout, self.memory = timeout, memory
        self.context = mp.get_context("fork")
        self.workers = [self._start() for _ in range(size)]

    def _start(self) -> dict[str, Any]:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=worker, args=(child, self.memory))
        process.start()
        return {"process": process, "conn": parent, "case": None, "since": 0.0}

    def run(self, cases: list[Case], record: Any) -> None:
        queue = collections.deque(cases)
        while queue or any(w["case"] is not None for w in self.workers):
            for w in self.workers:
                if w["case"] is None and queue:
                    w["case"], w["since"] = queue.popleft(), time.monotonic()
                    w["conn"].send(w["case"])
            busy = [w for w in self.workers if w["case"] is not None]
            ready = wait([w["conn"] for w in busy], timeout=1.0)
            for w in busy:
                if w["conn"] in ready:
                    try:
                        record(w["case"], w["conn"].recv())
                        w["case"] = None
                        continue
                    except (EOFError, OSError):  # the worker died: killed at its memory limit, or worse
                        w["process"].join()
                        code = w["process"].exitcode
                        why = signal.Signals(-code).name if code and code < 0 else f"exit code {code}"
                        died = fuzz_harness.Outcome(fuzz_harness.OVER_MEMORY, f"worker died: {why}")
                        record(w["case"], died)
                elif time.monotonic() - w["since"] > self.timeout:
                    record(w["case"], fuzz_harness.Outcome(fuzz_harness.OVER_BUDGET,
                                                           f"no answer within {self.timeout:g} s"))
                else:
                    continue
                w["process"].kill()
                w["process"].join()
                self.workers[self.workers.index(w)] = self._start()

    def close(self) -> None:
        for w in self.workers:
            w["conn"].send(None)
            w["process"].join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=20_000, help="generated spec files (default 20,000)")
    parser.add_argument(
        "--expressions", type=int, default=20_000, help="generated expressions (default 20,000)"
    )
    parser.add_argument("--memory", type=int, default=policy.WORKER_MEMORY,
                        help="address space of each worker in bytes (default: policy.WORKER_MEMORY, 2 GiB)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=90.0,
        help="seconds before a case counts as over its budget (default 90: the 60 s budget of an "
        "expression, the 20 s of a fuzzed file, and room to unwind)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generation (default 0)")
    args = parser.parse_args(argv)

    start = time.monotonic()
    hostile = args.specs // 4
    ordinary = generate(fuzz_strategies.spec_texts, args.specs - hostile, args.seed)
    cases: list[Case] = [("spec", t) for t in ordinary]
    cases += [("spec", t) for t in generate(fuzz_strategies.hostile_spec_texts, hostile, args.seed)]
    cases += [("expr", e) for e in generate(expression_cases, args.expressions, args.seed)]
    # interleaved, seeded: a run stopped early has covered every class in proportion
    random.Random(args.seed).shuffle(cases)
    print(f"generated {len(cases)} cases in {time.monotonic() - start:.0f} s", flush=True)

    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    bad: list[tuple[Case, fuzz_harness.Outcome]] = []

    def record(case: Case, outcome: fuzz_harness.Outcome) -> None:
        counts[case[0], outcome.kind] += 1
        if outcome.kind in BAD:
            bad.append((case, outcome))
            print(f"{outcome.kind.upper()}: {outcome.detail}\n  input: {case[1]!r}", flush=True)
        done = sum(counts.values())
        if done % 1000 == 0:
            tally = ", ".join(f"{kind} {outcome} {n}" for (kind, outcome), n in sorted(counts.items()))
            print(f"{done} cases, {time.monotonic() - start:.0f} s: {tally}", flush=True)

    pool = Pool(args.workers, args.timeout, args.memory)
    try:
        pool.run(cases, record)
    finally:
        pool.close()

    columns = ("result", "refused", *BAD)
    print("\n" + " " * 12 + "".join(f"{c:>13}" for c in (*columns, "total")))
    for kind, label in (("spec", "specs"), ("expr", "expressions")):
        row = [counts[kind, k] for k in columns]
        print(f"{label:12}" + "".join(f"{n:>13}" for n in (*row, sum(row))))
    print(f"{time.monotonic() - start:.0f} s in all; {len(bad)} tracebacks, over-budget or over-memory runs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
