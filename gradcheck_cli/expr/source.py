"""The text of an expression: limits checked before parsing, ``ast.parse``, and columns.

Columns are 1-based character positions in the whole text (a line break counts as one
character), whatever the encoding: ``ast`` reports UTF-8 byte offsets, converted here. The
power ``^`` is rewritten to ``**`` before parsing (Python's ``^`` is XOR and binds looser than
``+``), and columns still point at what the user wrote.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings

from gradcheck_cli.expr.limits import MAX_AST_NODES, MAX_DEPTH, MAX_TEXT_LENGTH
from gradcheck_cli.expr.nodes import ExprError, located, quote

OPENING = "([{"
CLOSING = ")]}"
#: Characters ``str.splitlines`` breaks at, each replaced by one space before parsing.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


class Source:
    """An expression's text, with conversions from ``ast`` positions to 1-based columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        #: What is parsed: line breaks become spaces (a formula may be wrapped over lines, as in
        #: a YAML block, and every character keeps its column), leading blanks are skipped
        #: (``ast`` would call them an indentation error), and the power ``^`` is spelt ``**``.
        flat = "".join(" " if char in LINE_BREAKS else char for char in text)
        body = flat.lstrip()
        skipped = len(flat) - len(body)
        carets = caret_operators(body) if len(text) <= MAX_TEXT_LENGTH else []
        #: ``origin[k]``: the index in ``text`` of the k-th character of ``body`` (one more
        #: entry, for the end); both stars of a rewritten ``^`` point at the ``^``.
        self.origin = list(range(skipped, len(text) + 1))
        for k in reversed(carets):
            body = body[:k] + "**" + body[k + 1 :]
            self.origin.insert(k, skipped + k)
        self.body = body
        self.encoded = body.encode("utf-8")

    def index(self, byte_offset: int) -> int:
        """0-based character index in ``text`` of an ``ast`` position (a UTF-8 byte offset)."""
        return self.at(len(self.encoded[:byte_offset].decode("utf-8", errors="ignore")))

    def at(self, position: int) -> int:
        """0-based character index in ``text`` of a character index in ``body`` (clamped)."""
        return self.origin[min(max(position, 0), len(self.origin) - 1)]

    def start(self, node: ast.expr | ast.keyword) -> int:
        """0-based index of the first character of a node."""
        return self.index(node.col_offset)

    def end(self, node: ast.expr | ast.keyword) -> int:
        """0-based index just past the last character of a node."""
        return self.index(node.col_offset if node.end_col_offset is None else node.end_col_offset)

    def column(self, node: ast.expr | ast.keyword) -> int:
        """1-based column of a node."""
        return self.start(node) + 1

    def segment(self, node: ast.expr | ast.keyword) -> str:
        """The text of a node."""
        return self.text[self.start(node) : self.end(node)]

    def operator_column(self, node: ast.BinOp, symbol: str) -> int:
        """1-based column of a binary operator, found between its two operands (``**`` may be
        written ``^``)."""
        gap_start, gap_end = self.end(node.left), self.start(node.right)
        spellings = ("**", "^") if symbol == "**" else (symbol,)
        found = [i for i in (self.text.find(s, gap_start, gap_end) for s in spellings) if i >= 0]
        return (min(found) if found else self.start(node)) + 1

    def error(self, column: int, problem: str, *, hint: str | None = None) -> ExprError:
        """An error about the whole text, at a column."""
        return located(self.text, column, problem, hint=hint)


def caret_operators(body: str) -> list[int]:
    """Where ``body`` has the operator ``^`` (a power in this language, which has no XOR), found
    by Python's tokenizer so that a ``^`` inside a string is left alone. Text the tokenizer gives
    up on is left as it is, for ``ast.parse`` to report at its column."""
    if "^" not in body:
        return []
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(body).readline):
            if token.type == tokenize.OP and token.string == "^":
                found.append(token.start[1])
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return found


def check_text(source: Source) -> None:
    """Refuse empty, over-long or over-nested text, and comments, before parsing it."""
    text = source.text
    if not text.strip():
        raise ExprError("the expression is empty; write a formula such as `2 * A @ x`", column=1)
    if len(text) > MAX_TEXT_LENGTH:
        raise source.error(1, f"the expression is {len(text):,} characters long, over the limit "
                              f"of {MAX_TEXT_LENGTH:,}; split it into named sub-expressions")
    if "#" in text:
        raise source.error(text.index("#") + 1, "`#` starts a comment, which expressions cannot have")
    depth = 0
    for position, char in enumerate(text):
        depth += (char in OPENING) - (char in CLOSING)
        if depth > MAX_DEPTH:
            raise source.error(position + 1, f"brackets are nested more than {MAX_DEPTH} deep")


def parse(source: Source) -> ast.Expression:
    """``ast.parse`` in eval mode (parsing only: nothing is compiled or run), then size checks."""
    check_text(source)
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like: refused anyway
            warnings.simplefilter("ignore")
            tree = ast.parse(source.body, mode="eval")
    except SyntaxError as error:
        raise syntax_error(source, error) from None
    except (RecursionError, MemoryError):
        raise source.error(1, "the expression is nested too deeply to parse") from None
    except (ValueError, OverflowError) as error:
        raise source.error(1, f"this expression cannot be parsed ({type(error).__name__})") from None
    check_tree(source, tree)
    return tree


def check_tree(source: Source, tree: ast.Expression) -> None:
    """Refuse trees with too many nodes or too deep, walking iteratively (no recursion)."""
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        where = source.column(node) if isinstance(node, (ast.expr, ast.keyword)) else 1
        if count > MAX_AST_NODES:
            raise source.error(where, f"the expression has more than {MAX_AST_NODES:,} parts")
        if depth > MAX_DEPTH:
            raise source.error(where, f"the expression is nested more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                     if isinstance(child, (ast.expr, ast.keyword, ast.comprehension, ast.arguments)))


#: Characters of handwritten or typeset math that Python cannot read, and what to write instead.
CHARACTER_HINTS = {
    "²": "for a power write `x**2` or `x^2`", "³": "for a power write `x**3` or `x^3`",
    "·": "for a product write `*` (entrywise) or `@` (matrix product)",
    "×": "for a product write `*` (entrywise) or `@` (matrix product)",
    "−": "write the minus sign as `-`", "÷": "for a quotient write `/`",
    "′": "for a transpose write `.T`, as in `x.T`",
}


def character_hint(text: str, index: int) -> str | None:
    """What to write for the character at ``index`` where Python gave up: a prime ``x'`` (a
    transpose in MATLAB and on paper), a typeset ``²``, ``·``, ``×``, ``−``."""
    char = text[index] if 0 <= index < len(text) else ""
    before = text[index - 1] if index > 0 else ""
    if char == "'" and (before.isalnum() or before in ")]_"):
        return f"for a transpose write `{operand_before(text, index)}.T`; `'` starts a string"
    return CHARACTER_HINTS.get(char)


def operand_before(text: str, index: int) -> str:
    """The name or the bracketed group that ends just before ``index``: ``x`` in ``x'``,
    ``(A @ x)`` in ``(A @ x)'``."""
    if text[index - 1] not in ")]":
        name = re.search(r"\w+$", text[:index])
        return name.group() if name else "x"
    depth = 0
    for start in range(index - 1, -1, -1):
        depth += (text[start] in ")]") - (text[start] in "([")
        if depth == 0:  # and the name called or indexed, if any: exp(x)', x[0]'
            callee = re.search(r"[\w.]*$", text[:start])
            return quote(text[start - len(callee.group()) if callee else start : index])
    return "x"


def syntax_error(source: Source, error: SyntaxError) -> ExprError:
    """Python's complaint, at its column; an offset of 0 means the text ended too early."""
    reason = (error.msg or "invalid syntax").split(". Perhaps")[0]
    if not error.offset:
        column = len(source.text.rstrip()) + 1
        return source.error(column, f"the expression ends too early ({reason}); is an operand missing?")
    column = source.at(error.offset - 1) + 1
    hint = character_hint(source.text, column - 1)
    if hint is None and "decimal literal" in reason:
        hint = "for a product write `*`, as in `2 * x`"
    return source.error(column, f"this is not a valid expression ({reason})", hint=hint)
