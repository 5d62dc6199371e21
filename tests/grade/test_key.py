"""Answer keys: loaded once, compiled once, every mistake placed at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.grade import Key, parse_key
from tests.grade.conftest import KEY


def test_a_key_keeps_its_questions_in_file_order_with_their_points(key: Key) -> None:
    assert key.assignment == "least squares and a quadratic form"
    assert key.ids == ("q1", "q2")
    assert [item.points for item in key.items] == [2.0, 1.0]
    assert key.possible == 3.0


def test_the_keys_rubric_and_feedback_apply_unless_a_question_has_its_own(key: Key) -> None:
    q1, q2 = key.items
    assert q1.rubric == {"layout": 0.5} and q1.feedback == "diagnosis"
    assert q2.feedback == "answer"


def test_each_question_draws_its_points_from_its_own_seed(key: Key) -> None:
    assert [item.seed for item in key.items] == [0, 1]


def test_a_repeated_question_id_is_reported_at_its_line() -> None:
    text = KEY.replace("    - id: q2", "    - id: q1")
    with pytest.raises(GradcheckError) as raised:
        parse_key(text, "key.yaml")
    assert str(raised.value).startswith("key.yaml:12:11:")
    assert "`q1` appears twice" in str(raised.value)


def test_an_unknown_function_in_f_is_reported_at_its_column() -> None:
    with pytest.raises(GradcheckError) as raised:
        parse_key(KEY.replace("f: x.T @ A @ x", "f: x.T @ B @ x"), "key.yaml")
    assert str(raised.value).startswith("key.yaml:16:")
    assert "`B`" in str(raised.value)


def test_a_misspelt_key_field_is_named_with_a_suggestion() -> None:
    with pytest.raises(GradcheckError) as raised:
        parse_key(KEY.replace("      points: 2", "      pionts: 2"), "key.yaml")
    assert "unknown key `pionts`" in str(raised.value)
    assert "did you mean `points`?" in str(raised.value)


def test_partial_credit_above_full_credit_is_refused() -> None:
    with pytest.raises(GradcheckError, match=r"rubric\.layout"):
        parse_key(KEY.replace("{layout: 0.5}", "{layout: 1.5}"), "key.yaml")


def test_a_rubric_names_only_known_diagnosis_kinds() -> None:
    with pytest.raises(GradcheckError, match="lay-out"):
        parse_key(KEY.replace("{layout: 0.5}", "{lay-out: 0.5}"), "key.yaml")


def test_a_file_without_key_says_what_a_key_holds(tmp_path: Path) -> None:
    with pytest.raises(GradcheckError, match="`key:`"):
        parse_key("questions: []\n", "sheet.yaml")
