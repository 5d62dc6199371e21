"""Rewrites of a canonical sum: assumptions as facts, and entrywise fractions cancelled.

Entrywise products commute, so the entrywise part of a sum (the terms that are not matrix
products, or the varying last factor of products that share the rest) is a rational function
of its atoms: SymPy's ``cancel`` puts it in lowest terms — ``-y/s + (1 - y)/(1 - s)`` times
``s (1 - s)`` becomes ``s - y`` — and the result is read back as a canonical sum.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from fractions import Fraction
from typing import Any

import sympy as sp

from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.matrix.algebra import Atom, Const, Fn, Group, Leaf, Mono, Poly, Tr

AtomMap = Callable[[Atom], Poly]


def rebuild(p: Poly, mapping: AtomMap) -> Poly:
    """``p`` with every atom replaced by ``mapping(atom)`` (inner sums rebuilt first)."""
    out = al.zero(p.shape)
    for m in p.terms:
        out = al.add(out, rebuild_mono(m, p.shape, mapping))
    return al.with_shape(out, p.shape) if out.shape != p.shape else out


def rebuild_mono(m: Mono, shape: tuple[int, int], mapping: AtomMap) -> Poly:
    value = al.const(m.coef)
    for at, exp in m.scalars:
        value = al.hadamard(value, al.power(mapped(at, mapping), exp))
    if not m.chain:
        return al.with_shape(value, shape)
    product: Poly | None = None
    for f in m.chain:
        part = al.ones(al.factor_shape(f))
        for at, exp in f:
            part = al.hadamard(part, al.power(mapped(at, mapping), exp))
        product = part if product is None else al.matmul(product, part)
    assert product is not None
    return al.hadamard(value, product)


def mapped(at: Atom, mapping: AtomMap) -> Poly:
    """An atom with its inner sums rebuilt, then mapped."""
    inner: Atom = at
    if isinstance(at, Fn):
        args = tuple(rebuild(a, mapping) for a in at.args)
        rebuilt = al.call(at.name, args, at.shape, at.axis, at.sizes)
        if len(rebuilt.terms) != 1 or rebuilt.terms[0].coef != 1:
            return rebuilt
        inner_atom = single_atom(rebuilt)
        if inner_atom is None:
            return rebuilt
        inner = inner_atom
    elif isinstance(at, Group):
        return rebuild(at.poly, mapping)
    elif isinstance(at, Tr):
        return al.transpose(mapped(at.inner, mapping))
    return mapping(inner)


def single_atom(p: Poly) -> Atom | None:
    if len(p.terms) != 1:
        return None
    m = p.terms[0]
    pairs = (*m.scalars, *(m.chain[0] if len(m.chain) == 1 else ()))
    if m.coef != 1 or len(m.chain) > 1 or len(pairs) != 1 or pairs[0][1] != 1:
        return None
    return pairs[0][0]


def assume(p: Poly, symmetric: Collection[str], unit_sum: Collection[str]) -> Poly:
    """Facts: Aᵀ = A for a symmetric A; sum(y) = 1 for a one-hot or probability vector y."""
    if not symmetric and not unit_sum:
        return p

    def fact(at: Atom) -> Poly:
        if isinstance(at, Fn) and at.name == "sum" and at.axis is None:
            leaf = single_atom(at.args[0])
            if isinstance(leaf, Leaf) and leaf.name in unit_sum:
                return al.const(1)
        return al.atom(at)

    if symmetric:
        p = _replace_transposes(p, set(symmetric))
    return rebuild(p, fact)


def _replace_transposes(p: Poly, symmetric: set[str]) -> Poly:
    """The sum with Aᵀ (and inv(A)ᵀ) written A (inv(A)) for every symmetric A among its terms."""
    monos = []
    for m in p.terms:
        chain = tuple(al.merge(tuple((_untr(at, symmetric), exp) for at, exp in f), ()) for f in m.chain)
        scalars = al.merge(tuple((_untr(at, symmetric), exp) for at, exp in m.scalars), ())
        monos.append(Mono(m.coef, scalars, chain))
    return rebuild(al.poly(p.shape, monos), al.atom)


def _untr(at: Atom, symmetric: set[str]) -> Atom:
    if isinstance(at, Tr) and isinstance(at.inner, Leaf) and at.inner.name in symmetric:
        return at.inner
    if isinstance(at, Tr) and isinstance(at.inner, Fn) and at.inner.name == "inv":
        arg = single_atom(at.inner.args[0])
        if isinstance(arg, Leaf) and arg.name in symmetric:
            return at.inner
    return at


# ---------------------------------------------------------------- entrywise cancellation


class Symbols:
    """Atoms ↔ commuting SymPy symbols (sums kept whole are expanded into their atoms)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[Any, ...], sp.Symbol] = {}
        self.atoms: dict[sp.Symbol, Atom] = {}

    def symbol(self, at: Atom) -> sp.Expr:
        if isinstance(at, Group) and all(len(m.chain) <= 1 for m in at.poly.terms):
            return self.expression(list(at.poly.terms))
        key = at.key()
        found = self.by_key.get(key)
        if found is None:
            found = sp.Symbol(f"a{len(self.by_key)}", commutative=True)
            self.by_key[key] = found
            self.atoms[found] = at
        return found

    def expression(self, monos: list[Mono], last: bool = False) -> sp.Expr:
        """Σ coef · scalars · (entrywise factor) of the terms (the last chain factor when ``last``)."""
        total = sp.Integer(0)
        for m in monos:
            term: sp.Expr = sp.Rational(m.coef.numerator, m.coef.denominator)
            pairs = list(m.scalars)
            if m.chain:
                pairs += list(m.chain[-1] if last else m.chain[0])
            for at, exp in pairs:
                term *= self.symbol(at) ** sp.Rational(exp.numerator, exp.denominator)
            total += term
        return total

    def back(self, expr: sp.Expr, shape: tuple[int, int]) -> Poly:
        """A SymPy expression over the symbols as a canonical sum of ``shape``."""
        numerator, denominator = sp.fraction(sp.factor_terms(expr))
        top = self.polynomial(sp.expand(numerator), shape)
        if denominator == 1:
            return top
        below = self.polynomial(sp.expand(denominator), shape)
        return al.hadamard(top, al.power(below, -1))

    def polynomial(self, expr: sp.Expr, shape: tuple[int, int]) -> Poly:
        out = al.zero(shape)
        for term in sp.Add.make_args(expr):
            coef, rest = term.as_coeff_Mul()
            value = al.const(Fraction(int(sp.numer(coef)), int(sp.denom(coef))), shape)
            for base, exp in rest.as_powers_dict().items():
                if base == 1:
                    continue
                at = self.atoms.get(base)
                if at is None or not exp.is_Rational:
                    raise al.Unsupported("a cancellation produced an unknown factor")
                value = al.hadamard(value, al.power(al.atom(at), Fraction(int(exp.p), int(exp.q))))
            out = al.add(out, value)
        return al.with_shape(out, shape) if out.shape != shape else out


def has_fraction(monos: list[Mono]) -> bool:
    return any(exp < 0 and (isinstance(at, Group) or not isinstance(at, (Leaf, Const)))
               for m in monos for f in (m.scalars, *m.chain) for at, exp in f)


def cancel(p: Poly) -> Poly:
    """The entrywise fractions of ``p`` in lowest terms (see the module docstring)."""
    if not has_fraction(list(p.terms)):
        return p
    entrywise = [m for m in p.terms if len(m.chain) <= 1]
    products = [m for m in p.terms if len(m.chain) > 1]
    out = al.zero(p.shape)
    if entrywise:
        out = al.add(out, lowest(entrywise, p.shape))
    prefixes: dict[tuple[Any, ...], list[Mono]] = {}
    for m in products:
        prefixes.setdefault(tuple(al.factor_key(f) for f in m.chain[:-1]), []).append(m)
    for members in prefixes.values():
        head = Poly(p.shape, (Mono(Fraction(1), (), members[0].chain[:-1]),))
        head_shape = (p.shape[0], al.factor_shape(members[0].chain[-2])[1])
        head = al.poly(head_shape, [Mono(Fraction(1), (), members[0].chain[:-1])])
        tail_shape = (head_shape[1], p.shape[1])
        tails = [Mono(m.coef, m.scalars, (m.chain[-1],)) for m in members]
        out = al.add(out, al.matmul(head, lowest(tails, tail_shape)))
    return al.with_shape(out, p.shape) if out.shape != p.shape else out


def lowest(monos: list[Mono], shape: tuple[int, int]) -> Poly:
    if not has_fraction(monos):
        return al.poly(shape, monos)
    symbols = Symbols()
    expr = symbols.expression(monos)
    return symbols.back(sp.cancel(expr), shape)


def simplify(p: Poly) -> Poly:
    """Cancel entrywise fractions, inside function arguments too; logistic fractions and signs
    folded."""
    return fold_sign(fold_logistic(cancel(rebuild(p, al.atom))))


def fold_sign(p: Poly) -> Poly:
    """|u|ⁿ ⊙ sign(u) = |u|ⁿ⁻¹ ⊙ u and uⁿ ⊙ sign(u) = uⁿ⁻¹ ⊙ |u| (n ≥ 1) in every entrywise
    product: the derivative of x ⊙ |x| is |x| + x ⊙ sign(x), which a person writes 2|x|."""
    return _per_factor(p, _sign_folded)


def _sign_folded(factor: al.Factor) -> al.Factor:
    powers = list(factor)
    for j, (sign, e) in enumerate(powers):
        if e != 1 or not isinstance(sign, Fn) or sign.name != "sign":
            continue
        (u,) = sign.args
        value = single_atom(u) or Group(sign.shape, u)
        magnitude: Atom = Fn(sign.shape, "abs", (u,))
        for k, (at, exp) in enumerate(powers):
            swap: al.Factor
            if k == j or exp < 1 or exp.denominator != 1:
                continue
            if at.key() == magnitude.key():  # |u|ⁿ sign(u) = |u|ⁿ⁻¹ u
                swap = ((magnitude, exp - 1), (value, Fraction(1)))
            elif at.key() == value.key():  # uⁿ sign(u) = uⁿ⁻¹ |u|
                swap = ((value, exp - 1), (magnitude, Fraction(1)))
            else:
                continue
            rest = tuple(pair for i, pair in enumerate(powers) if i not in (j, k))
            return _sign_folded(al.merge(rest, swap))
    return factor


def fold_logistic(p: Poly) -> Poly:
    """e^u / (1 + e^u) = σ(u) and 1 / (1 + e^{−u}) = σ(u) in every entrywise product: the
    derivative of log(1 + e^u) written as the σ a person writes."""
    return _per_factor(p, _folded)


def _folded(factor: al.Factor) -> al.Factor:
    powers = list(factor)
    for k, (at, exp) in enumerate(powers):
        if not isinstance(at, Group) or exp != -1:
            continue
        u = _logistic_argument(at.poly)
        if u is None:
            continue
        sigmoid = Fn(at.shape, "sigmoid", (u,))
        top = next((j for j, (other, e) in enumerate(powers)
                    if e == 1 and isinstance(other, Fn) and other.name == "exp" and other.args[0] == u), None)
        if top is not None:  # e^u / (1 + e^u)
            rest = [pair for j, pair in enumerate(powers) if j not in (k, top)]
            return al.merge(tuple(rest), ((sigmoid, Fraction(1)),))
    for k, (at, exp) in enumerate(powers):
        if isinstance(at, Group) and exp == -1:
            u = _logistic_argument(at.poly)
            if u is not None and len(u.terms) == 1 and u.terms[0].coef < 0:  # 1 / (1 + e^{−v})
                sigmoid = Fn(at.shape, "sigmoid", (al.neg(u),))
                rest = [pair for j, pair in enumerate(powers) if j != k]
                return al.merge(tuple(rest), ((sigmoid, Fraction(1)),))
    return factor


def _per_factor(p: Poly, fold: Callable[[al.Factor], al.Factor]) -> Poly:
    """``p`` with ``fold`` applied to every entrywise factor of every term (``p`` itself when
    nothing changed)."""
    monos = [Mono(m.coef, fold(m.scalars), tuple(fold(f) for f in m.chain)) for m in p.terms]
    return al.poly(p.shape, monos) if monos != list(p.terms) else p


def _logistic_argument(g: Poly) -> Poly | None:
    """u when ``g`` is 1 + e^u (one term the constant 1, the other e^u alone)."""
    if len(g.terms) != 2:
        return None
    one, other = g.terms
    if one.coef != 1 or one.scalars or one.chain or other.coef != 1:
        return None
    pairs = (*other.scalars, *(other.chain[0] if len(other.chain) == 1 else ()))
    if len(other.chain) > 1 or len(pairs) != 1 or pairs[0][1] != 1:
        return None
    at = pairs[0][0]
    return at.args[0] if isinstance(at, Fn) and at.name == "exp" else None


__all__ = ["Const", "assume", "cancel", "rebuild", "simplify"]
