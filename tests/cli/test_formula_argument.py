"""`gradcheck expr` takes a formula that starts with a minus as its argument, not as options."""

from __future__ import annotations

import json
from collections.abc import Callable

from typer.testing import Result

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py

CROSS_ENTROPY = ("--wrt", "p", "--var", "y=3", "--var", "p=3", "--assume", "p:positive")


def test_a_formula_starting_with_a_minus_is_the_argument(gradcheck: Invoke) -> None:
    result = gradcheck("expr", "-y.T @ log(p)", *CROSS_ENTROPY)
    assert (result.exit_code, result.output.strip()) == (0, "-y / p")


def test_a_formula_starting_with_a_minus_may_come_after_the_options(gradcheck: Invoke) -> None:
    result = gradcheck("expr", *CROSS_ENTROPY, "-y.T @ log(p)")
    assert (result.exit_code, result.output.strip()) == (0, "-y / p")


def test_an_h_inside_a_formula_does_not_ask_for_the_help(gradcheck: Invoke) -> None:
    result = gradcheck("expr", "-sum(tanh(z))", "--wrt", "z", "--var", "z=2")
    assert result.exit_code == 0
    assert "Usage" not in result.output and "tanh(z)" in result.output


def test_a_claim_starting_with_a_minus_stays_the_claim(gradcheck: Invoke) -> None:
    result = gradcheck("expr", "-x.T @ x", "--wrt", "x", "--var", "x=3", "--claim", "-2 * x", "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["verdict"] == "correct"


def test_options_keep_working_beside_a_formula_with_a_minus(gradcheck: Invoke) -> None:
    result = gradcheck("expr", "-x.T @ x", "--wrt", "x", "--var", "x=3", "--claim", "2 * x", "-fjson")
    assert result.exit_code == 1
    assert json.loads(result.output)["diagnosis"]["kind"] == "sign"
    assert gradcheck("expr", "-h").output.startswith("Usage: gradcheck expr")
