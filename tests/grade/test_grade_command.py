"""`gradcheck grade KEY SUBMISSION…`: formats, feedback files, self-check and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from gradcheck_cli.cli_options import GRADE_FORMATS
from gradcheck_cli.grade.report import FORMATS
from tests.conftest import Invoke

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def class_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.yaml").write_text('student: ada\nanswers:\n  q1: "-(y - A @ x).T @ A"\n  q2: A @ x\n')
    (folder / "bo.yaml").write_text('student: bo\nanswers:\n  q1: "-A.T @ (y - A @ x)"\n  q2: 2 * A @ x\n')
    return folder


def test_the_format_choices_are_the_reporters() -> None:
    assert set(GRADE_FORMATS) == set(FORMATS)


def test_the_csv_gradebook_has_a_row_per_student_with_points_and_total(
        gradcheck: Invoke, key_path: Path, class_dir: Path) -> None:
    result = gradcheck("grade", key_path, class_dir, "--format", "csv", "--jobs", "1")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    # ada: the numerator layout is worth half of q1's 2 points (rubric), A @ x misses q2's factor 2
    assert rows == [["student", "q1", "q2", "total", "notes"],
                    ["ada", "1", "0", "1", ""], ["bo", "2", "1", "3", ""]]


def test_a_students_self_check_prints_the_feedback_at_the_keys_level(
        gradcheck: Invoke, key_path: Path, class_dir: Path) -> None:
    result = gradcheck("grade", key_path, class_dir / "ada.yaml")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "What is wrong (layout)" in text  # q1: feedback diagnosis
    assert "The answer: `2 * A @ x`" in text  # q2: feedback answer
    assert "-A.T @ (y - A @ x)" not in text  # q1's answer is not shown at the diagnosis level
    assert text.rstrip().endswith("score: 1 / 3")


def test_at_the_verdict_level_only_the_verdict_is_shown(gradcheck: Invoke, key_path: Path,
                                                       class_dir: Path) -> None:
    key_path.write_text(key_path.read_text().replace("feedback: answer", "feedback: verdict")
                        .replace("  seed: 0", "  seed: 0\n  feedback: verdict"))
    result = gradcheck("grade", key_path, class_dir / "ada.yaml")
    assert "Incorrect: 0 of 1 points." in result.stdout
    assert "What is wrong" not in result.stdout and "The answer" not in result.stdout


def test_feedback_files_are_written_per_student(gradcheck: Invoke, key_path: Path, class_dir: Path,
                                                tmp_path: Path) -> None:
    out = tmp_path / "feedback" / "hw"
    result = gradcheck("grade", key_path, class_dir, "--feedback-dir", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["ada.md", "bo.md"]
    ada = (out / "ada.md").read_text()
    assert "Score: **1 / 3**" in ada and "Your answer: `A @ x`" in ada


def test_the_gradescope_results_follow_the_published_format(gradcheck: Invoke, key_path: Path,
                                                             class_dir: Path) -> None:
    result = gradcheck("grade", key_path, class_dir / "bo.yaml", "--format", "gradescope")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["score"] == 3.0
    assert [(t["score"], t["max_score"], t["status"]) for t in document["tests"]] == [
        (2.0, 2.0, "passed"), (1.0, 1.0, "passed")]


def test_the_schema_rejects_what_gradescope_does_not_read() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"score": 1, "tests": [{"name": "q1", "visibility": "students"}]}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"name": "q1"}]}, SCHEMA)


def test_gradescope_needs_exactly_one_submission(gradcheck: Invoke, key_path: Path, class_dir: Path) -> None:
    result = gradcheck("grade", key_path, class_dir, "--format", "gradescope")
    assert result.exit_code == 2
    assert "one submission" in result.stderr


def test_fail_under_exits_1_when_a_submission_scores_below_it(gradcheck: Invoke, key_path: Path,
                                                              class_dir: Path) -> None:
    assert gradcheck("grade", key_path, class_dir, "--fail-under", "30").exit_code == 0  # ada: 1/3 = 33 %
    assert gradcheck("grade", key_path, class_dir, "--fail-under", "40").exit_code == 1


def test_wrong_answers_are_no_failure_of_the_run(gradcheck: Invoke, key_path: Path, class_dir: Path) -> None:
    assert gradcheck("grade", key_path, class_dir / "ada.yaml").exit_code == 0


def test_a_broken_key_is_one_line_with_its_place_and_exit_2(gradcheck: Invoke, key_path: Path,
                                                            class_dir: Path) -> None:
    key_path.write_text(key_path.read_text().replace("wrt: x\n      points: 2", "wrt: z\n      points: 2"))
    result = gradcheck("grade", key_path, class_dir)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gradcheck: {key_path}:10:")
    assert "Traceback" not in result.output


def test_the_key_beside_the_submissions_is_not_graded_as_one(gradcheck: Invoke, key_path: Path,
                                                             class_dir: Path) -> None:
    (class_dir / "key.yaml").write_text(key_path.read_text())
    result = gradcheck("grade", class_dir / "key.yaml", class_dir, "--format", "csv")
    assert [row[0] for row in csv.reader(io.StringIO(result.stdout))] == ["student", "ada", "bo"]


def test_the_same_inputs_give_a_byte_identical_gradebook(gradcheck: Invoke, key_path: Path,
                                                         class_dir: Path) -> None:
    first = gradcheck("grade", key_path, class_dir, "--format", "json", "--jobs", "2").stdout
    second = gradcheck("grade", key_path, class_dir, "--format", "json", "--jobs", "1").stdout
    assert first == second


def test_a_csv_of_the_same_answers_gives_the_same_gradebook(
        gradcheck: Invoke, key_path: Path, class_dir: Path, tmp_path: Path) -> None:
    quiz = tmp_path / "quiz.csv"
    quiz.write_text('student,q1,q2\nada,-(y - A @ x).T @ A,A @ x\nbo,-A.T @ (y - A @ x),2 * A @ x\n')
    from_csv = gradcheck("grade", key_path, quiz, "--format", "csv")
    from_yaml = gradcheck("grade", key_path, class_dir, "--format", "csv")
    assert from_csv.exit_code == 0, from_csv.output
    assert from_csv.stdout == from_yaml.stdout


def test_output_writes_the_report_to_a_file(gradcheck: Invoke, key_path: Path, class_dir: Path,
                                            tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    result = gradcheck("grade", key_path, class_dir / "bo.yaml", "-f", "gradescope", "--output", target)
    assert result.exit_code == 0 and result.stdout == ""
    jsonschema.validate(json.loads(target.read_text()), SCHEMA)


def test_a_submission_problem_is_listed_and_the_run_still_succeeds(gradcheck: Invoke, key_path: Path,
                                                                   class_dir: Path) -> None:
    (class_dir / "cy.yaml").write_text("student: cy\nanswers: {q1: x, bonus: y}\n")
    result = gradcheck("grade", key_path, class_dir)
    assert result.exit_code == 0, result.output
    assert "cy: " in result.stdout and "the key has no question `bonus`" in result.stdout
