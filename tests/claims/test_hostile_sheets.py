"""The issue-11 sheets that crashed, hung or ate memory: each hostile question now ends in a
verdict (an ``error`` saying why, where it cannot be judged) within its budget and under 2 GiB,
and the good question beside it is still judged correct."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

GOOD = """\
  - name: good
    variables: {x: [3]}
    f: sum(x**2)
    wrt: x
    claimed: 2*x
"""


def question(name: str, f: str, variables: str = "{s: []}", wrt: str = "s", claimed: str = "s") -> str:
    return (f"  - name: {name}\n    variables: {variables}\n    f: {f}\n    wrt: {wrt}\n"
            f"    claimed: {claimed}\n")


#: name → a question of issue 11 that crashed the run, hung or used gigabytes
HOSTILE = {
    "tower of five exponentials": question("tower of five exponentials", "exp(exp(exp(exp(exp(sum(x))))))",
                                           "{x: [3]}", "x", "x"),
    "complex infinity": question("complex infinity", "relu(log(0*s))"),
    "sigmoid of a tower": question("sigmoid of a tower", "sigmoid(exp(exp(exp(s+3))))"),
    "tanh of a tower": question("tanh of a tower", "tanh(exp(exp(exp(s+3))))"),
    "nested sigmoids over logs": question(
        "nested sigmoids over logs", "sigmoid(sigmoid(sigmoid(log(x.T @ A @ x))))", "{x: [3], A: [3, 3]}",
        "x", "x"),
}


def sheet(*questions: str) -> str:
    return "questions:\n" + "".join(questions)


def judged(gradcheck: Invoke, path: Path, *flags: str) -> tuple[Result, dict[str, dict[str, object]]]:
    result = gradcheck("check", path, "--format", "json", *flags)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    (spec,) = json.loads(result.stdout)["specs"]
    return result, {q["name"]: q for q in spec["questions"]}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_question_ends_in_a_verdict_and_its_neighbour_is_still_judged(
    gradcheck: Invoke, write_spec: WriteSpec, name: str
) -> None:
    start = time.monotonic()
    result, questions = judged(gradcheck, write_spec(sheet(HOSTILE[name], GOOD)))
    assert time.monotonic() - start < 60
    assert questions["good"]["verdict"] == "correct"
    assert questions[name]["verdict"] in ("incorrect", "error")
    assert result.exit_code == (2 if questions[name]["verdict"] == "error" else 1)


def test_a_question_sympy_cannot_build_is_an_error_with_the_traceback_in_the_details(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    result, questions = judged(gradcheck, write_spec(sheet(HOSTILE["complex infinity"], GOOD)))
    broken = questions["complex infinity"]
    assert broken["verdict"] == "error"
    assert str(broken["error"]).startswith("SymPy failed on this expression (ValueError: The argument 'zoo'")
    assert "Traceback (most recent call last)" in str(broken["details"])
    assert result.exit_code == 2
    assert result.stderr.count("gradcheck: ") == 1


def test_the_whole_hostile_sheet_stays_under_two_gib_without_worker_processes(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(sheet(*HOSTILE.values(), GOOD), encoding="utf-8")

    def two_gib() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-m", "gradcheck_cli", "check", str(path), "--no-isolate", "--format", "json"],
        capture_output=True, text=True, timeout=240, preexec_fn=two_gib, check=False,
    )
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stdout, done.stderr[-2000:]
    verdicts = {q["name"]: q["verdict"] for q in json.loads(done.stdout)["specs"][0]["questions"]}
    assert verdicts["good"] == "correct"
    assert done.returncode == 2  # the complex infinity is an error


SLOW = question("slow", "det(X)", "{X: [12, 12]}", "X", "X")


def test_a_question_over_its_budget_is_an_error_naming_the_budget(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    start = time.monotonic()
    result, questions = judged(gradcheck, write_spec(sheet(SLOW, GOOD)), "--budget", "1")
    assert time.monotonic() - start < 20
    assert questions["slow"]["error"] == "the question's budget (--budget) ran out (1 s)"
    assert questions["good"]["verdict"] == "correct"
    assert result.exit_code == 2


def test_aliases_of_one_slow_question_share_the_files_budget(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    text = ("questions:\n  - &slow {name: slow, variables: {X: [12, 12]}, f: det(X), wrt: X, claimed: X}\n"
            + "  - *slow\n" * 5)
    start = time.monotonic()
    result, _ = judged(gradcheck, write_spec(text), "--file-budget", "2", "--no-isolate")
    assert time.monotonic() - start < 20
    errors = [q["error"] for q in json.loads(result.stdout)["specs"][0]["questions"]]
    assert errors[0] == "the file's budget (--file-budget) ran out (2 s)"
    assert errors[-1] == "not judged: the file's budget (--file-budget) ran out before it"


def test_a_run_over_its_budget_reports_the_files_it_did_not_reach_as_errors(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    slow = write_spec(sheet(SLOW), "a-slow.yaml")
    good = write_spec(sheet(GOOD), "b-good.yaml")
    result = gradcheck("check", slow, good, "--run-budget", "1", "--format", "json")
    specs = json.loads(result.stdout)["specs"]
    assert specs[0]["questions"][0]["error"] == "the run's budget (--run-budget) ran out (1 s)"
    assert specs[1]["error"] == f"{good}: not checked: the run's budget (--run-budget) ran out before it"
    assert result.exit_code == 2


def test_a_hundred_megabytes_of_comments_are_stopped_by_the_files_budget(
    gradcheck: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "comments.yaml"
    path.write_text(("# " + "x" * 98 + "\n") * 200_000, encoding="utf-8")  # 20 MB: enough to outlast 0.5 s
    start = time.monotonic()
    result = gradcheck("check", path, "--file-budget", "0.5")
    assert time.monotonic() - start < 5
    assert result.exit_code == 2
    assert result.stderr == f"gradcheck: {path}: the file's budget (--file-budget) ran out (0.5 s)\n"


def test_a_directory_with_one_hostile_file_reports_every_valid_one_and_exits_2(
    gradcheck: Invoke, tmp_path: Path
) -> None:
    valid = ["tanh-layer-squared-loss.yaml", "logistic-regression.yaml", "mlp-cross-entropy-logits.yaml"]
    root = Path(__file__).resolve().parents[2] / "specs"
    for name in valid:
        (tmp_path / name).write_text((root / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sheet.yaml").write_text(sheet(GOOD), encoding="utf-8")
    (tmp_path / "hostile.yaml").write_text(sheet(*HOSTILE.values()), encoding="utf-8")
    (tmp_path / "wide.yaml").write_text(
        "data: {batch: 2000, inputs: 2000}\nnetwork:\n  - linear: {out: 2000}\nloss: squared_error\n",
        encoding="utf-8")
    result = gradcheck("check", tmp_path, "--format", "json")
    assert "Traceback" not in result.stderr
    specs = {Path(s["path"]).name: s for s in json.loads(result.stdout)["specs"]}
    assert {name: specs[name]["verdict"] for name in [*valid, "sheet.yaml"]} == dict.fromkeys(
        [*valid, "sheet.yaml"], "pass")
    assert specs["hostile.yaml"]["verdict"] == "error" and specs["wide.yaml"]["verdict"] == "error"
    assert result.exit_code == 2
