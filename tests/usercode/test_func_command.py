"""`gradcheck func`: import the user's gradient code, build the inputs, check, exit 0/1/2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import Result

#: the fixtures of tests/conftest.py: run `gradcheck ARGS…`; write a YAML file and return its path
Invoke = Callable[..., Result]
WriteSpec = Callable[..., Path]

STUDENT = Path(__file__).with_name("student_layers.py")
SOFTMAX = (f"{STUDENT}:softmax_value", "--grad", f"{STUDENT}:softmax_grad")

SCORES_YAML = """\
seed: 2
inputs:
  x: {shape: [5, 3]}
  y: {shape: [5], integers: [0, 3]}
"""

SQUARE_YAML = """\
inputs:
  x: {shape: [4, 4]}
  w: {shape: [4, 4], scale: 0.5}
  b: {shape: [4]}
"""


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_a_correct_loss_gradient_passes_with_exit_0(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    inputs = write_spec(SCORES_YAML)
    result = gradcheck("func", *SOFTMAX, "--inputs", inputs)
    assert result.exit_code == 0, result.output
    assert last_line(result.stdout) == "1 passed, 0 failed"
    assert "seed 2" in result.stdout


def test_a_layer_bug_fails_with_exit_1_naming_the_input_and_its_worst_entries(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    inputs = write_spec(SQUARE_YAML)
    result = gradcheck("func", "--layer", f"{STUDENT}:affine_forward,affine_backward_db_wrong_axis",
                       "--inputs", inputs)
    assert result.exit_code == 1
    assert "✗ b: `affine_backward_db_wrong_axis` is wrong for `b`" in result.stdout
    assert "worst entries of ∂J/∂b" in result.stdout
    assert last_line(result.stdout) == "2 passed, 1 failed"


def test_a_vjp_and_a_module_reference_are_accepted(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    inputs = write_spec("inputs:\n  x: {shape: [3, 2]}\n  w: {shape: [2, 2]}\n")
    result = gradcheck("func", "student_layers:tanh_affine",
                       "--vjp", "student_layers:tanh_affine_vjp_sign_flipped",
                       "--inputs", inputs, "--format", "json")
    assert result.exit_code == 1
    (spec,) = json.loads(result.stdout)["specs"]
    assert [t["verdict"] for t in spec["tensors"]] == ["pass", "fail"]


def test_npz_inputs_with_wrt_check_only_the_named_arrays(gradcheck: Invoke, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays: dict[str, Any] = {"W1": rng.standard_normal((4, 6)), "b1": rng.standard_normal(6),
                              "W2": rng.standard_normal((6, 3)), "b2": rng.standard_normal(3),
                              "X": rng.standard_normal((5, 4)), "y": rng.integers(0, 3, 5),
                              "reg": np.array(0.1)}
    np.savez(tmp_path / "net.npz", **arrays)
    result = gradcheck("func", f"{STUDENT}:two_layer_value", "--grad", f"{STUDENT}:two_layer_grad",
                       "--inputs", tmp_path / "net.npz",
                       *[a for n in ("W1", "b1", "W2", "b2") for a in ("--wrt", n)])
    assert result.exit_code == 0, result.output
    assert last_line(result.stdout) == "4 passed, 0 failed"


@pytest.mark.parametrize("format", ["junit", "markdown"])
def test_the_other_report_formats_render_a_failure(
    gradcheck: Invoke, write_spec: WriteSpec, format: str
) -> None:
    inputs = write_spec(SQUARE_YAML)
    result = gradcheck("func", "--layer", f"{STUDENT}:affine_forward,affine_backward_transposed_dw",
                       "--inputs", inputs, "--format", format)
    assert result.exit_code == 1
    assert "transposed" in result.stdout


def test_user_code_that_raises_shows_its_own_traceback_then_one_line(
    gradcheck: Invoke, write_spec: WriteSpec, tmp_path: Path
) -> None:
    code = tmp_path / "mine.py"
    code.write_text("def loss(x):\n    return helper(x)\n\ndef helper(x):\n    return x.sum() / undefined\n\n"
                    "def grad(x):\n    return {'x': x}\n")
    inputs = write_spec("inputs:\n  x: {shape: [3]}\n")
    result = gradcheck("func", f"{code}:loss", "--grad", f"{code}:grad", "--inputs", inputs)
    assert result.exit_code == 2
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert f'File "{code}", line 5, in helper' in result.stderr
    assert "gradcheck_cli" not in result.stderr
    assert last_line(result.stderr) == ("gradcheck: `loss` raised NameError: name 'undefined' is not defined "
                                        "(at the given inputs)")


def test_a_module_that_fails_to_import_shows_the_syntax_error(
    gradcheck: Invoke, write_spec: WriteSpec, tmp_path: Path
) -> None:
    code = tmp_path / "broken.py"
    code.write_text("def loss(x)\n    return x\n")
    result = gradcheck("func", f"{code}:loss", "--grad", f"{code}:grad", "--inputs", write_spec(SCORES_YAML))
    assert result.exit_code == 2
    assert "SyntaxError" in result.stderr and str(code) in result.stderr
    assert last_line(result.stderr).startswith(f"gradcheck: importing {code} raised SyntaxError")


@pytest.mark.parametrize(("args", "message"), [
    (["nope.py:loss", "--grad", "nope.py:grad"], "gradcheck: FUN: nope.py: no such file"),
    ([f"{STUDENT}:softmax_valu", "--grad", f"{STUDENT}:softmax_grad"],
     f"gradcheck: FUN: `{STUDENT}` has no `softmax_valu`; did you mean `softmax_value`?"),
    (["no_such_module:f", "--grad", f"{STUDENT}:softmax_grad"],
     "gradcheck: FUN: no module named `no_such_module`"),
    ([f"{STUDENT}", "--grad", f"{STUDENT}:softmax_grad"], "must be written FILE.py:NAME or MODULE:NAME"),
    ([f"{STUDENT}:softmax_value"],
     "gradcheck: `softmax_value` must return (loss, gradient) when no gradient function is given, not float"),
    ([f"{STUDENT}:softmax_value", "--grad", f"{STUDENT}:softmax_grad", "--vjp", f"{STUDENT}:softmax_grad"],
     "gradcheck: give at most one of --grad, --vjp and --layer (got --grad and --vjp)"),
    ([f"{STUDENT}:softmax_loss", "--grad", f"{STUDENT}:softmax_grad"],
     "returned tuple, not numbers (at the given inputs); if it returns (loss, gradient), leave the gradient"),
    (["--layer", f"{STUDENT}:affine_forward"], "must be written FILE.py:FORWARD,BACKWARD"),
    ([*SOFTMAX, "--scheme", "centrl"],
     "gradcheck: unknown scheme `centrl`; did you mean `central`?"),
])
def test_bad_arguments_exit_2_with_one_line(
    gradcheck: Invoke, write_spec: WriteSpec, args: list[str], message: str
) -> None:
    result = gradcheck("func", *args, "--inputs", write_spec(SCORES_YAML))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize(("text", "message"), [
    ("inputs:\n  x: {shape: [3]}\n  y: {shape: [3], integers: [3, 0]}\n",
     ":3:6: `inputs.y`: `integers` must be [low, high] with low < high"),
    ("inputs:\n  x: {shape: [3], sigma: 2}\n",
     ":2:19: unknown key `inputs.x.sigma`; allowed: shape, scale, uniform, integers, value, fixed"),
    ("inputs:\n  x: {scale: 2}\n", ":2:6: `inputs.x`: give either `shape` (drawn at random) or `value`"),
    ("inputs:\n  x: {shape: [3], fixed: true}\nwrt: [x]\n", ":3:7: `x` is in `wrt` but marked `fixed: true`"),
    ("inputs: [x]\n", ":1:9: `inputs`: input should be a valid dictionary"),
])
def test_a_bad_inputs_file_exits_2_pointing_at_the_line(
    gradcheck: Invoke, write_spec: WriteSpec, text: str, message: str
) -> None:
    inputs = write_spec(text)
    result = gradcheck("func", *SOFTMAX, "--inputs", inputs)
    assert result.exit_code == 2
    assert result.stderr == f"gradcheck: {inputs}{message}\n"


def test_the_help_says_the_command_runs_the_users_code(gradcheck: Invoke) -> None:
    result = gradcheck("func", "--help")
    assert result.exit_code == 0
    assert "IMPORTS AND RUNS" in result.stdout


def test_a_loss_that_returns_its_own_gradient_is_checked_without_grad(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    # softmax_loss(x, y) -> (loss, dx), the assignment convention
    result = gradcheck("func", f"{STUDENT}:softmax_loss", "--inputs", write_spec(SCORES_YAML))
    assert result.exit_code == 0, result.output
    assert "softmax_loss" in result.stdout
