"""An answer key, loaded once and compiled once: every mistake in it points at its line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gradcheck_cli.claims.question import Question
from gradcheck_cli.claims.sheet import compile_question
from gradcheck_cli.errors import Problems, together
from gradcheck_cli.grade.models import Feedback, KeyBody, KeySpec
from gradcheck_cli.spec.loader import validated
from gradcheck_cli.spec.source import SourceMap, load_yaml, parse_yaml


@dataclass(frozen=True)
class Item:
    """One question of the key, compiled: what it asks, what it is worth, what students see."""

    id: str
    name: str
    question: Question
    points: float
    #: the share of the points an answer with each diagnosis kind earns (absent: none)
    rubric: Mapping[str, float]
    feedback: Feedback
    #: the seed of the random points its answers are compared at (the same for every student)
    seed: int


@dataclass(frozen=True)
class Key:
    """An assignment's answer key: its questions in the order of the file."""

    assignment: str
    path: str
    seed: int
    items: tuple[Item, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def possible(self) -> float:
        """The points of the whole assignment."""
        return sum(item.points for item in self.items)


def load_key(path: Path) -> Key:
    """Read and compile the key at ``path``.

    Raises:
        SpecError: with file:line:col, for every problem of the key (all of them together).
    """
    data, source = load_yaml(path)
    return _compiled(data, source)


def parse_key(text: str, name: str = "<key>") -> Key:
    """Like ``load_key`` for a key's YAML text already in memory; ``name`` names it in errors."""
    data, source = parse_yaml(text, name)
    return _compiled(data, source)


def _compiled(data: object, source: SourceMap) -> Key:
    if not isinstance(data, dict) or "key" not in data:
        raise source.error((), "an answer key is a mapping with one key, `key:`, holding `assignment` and "
                               "`questions`")
    body = validated(KeySpec, data, source).key
    return Key(body.assignment, source.file, body.seed, _items(body, source))


def _items(body: KeyBody, source: SourceMap) -> tuple[Item, ...]:
    """Every question compiled; all the key's mistakes reported together.

    Raises:
        SpecError: a repeated id, or a question that does not compile, at its place.
    """
    problems = Problems()
    items: list[Item] = []
    seen: set[str] = set()
    for index, spec in enumerate(body.questions):
        loc = ("key", "questions", index)
        if spec.id in seen:
            problems.add(source.error((*loc, "id"), f"the question id `{spec.id}` appears twice in the key"))
        seen.add(spec.id)
        question = problems.attempt(compile_question, spec.as_question(), source, loc)
        if question is None:
            continue
        chosen = body.rubric if spec.rubric is None else spec.rubric
        rubric = {str(kind): credit for kind, credit in chosen.items()}
        items.append(Item(spec.id, spec.name or spec.id, question, spec.points, rubric,
                          spec.feedback or body.feedback, body.seed + index))
    if problems.found:
        raise together(problems.found)
    return tuple(items)


__all__ = ["Item", "Key", "load_key", "parse_key"]
