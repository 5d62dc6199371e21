"""A gradient of the wrong shape is a wrong gradient: a failed check (kind ``transpose`` or
``shape``, exit 1), never an error — from user code and from a network op's backward."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from gradcheck_cli import check_function, check_vjp
from gradcheck_cli.cli import app
from gradcheck_cli.ops import registered
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.ops.layers import Linear

Invoke = Callable[..., Result]
W = np.arange(6.0).reshape(2, 3) / 5


def sines(W: Array) -> float:
    return float(np.sum(np.sin(W)))


@pytest.mark.parametrize(("grad", "kind", "words"), [
    (lambda W: np.cos(W).T, "transpose", "it is transposed (it has shape [3, 2] where `W` has shape [2, 3]; "
                                         "its transpose is right)"),
    (lambda W: 2 * np.cos(W).T, "shape", "it has shape [3, 2] where `W` has shape [2, 3]: the transposed "
                                         "shape, and its transpose is wrong too"),
    (lambda W: np.cos(W)[:, :1], "shape", "it has shape [2, 1] where `W` has shape [2, 3]"),
    (lambda W: np.cos(W).ravel(), "shape", "it has shape [6] where `W` has shape [2, 3]"),
])
def test_a_misshapen_loss_gradient_fails_with_its_kind(grad: Any, kind: str, words: str) -> None:
    result = check_function(sines, grad, {"W": W})
    verdict = result.inputs["W"]
    assert not result.passed and result.failed == ("W",)
    assert verdict.diagnosis == kind and result.spec.tensors[0].diagnosis == kind
    assert verdict.explanation == f"`<lambda>` is wrong for `W`: {words}"
    assert verdict.failing == 6  # every entry, not every entry times the probes


def test_the_right_gradient_of_the_same_function_passes() -> None:
    assert check_function(sines, lambda W: np.cos(W), {"W": W}).passed


def test_a_vjp_whose_input_gradient_comes_back_transposed_fails_as_a_transpose() -> None:
    def f(x: Array, w: Array) -> Array:
        return np.tanh(x @ w)

    def vjp(c: Array, x: Array, w: Array) -> dict[str, Array]:
        d = c * (1 - np.tanh(x @ w) ** 2)
        return {"x": (d @ w.T).T, "w": x.T @ d}

    inputs = {"x": np.linspace(-1, 1, 6).reshape(2, 3), "w": np.linspace(-0.5, 0.5, 12).reshape(3, 4)}
    result = check_vjp(f, vjp, inputs)
    assert result.failed == ("x",)
    assert result.inputs["x"].diagnosis == "transpose"
    assert result.inputs["w"].passed


def test_gradcheck_func_with_a_transposed_gradient_exits_1_with_kind_transpose(
    gradcheck: Invoke, tmp_path: Path
) -> None:
    code = tmp_path / "user.py"
    code.write_text("import numpy as np\n\ndef f(W):\n    return float(np.sum(np.sin(W)))\n\n"
                    "def g(W):\n    return {'W': np.cos(W).T}\n")
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("inputs:\n  W: {shape: [2, 3]}\n")
    result = gradcheck("func", f"{code}:f", "--grad", f"{code}:g", "--inputs", inputs, "--format", "json")
    assert result.exit_code == 1, result.output
    tensor = json.loads(result.stdout)["specs"][0]["tensors"][0]
    assert (tensor["verdict"], tensor["diagnosis"]) == ("fail", "transpose")


class TransposingLinear(Linear):
    """z = Wx + b, with a backward that returns ∂J/∂W transposed."""

    kind = "transposing_linear_wide"

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        gx, grads = super().backward(cache, g)
        return gx, {**grads, "W": grads["W"].T}


class CuttingLinear(Linear):
    """z = Wx + b, with a backward that returns only the first column of ∂J/∂W."""

    kind = "cutting_linear"

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        gx, grads = super().backward(cache, g)
        return gx, {**grads, "W": grads["W"][:, :1]}


@pytest.mark.parametrize("mode", ["full", "directional"])
@pytest.mark.parametrize(("op", "kind"), [(TransposingLinear, "transpose"), (CuttingLinear, "shape")])
def test_a_network_op_whose_backward_returns_a_misshapen_gradient_fails_with_its_kind(
    tmp_path: Path, op: type[Linear], kind: str, mode: str
) -> None:
    spec = tmp_path / "spec.yaml"
    network = f"network:\n  - {op.kind}: {{out: 3}}\nloss: squared_error\n"
    spec.write_text("data: {batch: 4, inputs: 2}\n" + network)
    with registered(op):
        result = CliRunner().invoke(app, ["check", str(spec), "--format", "json", "--mode", mode])
    assert result.exit_code == 1, result.output
    tensors = {t["name"]: t for t in json.loads(result.stdout)["specs"][0]["tensors"]}
    assert (tensors["W0"]["verdict"], tensors["W0"]["diagnosis"]) == ("fail", kind)
    assert "backprop" in tensors["W0"]["explanation"] and "layer 0" in tensors["W0"]["explanation"]
    assert tensors["b0"]["verdict"] == "pass"
    if mode == "full":
        assert tensors["W0"]["odd_one_out"] == "backprop"
