"""The matrix-calculus engine: derivatives in matrix form, in the user's own notation.

``derive`` differentiates f with respect to a scalar, vector or matrix variable symbolically in
matrix form (independent of the declared sizes) and returns the answer as an expression of the
language — printed, pasted back as a claim, and evaluated like any other. ``canonical`` puts any
compiled expression in the same canonical form, so a claim is proved by comparing forms.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr
from gradcheck_cli.expr.nodes import Call
from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.matrix.algebra import Poly, TooLarge, Unsupported
from gradcheck_cli.matrix.calculus import gradient, jacobian
from gradcheck_cli.matrix.convert import Converter
from gradcheck_cli.matrix.printer import Printer
from gradcheck_cli.matrix.simplify import assume, simplify

#: What the engine may fail with: no matrix-form rule, or an expansion that grew too large.
Failure = (Unsupported, TooLarge, RecursionError, ZeroDivisionError)


@dataclass(frozen=True)
class Facts:
    """Assumptions the canonical form may use as rewrite facts."""

    symmetric: frozenset[str] = frozenset()
    unit_sum: frozenset[str] = frozenset()

    @classmethod
    def of(cls, declared: Mapping[str, Collection[str]]) -> Facts:
        sym = {n for n, props in declared.items() if {"symmetric", "positive_definite"} & set(props)}
        unit = {n for n, props in declared.items() if {"onehot", "probability"} & set(props)}
        return cls(frozenset(sym), frozenset(unit))


@dataclass(frozen=True)
class Answer:
    """A derivative in matrix form: canonical, as text of the language, as LaTeX, compiled."""

    poly: Poly
    text: str
    latex: str
    expr: Expr
    #: the same through the δ recursion: (δ name, its definition) in order, then the answer
    steps: tuple[tuple[str, str], ...] = ()
    short: str = ""


#: The prefix of the name of a let's adjoint, ∂f/∂(let): δz1 for the let z1.
DELTA = "δ"

#: An adjoint this small is written out where it is used, not named.
INLINE_ATOMS = 1


def canonical(expr: Expr, facts: Facts = Facts()) -> Poly:
    """The canonical form of a compiled expression under the facts.

    Raises:
        Unsupported, TooLarge: no canonical form here (callers fall back).
    """
    return normal(Converter()(expr), facts)


def normal(p: Poly, facts: Facts) -> Poly:
    return simplify(assume(simplify(p), facts.symmetric, facts.unit_sum))


def derivative(f: Expr, wrt: str, variables: Mapping[str, Shape], layout: str,
               facts: Facts = Facts()) -> Poly:
    """∂f/∂wrt in matrix form, laid out as ``layout`` (gradient: the variable's shape for a
    scalar f, n × p for a p-vector f; jacobian: the transpose).

    Raises:
        Unsupported, TooLarge: the engine has no matrix form here.
    """
    value = Converter()
    shape = variables[wrt]
    if f.shape == (1, 1):
        grad = gradient(f, wrt, shape, value)
        laid = grad if layout == "gradient" else al.transpose(grad)
    elif 1 in f.shape:
        jac = jacobian(f, wrt, shape, value)
        laid = jac if layout == "jacobian" else al.transpose(jac)
    else:
        raise Unsupported("f is a matrix")
    return normal(laid, facts)


def derive(f: Expr, wrt: str, variables: Mapping[str, Shape], layout: str,
           facts: Facts = Facts(), lets: Mapping[str, Expr] | None = None) -> Answer | None:
    """The answer in matrix form, or None when the engine has no matrix form for f."""
    try:
        poly = derivative(f, wrt, variables, layout, facts)
        named = let_names(lets or {}, facts)
        text = Printer(named).text(poly)
        latex = Printer(named, latex=True).text(poly)
        compiled = compile_expr(text, variables, lets or {})
        steps, short = deltas(f, wrt, variables, layout, facts, lets or {}, named)
    except Failure:
        return None
    except ExprError:
        return None
    return Answer(poly, text, latex, compiled, steps, short)


def deltas(f: Expr, wrt: str, variables: Mapping[str, Shape], layout: str, facts: Facts,
           lets: Mapping[str, Expr], named: Mapping[Poly, str]) -> tuple[tuple[tuple[str, str], ...], str]:
    """The derivative through the δ recursion: each let's adjoint that is not small is named
    δ<let> (δz1 = ∂f/∂z1) and used by name below it, as the course notes write backpropagation."""
    if f.shape != (1, 1) or not lets:
        return (), ""
    # δ at the lets that are not a function of another (z = W a + b, not a = tanh(z)): the notes'
    # δ = ∂L/∂z; an activation's adjoint flows on into the next δ, where it can cancel (σ − y).
    bodies = {id(body): name for name, body in lets.items() if not isinstance(body, Call)}
    found: list[tuple[str, Poly]] = []

    def name_it(node: Expr, g: Poly) -> Poly:
        let = bodies.get(id(node))
        if let is None:
            return g
        g = normal(g, facts)
        atoms = sum(len(m.scalars) + sum(len(f) for f in m.chain) for m in g.terms)
        if len(g.terms) <= 1 and atoms <= INLINE_ATOMS:
            return g
        found.append((DELTA + let, g))
        return al.atom(al.Leaf(g.shape, DELTA + let))

    grad = gradient(f, wrt, variables[wrt], Converter(), name_it)
    laid = grad if layout == "gradient" else al.transpose(grad)
    printer = Printer(named)
    steps = tuple((name, printer.text(definition)) for name, definition in found)
    return steps, printer.text(normal(laid, facts))


def let_names(lets: Mapping[str, Expr], facts: Facts) -> dict[Poly, str]:
    """Each let's canonical form → its name, and its transpose → ``name.T`` (so answers speak
    in the user's names)."""
    named: dict[Poly, str] = {}
    for name, body in lets.items():
        try:
            form = canonical(body, facts)
            named.setdefault(form, name)
            if form.shape != (1, 1):
                named.setdefault(al.transpose(form), f"{name}.T")
        except Failure:
            continue
    return named


__all__ = ["Answer", "Facts", "Failure", "canonical", "derivative", "derive"]
