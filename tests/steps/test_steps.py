"""`gradcheck steps`: the V of truncation and round-off, with the chosen step near its bottom."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcheck_cli import policy
from gradcheck_cli import steps as steps_module
from gradcheck_cli.api import load_problem
from gradcheck_cli.cli import app
from gradcheck_cli.engines.directions import Directions
from gradcheck_cli.fd import steps as fd_steps
from gradcheck_cli.problem import Problem
from gradcheck_cli.steps import for_problem

SPECS = Path(__file__).resolve().parents[2] / "specs"

USER_CODE = """\
import numpy as np

def loss(w, x):
    return float(np.sum(np.tanh(x @ w) ** 2))

def grad(w, x):
    t = np.tanh(x @ w)
    return {"w": x.T @ (2 * t * (1 - t ** 2))}
"""

INPUTS = """\
seed: 3
inputs:
  w: {shape: [3]}
  x: {shape: [4, 3], fixed: true}
"""


def _v_shape(steps: list[float], errors: list[float], chosen: float) -> None:
    errors_ = np.array(errors)
    at_chosen = errors_[int(np.argmin(np.abs(np.log10(steps) - np.log10(chosen))))]
    assert at_chosen < errors_[0] / 100, "round-off should dominate at the smallest step"
    assert at_chosen < errors_[-1] / 100, "truncation should dominate at the largest step"
    assert at_chosen <= 100 * errors_.min(), "the chosen step should sit near the bottom of the V"


def central(problem: Problem, scheme: str = "central") -> Problem:
    return dataclasses.replace(problem, settings=dataclasses.replace(problem.settings, scheme=scheme))


def test_a_spec_checked_by_central_differences_gives_a_v_with_its_step_near_the_bottom() -> None:
    curve = for_problem(central(load_problem(SPECS / "mlp-cross-entropy.yaml")))
    _v_shape(list(curve.steps), list(curve.errors), curve.chosen)
    assert curve.reference_source == "symbolic" and curve.scheme == "central"


def test_the_step_marked_is_the_one_the_check_takes_for_that_entry_and_scheme() -> None:
    problem = load_problem(SPECS / "tanh-layer-squared-loss.yaml")
    theta = float(problem.values["A"][1, 2])
    for scheme, relative in (("central", policy.CENTRAL_STEP), ("forward", policy.FORWARD_STEP),
                             ("richardson", policy.CENTRAL_STEP)):
        curve = for_problem(central(problem, scheme), "A[1, 2]")
        assert curve.scheme == scheme
        assert curve.chosen == pytest.approx(relative * max(1.0, abs(theta)), rel=1e-6)


def test_a_complex_safe_spec_plots_the_complex_step_which_has_no_round_off_arm() -> None:
    problem = load_problem(SPECS / "tanh-layer-squared-loss.yaml")
    curve = for_problem(problem, "A[1, 2]")
    theta = float(problem.values["A"][1, 2])
    assert curve.scheme == "complex" and curve.chosen == policy.COMPLEX_STEP * max(1.0, abs(theta))
    errors = np.array(curve.errors)
    small = np.array(curve.steps) < 1e-8
    # at every small step, down to 1e-22, the complex step is exact to rounding
    assert errors[small].max() < 1e-14 * max(1.0, abs(curve.reference))
    assert errors[-1] > 1e-6, "truncation shows at the largest step"


def test_the_cli_plots_a_named_entry_of_a_spec_and_prints_json() -> None:
    spec = str(SPECS / "tanh-layer-squared-loss.yaml")
    shown = CliRunner().invoke(app, ["steps", spec, "--entry", "A[1, 2]"])
    assert shown.exit_code == 0, shown.output
    assert "∂J/∂A[1, 2]" in shown.output and "▲ gradcheck's complex step h = 1.0e-20" in shown.output
    as_json = CliRunner().invoke(app, ["steps", spec, "--entry", "A[1, 2]", "--format", "json"])
    data = json.loads(as_json.output)
    assert data["kind"] == "steps" and len(data["steps"]) == len(data["errors"])
    assert data["scheme"] == "complex" and min(data["steps"]) < data["chosen"] * 10


def test_a_user_function_gives_the_curve_against_its_own_gradient(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(USER_CODE)
    (tmp_path / "inputs.yaml").write_text(INPUTS)
    args = ["steps", f"{tmp_path / 'mine.py'}:loss", "--grad", f"{tmp_path / 'mine.py'}:grad",
            "--inputs", str(tmp_path / "inputs.yaml"), "--entry", "w[1]", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["reference_source"] == "your gradient" and data["entry"] == "w[1]"
    _v_shape(data["steps"], data["errors"], data["chosen"])


def test_an_unknown_entry_is_a_clean_error() -> None:
    result = CliRunner().invoke(app, ["steps", str(SPECS / "mlp-cross-entropy.yaml"), "--entry", "W9[0, 0]"])
    assert result.exit_code == 2
    assert "`W9` is not differentiated here" in result.output


def test_markdown_gives_a_table_with_the_chosen_step_marked_and_junit_is_refused() -> None:
    runner = CliRunner()
    spec = str(SPECS / "tanh-layer-squared-loss.yaml")
    result = runner.invoke(app, ["steps", spec, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "e-" in line]
    assert len(rows) > 10 and sum("◀ gradcheck's complex step" in row for row in rows) == 1
    refused = runner.invoke(app, ["steps", spec, "--format", "junit"])
    assert refused.exit_code == 2 and "no verdict" in refused.output


def test_a_spec_takes_its_scheme_from_itself_not_from_the_command_line() -> None:
    result = CliRunner().invoke(app, ["steps", str(SPECS / "mlp-cross-entropy.yaml"), "--scheme", "central"])
    assert result.exit_code == 2 and "check: {scheme: …}" in result.output


@pytest.mark.parametrize("scheme", ["auto", "central"])
def test_a_directional_spec_marks_the_one_step_its_directions_take(tmp_path: Path, scheme: str) -> None:
    # large weights: one step relative to their RMS (~35) is not W0[1, 1]'s own max(1, |10|)
    spec = tmp_path / "spec.yaml"
    spec.write_text("data: {batch: 4, inputs: 3}\nnetwork:\n  - linear: {W: [[30, -40, 50], [20, 10, -60]]}\n"
                    f"  - tanh\nloss: squared_error\ncheck: {{mode: directional, scheme: {scheme}}}\n")
    problem = load_problem(spec)
    curve = for_problem(problem, "W0[1, 1]")
    taken = Directions(problem, 1)  # the directional check's own stencil
    assert curve.mode == "directional" and curve.chosen == pytest.approx(taken.h, rel=1e-15)
    assert curve.scheme == ("complex" if scheme == "auto" else "central")
    assert curve.levels == pytest.approx(sorted({abs(complex(s)) for s in taken.steps}), rel=1e-15)
    own = float(fd_steps.per_entry(problem.values["W0"].reshape(-1), curve.scheme)[4])
    assert curve.chosen > 2 * own
    assert f"gradcheck's directional {curve.scheme} step" in steps_module.plot(curve)
