"""Judging claims: time per claim on the course-notes sheets and on a mix of claims.

Prints the median and 95th percentile per claim (target: median ≤ 0.3 s, p95 ≤ 1 s on the
project's 2-core machines) and the course-notes sheet's total (target ≤ 3 s). Run by hand:

    python benchmarks/bench_claims.py
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

from gradcheck_cli import api
from gradcheck_cli.claims import oneliner
from gradcheck_cli.claims.judge import judge
from gradcheck_cli.limits import Limits

ROOT = Path(__file__).resolve().parents[1]

#: (f, wrt, variables, lets, assumptions, layout, correct claims, wrong claims): the course notes'
#: and the Matrix Cookbook's identities, each right in several ways people write it and wrong in
#: the usual ways (sign, factor, transpose, layout, missing term, activation derivative)
QUESTIONS = [
    (
        "logdet(X)",
        "X",
        ["X=3x3"],
        [],
        [],
        "gradient",
        ["inv(X).T", "inv(X.T)", "(inv(X)).T"],
        ["inv(X)", "-inv(X).T", "X", "det(X) * inv(X).T"],
    ),
    (
        "x.T @ A @ x",
        "x",
        ["x=3", "A=3x3"],
        [],
        [],
        "gradient",
        ["A @ x + A.T @ x", "(A + A.T) @ x", "(A.T + A) @ x", "A.T @ x + A @ x"],
        ["2 * A @ x", "A @ x", "x.T @ (A + A.T)", "2 * A.T @ x"],
    ),
    (
        "0.5 * norm(y - A @ x)**2",
        "x",
        ["x=3", "A=4x3", "y=4"],
        [],
        [],
        "gradient",
        ["-A.T @ (y - A @ x)", "A.T @ (A @ x - y)", "A.T @ A @ x - A.T @ y", "A.T @ A @ x - (y.T @ A).T"],
        ["A.T @ (y - A @ x)", "2 * A.T @ (A @ x - y)", "A.T @ A @ x", "-(y - A @ x).T @ A"],
    ),
    (
        "0.5 * norm(y - A @ x)**2 + lam * x.T @ x",
        "x",
        ["x=3", "A=4x3", "y=4", "lam=scalar"],
        [],
        [],
        "gradient",
        [
            "A.T @ (A @ x - y) + 2 * lam * x",
            "(A.T @ A + 2 * lam * eye(3)) @ x - A.T @ y",
            "A.T @ A @ x - A.T @ y + lam * 2 * x",
        ],
        ["A.T @ (A @ x - y) + lam * x", "A.T @ A @ x + A.T @ y + 2 * lam * x", "A.T @ A @ x + 2 * lam * x"],
    ),
    (
        "-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))",
        "w",
        ["X=5x3", "w=3", "y=5"],
        [],
        [],
        "gradient",
        ["X.T @ (sigmoid(X @ w) - y)", "-X.T @ (y - sigmoid(X @ w))", "X.T @ sigmoid(X @ w) - X.T @ y"],
        [
            "X.T @ (y - sigmoid(X @ w))",
            "X.T @ sigmoid(X @ w)",
            "X.T @ ((sigmoid(X @ w) - y) * sigmoid(X @ w))",
        ],
    ),
    (
        "-y.T @ log(softmax(z))",
        "z",
        ["z=3", "y=3"],
        [],
        ["y:onehot"],
        "gradient",
        ["softmax(z) - y", "-(y - softmax(z))", "softmax(z) * sum(y) - y"],
        ["y - softmax(z)", "softmax(z)", "-y / softmax(z)"],
    ),
    (
        "tanh(W @ x + b)",
        "b",
        ["x=3", "W=2x3", "b=2"],
        [],
        [],
        "jacobian",
        ["diag(1 - tanh(W @ x + b)**2)", "eye(2) - diag(tanh(W @ x + b)**2)"],
        ["diag(1 - tanh(W @ x + b))", "diag(tanh(W @ x + b))", "1 - tanh(W @ x + b)**2"],
    ),
    (
        "0.5 * norm(y - h)**2",
        "z",
        ["z=3", "y=3"],
        ["h=tanh(z)"],
        [],
        "gradient",
        ["(h - y) * (1 - h**2)", "(h - y) - (h - y) * h**2", "-(y - h) * (1 - h * h)"],
        ["(h - y) * (1 - h)", "h - y", "(y - h) * (1 - h**2)"],
    ),
    (
        "trace(A @ X @ B)",
        "X",
        ["A=2x3", "X=3x3", "B=3x2"],
        [],
        [],
        "gradient",
        ["A.T @ B.T", "(B @ A).T", "A.T @ eye(2) @ B.T"],
        ["B @ A", "A.T @ B", "A @ B"],
    ),
    (
        "det(X)",
        "X",
        ["X=3x3"],
        [],
        [],
        "gradient",
        ["det(X) * inv(X).T", "det(X) * inv(X.T)", "inv(X).T * det(X)"],
        ["det(X) * inv(X)", "inv(X).T", "det(X) * X"],
    ),
    (
        "sum(relu(W @ x))",
        "x",
        ["x=3", "W=2x3"],
        [],
        [],
        "gradient",
        ["W.T @ step(W @ x)", "(step(W @ x).T @ W).T"],
        ["W.T @ relu(W @ x)", "W.T @ sigmoid(W @ x)", "step(W @ x).T @ W"],
    ),
    (
        "0.5 * norm(sigmoid(W @ x) - y)**2",
        "x",
        ["x=3", "W=2x3", "y=2"],
        [],
        [],
        "gradient",
        ["W.T @ ((sigmoid(W @ x) - y) * sigmoid(W @ x) * (1 - sigmoid(W @ x)))"],
        ["W.T @ (sigmoid(W @ x) - y)"],
    ),
    (
        "trace(X.T @ A @ X)",
        "X",
        ["X=3x2", "A=3x3"],
        [],
        [],
        "gradient",
        ["(A + A.T) @ X", "A @ X + A.T @ X"],
        ["2 * A @ X", "A @ X", "(A + A.T) @ X * 2"],
    ),
    (
        "a.T @ inv(X) @ b",
        "X",
        ["a=3", "b=3", "X=3x3"],
        [],
        [],
        "gradient",
        ["-inv(X).T @ a @ b.T @ inv(X).T", "-inv(X.T) @ outer(a, b) @ inv(X.T)"],
        ["-inv(X) @ a @ b.T @ inv(X)", "inv(X).T @ a @ b.T @ inv(X).T"],
    ),
    (
        "0.5 * (y - mu).T @ inv(S) @ (y - mu)",
        "mu",
        ["y=3", "mu=3", "S=3x3"],
        [],
        ["S:positive_definite"],
        "gradient",
        ["inv(S) @ (mu - y)", "-inv(S) @ (y - mu)", "inv(S) @ mu - inv(S) @ y"],
        ["inv(S) @ (y - mu)", "S @ (mu - y)", "mu - y"],
    ),
    (
        "sum((X @ w - y)**2) / 5",
        "w",
        ["X=5x3", "w=3", "y=5"],
        [],
        [],
        "gradient",
        ["2 / 5 * X.T @ (X @ w - y)", "0.4 * X.T @ (X @ w - y)"],
        ["2 * X.T @ (X @ w - y)", "X.T @ (X @ w - y) / 5", "0.4 * X.T @ (y - X @ w)"],
    ),
    (
        "tanh(x**3)",
        "x",
        ["x=scalar"],
        [],
        [],
        "gradient",
        ["(1 - tanh(x**3)**2) * 3 * x**2", "3 * x^2 * (1 - tanh(x^3)^2)"],
        ["(1 - tanh(x**3)**2) * x**2", "1 - tanh(x**3)**2", "3 * x**2 * (1 - tanh(x**3))"],
    ),
    (
        "sin(t)**2 + 2 * cos(t)",
        "t",
        ["t=scalar"],
        [],
        [],
        "gradient",
        ["2 * sin(t) * cos(t) - 2 * sin(t)", "2 * sin(t) * (cos(t) - 1)"],
        ["2 * sin(t) * cos(t) + 2 * sin(t)", "2 * sin(t) - 2 * sin(t)", "-2 * sin(t)"],
    ),
    (
        "sum(exp(A @ x))",
        "A",
        ["A=2x3", "x=3"],
        [],
        [],
        "gradient",
        ["exp(A @ x) @ x.T", "outer(exp(A @ x), x)"],
        ["x @ exp(A @ x).T", "exp(A @ x) @ x.T * 2"],
    ),
    (
        "logsumexp(W @ x)",
        "x",
        ["W=3x2", "x=2"],
        [],
        [],
        "gradient",
        ["W.T @ softmax(W @ x)", "(softmax(W @ x).T @ W).T"],
        ["softmax(W @ x)", "W.T @ exp(W @ x)", "W.T @ (1 - softmax(W @ x))"],
    ),
]


def timed_claims(repeats: int) -> tuple[list[float], int, int]:
    times: list[float] = []
    right = wrong = 0
    for _ in range(repeats):
        for f, wrt, variables, lets, assume, layout, good, bad in QUESTIONS:
            for claim, expected in (*((g, "correct") for g in good), *((b, "incorrect") for b in bad)):
                q = oneliner.question(
                    f, wrt=wrt, variables=variables, lets=lets, assume=assume, layout=layout, claim=claim
                )  # type: ignore[arg-type]
                start = time.perf_counter()
                result = judge(q)
                times.append(time.perf_counter() - start)
                if result.verdict == expected:
                    right += 1
                else:
                    wrong += 1
    return times, right, wrong


def main() -> None:
    correct = sum(len(q[6]) for q in QUESTIONS)
    wrong_claims = sum(len(q[7]) for q in QUESTIONS)
    print(f"{correct + wrong_claims} distinct claims: {correct} correct, {wrong_claims} wrong")
    times, right, wrong = timed_claims(repeats=2)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"mixed claims: {len(times)} judged ({right} verdicts as expected, {wrong} not)")
    print(f"  median {statistics.median(times):.3f} s per claim, p95 {p95:.3f} s, max {ordered[-1]:.3f} s")
    serial = dataclasses.replace(Limits.default(), isolate=False)
    for sheet in sorted((ROOT / "specs" / "homework").glob("*.yaml")):
        for how, limits in (("isolated (default)", Limits.default()), ("in-process", serial)):
            start = time.perf_counter()
            report = api.check_paths([sheet], limits=limits)
            total = time.perf_counter() - start
            questions = sum(len(getattr(s, "questions", ())) for s in report.specs)
            print(f"{sheet.name}, {how}: {questions} questions in {total:.2f} s "
                  f"({total / max(questions, 1):.3f} s per question)")


if __name__ == "__main__":
    main()
