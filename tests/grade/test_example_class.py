"""The example class (examples/grading/): 30 generated submissions and two hostile ones, graded
as an instructor would, each mark checked against what the generator wrote that answer to be."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from gradcheck_cli.cli import app
from gradcheck_cli.grade import Key, load_key
from tests.conftest import ENV

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "grading"
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text(encoding="utf-8"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_submissions", EXAMPLE / "make_submissions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
#: The class graded once: the JSON document, the CSV gradebook, the feedback folder.
Graded = tuple[dict[str, Any], str, Path]
PLAN: dict[str, dict[str, tuple[str, str]]] = GENERATOR.PLAN


@pytest.fixture(scope="module")
def key() -> Key:
    return load_key(EXAMPLE / "key.yaml")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """The class graded once: the JSON document, the CSV gradebook and the feedback folder."""
    out = tmp_path_factory.mktemp("graded")
    runner = CliRunner(env=ENV)
    args = ["grade", str(EXAMPLE / "key.yaml"), str(EXAMPLE / "submissions")]
    as_json = runner.invoke(app, [*args, "--format", "json", "--feedback-dir", str(out / "feedback")])
    assert as_json.exit_code == 0, as_json.output
    as_csv = runner.invoke(app, [*args, "--format", "csv", "--jobs", "1"])
    assert as_csv.exit_code == 0, as_csv.output
    return json.loads(as_json.stdout), as_csv.stdout, out / "feedback"


def expected_points(key: Key, qid: str, written_as: str) -> float:
    item = next(item for item in key.items if item.id == qid)
    return item.points if written_as == "right" else item.points * item.rubric.get(written_as, 0.0)


def test_the_committed_submissions_are_what_the_generator_writes(tmp_path: Path) -> None:
    GENERATOR.write(tmp_path)
    committed = sorted(p.name for p in (EXAMPLE / "submissions").iterdir())
    assert committed == sorted(p.name for p in tmp_path.iterdir())
    for name in committed:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / "submissions" / name).read_bytes()


def test_the_class_mixes_right_answers_and_every_typical_slip() -> None:
    written = Counter(kind for answers in PLAN.values() for _, kind in answers.values())
    assert len(PLAN) == 30
    assert {"right", "sign", "layout", "factor", "missing-term", "activation-derivative", "shape",
            "symmetric-assumption"} <= set(written)


def test_every_answer_is_marked_as_it_was_written(graded: Graded, key: Key) -> None:
    document, _, _ = graded
    grades = {g["student"]: g for g in document["grades"]}
    for student, answers in PLAN.items():
        for mark in grades[student]["marks"]:
            text, written_as = answers[mark["question"]]
            assert mark["answer"] == text
            if written_as == "right":
                assert mark["status"] == "correct", (student, mark)
            else:
                assert mark["kind"] == written_as, (student, mark)
            assert mark["awarded"] == pytest.approx(expected_points(key, mark["question"], written_as))


def test_the_hostile_submissions_score_zero_each_with_a_reason(graded: Graded) -> None:
    document, _, _ = graded
    grades = {g["student"]: g for g in document["grades"]}
    for name, answers in GENERATOR.HOSTILE.items():
        marks = {m["question"]: m for m in grades[name]["marks"]}
        assert grades[name]["total"] == 0
        for qid in answers:
            assert marks[qid]["status"] in ("not judged", "unreadable", "incorrect")
            assert marks[qid]["reason"]
    kron = {m["question"]: m for m in grades["hostile-kron"]["marks"]}["q4"]
    assert "more than 10,000 entries" in kron["reason"]


def test_the_csv_gradebook_totals_each_students_expected_points(
        graded: Graded, key: Key) -> None:
    _, text, _ = graded
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["student"] for row in rows] == sorted([*PLAN, *GENERATOR.HOSTILE])
    for row in rows:
        if row["student"] in PLAN:
            answers = PLAN[row["student"]]
            expected = {qid: expected_points(key, qid, kind) for qid, (_, kind) in answers.items()}
            assert {qid: float(row[qid]) for qid in key.ids} == pytest.approx(expected)
            assert float(row["total"]) == pytest.approx(sum(expected.values()))


def test_the_class_summary_counts_right_answers_and_slips(graded: Graded) -> None:
    document, _, _ = graded
    students = len(PLAN) + len(GENERATOR.HOSTILE)
    for question in document["summary"]:
        qid = question["question"]
        written = Counter(answers[qid][1] for answers in PLAN.values())
        assert question["counts"].get("correct", 0) == written["right"]
        assert question["share_right"] == pytest.approx(written["right"] / students)
        slips = Counter({kind: n for kind, n in written.items() if kind != "right"})
        if qid == "q6":
            slips["shape"] += 1  # hostile-kron's 16×81 kron is only the wrong shape
        most = sorted(slips.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert [(k["kind"], k["count"]) for k in question["common_kinds"]] == most


def test_each_student_gets_a_feedback_file_at_the_keys_levels(graded: Graded) -> None:
    _, _, folder = graded
    assert sorted(p.stem for p in folder.iterdir()) == sorted([*PLAN, *GENERATOR.HOSTILE])
    for student, answers in PLAN.items():
        text = (folder / f"{student}.md").read_text(encoding="utf-8")
        sections = {part.split("\n", 1)[0].split(":")[0]: part for part in text.split("\n## ")[1:]}
        if answers["q1"][1] != "right":  # q1 shows the answer
            assert "The answer: `" in sections["q1"]
        if answers["q5"][1] != "right":  # q5 shows the verdict alone
            assert "What is wrong" not in sections["q5"] and "The answer" not in sections["q5"]
        if answers["q2"][1] == "sign":  # q2 shows the diagnosis, not the answer
            assert "What is wrong (sign)" in sections["q2"] and "The answer" not in sections["q2"]


def test_one_submission_gives_gradescope_results_in_the_published_format() -> None:
    runner = CliRunner(env=ENV)
    student = "s01"
    submission = EXAMPLE / "submissions" / f"{student}.yaml"
    result = runner.invoke(app, ["grade", str(EXAMPLE / "key.yaml"), str(submission), "-f", "gradescope"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    key = load_key(EXAMPLE / "key.yaml")
    expected = sum(expected_points(key, qid, kind) for qid, (_, kind) in PLAN[student].items())
    assert document["score"] == pytest.approx(expected)
    assert [t["max_score"] for t in document["tests"]] == [item.points for item in key.items]


def test_the_run_autograder_script_is_three_lines_that_write_results_json() -> None:
    lines = (EXAMPLE / "run_autograder").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[0].startswith("#!")
    command = "gradcheck grade source/key.yaml submission --format gradescope --output results/results.json"
    assert command in lines[2]
