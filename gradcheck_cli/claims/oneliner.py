"""`gradcheck expr`: one question from command-line options (``--var A=2x3`` …)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from gradcheck_cli.choices import PROPERTIES, Layout
from gradcheck_cli.claims.points import check as check_assumptions
from gradcheck_cli.claims.question import Question
from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr, declared_shape
from gradcheck_cli.spec.sheet_models import MAX_DIMENSION

NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
SIZES = re.compile(r"(scalar|\d+(x\d+)?)\Z")


def question(
    f: str,
    *,
    wrt: str,
    variables: Sequence[str],
    lets: Sequence[str] = (),
    assume: Sequence[str] = (),
    layout: Layout = "gradient",
    claim: str | None = None,
) -> Question:
    """Compile the options of ``gradcheck expr`` into a Question.

    Raises:
        GradcheckError: a malformed option, with the option named; an expression error with
            its column.
    """
    shapes: dict[str, Shape] = {}
    for text in variables:
        name, shape = _variable(text)
        if name in shapes:  # not last-wins: which size was meant is the user's to say
            raise GradcheckError(f"--var {text!r}: `{name}` is declared twice; give each variable one --var")
        shapes[name] = shape
    if wrt not in shapes:
        let_names = [text.partition("=")[0].strip() for text in lets]
        if wrt in let_names:
            raise GradcheckError(
                f"--wrt {wrt}: `{wrt}` is a named sub-expression (--let), not a variable; differentiate "
                f"by a variable it is made of ({', '.join(shapes) or 'declare one with --var'}), or declare "
                f"`{wrt}` with --var and write f in terms of it")
        hint = did_you_mean(wrt, shapes) or f"declare it with --var {wrt}=SIZES (e.g. {wrt}=3)"
        raise GradcheckError(f"--wrt {wrt}: not a declared variable", hint=hint)
    props: dict[str, tuple[str, ...]] = {}
    for text in assume:
        name, found = _assumption(text, shapes)
        props[name] = (*props.get(name, ()), *found)
    compiled: dict[str, Expr] = {}
    for text in lets:
        name, _, body = text.partition("=")
        if not NAME.match(name.strip()) or not body.strip():
            raise GradcheckError(f"--let {text!r}: write NAME=EXPRESSION, e.g. --let z='A @ x'")
        if name.strip() in compiled:
            raise GradcheckError(f"--let {text!r}: `{name.strip()}` is defined twice; give each --let once")
        compiled[name.strip()] = _compile(f"--let {name.strip()}", body.strip(), shapes, compiled)
    f_expr = _compile("f", f, shapes, compiled)
    claimed, claim_error = _claim(claim, shapes, compiled) if claim is not None else (None, None)
    return Question("expr", shapes, f_expr, wrt, layout, claimed, props, lets=compiled,
                    claim_error=claim_error)


def _variable(text: str) -> tuple[str, Shape]:
    name, _, sizes = text.partition("=")
    name, sizes = name.strip(), sizes.strip().lower()
    if not NAME.match(name) or not SIZES.match(sizes):
        raise GradcheckError(
            f"--var {text!r}: write NAME=SIZES with SIZES `scalar`, `n` or `mxn`, e.g. --var A=2x3"
        )
    dims = [] if sizes == "scalar" else [int(d) for d in sizes.split("x")]
    if any(d < 1 or d > MAX_DIMENSION for d in dims):
        raise GradcheckError(f"--var {text!r}: sizes run from 1 to {MAX_DIMENSION}")
    return name, declared_shape(dims)


def _assumption(text: str, shapes: dict[str, Shape]) -> tuple[str, tuple[str, ...]]:
    name, _, listed = text.partition(":")
    found = tuple(p.strip() for p in listed.split(",") if p.strip())
    if not found or not name:
        raise GradcheckError(
            f"--assume {text!r}: write VARIABLE:PROPERTY[,PROPERTY], e.g. --assume A:symmetric"
        )
    if name not in shapes:
        hint = did_you_mean(name, shapes) or f"declare it first with --var {name}=SIZES"
        raise GradcheckError(f"--assume {text!r}: `{name}` is not a declared variable", hint=hint)
    for prop in found:
        if prop not in PROPERTIES:
            raise GradcheckError(f"--assume {text!r}: unknown property `{prop}`",
                                 hint=did_you_mean(prop, PROPERTIES) or f"known: {', '.join(PROPERTIES)}")
    check_assumptions(name, shapes[name], found)
    return name, found


def _compile(what: str, text: str, shapes: dict[str, Shape], lets: dict[str, Expr]) -> Expr:
    try:
        return compile_expr(text, shapes, lets)
    except ExprError as exc:
        raise _option_error(what, exc) from None


def _claim(text: str, shapes: dict[str, Shape],
           lets: dict[str, Expr]) -> tuple[Expr | None, ExprError | None]:
    """The compiled claim, or the shape error of a claim that does not type-check (a wrong
    answer, judged ``incorrect``); any other mistake in it is an error of the input."""
    try:
        return compile_expr(text, shapes, lets), None
    except ExprError as exc:
        if exc.kind != "shape":
            raise _option_error("--claim", exc) from None
        return None, exc


def _option_error(what: str, error: ExprError) -> GradcheckError:
    return GradcheckError(f"{what}: {error.message}", hint=error.hint)
