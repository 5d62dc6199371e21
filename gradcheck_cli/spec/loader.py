"""Load a spec file into typed models; turn the first validation error into one sentence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from gradcheck_cli.errors import SpecError, did_you_mean
from gradcheck_cli.ops import LAYERS, LOSSES
from gradcheck_cli.spec.models import Model, network_model
from gradcheck_cli.spec.source import Loc, SourceMap, load_yaml


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
    model = network_model()
    try:
        return Loaded(model.model_validate(data), source)
    except ValidationError as exc:
        raise _first_error(exc, source, model) from None


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _first_error(exc: ValidationError, source: SourceMap, model: type[Model]) -> SpecError:
    error = exc.errors(include_url=False)[0]
    loc: Loc = tuple(error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    where = f"`{_dotted(loc)}`" if loc else "the spec"
    more = f" ({exc.error_count() - 1} more problem(s) after this one)" if exc.error_count() > 1 else ""
    if kind == "union_tag_invalid":
        table = LOSSES if loc and loc[0] == "loss" else LAYERS
        tag = str(ctx.get("tag"))
        hint: str | None
        what = "loss" if table is LOSSES else "op"
        hint = did_you_mean(tag, table) or f"known: {', '.join(table)}"
        return source.error(loc, f"unknown {what} `{tag}` at {where}{more}", hint=hint)
    if kind == "union_tag_not_found":
        return source.error(loc, f"{where} must name an op, as `tanh` or `linear: {{out: 3}}`{more}")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = f"`{_dotted(loc[:-1])}`" if loc[:-1] else "the spec"
        hint = did_you_mean(key, _known_keys(model))
        return source.error(loc, f"unknown key `{key}` in {parent}{more}", key=True, hint=hint)
    if kind == "missing":
        parent = f"`{_dotted(loc[:-1])}`" if loc[:-1] else "the spec"
        return source.error(loc[:-1], f"{parent} is missing the key `{loc[-1]}`{more}")
    message = str(error["msg"]).removeprefix("Value error, ")
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) or kind == "value_error" else f" (got {got!r})"
    return source.error(loc, f"{where}: {message[0].lower()}{message[1:]}{shown}{more}")


def _known_keys(model: type[BaseModel]) -> set[str]:
    """Every key any part of a spec accepts, for did-you-mean hints."""
    keys: set[str] = set()
    stack: list[type[BaseModel]] = [model, *LAYERS.values(), *LOSSES.values()]
    seen: set[type[BaseModel]] = set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        keys.update(current.model_fields)
        for info in current.model_fields.values():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                stack.append(annotation)
            for arg in getattr(annotation, "__args__", ()):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    stack.append(arg)
    return keys
