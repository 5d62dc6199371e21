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
        line, column = source.text_position(loc, exc.column or 1, text)
        raise SpecError(exc.message, file=source.file, line=line, column=column, hint=exc.hint) from None
