"""`gradcheck steps` on user code reads every inputs file `gradcheck func` reads: the README's own
(labels, a fixed mask, a literal, and `wrt: [w, b]`), `--wrt` in place of the file's, and a loss
that returns (loss, gradient) without --grad; its JSON stays strict when the loss overflows. The
step it marks is the one check_function takes for that entry — compared with the moves the check
makes — in float64 and float32, at a kink, for each scheme."""

from __future__ import annotations

import json
import re
import runpy
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradcheck_cli import check_function, steps
from gradcheck_cli.usercode import inputs

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")

#: A loss of every input of the README's file: x and w, b differentiable; y, mask, reg fixed.
LAYERS = """\
import numpy as np


def loss(x, w, b, y, mask, reg):
    s = (x * mask) @ w + b
    return float(np.sum(np.tanh(s) ** 2) + reg * np.sum(w ** 2) + 0.0 * y.sum())


def grad(x, w, b, y, mask, reg):
    s = (x * mask) @ w + b
    d = 2 * np.tanh(s) * (1 - np.tanh(s) ** 2)
    return {"w": (x * mask).T @ d + 2 * reg * w, "b": d.sum(0), "x": (d @ w.T) * mask}


def both(x, w, b, y, mask, reg):
    return loss(x, w, b, y, mask, reg), grad(x, w, b, y, mask, reg)
"""


@pytest.fixture
def readme_inputs(tmp_path: Path) -> Path:
    """The inputs file of the README's section on user gradient code, and the code beside it."""
    section = README[README.index("## Checking your own gradient code"):]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match
    (tmp_path / "layers.py").write_text(LAYERS, encoding="utf-8")
    path = tmp_path / "inputs.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    return path


def curve(gradcheck: Any, *args: str) -> dict[str, Any]:
    result = gradcheck("steps", *args, "--format", "json")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    return dict(json.loads(result.stdout))


def the_gradient(path: Path) -> dict[str, Any]:
    """The user's gradient at the file's inputs, computed here by calling the code directly."""
    grad = runpy.run_path(str(path.parent / "layers.py"))["grad"]
    values, _, _ = inputs.load(path)
    return dict(grad(**values))


def test_the_readme_inputs_file_gives_the_curve_of_the_first_input_its_wrt_names(gradcheck, readme_inputs):
    layers = readme_inputs.parent / "layers.py"
    data = curve(gradcheck, f"{layers}:loss", "--grad", f"{layers}:grad", "--inputs", str(readme_inputs))
    assert data["entry"] == "w[0, 0]"  # `wrt: [w, b]`: not x, the first input of the file
    assert data["reference"] == pytest.approx(the_gradient(readme_inputs)["w"][0, 0], rel=1e-12)
    errors = np.array(data["errors"])
    assert errors.min() < 1e-7 * max(1.0, abs(data["reference"]))  # the V reaches the gradient


def test_wrt_on_the_command_line_replaces_the_files(gradcheck, readme_inputs):
    layers = readme_inputs.parent / "layers.py"
    args = [f"{layers}:loss", "--grad", f"{layers}:grad", "--inputs", str(readme_inputs)]
    data = curve(gradcheck, *args, "--wrt", "x", "--entry", "x[2, 1]")
    assert data["entry"] == "x[2, 1]"
    assert data["reference"] == pytest.approx(the_gradient(readme_inputs)["x"][2, 1], rel=1e-12)
    refused = gradcheck("steps", *args, "--wrt", "x", "--entry", "w[0, 0]")
    assert refused.exit_code == 2 and "`w` is not differentiated here" in refused.stderr


def test_a_loss_returning_its_gradient_needs_no_grad_option(gradcheck, readme_inputs):
    layers = readme_inputs.parent / "layers.py"
    data = curve(gradcheck, f"{layers}:both", "--inputs", str(readme_inputs), "--entry", "b[2]")
    assert data["reference"] == pytest.approx(the_gradient(readme_inputs)["b"][2], rel=1e-12)


def test_a_loss_that_is_not_finite_at_large_steps_keeps_the_json_strict(gradcheck, tmp_path: Path):
    (tmp_path / "cliff.py").write_text(
        "import numpy as np\n\n\ndef loss(x):\n"
        "    return float(np.sum(x ** 2)) if abs(x[0] - 0.5) < 1e-3 else float('inf')\n\n\n"
        "def grad(x):\n    return {'x': 2 * x}\n", encoding="utf-8")
    (tmp_path / "inputs.yaml").write_text("inputs:\n  x: {value: [0.5, 1.0]}\n", encoding="utf-8")
    cliff = tmp_path / "cliff.py"
    result = gradcheck("steps", f"{cliff}:loss", "--grad", f"{cliff}:grad",
                       "--inputs", str(tmp_path / "inputs.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in the JSON")

    data = json.loads(result.stdout, parse_constant=refuse)
    assert "nan" in data["errors"]  # (inf − inf) / 2h beyond the cliff, written as a string
    assert min(e for e in data["errors"] if isinstance(e, float)) < 1e-6


def _moves_of_one_entry(calls: list[np.ndarray], base: np.ndarray, flat: int) -> set[float]:
    """|Δ| of every point where entry ``flat`` alone was moved: the stencil's moves of that entry
    (the noise runs move every entry at once)."""
    found = set()
    for x in calls:
        delta = x.reshape(-1) - base.reshape(-1)
        others = np.delete(delta, flat)
        if delta[flat] != 0 and not others.any():
            found.add(abs(float(delta[flat])))
    return found


def _recorded(loss: Any) -> tuple[Any, list[np.ndarray]]:
    seen: list[np.ndarray] = []

    def recording(x: np.ndarray) -> float:
        seen.append(np.array(x, dtype=np.float64))
        return float(loss(x))

    return recording, seen


@pytest.mark.parametrize("scheme", ["richardson", "central"])
def test_the_step_marked_is_the_step_check_function_takes_with_its_levels(scheme: str) -> None:
    # the check's own calls are recorded: its smallest move of x[1] alone is the step it took there
    x = np.array([0.3, -1.7, 2.5, 0.05])
    loss, seen = _recorded(lambda v: np.sum(np.sin(v) * v**2))
    grad = lambda x: {"x": np.cos(x) * x**2 + 2 * x * np.sin(x)}  # noqa: E731
    assert check_function(loss, grad, {"x": x}, scheme=scheme).passed
    taken = sorted(_moves_of_one_entry(seen, x, 1))
    curve = steps.for_function(lambda x: np.sum(np.sin(x) * x**2), grad, {"x": x}, "x[1]", scheme=scheme)
    assert curve.chosen == pytest.approx(taken[0], rel=1e-12)
    assert curve.levels == pytest.approx([taken[0], 2 * taken[0], 4 * taken[0]], rel=1e-12)
    # s, 2s, 4s; and 8s, 16s where a first, larger stencil was shrunk by 4 (its ±s are the new ±4s)
    assert {1.0, 2.0, 4.0} <= set(np.round(np.array(taken) / taken[0], 9)) <= {1.0, 2.0, 4.0, 8.0, 16.0}
    # Richardson's first step is ν^(1/4), central's ν^(1/3): ~1e-4 against ~6e-6 for ν ~ 1e-16
    assert (1e-5 < curve.chosen < 1e-3) if scheme == "richardson" else (1e-7 < curve.chosen < 1e-4)


def test_at_a_kink_the_step_marked_is_the_shrunk_step_the_check_ends_on() -> None:
    # |x₀| has its kink 3e-4 from x₀: the first Richardson stencil (±4s ≈ ±5e-4) straddles it,
    # and the check shrinks the step by 4 until it does not
    x = np.array([3e-4, 1.0])
    loss, seen = _recorded(lambda v: np.sum(np.abs(v)))
    grad = lambda x: {"x": np.sign(x)}  # noqa: E731
    assert check_function(loss, grad, {"x": x}).passed
    smallest = min(_moves_of_one_entry(seen, x, 0))
    curve = steps.for_function(lambda x: np.sum(np.abs(x)), grad, {"x": x}, "x[0]")
    assert curve.chosen == pytest.approx(smallest, rel=1e-12)
    assert 4 * curve.chosen <= 3e-4 < steps.for_function(lambda x: np.sum(np.abs(x)), grad, {"x": x},
                                                          "x[1]").chosen * 4


def test_the_plot_marks_the_step_and_the_other_levels_of_its_stencil(gradcheck, readme_inputs):
    layers = readme_inputs.parent / "layers.py"
    result = gradcheck("steps", f"{layers}:loss", "--grad", f"{layers}:grad", "--inputs", str(readme_inputs))
    assert result.exit_code == 0, result.output
    marks = next(line for line in result.stdout.splitlines() if "▲" in line and "△" in line)
    assert marks.index("▲") < marks.index("△")  # 2s and 4s lie right of s on a log axis
    assert "▲ gradcheck's richardson step" in result.stdout
    assert "△ the stencil's other steps 2h, 4h" in result.stdout
    table = gradcheck("steps", f"{layers}:loss", "--grad", f"{layers}:grad", "--inputs", str(readme_inputs),
                      "--format", "markdown").stdout
    assert table.count("◀ gradcheck's richardson step") == 1 and table.count("◁") == 2


def test_a_transposed_gradient_is_refused_with_one_sentence(gradcheck, readme_inputs):
    layers = readme_inputs.parent / "layers.py"
    with (layers).open("a", encoding="utf-8") as out:
        out.write("\n\ndef turned(x, w, b, y, mask, reg):\n    g = grad(x, w, b, y, mask, reg)\n"
                  "    return {**g, 'w': g['w'].T}\n")
    result = gradcheck("steps", f"{layers}:loss", "--grad", f"{layers}:turned",
                       "--inputs", str(readme_inputs))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "of shape [3, 5] where `w` has shape [5, 3]" in result.stderr


def test_the_complex_step_is_plotted_for_complex_safe_code_with_the_checks_step() -> None:
    x = np.array([0.7, -0.2])
    curve = steps.for_function(lambda x: np.sum(np.exp(x) * x), lambda x: {"x": np.exp(x) * (1 + x)},
                               {"x": x}, "x[0]", scheme="complex")
    assert curve.scheme == "complex" and curve.levels == (curve.chosen,)
    assert curve.chosen == pytest.approx(1e-20)  # COMPLEX_STEP × max(|θ|, τ) with τ = 1 here
    assert max(curve.errors[:60]) < 1e-14  # no round-off arm: flat at rounding down to 1e-22


def test_a_float32_function_is_plotted_at_the_step_its_precision_limited_check_takes() -> None:
    x = np.array([0.3, -1.2, 0.8])

    def loss(x: np.ndarray) -> np.float32:
        return np.float32(np.sum(np.tanh(x.astype(np.float32)) ** 2))

    def grad(x: np.ndarray) -> dict[str, np.ndarray]:
        return {"x": (2 * np.tanh(x) * (1 - np.tanh(x) ** 2)).astype(np.float32)}

    recording, seen = _recorded(loss)
    result = check_function(recording, grad, {"x": x})
    assert result.passed and result.precision_limited
    base = x.astype(np.float32).astype(np.float64)  # the check's point, rounded to float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # steps below float32's resolution are gaps, not warnings
        curve = steps.for_function(loss, grad, {"x": x}, "x[1]")
    assert curve.chosen == pytest.approx(min(_moves_of_one_entry(seen, base, 1)), rel=1e-12)
    assert 1e-3 < curve.chosen < 1e-1  # float32's noise: s ≈ 1.6e-2, not float64's 1e-4
