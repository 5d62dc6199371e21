"""Submissions: YAML per student, a directory of them, or one CSV; their own mistakes are noted
on them, with their place, and never stop the batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.grade import load_submissions

IDS = ("q1", "q2")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_submission_holds_the_students_answers(tmp_path: Path) -> None:
    text = "student: ada\nanswers:\n  q1: '-A.T @ (y - A @ x)'\n  q2: 2 * A @ x\n"
    path = write(tmp_path / "ada.yaml", text)
    [submission] = load_submissions([path], IDS)
    assert submission.student == "ada"
    assert submission.answers == {"q1": "-A.T @ (y - A @ x)", "q2": "2 * A @ x"}
    assert submission.problems == ()


def test_an_answer_to_an_unknown_question_is_noted_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path / "bo.yaml", "student: bo\nanswers:\n  q1: x\n  Q2: x\n")
    [submission] = load_submissions([path], IDS)
    assert submission.answers == {"q1": "x"}
    [problem] = submission.problems
    assert problem.startswith(f"{path}:4:3: the key has no question `Q2` (not graded)")
    assert problem.endswith("did you mean `q2`?")


def test_an_answer_to_a_question_like_none_lists_the_keys_questions(tmp_path: Path) -> None:
    path = write(tmp_path / "bo.yaml", "student: bo\nanswers: {bonus: x}\n")
    [submission] = load_submissions([path], IDS)
    assert submission.problems[0].endswith("the key's questions are q1, q2")


def test_an_empty_answer_is_a_missing_one(tmp_path: Path) -> None:
    path = write(tmp_path / "cy.yaml", "student: cy\nanswers:\n  q1: ''\n  q2:\n")
    [submission] = load_submissions([path], IDS)
    assert submission.answers == {}


def test_a_numeric_student_id_is_read_as_text(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "student: 1234\nanswers: {q1: '0'}\n")
    [submission] = load_submissions([path], IDS)
    assert submission.student == "1234"
    assert submission.answers == {"q1": "0"}


def test_a_file_that_does_not_parse_is_a_submission_with_its_reason(tmp_path: Path) -> None:
    broken = write(tmp_path / "dee.yaml", "student: dee\nanswers: [q1\n")
    fine = write(tmp_path / "eve.yaml", "student: eve\nanswers: {q1: x}\n")
    first, second = load_submissions([broken, fine], IDS)
    assert (first.student, first.answers) == ("dee", {})
    assert "YAML syntax error" in first.problems[0]
    assert second.student == "eve"


def test_a_directory_is_searched_in_name_order(tmp_path: Path) -> None:
    write(tmp_path / "class" / "b.yaml", "student: b\nanswers: {q1: x}\n")
    write(tmp_path / "class" / "sub" / "a.yml", "student: a\nanswers: {q1: x}\n")
    write(tmp_path / "class" / "notes.txt", "not a submission")
    found = load_submissions([tmp_path / "class"], IDS)
    assert [s.student for s in found] == ["b", "a"]


def test_a_student_who_submitted_twice_is_graded_on_the_first_and_both_are_named(tmp_path: Path) -> None:
    first = write(tmp_path / "1.yaml", "student: fay\nanswers: {q1: x}\n")
    second = write(tmp_path / "2.yaml", "student: fay\nanswers: {q1: y}\n")
    [submission] = load_submissions([first, second], IDS)
    assert submission.answers == {"q1": "x"}
    [note] = submission.problems
    assert note.startswith(f"{second}: another submission by `fay`, not graded")
    assert str(first) in note


def test_a_csv_gives_a_submission_per_row_with_cells_placed_by_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "quiz.csv", "Student,q1,q2,q9\nada,x,,1\n,,,\nbo,y,z,\n")
    ada, bo = load_submissions([path], IDS)
    assert (ada.student, ada.answers) == ("ada", {"q1": "x"})
    assert ada.problems[0].startswith(f"{path}:2:4: the key has no question `q9`")
    assert (bo.student, bo.answers) == ("bo", {"q1": "y", "q2": "z"})
    assert bo.source == f"{path}:4"


def test_a_csv_row_without_a_student_is_graded_under_its_row(tmp_path: Path) -> None:
    path = write(tmp_path / "quiz.csv", "student,q1\n,x\n")
    [submission] = load_submissions([path], IDS)
    assert submission.student == "(row 2)"
    assert "names no student" in submission.problems[0]


def test_a_csv_without_a_student_column_is_refused_with_its_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "quiz.csv", "name,q1\nada,x\n")
    with pytest.raises(GradcheckError, match=r"no `student` column \(its columns: name, q1\)"):
        load_submissions([path], IDS)


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GradcheckError, match="no such file"):
        load_submissions([tmp_path / "nope.yaml"], IDS)


def test_a_directory_without_submissions_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "class" / "notes.txt", "not a submission")
    with pytest.raises(GradcheckError, match=r"no submissions in the directory: it holds no \.yaml, \.yml"):
        load_submissions([tmp_path / "class"], IDS)
