"""Compile an expression written in a spec file; an error points at its place in the file."""

from __future__ import annotations

from collections.abc import Mapping

from gradcheck_cli.errors import SpecError
from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr
from gradcheck_cli.spec.source import Loc, SourceMap


def compile_at(
    text: str, shapes: Mapping[str, Shape], lets: Mapping[str, Expr], source: SourceMap, loc: Loc
) -> Expr:
    """``compile_expr`` for the string value at ``loc``.

    Raises:
        SpecError: with the file, and the line and column of the offending character.
    """
    try:
        return compile_expr(text, shapes, lets)
    except ExprError as exc:
        raise in_file(exc, text, source, loc) from None


def in_file(error: ExprError, text: str, source: SourceMap, loc: Loc) -> SpecError:
    """``error`` of the expression ``text`` at ``loc``, placed at the file's line and column."""
    line, column = source.text_position(loc, error.column or 1, text)
    return SpecError(error.message, file=source.file, line=line, column=column, hint=error.hint)
