"""YAML → plain data with the line and column of every node, loaded safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gradcheck_cli.errors import SpecError

Loc = tuple[str | int, ...]

#: Most nodes a spec may expand to; an alias bomb ("billion laughs") stops here, fast.
MAX_NODES = 200_000


@dataclass(frozen=True)
class SourceMap:
    """Where each value of a loaded document stands: path of keys/indices → (line, column)."""

    file: str
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    #: YAML scalar style of string values: None (plain), '"' or "'" (quoted), '|' or '>' (block)
    styles: dict[Loc, str | None] = field(default_factory=dict)

    def where(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of ``loc``, or of its nearest recorded ancestor."""
        table = self.keys if key else self.values
        while loc:
            if loc in table:
                return table[loc]
            if not key and loc in self.keys:
                return self.keys[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))

    def text_position(self, loc: Loc, column: int) -> tuple[int, int]:
        """Line and column in the file of the ``column``-th character (1-based) of the string
        value at ``loc``, allowing for an opening quote; block scalars start a line below."""
        line, col = self.where(loc)
        style = self.styles.get(loc)
        if style in ("|", ">"):
            return line + 1, column
        return line, col + column - 1 + (1 if style in ('"', "'") else 0)

    def error(self, loc: Loc, message: str, *, key: bool = False, hint: str | None = None) -> SpecError:
        line, column = self.where(loc, key=key)
        return SpecError(message, file=self.file, line=line, column=column, hint=hint)


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Parse ``path`` with ``yaml.SafeLoader``; every node's position goes into a SourceMap.

    Raises:
        SpecError: unreadable file, YAML syntax error, a tag that would build a Python object,
            duplicate keys, or an alias expansion larger than ``MAX_NODES``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the file ({exc.__class__.__name__})", file=str(path)) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Like ``load_yaml`` for text already in memory; ``file`` names it in errors."""
    source = SourceMap(file)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty; a spec needs at least `network` and `loss`", file=file)
        data = _Builder(loader, source).build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or "invalid YAML").rstrip(".")
        raise SpecError(
            f"YAML syntax error: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", file=file) from None
    finally:
        loader.dispose()
    return data, source


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, source: SourceMap) -> None:
        self.loader = loader
        self.source = source
        self.count = 0

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(node, f"the document expands to more than {MAX_NODES} nodes")
        self.source.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            self._expect_tag(node, "map")
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            self._expect_tag(node, "seq")
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        self.source.styles[loc] = getattr(node, "style", None)
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            raise self._error(node, f"the tag `{node.tag}` is not allowed in a spec") from None

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, "a key must be a plain name")
            key = self._scalar(key_node)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise self._error(key_node, f"the key `{key}` must be a name")
            if key in out:
                raise self._error(key_node, f"the key `{key}` appears twice")
            here: Loc = (*loc, key)
            self.source.keys[here] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, here)
        return out

    def _expect_tag(self, node: yaml.Node, kind: str) -> None:
        if node.tag != f"tag:yaml.org,2002:{kind}":
            raise self._error(node, f"the tag `{node.tag}` is not allowed in a spec")

    def _error(self, node: yaml.Node, message: str) -> SpecError:
        mark = node.start_mark
        return SpecError(message, file=self.source.file, line=mark.line + 1, column=mark.column + 1)
