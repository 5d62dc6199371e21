"""Judging claims: time per claim on the course-notes sheets and on a mix of claims.

Prints the median and 95th percentile per claim (target: median ≤ 0.3 s, p95 ≤ 1 s on the
project's 2-core machines) and the course-notes sheet's total (target ≤ 3 s). Run by hand:

    python benchmarks/bench_claims.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from gradcheck_cli import api
from gradcheck_cli.claims import oneliner
from gradcheck_cli.claims.judge import judge

ROOT = Path(__file__).resolve().parents[1]

#: (f, wrt, variables, lets, assumptions, layout, a correct claim, wrong claims)
QUESTIONS = [
    ("logdet(X)", "X", ["X=3x3"], [], [], "gradient", "inv(X).T", ["inv(X)", "-inv(X).T", "X"]),
    ("x.T @ A @ x", "x", ["x=3", "A=3x3"], [], [], "gradient", "A @ x + A.T @ x", ["2 * A @ x", "A @ x"]),
    ("0.5 * norm(y - A @ x)**2", "x", ["x=3", "A=4x3", "y=4"], [], [], "gradient", "-A.T @ (y - A @ x)",
     ["A.T @ (y - A @ x)", "2 * A.T @ (A @ x - y)", "A.T @ A @ x"]),
    ("0.5 * norm(y - A @ x)**2 + lam * x.T @ x", "x", ["x=3", "A=4x3", "y=4", "lam=scalar"], [], [],
     "gradient", "A.T @ (A @ x - y) + 2 * lam * x",
     ["A.T @ (A @ x - y) + lam * x", "A.T @ A @ x + A.T @ y + 2 * lam * x", "A.T @ A @ x + 2 * lam * x"]),
    ("-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))", "w", ["X=5x3", "w=3", "y=5"], [],
     [], "gradient", "X.T @ (sigmoid(X @ w) - y)", ["X.T @ (y - sigmoid(X @ w))", "X.T @ sigmoid(X @ w)"]),
    ("-y.T @ log(softmax(z))", "z", ["z=3", "y=3"], [], ["y:onehot"], "gradient", "softmax(z) - y",
     ["y - softmax(z)", "softmax(z)"]),
    ("tanh(W @ x + b)", "b", ["x=3", "W=2x3", "b=2"], [], [], "jacobian", "diag(1 - tanh(W @ x + b)**2)",
     ["diag(1 - tanh(W @ x + b))", "diag(tanh(W @ x + b))"]),
    ("0.5 * norm(y - h)**2", "z", ["z=3", "y=3"], ["h=tanh(z)"], [], "gradient", "(h - y) * (1 - h**2)",
     ["(h - y) * (1 - h)", "h - y"]),
    ("trace(A @ X @ B)", "X", ["A=2x3", "X=3x3", "B=3x2"], [], [], "gradient", "A.T @ B.T",
     ["B @ A", "A.T @ B"]),
    ("det(X)", "X", ["X=3x3"], [], [], "gradient", "det(X) * inv(X).T", ["det(X) * inv(X)", "inv(X).T"]),
    ("sum(relu(W @ x))", "x", ["x=3", "W=2x3"], [], [], "gradient", "W.T @ step(W @ x)",
     ["W.T @ relu(W @ x)", "W.T @ sigmoid(W @ x)"]),
    ("0.5 * norm(sigmoid(W @ x) - y)**2", "x", ["x=3", "W=2x3", "y=2"], [], [], "gradient",
     "W.T @ ((sigmoid(W @ x) - y) * sigmoid(W @ x) * (1 - sigmoid(W @ x)))", ["W.T @ (sigmoid(W @ x) - y)"]),
]


def timed_claims(repeats: int) -> tuple[list[float], int, int]:
    times: list[float] = []
    right = wrong = 0
    for _ in range(repeats):
        for f, wrt, variables, lets, assume, layout, good, bad in QUESTIONS:
            for claim, expected in ((good, "correct"), *((b, "incorrect") for b in bad)):
                q = oneliner.question(f, wrt=wrt, variables=variables, lets=lets, assume=assume,
                                      layout=layout, claim=claim)  # type: ignore[arg-type]
                start = time.perf_counter()
                result = judge(q)
                times.append(time.perf_counter() - start)
                if result.verdict == expected:
                    right += 1
                else:
                    wrong += 1
    return times, right, wrong


def main() -> None:
    times, right, wrong = timed_claims(repeats=4)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"mixed claims: {len(times)} judged ({right} verdicts as expected, {wrong} not)")
    print(f"  median {statistics.median(times):.3f} s per claim, p95 {p95:.3f} s, max {ordered[-1]:.3f} s")
    for sheet in sorted((ROOT / "specs" / "homework").glob("*.yaml")):
        start = time.perf_counter()
        report = api.check_paths([sheet])
        total = time.perf_counter() - start
        questions = sum(len(getattr(s, "questions", ())) for s in report.specs)
        print(f"{sheet.name}: {questions} questions in {total:.2f} s "
              f"({total / max(questions, 1):.3f} s per question)")


if __name__ == "__main__":
    main()
