"""YAML → plain data with the line and column of every node, loaded safely."""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gradcheck_cli.errors import SpecError, printable

Loc = tuple[str | int, ...]

#: Most nodes a spec may expand to; an alias bomb ("billion laughs") stops here, fast.
MAX_NODES = 200_000

#: The standard tags a scalar may carry, explicitly (``!!str 3``) or as resolved by the YAML
#: core schema. The others of the standard set (``!!binary``, ``!!set``, ``!!omap``, ``!!pairs``)
#: and every ``!!python/…`` tag are refused: a spec is plain text, numbers and booleans.
SCALAR_TAGS = frozenset({"str", "int", "float", "bool", "null", "timestamp"})

_YAML_TAG = "tag:yaml.org,2002:"

#: Longest part of a refused value quoted in its message.
_SHOWN = 40

#: Deepest nesting of lists and mappings. PyYAML composes nodes recursively, so a document
#: nested thousands deep (``[[[[…``) would overflow Python's stack; real specs nest 5 deep.
MAX_DEPTH = 100


@dataclass(frozen=True)
class SourceMap:
    """Where each value of a loaded document stands: path of keys/indices → (line, column)."""

    file: str
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    #: YAML scalar style of string values: None (plain), '"' or "'" (quoted), '|' or '>' (block)
    styles: dict[Loc, str | None] = field(default_factory=dict)
    #: the document itself, to place positions inside values that span lines
    text: str = ""

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

    def text_position(self, loc: Loc, column: int, value: str) -> tuple[int, int]:
        """Line and column in the file of the ``column``-th character (1-based) of the string
        ``value`` found at ``loc``: arithmetic for a one-line value (allowing for a quote), and
        for a value over several lines (block or folded) the same token found in the file."""
        line, col = self.where(loc)
        style = self.styles.get(loc)
        if "\n" not in value and style not in ("|", ">") and self._one_line(line, col, value):
            return line, col + column - 1 + (1 if style in ('"', "'") else 0)
        return self._find(line, col, value, column) or (line, col)

    def _one_line(self, line: int, col: int, value: str) -> bool:
        lines = self.text.splitlines()
        return not lines or (line <= len(lines) and len(lines[line - 1]) >= col - 1 + len(value))

    def _find(self, line: int, col: int, value: str, column: int) -> tuple[int, int] | None:
        """The token at ``column`` of ``value`` located in the file after (line, col)."""
        index = min(max(column - 1, 0), max(len(value) - 1, 0))
        match = next((m for m in re.finditer(r"\w+|\S", value) if m.start() <= index < m.end()), None)
        if match is None:
            return None
        before = len(re.findall(re.escape(match.group()), value[: match.start()]))
        lines = self.text.splitlines(keepends=True)
        start = sum(len(x) for x in lines[: line - 1]) + col - 1
        hits = [m.start() for m in re.finditer(re.escape(match.group()), self.text[start:])]
        if len(hits) <= before:
            return None
        offset = start + hits[before]
        found_line = self.text.count("\n", 0, offset) + 1
        return found_line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

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
        text = read_regular(path).decode("utf-8")
    except NotRegular as exc:
        raise SpecError(f"cannot read the file: it is {exc.kind}", file=printable(str(path))) from None
    except ValueError as exc:  # a NUL in the path; UnicodeDecodeError is a ValueError too
        reason = exc.__class__.__name__ if isinstance(exc, UnicodeDecodeError) else "a NUL in the path"
        raise SpecError(f"cannot read the file ({reason})", file=repr(str(path))[1:-1]) from None
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.__class__.__name__})", file=str(path)) from None
    return parse_yaml(text, printable(str(path)))  # the name is shown in every report: escaped


def _nearby(path: Path) -> str:
    """"; did you mean `specs/a.yaml`?" for a file of a close name in the same folder (a typo,
    .yml for .yaml), or a word on a folder that does not exist either."""
    try:
        folder = path.parent
        if not folder.is_dir():
            return f" (the folder {printable(str(folder))} does not exist either)"
        names = [entry.name for entry in folder.iterdir()][:10_000]
    except (OSError, ValueError):
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return f"; did you mean {printable(str(folder / close[0]))}?" if close else ""


class NotRegular(OSError):
    """A path that names something other than a regular file; ``kind`` says what, in words."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file, in words, found without opening it: "no such file
    or directory", or "it is a FIFO (named pipe), not a regular file" (a directory, a device
    such as /dev/zero, a socket); None for a regular file (or a link to one)."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return "no such file or directory" + _nearby(path)
    kind = _kind(mode)
    return None if kind is None else f"it is {kind}, not a regular file"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device (like /dev/zero)"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file at ``path``. Anything else is refused before a byte is read:
    a FIFO would block until someone writes, /dev/zero never ends. The file is opened without
    blocking and checked through its descriptor, so it cannot be swapped after the check.

    Raises:
        NotRegular: with what it is instead; OSError: it cannot be opened; ValueError: a NUL in
            the path.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegular(kind)
        os.set_blocking(fd, True)
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with file:
        return file.read()


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Like ``load_yaml`` for text already in memory; ``file`` names it in errors."""
    source = SourceMap(file, text=text)
    try:
        loader = _DepthLimitedLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character, found before any parsing
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        message = f"the control character U+{exc.character:04X} is not allowed in YAML; remove it"
        raise SpecError(message, file=file, line=line, column=column) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty; a spec needs at least `network` and `loss`", file=file)
        builder = _Builder(loader, source)
        builder.check_size(node)
        data = builder.build(node, ())
    except _TooDeep as exc:
        message = f"lists and mappings are nested more than {MAX_DEPTH} deep; flatten the document"
        raise SpecError(message, file=file, line=exc.mark.line + 1, column=exc.mark.column + 1) from None
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


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [value for _, value in node.value]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _DepthLimitedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses nesting deeper than ``MAX_DEPTH`` before it recurses further.

    Flow brackets are counted as they are scanned: the scanner's work per bracket grows with
    the nesting, so 100,000 ``[`` would take minutes before the composer saw the first node.
    """

    depth = 0

    def fetch_flow_collection_start(self, TokenClass: type[yaml.Token]) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep(self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, source: SourceMap) -> None:
        self.loader = loader
        self.source = source
        self.count = 0

    def check_size(self, root: yaml.Node) -> None:
        """Refuse a document that aliases expand beyond ``MAX_NODES``, measured without building
        it: a node's size is counted once however often it is aliased (a billion laughs is ten
        nodes of ten aliases each), then the error points at the first node too large."""
        sizes: dict[int, int] = {}
        opened: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            children = _children(node)
            if ready:  # a child still open is a cycle: `build` refuses it by its depth
                sizes[id(node)] = min(1 + sum(sizes.get(id(c), 1) for c in children), MAX_NODES + 1)
            elif id(node) not in sizes and id(node) not in opened:
                opened.add(id(node))
                stack += [(node, True), *((c, False) for c in children)]
        node = root
        while sizes[id(node)] > MAX_NODES:
            larger = next((c for c in _children(node) if sizes.get(id(c), 0) > MAX_NODES), None)
            if larger is None:
                raise self._error(node, f"the document expands to more than {MAX_NODES} nodes")
            node = larger

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(node, f"the document expands to more than {MAX_NODES} nodes")
        if len(loc) > MAX_DEPTH:  # only aliases get here: the text's own nesting is refused earlier
            message = (f"aliases nest lists and mappings more than {MAX_DEPTH} deep; "
                       "an alias must not refer to a list or mapping that contains it")
            raise self._error(node, message)
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
        """A scalar of one of the ``SCALAR_TAGS``, built by the SafeLoader: any other tag (a
        Python object, ``!!binary``, a tag of one's own) is refused before it is built, and a
        value its tag cannot read (``!!int squared_error``) is refused at its place."""
        short = node.tag.removeprefix(_YAML_TAG)
        if short not in SCALAR_TAGS:
            raise self._error(node, f"the tag `{node.tag}` is not allowed in a spec")
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError,
                yaml.constructor.ConstructorError):
            # PyYAML's constructors assume the value matches its tag; an explicit tag puts any
            # text there (int() of a name, a dict lookup of `maybe`, a regex match of None);
            # an implicit int of more digits than Python converts lands here too
            text = str(node.value)
            shown = printable(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")
            if short == "int" and re.fullmatch(r"[-+]?[0-9_]+", text):
                message = f"`{shown}` is a number of {len(text)} digits, too long to read"
            else:
                message = f"`{shown}` is not a valid `!!{short}` value"
            raise self._error(node, message) from None

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
