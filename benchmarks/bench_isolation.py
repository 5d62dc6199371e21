"""The cost of judging claim-sheet questions in worker processes (``gradcheck_cli.isolation``)
against judging them in this process, on a real sheet.

    python benchmarks/bench_isolation.py                         # the course-notes sheet, 3 rounds
    python benchmarks/bench_isolation.py specs/homework/course-notes-more.yaml --rounds 5

Each round checks the sheet serially (``--no-isolate``); isolated in one worker, warm (the pure
cost of isolation: a pipe round trip and pickling per question, no parallelism); and isolated in
the default pool of ``policy.WORKERS``, cold (workers forked for this round, as in a one-file
``gradcheck check``) and warm (reused, as from the second file of a directory run on). Rounds
alternate so that machine load falls on all modes alike. Verdicts must be the same in all; the
script says so and prints the medians and the difference per question.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from gradcheck_cli import isolation, policy
from gradcheck_cli.api import check_spec
from gradcheck_cli.limits import Limits
from gradcheck_cli.results import SheetResult

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "specs" / "homework" / "course-notes-sheet.yaml"


def timed(path: Path, limits: Limits) -> tuple[float, tuple[str, ...]]:
    start = time.perf_counter()
    result = check_spec(path, limits=limits)
    elapsed = time.perf_counter() - start
    assert isinstance(result, SheetResult), "a claim sheet is needed"
    return elapsed, tuple(q.verdict for q in result.questions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sheet", nargs="?", type=Path, default=SHEET)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    serial, isolated = Limits.of(isolate=False), Limits.of(isolate=True)
    pool = isolation.shared()
    modes = {"serial": 0, "isolated, 1 worker warm": 1, "isolated, pool cold": policy.WORKERS,
             "isolated, pool warm": policy.WORKERS}
    times: dict[str, list[float]] = {label: [] for label in modes}
    verdicts = set()
    for _ in range(args.rounds):
        for label, workers in modes.items():
            if workers and (pool.size != workers or "cold" in label):
                pool.close()
                pool.size = workers
                if "warm" in label:  # fork the workers before the timing starts
                    timed(args.sheet, isolated)
            elapsed, found = timed(args.sheet, isolated if workers else serial)
            times[label].append(elapsed)
            verdicts.add(found)
    questions = len(next(iter(verdicts)))
    base = statistics.median(times["serial"])
    print(f"{args.sheet.name}: {questions} questions, {args.rounds} rounds, a pool of {policy.WORKERS} "
          f"workers; verdicts identical in every mode: {len(verdicts) == 1}")
    print(f"{'mode':<26}{'median s':>10}{'min s':>8}{'vs serial':>11}{'per question':>14}")
    for label, values in times.items():
        median = statistics.median(values)
        per = (median - base) / questions * 1000
        print(f"{label:<26}{median:>10.2f}{min(values):>8.2f}{median / base:>10.2f}x{per:>+11.1f} ms")
    pool.close()


if __name__ == "__main__":
    main()
