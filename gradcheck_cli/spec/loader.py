"""Load a spec file into typed models; turn every validation error into one sentence with its place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gradcheck_cli.errors import SpecError, did_you_mean, together
from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.spec.models import network_model
from gradcheck_cli.spec.sheet_models import SheetSpec
from gradcheck_cli.spec.source import Loc, SourceMap, load_yaml

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Loaded:
    """A validated spec and the map back to its source lines."""

    spec: Any
    source: SourceMap

    @property
    def path(self) -> str:
        return self.source.file


def load(path: Path) -> Loaded:
    """Read, parse and validate the spec at ``path``.

    Raises:
        SpecError: with file:line:col, for any problem with the file.
    """
    data, source = load_yaml(path)
    if not isinstance(data, dict):
        raise source.error((), "a spec must be a mapping of keys such as `network` and `loss`")
    model: type[BaseModel] = SheetSpec if "questions" in data else network_model()
    return Loaded(validated(model, data, source), source)


def validated(model: type[M], data: Any, source: SourceMap) -> M:
    """``data`` (loaded from ``source``) as a ``model``.

    Raises:
        SpecError: every problem pydantic found, one sentence each with its file:line:col.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problems(exc, source, lambda error: _sentence(error, source, model)) from None


def _dotted(loc: Loc) -> str:
    text = ""
    for part in (p for p in loc if p != "[key]"):  # pydantic's marker of an error in a key
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_problems(exc: ValidationError, source: SourceMap,
                        sentence: Callable[[ErrorDetails], SpecError]) -> SpecError:
    """Every problem pydantic found, each as one ``sentence`` with its place, in file order.

    A value that fits no member of a union is one problem, though pydantic reports it once per
    member: the first report at each place of the file is kept (a missing key counts as its own
    place, so that two keys missing from one mapping are both named). A key reported missing
    where a misspelling of it stands (`variabels:`) is that one problem: the unknown key's
    did-you-mean names it.
    """
    errors = exc.errors(include_url=False)
    unknown = [(tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors if e["type"] == "extra_forbidden"]
    first: dict[tuple[Loc, str | int | None], ErrorDetails] = {}
    for error in errors:
        loc: Loc = tuple(error["loc"])
        missing = error["type"] == "missing"
        if missing and any(p == loc[:-1] and did_you_mean(key, [str(loc[-1])]) for p, key in unknown):
            continue
        place = loc[:-1] if missing else loc
        while place and place not in source.values and place not in source.keys:
            place = place[:-1]  # a union member's name (`list[float]`) is no place in the file
        first.setdefault((place, loc[-1] if missing else None), error)
    return together([sentence(error) for error in first.values()])


def _sentence(error: ErrorDetails, source: SourceMap, model: type[BaseModel]) -> SpecError:
    """One validation error as a sentence placed at its line and column."""
    loc: Loc = tuple(error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    where = f"`{_dotted(loc)}`" if loc else "the spec"
    if kind == "union_tag_invalid":
        table = LOSSES if loc and loc[0] == "loss" else LAYERS
        tag = str(ctx.get("tag"))
        hint: str | None
        what = "loss" if table is LOSSES else "op"
        hint = did_you_mean(tag, table) or f"known: {', '.join(table)}"
        return source.error(loc, f"unknown {what} `{tag}` at {where}", hint=hint)
    if kind == "union_tag_not_found":
        return source.error(loc, f"{where} must name an op, as `tanh` or `linear: {{out: 3}}`")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = f"`{_dotted(loc[:-1])}`" if loc[:-1] else "the spec"
        hint = _key_hint(model, loc)
        return source.error(loc, f"unknown key `{key}` in {parent}", key=True, hint=hint)
    if kind == "missing":
        parent = f"`{_dotted(loc[:-1])}`" if loc[:-1] else "the spec"
        return source.error(loc[:-1], f"{parent} is missing the key `{loc[-1]}`")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(error.get("input")), choices)
        text = f"{str(error['msg'])[0].lower()}{str(error['msg'])[1:]} (got {error.get('input')!r})"
        return source.error(loc, f"{where}: {text}", hint=hint)
    message = str(error["msg"]).removeprefix("Value error, ")
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) or kind == "value_error" else f" (got {got!r})"
    return source.error(loc, f"{where}: {message[0].lower()}{message[1:]}{shown}")


def _key_hint(model: type[BaseModel], loc: Loc) -> str | None:
    """A did-you-mean among the keys accepted where the unknown key stands, or where it belongs."""
    here = _model_at(model, loc[:-1])
    key = str(loc[-1])
    if here is not None:
        close = did_you_mean(key, here.model_fields)
        if close:
            return close
    for name, info in model.model_fields.items():
        section = _model_of(info.annotation)
        if section is not None and key in section.model_fields and section is not here:
            return f"`{key}` belongs under `{name}`"
    return f"the keys allowed there are: {', '.join(here.model_fields)}" if here is not None else None


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc``: sections by field, ops by their name."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        if part in LAYERS or part in LOSSES:
            current = LAYERS.get(part) or LOSSES.get(part)
            continue
        info = current.model_fields.get(part)
        current = _model_of(info.annotation) if info is not None else None
    return current


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
