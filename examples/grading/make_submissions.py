"""Write the example class: 30 students' answers to key.yaml, and two hostile submissions.

Each student answers each question with a right answer (in one of the forms people write it) or
with one of the typical slips — a sign, a transpose, the layout, a constant factor, a missing
term, the activation's derivative, an answer that does not type-check — drawn from a seeded
generator, so the class is the same on every run. ``PLAN`` records what each answer was written
to be; the tests grade the class and check every mark against it.

    python examples/grading/make_submissions.py     # rewrites examples/grading/submissions/
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent
STUDENTS = 30
SEED = 3
#: The share of answers written right; the rest are slips.
RIGHT_SHARE = 0.6

#: Per question: the right answers (several forms), then the slips with the diagnosis kind each
#: is written to show ("shape": it does not type-check).
ANSWERS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "q1": (["(1 - tanh(x**3)**2) * 3 * x**2", "3 * x**2 * (1 - tanh(x**3)**2)"],
           [("(1 - tanh(x**3)) * 3 * x**2", "activation-derivative"),
            ("(1 - tanh(x**3)**2) * x**2", "factor")]),
    "q2": (["-A.T @ (y - A @ x)", "A.T @ (A @ x - y)"],
           [("A.T @ (y - A @ x)", "sign"), ("-(y - A @ x).T @ A", "layout"),
            ("-2 * A.T @ (y - A @ x)", "factor"), ("-A @ (y - A @ x)", "shape")]),
    "q3": (["diag(1 - tanh(z)**2)"], [("diag(1 - tanh(z))", "activation-derivative")]),
    "q4": (["(A + A.T) @ x", "A @ x + A.T @ x"], [("2 * A @ x", "symmetric-assumption")]),
    "q5": (["softmax(theta) - y"], [("y - softmax(theta)", "sign")]),
    "q6": (["outer(yhat - y, h)", "(yhat - y) @ h.T"], [("outer(h, yhat - y)", "layout")]),
    "q7": (["(U.T @ (yhat - y)) * step(z)"], [("(U.T @ (yhat - y)) * relu(z)", "activation-derivative"),
                                             ("U.T @ (yhat - y)", "activation-derivative")]),
    "q8": (["X.T @ (y - sigmoid(X @ theta))"], [("X.T @ (sigmoid(X @ theta) - y)", "sign"),
                                                 ("(y - sigmoid(X @ theta)).T @ X", "layout")]),
    "q9": (["-5 / (2 * s2) + norm(X @ w - y)**2 / (2 * s2**2)"],
           [("norm(X @ w - y)**2 / (2 * s2**2)", "missing-term")]),
    "q10": (["2 / 4 * X.T @ (X @ w - y)", "X.T @ (X @ w - y) / 2"], [("2 * X.T @ (X @ w - y)", "factor")]),
}

#: Two submissions that attack the grader rather than answer: each answer scores 0 with its reason.
HOSTILE = {
    "hostile-tower": {"q1": "exp(" * 40 + "x" + ")" * 40, "q2": "exp(" * 6 + "sum(x)" + ")" * 6 + " * x"},
    "hostile-kron": {"q4": "kron(kron(kron(kron(kron(A, A), A), A), A), A) @ x",
                     "q6": "kron(kron(kron(U, U), U), U)"},
}


def plan() -> dict[str, dict[str, tuple[str, str]]]:
    """Each student's answers: question id → (answer, what it was written to be: "right" or a
    diagnosis kind)."""
    draw = random.Random(SEED)
    students: dict[str, dict[str, tuple[str, str]]] = {}
    for number in range(1, STUDENTS + 1):
        answers = {}
        for qid, (right, slips) in ANSWERS.items():
            if draw.random() < RIGHT_SHARE:
                answers[qid] = (draw.choice(right), "right")
            else:
                answers[qid] = draw.choice(slips)
        students[f"s{number:02d}"] = answers
    return students


PLAN = plan()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    written = {student: {qid: text for qid, (text, _) in plan.items()} for student, plan in PLAN.items()}
    for student, answers in {**written, **HOSTILE}.items():
        lines = [f"student: {student}", "answers:"]
        lines += [f"  {qid}: {_quoted(text)}" for qid, text in answers.items()]
        (folder / f"{student}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(HERE / "submissions")
