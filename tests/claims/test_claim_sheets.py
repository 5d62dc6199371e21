"""Claim sheets (`questions:`) through `gradcheck check`: the two course-notes homework sheets with
their answer keys, answer keys that disagree, sheets without a key, points and the score, answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from gradcheck_cli import api
from gradcheck_cli.results import Report

Invoke = Callable[..., Result]  # the `gradcheck` fixture of tests/conftest.py
WriteSpec = Callable[..., Path]  # the `write_spec` fixture

HOMEWORK_DIR = Path(__file__).resolve().parents[2] / "specs" / "homework"
HOMEWORK = HOMEWORK_DIR / "course-notes-sheet.yaml"
MORE = HOMEWORK_DIR / "course-notes-more.yaml"


@pytest.fixture(scope="module")
def key() -> list[dict[str, Any]]:
    """The sheet's own questions and answer key, read with plain yaml.safe_load."""
    questions: list[dict[str, Any]] = yaml.safe_load(HOMEWORK.read_text(encoding="utf-8"))["questions"]
    return questions


@pytest.fixture(scope="module")
def homework(gradcheck: Invoke) -> Iterator[tuple[Result, Report]]:
    """One real `gradcheck check specs/homework/course-notes-sheet.yaml --format json`, keeping the
    Report it made."""
    made: list[Report] = []
    real = api.check_paths

    def keep(*args: Any, **kwargs: Any) -> Report:
        made.append(real(*args, **kwargs))
        return made[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(api, "check_paths", keep)
        result = gradcheck("check", HOMEWORK, "--format", "json")
    assert len(made) == 1
    yield result, made[0]


@pytest.fixture(scope="module")
def homework_console(gradcheck: Invoke, homework: tuple[Result, Report]) -> Result:
    """The same sheet in the console format, rendering the same Report."""
    report = homework[1]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(api, "check_paths", lambda paths, **kwargs: report)
        return gradcheck("check", HOMEWORK)


@pytest.fixture(scope="module")
def sheet_json(homework: tuple[Result, Report]) -> dict[str, Any]:
    document = json.loads(homework[0].stdout)
    (sheet,) = document["specs"]
    assert sheet["kind"] == "sheet"
    return sheet


def test_the_homework_sheet_has_21_questions_13_of_them_keyed_correct(key: list[dict[str, Any]]) -> None:
    assert len(key) == 21
    assert sum(q["expect"] == "correct" for q in key) == 13


def test_checking_the_homework_sheet_exits_0(homework: tuple[Result, Report],
                                                  homework_console: Result) -> None:
    assert homework[0].exit_code == 0, homework[0].output
    assert homework_console.exit_code == 0, homework_console.output


def test_the_console_prints_one_table_row_per_question(
    homework_console: Result, key: list[dict[str, Any]]
) -> None:
    out = homework_console.stdout
    for column in ("question", "∂f/∂", "layout", "verdict", "diagnosis", "points", "as expected"):
        assert column in out
    numbers = [int(m) for m in re.findall(r"^│\s*(\d+) │", out, flags=re.MULTILINE)]
    assert numbers == list(range(1, len(key) + 1))
    assert "NO" not in re.findall(r"\b(?:yes|NO)\b", out)
    assert len(re.findall(r"│ yes\s+│", out)) == len(key)


def test_the_console_prints_the_score_counted_from_the_answer_key(
    homework_console: Result, key: list[dict[str, Any]]
) -> None:
    awarded = sum(q["points"] for q in key if q["expect"] == "correct")
    possible = sum(q["points"] for q in key)
    assert (awarded, possible) == (13, 21)
    assert f"score: {awarded:g} / {possible:g} points" in homework_console.stdout


def test_every_homework_verdict_and_diagnosis_is_the_answer_keys(
    sheet_json: dict[str, Any], key: list[dict[str, Any]]
) -> None:
    got = [(q["name"], q["verdict"], (q["diagnosis"] or {}).get("kind")) for q in sheet_json["questions"]]
    want = [(q["name"], q["expect"], q.get("expect_diagnosis")) for q in key]
    assert got == want


def test_every_homework_question_passes_its_key_and_carries_its_points(
    sheet_json: dict[str, Any], key: list[dict[str, Any]]
) -> None:
    for q, k in zip(sheet_json["questions"], key, strict=True):
        assert q["outcome"] == "pass", q["name"]
        assert q["points"] == k["points"]
        assert q["awarded"] == (k["points"] if k["expect"] == "correct" else 0)


def test_the_json_score_is_awarded_over_possible(
    sheet_json: dict[str, Any], key: list[dict[str, Any]]
) -> None:
    assert sheet_json["score"] == {
        "awarded": sum(q["points"] for q in key if q["expect"] == "correct"),
        "possible": sum(q["points"] for q in key),
    }
    assert sheet_json["verdict"] == "pass"


# --- the second course-notes sheet: the notes' remaining rows -----------------------------------


@pytest.fixture(scope="module")
def more_key() -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = yaml.safe_load(MORE.read_text(encoding="utf-8"))["questions"]
    return questions


@pytest.fixture(scope="module")
def more(gradcheck: Invoke) -> tuple[Result, dict[str, Any]]:
    """One real `gradcheck check specs/homework/course-notes-more.yaml --format json`."""
    result = gradcheck("check", MORE, "--format", "json")
    (sheet,) = json.loads(result.stdout)["specs"]
    return result, sheet


def test_the_second_sheet_passes_its_answer_key_with_exit_0(more: tuple[Result, dict[str, Any]]) -> None:
    result, sheet = more
    assert result.exit_code == 0, result.output
    assert sheet["verdict"] == "pass"
    assert [q["outcome"] for q in sheet["questions"]] == ["pass"] * len(sheet["questions"])


def test_every_answer_of_the_second_sheet_gets_its_keys_verdict_and_diagnosis(
    more: tuple[Result, dict[str, Any]], more_key: list[dict[str, Any]]
) -> None:
    got = [(q["name"], q["verdict"], (q["diagnosis"] or {}).get("kind")) for q in more[1]["questions"]]
    want = [(q["name"], q["expect"], q.get("expect_diagnosis")) for q in more_key]
    assert got == want


def test_the_second_sheet_keys_right_and_wrong_answers_and_scores_only_the_right_ones(
    more: tuple[Result, dict[str, Any]], more_key: list[dict[str, Any]]
) -> None:
    right = [q for q in more_key if q["expect"] == "correct"]
    assert 0 < len(right) < len(more_key)
    assert more[1]["score"] == {"awarded": sum(q["points"] for q in right),
                                "possible": sum(q["points"] for q in more_key)}


def test_the_second_sheets_right_answers_are_proved_symbolically(more: tuple[Result, dict[str, Any]]) -> None:
    """Each is an identity SymPy can settle (the kron Jacobian included): no 10 s budget spent."""
    evidence = {q["name"]: q["evidence"] for q in more[1]["questions"] if q["verdict"] == "correct"}
    assert set(evidence.values()) == {"symbolic"}, evidence


# --- small sheets -------------------------------------------------------------------------------

LINEAR = """\
  - name: {name}
    variables: {{a: [3], x: [3]}}
    f: a.T @ x
    wrt: x
    claimed: {claimed}
"""


def sheet(*questions: str) -> str:
    return "questions:\n" + "".join(questions)


def linear(name: str, claimed: str, **extra: Any) -> str:
    text = LINEAR.format(name=name, claimed=claimed)
    return text + "".join(f"    {k}: {v}\n" for k, v in extra.items())


def test_a_wrong_answer_key_entry_exits_1_and_says_no(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(sheet(linear("right, keyed right", "a", expect="correct"),
                            linear("right, keyed wrong", "a", expect="incorrect")))
    result = gradcheck("check", path)
    assert result.exit_code == 1, result.output
    rows = [line for line in result.stdout.splitlines() if re.match(r"│\s*\d+ │", line)]
    assert len(rows) == 2
    assert "yes" in rows[0] and "NO" not in rows[0]
    assert "NO" in rows[1]


def test_an_answer_key_with_the_wrong_diagnosis_exits_1(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    keyed = linear("sign, keyed factor", "-a", expect="incorrect", expect_diagnosis="factor")
    path = write_spec(sheet(keyed))
    result = gradcheck("check", path)
    assert result.exit_code == 1, result.output
    assert "NO" in result.stdout


def test_an_answer_key_that_expects_the_mistake_exits_0(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(sheet(linear("sign", "-a", expect="incorrect", expect_diagnosis="sign"),
                            linear("right", "a", expect="correct")))
    result = gradcheck("check", path)
    assert result.exit_code == 0, result.output
    assert "NO" not in result.stdout


def test_a_sheet_without_a_key_exits_1_when_an_answer_is_wrong(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec(sheet(linear("right", "a"), linear("wrong", "2 * a")))
    result = gradcheck("check", path)
    assert result.exit_code == 1, result.output
    assert "as expected" not in result.stdout


def test_a_sheet_without_a_key_exits_0_when_every_answer_is_right(
    gradcheck: Invoke, write_spec: WriteSpec
) -> None:
    path = write_spec(sheet(linear("right", "a"), linear("right, jacobian", "a.T", layout="jacobian")))
    result = gradcheck("check", path)
    assert result.exit_code == 0, result.output


def test_points_are_awarded_only_for_correct_answers(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(sheet(linear("right", "a", points=2), linear("wrong", "-a", points=3),
                            linear("half", "a", points=0.5)))
    result = gradcheck("check", path, "--format", "json")
    (data,) = json.loads(result.stdout)["specs"]
    assert data["score"] == {"awarded": 2.5, "possible": 5.5}
    assert [q["awarded"] for q in data["questions"]] == [2, 0, 0.5]
    console = gradcheck("check", path)
    assert "score: 2.5 / 5.5 points" in console.stdout


def test_a_sheet_without_points_has_no_score(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(sheet(linear("right", "a")))
    result = gradcheck("check", path, "--format", "json")
    (data,) = json.loads(result.stdout)["specs"]
    assert data["score"] is None
    assert "score:" not in gradcheck("check", path).stdout


def test_the_api_includes_the_answer_only_when_asked(write_spec: WriteSpec) -> None:
    path = write_spec(sheet(linear("wrong", "2 * a")))
    (hidden,) = api.check_paths([path]).specs[0].questions  # type: ignore[union-attr]
    (shown,) = api.check_paths([path], show_answer=True).specs[0].questions  # type: ignore[union-attr]
    assert hidden.answer is None
    assert shown.answer == "a"  # ∂(aᵀx)/∂x in matrix form, not a list of entries


def test_check_shows_the_answer_only_with_show_answer(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(sheet(linear("wrong", "2 * a")))
    plain = gradcheck("check", path)
    assert "answer:" not in plain.stdout
    asked = gradcheck("check", path, "--show-answer")
    assert asked.exit_code == 1, asked.output
    assert "answer: a\n" in asked.stdout


def test_unquoted_yaml_numbers_are_expressions(gradcheck: Invoke, write_spec: WriteSpec) -> None:
    # `claimed: 2` and `f: 3` load as YAML numbers; they are the expressions that write them
    text = ("questions:\n"
            "  - {name: twice, variables: {c: []}, f: 2*c, wrt: c, claimed: 2}\n"
            "  - {name: constant, variables: {c: []}, f: 3, wrt: c, claimed: 0}\n"
            "  - {name: half, variables: {c: []}, f: c**2/4, wrt: c, claimed: 0.5}\n")
    result = gradcheck("check", "--format", "json", write_spec(text))
    assert result.exit_code == 1, result.output
    verdicts = [q["verdict"] for q in json.loads(result.stdout)["specs"][0]["questions"]]
    assert verdicts == ["correct", "correct", "incorrect"]
