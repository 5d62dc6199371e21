"""No exception escapes as a traceback: a fault injected into any engine, under any command,
ends as one ``gradcheck: …`` line per problem and exit code 2 — and in a run of several specs
or questions, as an ``error`` for the one it hit (the traceback in its JSON ``details``) while
the others are still judged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from gradcheck_cli import api, isolation
from gradcheck_cli.claims import evidence, sheet

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "specs" / "tanh-layer-squared-loss.yaml"
SHEET = """\
questions:
  - name: squared norm
    variables: {x: [3]}
    f: x.T @ x
    wrt: x
    claimed: 2 * x
"""
STUDENT = ROOT / "tests" / "usercode" / "student_layers.py"
INPUTS = "seed: 2\ninputs:\n  x: {shape: [5, 3]}\n  y: {shape: [5], integers: [0, 3]}\n"
FAULT = "injected fault"
X = ("--var", "x=3", "--wrt", "x")


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(FAULT)


def refused_in_one_line_per_problem(result: Result) -> list[str]:
    """Exit 2, no traceback, every stderr line a ``gradcheck: `` sentence naming the fault."""
    assert result.exit_code == 2, (result.exception, result.output[-1000:])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("gradcheck: ") for line in lines), lines
    assert any(f"RuntimeError: {FAULT}" in line for line in lines), lines
    return lines


ENGINE_FAULTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "symbolic engine": lambda mp: mp.setitem(api.ENGINES, "symbolic", boom),
    "backprop engine": lambda mp: mp.setitem(api.ENGINES, "backprop", boom),
    "numeric engine": lambda mp: mp.setitem(api.ENGINES, "numeric", boom),
}
CLAIM_FAULTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "claims judge": lambda mp: mp.setattr(sheet, "judge", boom),
    "evaluation at points": lambda mp: mp.setattr(evidence, "_evaluate", boom),
}


@pytest.mark.parametrize("engine", ENGINE_FAULTS)
def test_a_faulty_network_engine_is_one_error_and_the_sheet_beside_it_is_judged(
    gradcheck: Invoke, write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    ENGINE_FAULTS[engine](monkeypatch)
    network = write_spec(NETWORK.read_text(encoding="utf-8"), "a-network.yaml")
    write_spec(SHEET, "b-sheet.yaml")
    result = gradcheck("check", network.parent, "--format", "json")
    (line,) = refused_in_one_line_per_problem(result)
    assert line.startswith(f"gradcheck: {network}: an internal error stopped this check (RuntimeError: ")
    broken, judged = json.loads(result.stdout)["specs"]
    assert broken["verdict"] == "error" and f"RuntimeError: {FAULT}" in broken["details"]
    assert judged["questions"][0]["verdict"] == "correct"


@pytest.mark.parametrize("isolate", ["--isolate", "--no-isolate"])
@pytest.mark.parametrize("where", CLAIM_FAULTS)
def test_a_fault_while_judging_a_question_is_an_error_for_that_question_only(
    gradcheck: Invoke, write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch, where: str, isolate: str
) -> None:
    monkeypatch.setattr(isolation, "_shared", [])  # workers forked after the fault was injected
    CLAIM_FAULTS[where](monkeypatch)
    faulty = write_spec(SHEET, "a-sheet.yaml")
    network = write_spec(NETWORK.read_text(encoding="utf-8"), "b-network.yaml")
    result = gradcheck("check", faulty, network, "--format", "json", isolate)
    refused_in_one_line_per_problem(result)
    sheet_result, network_result = json.loads(result.stdout)["specs"]
    (question,) = sheet_result["questions"]
    assert question["verdict"] == "error" and FAULT in question["details"]
    assert network_result["verdict"] == "pass"


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("gradcheck_cli.claims.judge.judge", ["expr", "x.T @ x", *X, "--claim", "2*x"]),
        ("gradcheck_cli.claims.derivation.derivation", ["expr", "x.T @ x", *X]),
        ("gradcheck_cli.claims.network_answer.render", ["derive", str(NETWORK)]),
        ("gradcheck_cli.engines.symbolic.derivation", ["derive", str(NETWORK), "--index"]),
        ("gradcheck_cli.steps.for_problem", ["steps", str(NETWORK)]),
        ("gradcheck_cli.usercode.command.run", ["func", f"{STUDENT}:softmax_value", "--grad",
                                               f"{STUDENT}:softmax_grad", "--inputs", "INPUTS"]),
    ],
    ids=["expr --claim", "expr", "derive", "derive --index", "steps", "func"],
)
def test_every_command_turns_a_fault_in_its_engine_into_one_line_and_exit_2(
    gradcheck: Invoke, write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch, target: str, args: list[str]
) -> None:
    monkeypatch.setattr(target, boom)
    inputs = write_spec(INPUTS, "inputs.yaml")
    result = gradcheck(*[str(inputs) if a == "INPUTS" else a for a in args])
    (line,) = refused_in_one_line_per_problem(result)
    assert line == (f"gradcheck: an internal error stopped this check (RuntimeError: {FAULT}): "
                    "a bug in gradcheck; please report it with the JSON report's `details`")
