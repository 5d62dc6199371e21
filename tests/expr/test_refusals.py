"""Did-you-mean for habits from other notations: each suggestion of the table, pinned one by one."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck_cli.errors import did_you_mean
from gradcheck_cli.expr import ExprError, Shape, compile_expr, to_numpy
from gradcheck_cli.expr.refusals import CALL_HABITS, NAME_HABITS

VARIABLES: dict[str, Shape] = {"x": (3, 1), "y": (3, 1), "A": (2, 3), "X": (3, 3), "s": (1, 1)}


def refused(text: str) -> ExprError:
    with pytest.raises(ExprError) as caught:
        compile_expr(text, VARIABLES)
    return caught.value


@pytest.mark.parametrize(
    ("text", "column", "hint"),
    [
        ("sigma(x)", 1, "did you mean `sigmoid(x)`?"),
        ("1 - sigma", 5, "did you mean `sigmoid(…)`?"),
        ("transpose(A) @ y", 1, "did you mean `A.T`?"),
        ("x.transpose() @ y", 1, "did you mean `x.T`?"),
        ("x.transpose", 3, "did you mean `x.T`?"),
        ("x' @ y", 2, "for a transpose write `x.T`; `'` starts a string"),
        ("2 * A' @ y", 6, "for a transpose write `A.T`; `'` starts a string"),
        ("(A @ x)' * 2", 8, "for a transpose write `(A @ x).T`; `'` starts a string"),
        ("exp(x)' @ y", 7, "for a transpose write `exp(x).T`; `'` starts a string"),
        ("xᵀ @ y", 1, "for a transpose write `x.T`"),
        ("e ** x", 1, "for e to a power write `exp(x)`"),
        ("2 * e^(-s * x)", 5, "for e to a power write `exp(-s * x)`"),
        ("e * x", 1, "did you mean `exp(1)`?"),
        ("I @ x", 1, "did you mean `eye(n)`?"),
        ("dot(x, y)", 1, "did you mean `x.T @ y`?"),
        ("np.dot(x, y)", 1, "did you mean `x.T @ y`?"),
        ("A.dot(x)", 1, "did you mean `A @ x`?"),
        ("np.exp(x)", 1, "did you mean `exp(x)`?"),
        ("np.linalg.inv(X) @ x", 1, "did you mean `inv(X)`?"),
        ("torch.sigmoid(x)", 1, "did you mean `sigmoid(x)`?"),
        ("np.maximum(x, 0)", 1, "did you mean `maximum(x, 0)`?"),
        ("x.sum()", 1, "did you mean `sum(x)`?"),
        ("np.pi * x", 4, "did you mean `pi`?"),
        ("π * x", 1, "did you mean `pi`?"),
        ("ReLU(x)", 1, "did you mean `relu`?"),
        ("Tr(X)", 1, "did you mean `tr`?"),
        ("np.square(x)", 1, "did you mean `x ** 2`?"),
        ("log1p(x)", 1, "did you mean `log(1 + x)`?"),
        ("x²", 2, "for a power write `x**2` or `x^2`"),
        ("A × x", 3, "for a product write `*` (entrywise) or `@` (matrix product)"),
        ("x · y", 3, "for a product write `*` (entrywise) or `@` (matrix product)"),
        ("x − y", 3, "write the minus sign as `-`"),
        ("sigmoi(x)", 1, "did you mean `sigmoid`?"),
        ("tahn(x)", 1, "did you mean `tanh`?"),
    ],
)
def test_a_habit_from_another_notation_gets_what_this_language_writes(
    text: str, column: int, hint: str
) -> None:
    error = refused(text)
    assert (error.column, error.hint) == (column, hint)


@pytest.mark.parametrize(("text", "misleading"), [("sigma(x)", "sign"), ("dot(x, y)", "det")])
def test_a_habit_is_not_mistaken_for_the_nearest_spelling(text: str, misleading: str) -> None:
    assert f"`{misleading}`" not in (refused(text).hint or "")


def test_every_suggested_call_compiles_when_the_arguments_fit() -> None:
    arguments = {"dot": "x, y", "inner": "x, y", "vdot": "x, y", "matmul": "A, x", "mm": "A, x",
                 "multiply": "x, y", "divide": "x, y", "power": "x, 2", "pow": "x, 2", "kronecker": "A, x",
                 "fmax": "x, y", "fmin": "x, y", "determinant": "X", "inverse": "X", "identity": "3"}
    for name in CALL_HABITS:
        hint = refused(f"{name}({arguments.get(name, 'x')})").hint
        assert hint is not None and hint.startswith("did you mean `"), name
        suggestion = hint[len("did you mean `"):-2]
        if "eye(n)" not in suggestion:
            compile_expr(suggestion, VARIABLES)  # raises if the suggestion is not of the language


def test_every_suggested_name_compiles() -> None:
    for suggestion in NAME_HABITS.values():
        compile_expr(suggestion.replace("…", "x").replace("(n)", "(3)"), VARIABLES)


def test_a_variable_named_like_a_habit_is_the_variable() -> None:
    variables: dict[str, Shape] = {"e": (1, 1), "I": (3, 3), "x": (3, 1)}
    assert compile_expr("e ** 2 * I @ x", variables).shape == (3, 1)


def test_max_of_a_vector_and_zero_is_relu() -> None:
    values = {"x": np.array([[-1.0], [0.0], [2.0]])}
    relu = to_numpy(compile_expr("relu(x)", VARIABLES), values)
    np.testing.assert_array_equal(to_numpy(compile_expr("max(x, 0)", VARIABLES), values), relu)


@pytest.mark.parametrize(
    ("word", "choices", "hint"),
    [
        ("ReLU", ["relu", "real"], "did you mean `relu`?"),
        ("variabels", ["variables", "values"], "did you mean `variables`?"),
        ("zzz", ["variables"], None),
    ],
)
def test_did_you_mean_prefers_the_same_word_in_another_case(
    word: str, choices: list[str], hint: str | None
) -> None:
    assert did_you_mean(word, choices) == hint
