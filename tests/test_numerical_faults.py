"""Numerical faults are reported, not hidden: a non-finite loss or a stencil that leaves the
function's domain gives an `error` verdict naming the cause — never a pass, never a traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gradcheck_cli.api import check_spec
from gradcheck_cli.cli import app

SATURATED = """\
data: {x: [[1.0, 2.0]], y: [[1.0]]}
network:
  - linear: {W: [[400.0, 400.0]], b: [0.0]}
  - sigmoid
loss: binary_cross_entropy
"""

OVERFLOW = """\
data: {x: [[1.0, 2.0]], y: [[1.0]]}
network:
  - linear: {W: [[1.0e300, 1.0e300]], b: [0.0]}
  - linear: {W: [[1.0e300]], b: [0.0]}
loss: squared_error
"""

# central differences step h ≈ 6e-6 below a probability of 1e-7: log of a negative number
# (the default complex step moves only the imaginary part and stays inside the domain)
EDGE_OF_THE_DOMAIN = """\
data: {x: [[0.5]], y: [[1.0]]}
network:
  - linear: {W: [[0.0]], b: [1.0e-7]}
  - identity
loss: cross_entropy
check: {scheme: central}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_a_loss_that_is_not_finite_is_an_error_naming_the_loss_and_a_stable_form(tmp_path: Path) -> None:
    result = check_spec(write(tmp_path, SATURATED))
    assert result.verdict == "error"
    assert result.error is not None
    assert "the loss `binary_cross_entropy` is not finite" in result.error
    assert "sigmoid_binary_cross_entropy" in result.error


def test_an_overflowing_layer_is_named(tmp_path: Path) -> None:
    result = check_spec(write(tmp_path, OVERFLOW))
    assert result.verdict == "error"
    assert result.error is not None and "layer 1 (linear(1))" in result.error


def test_a_stencil_that_leaves_the_domain_is_an_error_on_that_entry(tmp_path: Path) -> None:
    result = check_spec(write(tmp_path, EDGE_OF_THE_DOMAIN))
    verdicts = {t.name: t.verdict for t in result.tensors}
    assert verdicts == {"W0": "error", "b0": "error"}
    b0 = next(t for t in result.tensors if t.name == "b0")
    assert b0.explanation is not None and "numeric gives a non-finite ∂J/∂b0" in b0.explanation
    assert "leaves the function's domain" in b0.explanation


def test_the_cli_exits_2_with_one_line_per_fault_and_no_warnings(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(write(tmp_path, EDGE_OF_THE_DOMAIN))])
    assert result.exit_code == 2
    assert "RuntimeWarning" not in result.output
    assert result.output.rstrip().splitlines()[-1] == "0 passed, 0 failed, 2 errors"
