"""A question: variables with shapes and assumptions, f, the variable to differentiate by, and
the claimed derivative — all compiled, ready to judge."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from gradcheck_cli.choices import Layout
from gradcheck_cli.claims.layout import derivative, other
from gradcheck_cli.expr import Expr, ExprError, Shape, to_sympy, variable_symbols


@dataclass(frozen=True)
class Question:
    name: str
    variables: Mapping[str, Shape]
    f: Expr
    wrt: str
    layout: Layout = "gradient"
    claimed: Expr | None = None
    assume: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    points: float | None = None
    #: the named sub-expressions, in the order they were defined
    lets: Mapping[str, Expr] = field(default_factory=dict)
    #: the claim did not type-check (``claimed`` is then None): judged incorrect, kind ``shape``
    claim_error: ExprError | None = None


@dataclass(frozen=True)
class Derived:
    """The symbols of every variable, f, the truth in both layouts and the claim, in SymPy."""

    symbols: Mapping[str, sp.Matrix]
    truth: sp.Matrix
    other_truth: sp.Matrix
    claim: sp.Matrix | None
    #: f itself: a point where it is not finite (log of 0, say) says nothing about its derivative
    f: sp.Matrix | None = None


def derive(question: Question) -> Derived:
    """Differentiate f entry by entry (SymPy) at the declared dimensions."""
    symbols = {name: variable_symbols(name, shape) for name, shape in question.variables.items()}
    F = to_sympy(question.f, symbols)
    v = symbols[question.wrt]
    truth = derivative(F, v, question.layout)
    other_truth = derivative(F, v, other(question.layout))
    return with_claim(Derived(symbols, truth, other_truth, None, F), question)


def with_claim(derived: Derived, question: Question) -> Derived:
    """``derived`` (the truth of ``question``'s f, derived once) with ``question``'s claim."""
    claim = to_sympy(question.claimed, derived.symbols) if question.claimed is not None else None
    return dataclasses.replace(derived, claim=claim)
