"""`gradcheck steps` on user code reads every inputs file `gradcheck func` reads: the README's own
(labels, a fixed mask, a literal, and `wrt: [w, b]`), `--wrt` in place of the file's, and a loss
that returns (loss, gradient) without --grad; its JSON stays strict when the loss overflows."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

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
