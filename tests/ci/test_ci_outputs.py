"""The CI formats through the CLI: exit codes, files, the progress bar kept out of machine output."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gradcheck_cli import api, cli
from gradcheck_cli.ops import registered
from gradcheck_cli.ops.activations import Sigmoid
from gradcheck_cli.ops.base import Array

WRONG_SHEET = """\
name: wrong answers
questions:
  - name: quadratic form
    variables: {x: [3], A: [3, 3]}
    f: x.T @ A @ x
    wrt: x
    claimed: 2 * A @ x
  - name: squared norm
    variables: {x: [3]}
    f: x.T @ x
    wrt: x
    claimed: 2 * x
"""
NETWORK = "data: {batch: 3, inputs: 2}\nnetwork:\n  - linear: {out: 2}\n  - %s\nloss: squared_error\n"


class BrokenSigmoid(Sigmoid):
    """g(z) = σ(z), with a backward that forgets the factor (1 - y)."""

    kind = "ci_broken_sigmoid"

    def derivative(self, z: Array, y: Array) -> Array:
        return y


def test_a_failing_network_writes_junit_naming_the_failing_tensors_and_exits_1(
    gradcheck, write_spec, tmp_path
):
    spec = write_spec(NETWORK % "ci_broken_sigmoid")
    target = tmp_path / "gradcheck.xml"
    with registered(BrokenSigmoid):
        result = gradcheck("check", spec, "--format", "junit", "--output", target)
    assert result.exit_code == 1
    root = ET.parse(target).getroot()
    failed = {case.get("name") for case in root.iter("testcase") if case.find("failure") is not None}
    assert failed == {"W0", "b0"}
    assert root.get("failures") == "2"


def test_a_wrong_answer_fails_in_markdown_with_its_diagnosis(gradcheck, write_spec):
    result = gradcheck("check", write_spec(WRONG_SHEET), "--format", "markdown")
    assert result.exit_code == 1
    assert "| 1 | quadratic form | x | gradient | ❌ incorrect |" in result.stdout
    assert "- ❌ **quadratic form**:" in result.stdout
    assert result.stdout.splitlines()[-1] == "**1 passed, 1 failed**"


def test_a_spec_error_still_exits_2_with_the_ci_formats(gradcheck, write_spec):
    spec = write_spec(NETWORK % "tahn")
    for fmt in ("junit", "markdown"):
        result = gradcheck("check", spec, "--format", fmt)
        assert result.exit_code == 2
        assert "unknown op `tahn`" in result.stderr
        assert "tahn" in result.stdout


def test_the_format_choices_come_from_the_reporters(gradcheck):
    text = " ".join(gradcheck("check", "--help").stdout.split())
    assert "console|json|junit|markdown" in text


@pytest.mark.parametrize("format", ["junit", "markdown"])
def test_expr_writes_every_ci_format(gradcheck, format):
    result = gradcheck("expr", "x.T @ x", "--wrt", "x", "--var", "x=3", "--claim", "2*x", "--format", format)
    assert result.exit_code == 0, result.output  # 2x is the gradient of xᵀx
    assert "1 passed, 0 failed" in result.stdout or 'failures="0"' in result.stdout


def test_progress_is_reported_once_per_spec_file_in_order(write_spec):
    first = write_spec(NETWORK % "tanh", "a.yaml")
    second = write_spec(WRONG_SHEET, "b.yaml")
    seen: list[Path] = []
    api.check_paths([first.parent], progress=seen.append)
    assert seen == [first, second]


@pytest.mark.parametrize(("fmt", "shown"), [("console", True), ("json", False), ("junit", False),
                                            ("markdown", False)])
def test_the_progress_bar_is_only_for_the_console_report_on_a_terminal(monkeypatch, fmt, shown):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    with cli._progress(2, fmt) as progress:
        assert (progress is not None) is shown


def test_there_is_no_progress_bar_when_stdout_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    with cli._progress(2, "console") as progress:
        assert progress is None


def test_piped_console_output_carries_no_progress_text(gradcheck, write_spec):
    result = gradcheck("check", write_spec(NETWORK % "tanh"))
    assert "checking specs" not in result.output
    assert "checked spec.yaml" not in result.output


def test_shell_completion_can_be_installed(gradcheck):
    assert "--install-completion" in gradcheck("--help").stdout
    script = gradcheck("--show-completion", "bash")
    assert script.exit_code == 0
    assert "_GRADCHECK_COMPLETE" in script.stdout
