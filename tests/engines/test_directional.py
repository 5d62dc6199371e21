"""Directional checks: a few random directions for all entries at once, then bisection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from problems import make_problem
from typer.testing import CliRunner

from gradcheck_cli.cli import app
from gradcheck_cli.engines import Gradients, backprop, directional
from gradcheck_cli.ops import registered
from gradcheck_cli.ops.activations import Sigmoid, Tanh
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SoftmaxCrossEntropy
from gradcheck_cli.problem import Settings


def mlp(scheme: str = "auto") -> tuple:  # type: ignore[type-arg]
    layers = [Linear(out=40), Tanh(), Linear(out=20), Tanh(), Linear(out=5)]
    wrt = ["W0", "b0", "W1", "b1", "W2", "b2"]
    problem = make_problem(layers, SoftmaxCrossEntropy(), inputs=60, batch=8, wrt=wrt)
    problem = dataclasses.replace(problem, settings=Settings(scheme=scheme))  # type: ignore[arg-type]
    return problem, backprop.gradients(problem)


def corrupt(g: Gradients, name: str, index: tuple[int, ...], factor: float) -> Gradients:
    grads = {k: np.array(v, copy=True) for k, v in g.grads.items()}
    grads[name][index] *= factor
    return dataclasses.replace(g, grads=grads)


@pytest.mark.parametrize("scheme", ["complex", "central"])
def test_a_correct_gradient_passes_along_random_directions(scheme: str) -> None:
    problem, right = mlp(scheme)
    (check,) = directional.check(problem, {"backprop": right})
    assert check.passed and check.located is None


@pytest.mark.parametrize("scheme", ["complex", "central"])
def test_one_sign_flipped_entry_is_found_and_named(scheme: str) -> None:
    problem, right = mlp(scheme)
    (check,) = directional.check(problem, {"backprop": corrupt(right, "W0", (7, 33), -1.0)})
    assert not check.passed
    assert check.located is not None
    assert (check.located.tensor, check.located.index) == ("W0", (7, 33))
    assert check.located.numeric == pytest.approx(float(right.grads["W0"][7, 33]), rel=1e-6)


def test_with_the_complex_step_a_relative_error_of_one_in_a_million_is_caught() -> None:
    problem, right = mlp("complex")
    (check,) = directional.check(problem, {"backprop": corrupt(right, "W1", (3, 11), 1 + 1e-6)})
    assert not check.passed
    assert check.located is not None and check.located.index == (3, 11)


class BrokenSigmoid(Sigmoid):
    """g(z) = σ(z), with a backward that forgets the factor (1 - y)."""

    kind = "directional_broken_sigmoid"

    def derivative(self, z: Array, y: Array) -> Array:
        return y


def test_the_cli_in_directional_mode_names_backprop_and_the_entry(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("data: {batch: 4, inputs: 3}\nnetwork:\n  - linear: {out: 3}\n"
                    "  - directional_broken_sigmoid\n  - linear: {out: 2}\nloss: squared_error\n")
    with registered(BrokenSigmoid):
        result = CliRunner().invoke(app, ["check", str(spec), "--mode", "directional"])
    text = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "directional: backprop DIFFERS" in text
    assert "backprop is the odd one out: backprop disagrees with the finite difference" in text
    assert "does not prove every entry individually" in text
