"""Checking the layers of ``layers.py`` the way a course project would, in its own test suite.

Run with ``python -m pytest examples/numpy_layers`` once gradcheck is installed: the tests below
use the Python API, and gradcheck's pytest plugin also collects ``derivations.gradcheck.yaml``
beside them (the hand derivations behind the backward passes, as claims).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import layers
import numpy as np
import pytest
from layers_buggy import batchnorm_backward_without_the_mean

from gradcheck_cli import assert_gradients_ok, check_function, check_layer

Shapes = dict[str, tuple[int, ...]]

LAYERS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Shapes]] = {
    "affine": (layers.affine_forward, layers.affine_backward, {"x": (5, 4), "w": (4, 3), "b": (3,)}),
    "relu": (layers.relu_forward, layers.relu_backward, {"x": (6, 5)}),
    "batchnorm": (
        layers.batchnorm_forward,
        layers.batchnorm_backward,
        {"x": (8, 3), "gamma": (3,), "beta": (3,)},
    ),
    "rnn_step": (
        layers.rnn_step_forward,
        layers.rnn_step_backward,
        {"x": (4, 3), "h_prev": (4, 5), "wx": (3, 5), "wh": (5, 5), "b": (5,)},
    ),
}


def _inputs(shapes: Shapes, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape) for name, shape in shapes.items()}


@pytest.mark.parametrize("layer", LAYERS)
def test_each_hand_written_backward_is_right(layer: str) -> None:
    forward, backward, shapes = LAYERS[layer]
    # one line per layer: raises AssertionError with the whole report when a gradient is wrong
    result = assert_gradients_ok(forward, backward, _inputs(shapes), kind="layer")
    assert set(result.inputs) == set(shapes)


def test_softmax_loss_gradient_is_right_and_the_labels_are_held_fixed() -> None:
    rng = np.random.default_rng(1)
    inputs = {"x": rng.standard_normal((6, 4)), "y": rng.integers(4, size=6)}
    result = check_function(
        lambda x, y: layers.softmax_loss(x, y)[0],
        lambda x, y: {"x": layers.softmax_loss(x, y)[1]},
        inputs,
    )
    assert result.passed
    assert list(result.inputs) == ["x"]  # integer labels are data, not differentiated


def test_batchnorm_without_the_means_dependence_is_caught_and_explained() -> None:
    inputs = _inputs(LAYERS["batchnorm"][2])
    result = check_layer(layers.batchnorm_forward, batchnorm_backward_without_the_mean, inputs)
    # gamma and beta do not go through the mean: only dx is wrong
    assert result.failed == ("x",)
    # the dropped term, −γ·σ⁻¹·Σ dout / N, is one value per feature: the same in every row of dx
    x = result.inputs["x"]
    assert x.diagnosis == "missing-term"
    assert x.explanation is not None and "the same amount in every row" in x.explanation
    report = result.report("console")
    assert "batchnorm_backward_without_the_mean" in report and "x" in report
    with pytest.raises(AssertionError):
        result.assert_ok()


def test_the_same_checks_from_the_terminal() -> None:
    """`gradcheck func --layer` on the correct and on the buggy batch norm (see README.md)."""
    from pathlib import Path

    from typer.testing import CliRunner

    from gradcheck_cli.cli import app

    here = Path(__file__).parent

    def func(module: str, backward: str, *more: str) -> Any:
        layer = f"{here / module}:batchnorm_forward,{backward}"
        inputs = str(here / "batchnorm.inputs.yaml")
        return CliRunner().invoke(app, ["func", "--layer", layer, "--inputs", inputs, *more])

    right = func("layers.py", "batchnorm_backward")
    assert right.exit_code == 0, right.output
    wrong = func("layers_buggy.py", "batchnorm_backward_without_the_mean", "--format", "json")
    assert wrong.exit_code == 1, wrong.output
    tensors = {t["name"]: t for t in json.loads(wrong.stdout)["specs"][0]["tensors"]}
    assert tensors["x"]["verdict"] == "fail" and "same amount in every row" in tensors["x"]["explanation"]
    assert tensors["gamma"]["verdict"] == tensors["beta"]["verdict"] == "pass"
