"""Hostile values, one explicit example per class: each ends in exit code 2 and one sentence on
stderr with its place (never a traceback), and a file that is not a regular file is refused
without being read. The classes: standard YAML tags with values they cannot read; non-finite or
absurd points, tolerances, steps and penalties; --inputs shapes and values; names that would
drive a terminal; a repeated --var; FIFOs, devices and directories named on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from refusals import refusal

NETWORK = """\
data:
  batch: 2
  inputs: 3
network:
  - linear: {{out: 2, names: {{W: {name}, b: b}}}}
loss: {loss}
"""

SHEET = """\
questions:
  - name: {name}
    variables: {{x: [3]}}
    f: sum(x*x)
    wrt: x
    claimed: 2*x
    points: {points}
"""

#: A valid network spec, to which a hostile line 7 is added.
PLAIN = NETWORK.format(name="W", loss="squared_error")

USER = "def loss(x):\n    return float((x ** 2).sum())\n\n\ndef grad(x):\n    return {'x': 2 * x}\n"

#: class → (file name, its text, the place and words the one sentence must carry)
SPECS = {
    "int tag on the loss's name": ("n.yaml", NETWORK.format(name="W", loss="!!int squared_error"),
                                   ":6:7: `squared_error` is not a valid `!!int` value"),
    "float tag": ("n.yaml", NETWORK.format(name="W", loss="!!float abc"),
                  ":6:7: `abc` is not a valid `!!float`"),
    "bool tag": ("n.yaml", NETWORK.format(name="W", loss="!!bool maybe"),
                 ":6:7: `maybe` is not a valid `!!bool`"),
    "timestamp tag": ("n.yaml", NETWORK.format(name="W", loss='!!timestamp "yesterday"'),
                      ":6:7: `yesterday` is not a valid `!!timestamp`"),
    "binary tag": ("n.yaml", NETWORK.format(name="W", loss="!!binary aGVsbG8="), ":6:7: the tag"),
    "python tag": ("n.yaml", NETWORK.format(name="W", loss="!!python/name:os.system ''"), ":6:7: the tag"),
    "infinite points": ("s.yaml", SHEET.format(name="q", points=".inf"), ":7:13: `questions[0].points`"),
    "nan points": ("s.yaml", SHEET.format(name="q", points=".nan"), ":7:13: `questions[0].points`"),
    "negative points": ("s.yaml", SHEET.format(name="q", points="-3"), ":7:13: `questions[0].points`"),
    "absurd points": ("s.yaml", SHEET.format(name="q", points="1.0e+300"), ":7:13: `questions[0].points`"),
    "infinite tolerance (passes everything)": ("n.yaml", PLAIN + "check: {atol: .inf}\n",
                                               ":7:15: `check.atol`: input should be a finite"),
    "nan relative tolerance": ("n.yaml", PLAIN + "check: {rtol: .nan}\n",
                               ":7:15: `check.rtol`: input should be a finite"),
    "infinite step": ("n.yaml", PLAIN + "check: {step: .inf}\n",
                      ":7:15: `check.step`: input should be a finite"),
    "infinite l2": ("n.yaml", PLAIN + "regularization: {l2: .inf}\n",
                    ":7:22: `regularization.l2`: input should be a finite"),
    "osc title in a layer name": ("n.yaml", NETWORK.format(name='"\\e]0;pwned\\a"', loss="squared_error"),
                                  ":5:33: `network[0].linear.names.W`: contains the control character \\x1b"),
    "clear-screen in a layer name": ("n.yaml", NETWORK.format(name='"\\e[2J\\e[H"', loss="squared_error"),
                                     ":5:33: `network[0].linear.names.W`: contains the control character"),
    "bidi override in a sheet name": ("s.yaml", SHEET.format(name='"q\\u202Eevil"', points=1),
                                      ":2:11: `questions[0].name`: contains the control character \\u202e"),
}

#: class → (the inputs file's entry for x, the words of the one sentence)
INPUTS = {
    "shape overflowing int64": ("shape: [4294967296, 4294967296, 4]", "entries"),
    "ragged value": ("value: [[1, 2], [3]]", "not a rectangular array"),
    "65 dimensions": (f"shape: {[1] * 65}", "65 dimensions"),
    "zero-size shape": ("shape: [0, 3]", "has no entries"),
    "nan value": ("value: [1.0, .nan]", "contains nan"),
    "inf value": ("value: [.inf, 1.0]", "contains inf"),
}


def clean(result_code: int, stdout: str, stderr: str) -> str:
    """The one sentence of a clean refusal (exit 2, no traceback), from a process's outputs."""
    assert "Traceback" not in stdout + stderr, stderr
    assert result_code == 2, (result_code, stdout, stderr)
    (line,) = stderr.splitlines()
    assert line.startswith("gradcheck: ")
    return line


def run(*args: str | Path, cwd: Path) -> str:
    """``gradcheck ARGS`` in a process of its own with a timeout: a refusal that regressed into
    reading a FIFO or /dev/zero fails here instead of hanging the suite."""
    done = subprocess.run([sys.executable, "-m", "gradcheck_cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    return clean(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("case", SPECS)
def test_a_hostile_spec_value_is_one_sentence_at_its_place(gradcheck, tmp_path: Path, case: str):
    name, text, says = SPECS[case]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    message = refusal(gradcheck("check", path, "--format", "json"))
    assert message.startswith(f"{path}{says}"), message


@pytest.mark.parametrize("case", INPUTS)
def test_a_hostile_inputs_file_is_one_sentence_at_its_key(gradcheck, tmp_path: Path, case: str):
    entry, says = INPUTS[case]
    (tmp_path / "mine.py").write_text(USER, encoding="utf-8")
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(f"inputs:\n  x: {{{entry}}}\n", encoding="utf-8")
    code = tmp_path / "mine.py"
    for command in (["func", f"{code}:loss"], ["steps", f"{code}:loss"]):
        message = refusal(gradcheck(*command, "--grad", f"{code}:grad", "--inputs", inputs))
        assert message.startswith(f"{inputs}:2:") and says in message, message


def test_a_repeated_var_is_refused_not_last_wins(gradcheck):
    message = refusal(gradcheck("expr", "sum(x)", "--wrt", "x", "--var", "x=3", "--var", "x=4",
                                "--claim", "ones(4)"))
    assert message == "--var 'x=4': `x` is declared twice; give each variable one --var"


def test_a_repeated_let_is_refused_not_last_wins(gradcheck):
    message = refusal(gradcheck("expr", "sum(z)", "--wrt", "x", "--var", "x=3", "--let", "z=2*x",
                                "--let", "z=3*x", "--claim", "2*ones(3)"))
    assert "`z` is defined twice" in message


@pytest.fixture
def specials(tmp_path: Path) -> dict[str, Path]:
    """A FIFO, a link to /dev/zero and a directory, each with a name that looks like a file's."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    directory = tmp_path / "folder.npz"
    directory.mkdir()
    (tmp_path / "mine.py").write_text(USER, encoding="utf-8")
    (tmp_path / "inputs.yaml").write_text("inputs:\n  x: {shape: [2]}\n", encoding="utf-8")
    return {"fifo": fifo, "zero": zero, "directory": directory}


KINDS = {"fifo": "a FIFO (named pipe)", "zero": "a character device", "directory": "a directory"}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")
@pytest.mark.parametrize("special", ["fifo", "zero"])
@pytest.mark.parametrize("command", ["check", "derive", "steps"])
def test_a_spec_path_that_is_no_regular_file_is_refused_unread(specials, tmp_path: Path, special: str,
                                                                command: str):
    message = run(command, specials[special], cwd=tmp_path)
    assert str(specials[special].name) in message and KINDS[special] in message


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")
@pytest.mark.parametrize("special", ["fifo", "zero", "directory"])
def test_inputs_or_code_that_are_no_regular_file_are_refused_unread(specials, tmp_path: Path, special: str):
    given = specials[special]
    message = run("func", "mine.py:loss", "--grad", "mine.py:grad", "--inputs", given, cwd=tmp_path)
    assert message.startswith(f"gradcheck: --inputs {specials[special]}: it is {KINDS[special]}")
    code = tmp_path / "code.py"
    code.symlink_to(specials[special])
    message = run("func", "code.py:loss", "--grad", "mine.py:grad", "--inputs", "inputs.yaml", cwd=tmp_path)
    assert message.startswith(f"gradcheck: FUN: code.py: it is {KINDS[special]}")
