"""Builders of hand-built results for the CI reporters' tests."""

from __future__ import annotations

from gradcheck_cli.results import (
    Diagnosis,
    Entry,
    ForwardCheck,
    LayerInfo,
    Pair,
    QuestionResult,
    SheetResult,
    SpecResult,
    TensorResult,
)

EXPLANATION = "backprop disagrees with symbolic and numeric: scaled by 2"
SIGN = "the claim is the negative of the derivative"
TOLERANCE = "4 × finite-difference error estimate"


def tensor(name: str, *, failing: bool = False) -> TensorResult:
    pairs = (
        Pair("symbolic", "backprop", 0.3 if failing else 1e-15, 0.5, 6e14 if failing else 0.1,
             int(failing), TOLERANCE),
        Pair("symbolic", "numeric", 1e-11, 1e-10, 0.2, 0, TOLERANCE),
    )
    worst = (Entry((1, 0), {"symbolic": 0.3125, "backprop": 0.625, "numeric": 0.3125},
                   abs_error=0.3125, rel_error=0.5, tolerance=1e-9),) if failing else ()
    return TensorResult(name=name, shape=(2, 3), owner="layer 0: linear(2)",
                        verdict="fail" if failing else "pass", pairs=pairs,
                        odd_one_out="backprop" if failing else None,
                        explanation=EXPLANATION if failing else None, worst=worst)


def question(name: str, *, correct: bool, expect: str | None = None, points: float | None = 1.0,
             claimed: str = "A.T @ (y - A @ x)") -> QuestionResult:
    return QuestionResult(
        name=name, verdict="correct" if correct else "incorrect", f="0.5 * norm(y - A @ x)**2",
        wrt="x", layout="gradient", claimed=claimed, expected_shape=(3, 1), claimed_shape=(3, 1),
        evidence="symbolic: SymPy simplified claim − truth to 0",
        diagnosis=None if correct else Diagnosis("sign", SIGN),
        points=points, awarded=(points or 0.0) if correct else 0.0, expect=expect,
    )


def network(*tensors: TensorResult, claims: tuple[QuestionResult, ...] = (),
            forward_ok: bool = True) -> SpecResult:
    forward = ForwardCheck(0.25, 0.25 if forward_ok else 0.5, 0.0 if forward_ok else 0.25, 1e-13, (0.5,))
    return SpecResult(name="hand-built | net", path="specs/hand-built.yaml", seed=7, batch=2,
                      loss="squared_error", reduction="mean",
                      layers=(LayerInfo(0, "linear(2)", 3, 2, {"W0": (2, 3)}),), forward=forward,
                      tensors=tensors, claims=claims)


def sheet(*questions: QuestionResult) -> SheetResult:
    return SheetResult(name="answers", path="specs/homework/answers.yaml", seed=3, questions=questions)


def broken() -> SpecResult:
    return SpecResult("broken", "specs/broken.yaml", 0, 0, "", "", (), None, (),
                      "specs/broken.yaml:3:5: unknown op `tahn`; did you mean `tanh`?")
