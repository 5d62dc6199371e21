"""A small answer key (two questions from the course notes) shared by the grading tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradcheck_cli.grade import Key, load_key

KEY = """\
key:
  assignment: least squares and a quadratic form
  seed: 0
  rubric: {layout: 0.5}
  questions:
    - id: q1
      name: least squares, gradient
      variables: {x: [3], A: [4, 3], y: [4]}
      f: 0.5 * norm(y - A @ x)**2
      wrt: x
      points: 2
    - id: q2
      name: quadratic form, A symmetric
      variables: {x: [3], A: [3, 3]}
      assume: {A: [symmetric]}
      f: x.T @ A @ x
      wrt: x
      feedback: answer
"""

#: Right answers to KEY, written as the course notes write them.
RIGHT = {"q1": "-A.T @ (y - A @ x)", "q2": "2 * A @ x"}


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "key.yaml"
    path.write_text(KEY, encoding="utf-8")
    return path


@pytest.fixture
def key(key_path: Path) -> Key:
    return load_key(key_path)
