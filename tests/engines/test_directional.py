"""Directional checks: a few random directions for all entries at once, then bisection; parts of a
direction that cross a kink are split off and their single entries judged as at a kink."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from problems import make_problem
from typer.testing import CliRunner

from gradcheck_cli import policy
from gradcheck_cli.api import check_problem
from gradcheck_cli.cli import app
from gradcheck_cli.engines import Gradients, backprop, directional
from gradcheck_cli.engines.directions import Directions
from gradcheck_cli.ops import registered
from gradcheck_cli.ops.activations import ReLU, Sigmoid, Tanh
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.ops.losses import SoftmaxCrossEntropy
from gradcheck_cli.problem import Problem, Settings

SPEC = Path(__file__).resolve().parents[2] / "specs" / "kinks" / "relu-at-its-kink.yaml"


WRT = ["W0", "b0", "W1", "b1", "W2", "b2"]


def mlp(scheme: str = "auto") -> tuple[Problem, Gradients]:
    layers = [Linear(out=40), Tanh(), Linear(out=20), Tanh(), Linear(out=5)]
    problem = make_problem(layers, SoftmaxCrossEntropy(), inputs=60, batch=8, wrt=WRT)
    problem = dataclasses.replace(problem, settings=Settings(scheme=scheme))  # type: ignore[arg-type]
    return problem, backprop.gradients(problem)


def relu_at_kinks() -> tuple[Problem, Gradients, Array]:
    """A ReLU MLP (944 parameters) whose first example is x = 0 and half of whose first-layer
    biases are 0: those units sit exactly at z = 0 for that example. Returns the problem, its
    correct gradient (relu'(0) = 0) and the units at the kink."""
    layers = [Linear(out=24), ReLU(), Linear(out=16), ReLU(), Linear(out=8)]
    problem = make_problem(layers, SoftmaxCrossEntropy(), inputs=16, batch=8, wrt=WRT)
    x = problem.x.copy()
    x[0] = 0.0
    b0 = problem.values["b0"].copy()
    b0[:12] = 0.0
    problem = dataclasses.replace(problem, x=x, values={**problem.values, "b0": b0})
    return problem, backprop.gradients(problem), np.arange(12)


def corrupt(g: Gradients, name: str, index: tuple[int, ...], factor: float, shift: float = 0.0) -> Gradients:
    grads = {k: np.array(v, copy=True) for k, v in g.grads.items()}
    grads[name][index] = grads[name][index] * factor + shift
    return dataclasses.replace(g, grads=grads)


@pytest.mark.parametrize("scheme", ["complex", "central"])
def test_a_correct_gradient_passes_along_random_directions(scheme: str) -> None:
    problem, right = mlp(scheme)
    outcome = directional.check(problem, {"backprop": right})
    (check,) = outcome.checks
    assert outcome.passed and check.passed and check.located is None
    assert outcome.crossing == 0 and not outcome.kinks.at


@pytest.mark.parametrize("scheme", ["complex", "central"])
def test_one_sign_flipped_entry_is_found_and_named(scheme: str) -> None:
    problem, right = mlp(scheme)
    (check,) = directional.check(problem, {"backprop": corrupt(right, "W0", (7, 33), -1.0)}).checks
    assert not check.passed
    assert check.located is not None
    assert (check.located.tensor, check.located.index) == ("W0", (7, 33))
    assert check.located.numeric == pytest.approx(float(right.grads["W0"][7, 33]), rel=1e-6)


def test_with_the_complex_step_a_relative_error_of_one_in_a_million_is_caught() -> None:
    problem, right = mlp("complex")
    (check,) = directional.check(problem, {"backprop": corrupt(right, "W1", (3, 11), 1 + 1e-6)}).checks
    assert not check.passed
    assert check.located is not None and check.located.index == (3, 11)


@pytest.mark.parametrize("rank", ["largest", "median"])
def test_a_sign_flip_among_two_thousand_parameters_is_localised(rank: str) -> None:
    layers = [Linear(out=30), Tanh(), Linear(out=20), Tanh(), Linear(out=5)]
    problem = make_problem(layers, SoftmaxCrossEntropy(), inputs=40, batch=8, wrt=WRT)
    right = backprop.gradients(problem)
    d = Directions(problem, 1)
    assert d.total == 1955
    flat = d.flat(right.grads)
    order = np.argsort(np.abs(flat), kind="stable")
    k = int(order[-1] if rank == "largest" else order[order.size // 2])
    name, index = d.entry(k)
    (check,) = directional.check(problem, {"backprop": corrupt(right, name, index, -1.0)}).checks
    assert not check.passed and check.located is not None
    assert (check.located.tensor, check.located.index) == (name, index)
    assert check.located.analytic == pytest.approx(-flat[k], rel=1e-15)
    assert check.located.numeric == pytest.approx(flat[k], rel=1e-6)


def test_a_correct_relu_network_with_units_exactly_at_z_0_passes_directionally() -> None:
    problem, right, at_kink = relu_at_kinks()
    outcome = directional.check(problem, {"backprop": right})
    assert outcome.passed, outcome.checks
    # every direction moves the units' biases, so every one crossed; the entries that still cross
    # on their own are exactly those biases
    assert outcome.crossing == policy.DIRECTIONS
    assert np.flatnonzero(outcome.kinks.at["b0"]).tolist() == at_kink.tolist()
    assert not any(mask.any() for name, mask in outcome.kinks.at.items() if name != "b0")
    low, high = outcome.kinks.low["b0"][at_kink], outcome.kinks.high["b0"][at_kink]
    assert np.all((low <= right.grads["b0"][at_kink]) & (right.grads["b0"][at_kink] <= high))


@pytest.mark.parametrize(("name", "index", "error"), [("b0", (3,), 0.5), ("W0", (3, 5), 1e-6)])
def test_a_wrong_entry_next_to_a_kink_is_caught_and_named(
    name: str, index: tuple[int, ...], error: float
) -> None:
    # b0[3]: the entry's own stencil crosses the kink: judged between its one-sided differences.
    # W0[3, 5]: same unit, but x = 0 where the unit is at its kink, so it crosses nothing and is
    # judged strictly — an error far inside the interval a whole crossing direction spans
    problem, right, _ = relu_at_kinks()
    (check,) = directional.check(problem, {"backprop": corrupt(right, name, index, 1.0, shift=error)}).checks
    assert not check.passed and check.located is not None
    assert (check.located.tensor, check.located.index) == (name, index)
    assert (check.located.kink is not None) == (name == "b0")


def test_the_report_counts_entries_and_directions_at_a_kink() -> None:
    problem, _, at_kink = relu_at_kinks()
    problem = dataclasses.replace(problem, settings=Settings(mode="directional"))
    result = check_problem(problem)
    assert result.verdict == "pass" and result.mode == "directional"
    assert {t.name: t.kinks for t in result.tensors}["b0"] == at_kink.size
    assert all(c.kinks == policy.DIRECTIONS for c in result.directional)


def test_the_spec_at_relu_s_kink_passes_in_directional_mode_as_in_full_mode() -> None:
    # SymPy takes Heaviside(0) = 1/2 and backprop relu'(0) = 0: both valid subgradients, and the
    # entries where they differ are the ones the directional check finds at a kink
    result = CliRunner().invoke(app, ["check", str(SPEC), "--mode", "directional"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0, text
    assert "W0: 4 entries at a kink" in text and "b0: 2 entries at a kink" in text
    assert "4 of them crossed a kink" in text


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
