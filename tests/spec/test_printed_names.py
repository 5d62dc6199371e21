"""Every name read from the input that a report prints follows the rule of sheet names
(``errors.plain_text``): a layer's ``names:``, an ``--inputs`` file's input names and an .npz's
array names carrying an escape (OSC title, clear-screen) or a bidi override (U+202E) are refused
at their place; a spec's file name, which cannot be refused, is printed escaped in every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from refusals import refusal, refusal_at

#: A network whose first layer names its weights; the name stands on line 5, column 33.
NETWORK = """\
data:
  batch: 2
  inputs: 3
network:
  - linear: {{out: 2, names: {{W: "{name}", b: b}}}}
loss: squared_error
"""

#: Escapes written the YAML way, and the character each one is.
HOSTILE = {"osc-title": ("\\e]0;pwned\\a", "\\x1b"), "clear-screen": ("\\e[2J", "\\x1b"),
           "bidi-override": ("W\\u202Egnp", "\\u202e"), "c1-csi": ("\\x9b31m", "\\x9b")}

#: Characters that must never reach a terminal unescaped.
RAW = "\x1b\x9b\x07\u202e"

USER = "def loss(x):\n    return float((x ** 2).sum())\n\n\ndef grad(x):\n    return {'x': 2 * x}\n"


@pytest.mark.parametrize("case", HOSTILE)
def test_a_layer_parameter_name_that_would_drive_the_terminal_is_refused_at_its_place(
    gradcheck, write_spec, case: str
):
    written, shown = HOSTILE[case]
    path = write_spec(NETWORK.format(name=written))
    result = gradcheck("check", path)
    message = refusal_at(result, path, 5, 33)
    assert message.startswith("`network[0].linear.names.W`: contains the control character")
    assert shown in message
    assert not any(c in result.output for c in RAW)


def test_a_plain_layer_parameter_name_is_used_in_the_report(gradcheck, write_spec):
    result = gradcheck("check", write_spec(NETWORK.format(name="Übung W")))
    assert result.exit_code == 0, result.output
    assert "Übung W" in result.stdout


def test_an_empty_layer_parameter_name_is_refused(gradcheck, write_spec):
    path = write_spec(NETWORK.format(name=""))
    assert "at least 1 character" in refusal_at(gradcheck("check", path), path, 5, 33)


@pytest.mark.parametrize("case", HOSTILE)
def test_an_input_name_that_would_drive_the_terminal_is_refused_at_its_key(gradcheck, tmp_path: Path, case):
    written, shown = HOSTILE[case]
    (tmp_path / "mine.py").write_text(USER, encoding="utf-8")
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(f'inputs:\n  "{written}": {{shape: [2]}}\n', encoding="utf-8")
    user = tmp_path / "mine.py"
    result = gradcheck("func", f"{user}:loss", "--grad", f"{user}:grad", "--inputs", inputs)
    message = refusal_at(result, inputs, 2, 3)
    assert message.startswith("the input name `") and f"contains the control character {shown}" in message


def test_an_npz_array_name_that_would_drive_the_terminal_is_refused(gradcheck, tmp_path: Path):
    (tmp_path / "mine.py").write_text(USER, encoding="utf-8")
    npz = tmp_path / "arrays.npz"
    np.savez(npz, **{"x\x1b]0;pwned\x07": np.ones(2)})
    user = tmp_path / "mine.py"
    result = gradcheck("func", f"{user}:loss", "--grad", f"{user}:grad", "--inputs", npz)
    assert "the array name `x\\x1b]0;pwned\\x07` contains the control character" in refusal(result)


@pytest.mark.parametrize("format", ["console", "json", "markdown", "junit"])
def test_a_spec_file_name_with_escapes_is_printed_escaped_in_every_format(gradcheck, tmp_path: Path, format):
    directory = tmp_path / "specs"
    directory.mkdir()
    (directory / "ok\x1b[2J\u202e.yaml").write_text(NETWORK.format(name="W"), encoding="utf-8")
    result = gradcheck("check", directory, "--format", format)
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in RAW)
    assert "ok\\x1b[2J" in result.stdout.replace("\\\\", "\\")  # JSON escapes the backslash once more


def test_an_unreadable_spec_with_an_escaped_file_name_is_named_once_escaped(gradcheck, tmp_path: Path):
    directory = tmp_path / "specs"
    directory.mkdir()
    (directory / "bad\x1b[2J.yaml").write_text("data: [\n", encoding="utf-8")
    result = gradcheck("check", directory)
    message = refusal(result)
    assert message.startswith(f"{directory}/bad\\x1b[2J.yaml:2:1: YAML syntax error")
    assert not any(c in result.output for c in RAW)
