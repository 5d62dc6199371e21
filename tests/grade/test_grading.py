"""Grading: each answer scored under the key's rubric, in workers, hostile answers contained."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gradcheck_cli.claims import question as question_module
from gradcheck_cli.grade import Key, Settings, Submission, grade, grade_class
from gradcheck_cli.grade import grading as grading_module
from tests.grade.conftest import RIGHT

#: Judged in this process: the tests that count calls see them.
HERE = Settings(isolate=False)


def test_right_answers_earn_every_point(key: Key) -> None:
    result = grade(key, RIGHT)
    assert [m.status for m in result.marks] == ["correct", "correct"]
    assert (result.total, result.possible) == (3.0, 3.0)


def test_a_diagnosis_in_the_rubric_earns_its_share_of_the_points(key: Key) -> None:
    # the numerator layout: the transpose of the gradient, worth half in the rubric
    result = grade(key, {**RIGHT, "q1": "-(y - A @ x).T @ A"})
    q1 = result.marks[0]
    assert (q1.status, q1.kind, q1.awarded, q1.points) == ("partial", "layout", 1.0, 2.0)


def test_a_diagnosis_outside_the_rubric_earns_nothing(key: Key) -> None:
    result = grade(key, {**RIGHT, "q1": "A.T @ (y - A @ x)"})
    q1 = result.marks[0]
    assert (q1.status, q1.kind, q1.awarded) == ("incorrect", "sign", 0.0)


def test_the_correct_answer_is_kept_only_where_the_key_shows_it(key: Key) -> None:
    result = grade(key, {"q1": "A.T @ (y - A @ x)", "q2": "A @ x"})
    assert result.marks[0].solution is None  # feedback: diagnosis
    assert result.marks[1].solution == "2 * A @ x"  # feedback: answer


def test_an_ill_typed_answer_is_wrong_with_kind_shape(key: Key) -> None:
    result = grade(key, {**RIGHT, "q2": "x.T @ A"})
    assert (result.marks[1].status, result.marks[1].kind) == ("incorrect", "shape")


def test_an_answer_that_does_not_parse_scores_zero_with_its_column(key: Key) -> None:
    result = grade(key, {**RIGHT, "q2": "2 * A @"})
    mark = result.marks[1]
    assert (mark.status, mark.awarded) == ("unreadable", 0.0)
    assert mark.reason is not None and "column" in mark.reason
    assert result.marks[0].status == "correct"


def test_a_missing_answer_scores_zero_and_is_noted(key: Key) -> None:
    result = grade(key, {"q1": RIGHT["q1"]})
    assert result.marks[1].status == "missing"
    assert result.problems == ("no answer to q2",)


def test_a_hostile_answer_scores_zero_with_its_reason_and_the_others_are_graded(key: Key) -> None:
    tower = "exp(" * 12 + "sum(x)" + ")" * 12 + " * x"
    huge = "kron(kron(kron(kron(A, A), A), A), A)"
    started = time.monotonic()
    result = grade(key, {"q1": tower, "q2": huge}, settings=Settings(budget=5))
    assert time.monotonic() - started < 5 + grading_module.isolation.GRACE
    assert [(m.status, m.awarded) for m in result.marks] == [("not judged", 0.0), ("unreadable", 0.0)]
    assert all(m.reason for m in result.marks)
    assert "more than" in (result.marks[1].reason or "")


def test_a_hanging_answer_is_stopped_at_its_budget_and_the_batch_goes_on(
        key: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    # a judge that never returns for one answer, as a SymPy step stuck in C would
    real = grading_module.judge_safely

    def stuck(question, seed, show_answer, seconds, clocks, truth):  # type: ignore[no-untyped-def]
        if question.claimed is not None and question.claimed.text == "A @ x":
            time.sleep(3600)
        return real(question, seed, show_answer, seconds, clocks, truth)

    monkeypatch.setattr(grading_module, "judge_safely", stuck)
    monkeypatch.setattr(grading_module.isolation, "GRACE", 0.5)
    class_ = [Submission("ada", "a", {"q2": "A @ x"}), Submission("bo", "b", dict(RIGHT))]
    started = time.monotonic()
    book = grade_class(key, class_, Settings(budget=1, jobs=2))
    assert time.monotonic() - started < 10
    ada, bo = book.grades
    assert ada.marks[1].status == "not judged"
    assert "did not finish within 1.5 s" in (ada.marks[1].reason or "")
    assert bo.total == 3.0


def test_identical_answers_are_judged_once_and_each_truth_derived_once(
        key: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    judged: list[str] = []
    derived: list[str] = []
    real_judge, real_derive = grading_module.judge_safely, question_module.derive

    def counting_judge(question, *args):  # type: ignore[no-untyped-def]
        judged.append(question.name)
        return real_judge(question, *args)

    def counting_derive(question):  # type: ignore[no-untyped-def]
        derived.append(question.name)
        return real_derive(question)

    monkeypatch.setattr(grading_module, "judge_safely", counting_judge)
    monkeypatch.setattr(question_module, "derive", counting_derive)
    monkeypatch.setattr("gradcheck_cli.claims.judge.derive", counting_derive)
    class_ = [Submission(name, name, dict(RIGHT)) for name in ("a", "b", "c")]
    class_.append(Submission("d", "d", {**RIGHT, "q1": "A.T @ (y - A @ x)"}))
    book = grade_class(key, class_, HERE)
    assert sorted(judged) == sorted(["least squares, gradient"] * 2 + ["quadratic form, A symmetric"])
    assert sorted(derived) == ["least squares, gradient", "quadratic form, A symmetric"]
    assert [g.total for g in book.grades] == [3.0, 3.0, 3.0, 1.0]


def test_the_gradebook_is_sorted_by_student_whatever_the_order_given(key: Key) -> None:
    class_ = [Submission(name, name, dict(RIGHT)) for name in ("zoe", "al", "mo")]
    book = grade_class(key, class_, HERE)
    assert [g.student for g in book.grades] == ["al", "mo", "zoe"]


def test_the_api_takes_the_path_of_a_key_file(key_path: Path) -> None:
    result = grade(key_path, {"q1": RIGHT["q1"], "extra": "x"})
    assert [m.status for m in result.marks] == ["correct", "missing"]
    assert result.problems == ("the key has no question `extra` (not graded)", "no answer to q2")
