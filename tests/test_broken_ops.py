"""The checker is checked: deliberately wrong rules must be caught, named and blamed right."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from typer.testing import CliRunner

from gradcheck_cli.cli import app
from gradcheck_cli.ops import registered
from gradcheck_cli.ops.activations import Sigmoid, Tanh
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SquaredError
from gradcheck_cli.ops.penalty import L2Penalty


class BrokenSigmoid(Sigmoid):
    """g(z) = σ(z), with a backward that forgets the factor (1 - y)."""

    kind = "broken_sigmoid"

    def derivative(self, z: Array, y: Array) -> Array:
        return y


class WrongMathTanh(Tanh):
    """g(z) = tanh(z) in NumPy, but its SymPy math says sin(z)."""

    kind = "wrong_math_tanh"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        return sp.sin(t)


class HalvedSquaredError(SquaredError):
    """L = ‖ŷ - y‖², with a backward that drops the factor 2."""

    kind = "halved_squared_error"

    def backward(self, cache: Cache) -> Array:
        return super().backward(cache) / 2


class TransposingLinear(Linear):
    """z = Wx + b, with a backward that returns ∂J/∂W transposed."""

    kind = "transposing_linear"

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        gx, grads = super().backward(cache, g)
        return gx, {**grads, "W": grads["W"].T}


class UnaveragedLinear(Linear):
    """z = Wx + b, with a backward whose ∂J/∂W sums the batch where the mean loss averages it."""

    kind = "unaveraged_linear"

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        gx, grads = super().backward(cache, g)
        return gx, {**grads, "W": grads["W"] * g.shape[0]}


class Run:
    """A CLI run; ``text`` is its output with the console's line wrapping undone."""

    def __init__(self, result: Any) -> None:
        self.exit_code: int = result.exit_code
        self.output: str = result.output
        self.text = " ".join(result.output.split())


def run(tmp_path: Path, body: str, *extra: str) -> Run:
    spec = tmp_path / "spec.yaml"
    spec.write_text("data: {batch: 4, inputs: 3}\n" + body)
    return Run(CliRunner().invoke(app, ["check", str(spec), *extra]))


NETWORK = "network:\n  - linear: {out: 3}\n  - %s\n  - linear: {out: 2}\nloss: squared_error\n"


def test_a_sigmoid_backward_missing_one_minus_y_fails_and_is_named(tmp_path: Path) -> None:
    with registered(BrokenSigmoid):
        result = run(tmp_path, NETWORK % "broken_sigmoid")
    assert result.exit_code == 1
    assert "✗ W0: backprop is the odd one out: symbolic and numeric agree on ∂J/∂W0" in result.text
    assert "the first wrong backward rule is that of `broken_sigmoid` (layer 1)" in result.text
    assert "worst entries of ∂J/∂W0" in result.text
    assert re.search(r"│ \[\d, \d\] +│", result.output), "the worst entry's index is shown"
    assert result.output.rstrip().splitlines()[-1] == "2 passed, 2 failed"


def test_the_layers_above_a_broken_op_still_pass(tmp_path: Path) -> None:
    with registered(BrokenSigmoid):
        result = run(tmp_path, NETWORK % "broken_sigmoid", "--format", "json")
    import json

    verdicts = {t["name"]: t["verdict"] for t in json.loads(result.output)["specs"][0]["tensors"]}
    assert verdicts == {"W0": "fail", "b0": "fail", "W1": "pass", "b1": "pass"}


def test_math_that_differs_from_the_forward_blames_the_symbolic_engine(tmp_path: Path) -> None:
    with registered(WrongMathTanh):
        result = run(tmp_path, NETWORK % "wrong_math_tanh")
    assert result.exit_code == 1
    assert "symbolic DIFFERS" in result.text
    assert "symbolic is the odd one out" in result.text
    assert "the SymPy math of `wrong_math_tanh` (layer 1) differs from its NumPy forward" in result.text


def test_a_loss_backward_missing_its_factor_two_is_diagnosed_as_half(tmp_path: Path) -> None:
    with registered(HalvedSquaredError):
        result = run(tmp_path, "network:\n  - linear: {out: 2}\nloss: halved_squared_error\n")
    assert result.exit_code == 1
    assert "backprop's value: it is 1/2 of the correct value" in result.text
    assert "the first wrong backward rule is that of the loss `halved_squared_error`" in result.text


def test_a_transposed_weight_gradient_is_diagnosed_as_transposed(tmp_path: Path) -> None:
    with registered(TransposingLinear):
        result = run(tmp_path, "network:\n  - transposing_linear: {out: 3}\nloss: squared_error\n")
    assert result.exit_code == 1
    assert "✗ W0: backprop is the odd one out" in result.text
    assert "it is transposed" in result.text


@pytest.mark.parametrize("op", ["tanh", "sigmoid", "relu", "softplus", "leaky_relu"])
def test_the_same_networks_with_the_real_ops_pass(tmp_path: Path, op: str) -> None:
    result = run(tmp_path, NETWORK % op)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-1] == "4 passed, 0 failed"


def test_a_broken_op_is_gone_from_the_registry_after_the_test() -> None:
    from gradcheck_cli.ops import LAYERS

    with registered(BrokenSigmoid):
        assert "broken_sigmoid" in LAYERS
    assert "broken_sigmoid" not in LAYERS
    assert np.isfinite(Sigmoid().derivative(np.zeros(1), np.full(1, 0.5))).all()


class DoubledL2(L2Penalty):
    """R(W) = (λ/2)‖W‖², with a backward that returns 2λW (the ½ forgotten)."""

    def backward(self, W: Array) -> Array:
        return 2 * self.strength * W


def test_a_penalty_backward_off_by_a_multiple_of_the_weights_is_named_as_such() -> None:
    import dataclasses

    from problems import make_problem

    from gradcheck_cli.api import check_problem

    problem = make_problem([Linear(out=3), Tanh(), Linear(out=2)], SquaredError(), l2=0.3)
    broken = dataclasses.replace(problem, penalty=DoubledL2(strength=0.3))
    tensors = {t.name: t for t in check_problem(broken).tensors}
    # every weight matrix fails; the error of backprop is exactly +0.3·W (an independent reason:
    # 2λW − λW), which the diagnosis names instead of "every entry differs"
    for name in ("W0", "W1"):
        assert tensors[name].verdict == "fail"
        explanation = tensors[name].explanation or ""
        assert "backprop is the odd one out" in explanation
        assert f"off by 0.3·{name}" in explanation, explanation
    assert {t.verdict for n, t in tensors.items() if n.startswith("b")} == {"pass"}


def test_a_weight_gradient_off_by_the_batch_size_is_named_by_it(tmp_path: Path) -> None:
    # the spec's batch is 4 (run() writes it): the 1/m of the mean loss left out of ∂J/∂W
    with registered(UnaveragedLinear):
        result = run(tmp_path, "network:\n  - unaveraged_linear: {out: 2}\nloss: squared_error\n")
    assert result.exit_code == 1
    assert "backprop's value: it is 4 (the batch size) times the correct value" in result.text
