"""A canonical sum written back in the expression language (or LaTeX), factored as a person
writes it: common left and right matrix factors (``A.T @ (A @ x - y)``, ``(A + A.T) @ x``) and
common entrywise factors pulled out, positive terms first, ``let`` names where a sub-expression
is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.matrix.algebra import SCALAR, Atom, Const, Factor, Fn, Group, Leaf, Mono, Poly, Tr
from gradcheck_cli.matrix.simplify import Symbols

# precedences: a sum, a product (* / @), a unary minus, a power, an atom
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5

LATEX_NAMES = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh", "det": r"\det",
    "sigmoid": r"\sigma", "trace": r"\operatorname{tr}", "inv": "", "sum": r"\operatorname{sum}",
}


@dataclass(frozen=True)
class Style:
    latex: bool = False

    @property
    def matmul(self) -> str:
        return " " if self.latex else " @ "

    @property
    def times(self) -> str:
        return r" \odot " if self.latex else " * "

    @property
    def scalar_times(self) -> str:
        return " " if self.latex else " * "


class Printer:
    """Prints sums; ``lets`` maps a let's canonical form to its name."""

    def __init__(self, lets: Mapping[Poly, str] | None = None, *, latex: bool = False) -> None:
        self.lets = dict(lets or {})
        self.style = Style(latex)

    # -------------------------------------------------------- sums

    def text(self, p: Poly) -> str:
        return self.poly(p)[0]

    def poly(self, p: Poly) -> tuple[str, int]:
        name = self.lets.get(p)
        if name is not None:
            return name, ATOM
        if p.is_zero:
            return self.zeros(p.shape), ATOM
        monos = sorted(p.terms, key=lambda m: (m.coef < 0, m.ident()))
        if any(m.chain for m in monos) and not any(m.shape == p.shape for m in monos):
            # every term is broadcast (a row summed back over a matrix's rows): write it out whole
            monos = [al.materialise(m, p.shape) for m in monos]
        if p.shape != SCALAR and all(not m.chain for m in monos):
            inner = self.terms(monos, SCALAR)
            if inner[0] == "1":
                return self.ones(p.shape), ATOM
            return f"{self.group(inner, PRODUCT)}{self.style.scalar_times}{self.ones(p.shape)}", PRODUCT
        return self.terms(monos, p.shape)

    def zeros(self, shape: tuple[int, int]) -> str:
        if shape == SCALAR:
            return "0"
        if self.style.latex:
            return r"\mathbf{0}"
        return f"0 * {self.ones(shape)}"

    def ones(self, shape: tuple[int, int]) -> str:
        if self.style.latex:
            return r"\mathbf{1}"
        return f"ones({shape[0]})" if shape[1] == 1 else f"ones({shape[0]}, {shape[1]})"

    def terms(self, monos: list[Mono], shape: tuple[int, int]) -> tuple[str, int]:
        """A sum of terms, with the most widely shared factor pulled out first."""
        monos = self.named_sums([unwrapped(m) for m in monos], shape)
        if len(monos) == 1:
            return self.mono(monos[0], shape)
        factored = self.entrywise_factors(monos, shape)
        if factored is not None:
            return factored
        split = best_factor(monos)
        if split is None:
            return self.join([self.mono(m, shape) for m in monos])
        side, factor, inside, outside = split
        body = self.factored(side, factor, inside, shape)
        if not outside:
            return body
        rest = self.terms(outside, shape)
        return self.join([body, rest])

    def named_sums(self, monos: list[Mono], shape: tuple[int, int]) -> list[Mono]:
        """Terms that together are c times a let (z2 = W1 @ a1 + b1) written as c · its name."""
        for form, name in self.lets.items():
            if len(form.terms) < 2 or form.shape != shape or not name.isidentifier():
                continue
            mine = {m.ident(): m for m in monos}
            found = [mine.get(t.ident()) for t in form.terms]
            if any(m is None for m in found):
                continue
            ratios = {m.coef / t.coef for m, t in zip(found, form.terms, strict=True) if m is not None}
            if len(ratios) != 1:
                continue
            (c,) = ratios
            used = {t.ident() for t in form.terms}
            leaf = ((Leaf(shape, name), Fraction(1)),)
            named = Mono(c, leaf, ()) if shape == SCALAR else Mono(c, (), (leaf,))
            return [named, *(m for m in monos if m.ident() not in used)]
        return monos

    def entrywise_factors(self, monos: list[Mono], shape: tuple[int, int]) -> tuple[str, int] | None:
        """An entrywise polynomial as a product of its factors, ``(h - y) * (1 - h**2)``, when it
        has two or more (factors whose product is no longer than they are are kept together:
        ``1 - h**2``, not ``(1 - h) * (1 + h)``)."""
        monos = [Mono(m.coef, m.scalars, (al.grouped(m.chain),)) if len(m.chain) > 1 else m for m in monos]
        if any(exp < 0 or exp.denominator != 1 for m in monos for f in (m.scalars, *m.chain) for _, exp in f):
            return None
        symbols = Symbols()
        try:
            coeff, found = sp.factor_list(symbols.expression(monos))
        except (sp.PolynomialError, ValueError):
            return None
        factors = combine([sp.expand(f**e) if not f.is_Symbol else f**e for f, e in found])
        for k, f in enumerate(factors):
            if leading_negative(f, symbols):
                factors[k], coeff = sp.expand(-f), -coeff
        if coeff < 0:  # a minus reads better inside a factor: (a - y), not -(y - a)
            for k, f in enumerate(factors):
                if len(sp.Add.make_args(f)) > 1:
                    factors[k], coeff = sp.expand(-f), -coeff
                    break
        sums = [f for f in factors if len(sp.Add.make_args(sp.expand(f))) > 1]
        if not sums or (len(factors) < 2 and coeff in (1, -1)):
            return None
        parts: list[str] = []
        if coeff not in (1, -1):
            parts.append(number(Fraction(int(sp.numer(coeff)), int(sp.denom(coeff)))))
        for f in sorted(factors, key=lambda f: len(sp.Add.make_args(f))):
            printed = self.poly(symbols.polynomial(sp.expand(f), shape))
            parts.append(self.group(printed, PRODUCT + 1))
        text = self.style.times.join(parts)
        return (f"-{text}", UNARY) if coeff == -1 else (text, PRODUCT)

    def factored(self, side: str, factor: Any, inside: list[Mono], shape: tuple[int, int]) -> tuple[str, int]:
        if side == "left":
            rest = [Mono(m.coef, m.scalars, m.chain[1:]) for m in inside]
            inner = (al.factor_shape(rest[0].chain[0])[0], shape[1])
            left = self.factor(factor, chained=True)
            right = self.group(self.terms(normalise(rest, inner), inner), PRODUCT + 1)
            return f"{left}{self.style.matmul}{right}", PRODUCT
        if side == "right":
            rest = [Mono(m.coef, m.scalars, m.chain[:-1]) for m in inside]
            inner = (shape[0], al.factor_shape(rest[0].chain[-1])[1])
            left = self.group(self.terms(normalise(rest, inner), inner), PRODUCT)
            return f"{left}{self.style.matmul}{self.factor(factor, chained=True)}", PRODUCT
        at, exp = factor
        rest = [divide_out(m, at, exp) for m in inside]
        head = self.power(at, exp)
        inner_text, prec = self.terms(rest, shape)
        joiner = self.style.scalar_times if at.shape == SCALAR else self.style.times
        tail = self.group((inner_text, prec), PRODUCT + 1)
        return f"{self.group((head, POWER), PRODUCT)}{joiner}{tail}", PRODUCT

    def join(self, parts: list[tuple[str, int]]) -> tuple[str, int]:
        out = ""
        for text, prec in parts:
            if not out:
                out = text
            elif text.startswith("-") and prec != SUM:
                out += f" - {text[1:]}"
            else:
                out += f" + {text if prec > SUM else '(' + text + ')'}"
        return out, SUM

    def group(self, printed: tuple[str, int], at_least: int) -> str:
        text, prec = printed
        if prec >= at_least:
            return text
        return rf"\left({text}\right)" if self.style.latex else f"({text})"

    # -------------------------------------------------------- terms

    def mono(self, m: Mono, shape: tuple[int, int]) -> tuple[str, int]:
        coef = m.coef
        negative = coef < 0
        coef = abs(coef)
        numerator = [pair for pair in m.scalars if pair[1] > 0]
        denominator = [(at, -exp) for at, exp in m.scalars if exp < 0]
        pieces: list[str] = []
        if coef.numerator != 1 or (not numerator and not m.chain and coef.denominator == 1):
            pieces.append(number(coef.numerator) if coef.denominator != 1 else number(coef))
        pieces += [self.group((self.power(at, exp), POWER), PRODUCT) for at, exp in numerator]
        if m.chain:
            chain = [self.factor(f, chained=len(m.chain) > 1) for f in m.chain]
            pieces.append(self.style.matmul.join(chain))
        elif not pieces:
            pieces.append("1")
        text = self.style.scalar_times.join(pieces) if pieces else "1"
        if coef.denominator != 1:
            denominator = [(al.Leaf(SCALAR, str(coef.denominator)), Fraction(1)), *denominator]
        if denominator:
            text = self.over(text, denominator, bool(m.chain) or len(pieces) > 1)
        lone = len(pieces) == 1 and not denominator and (
            (len(m.chain) == 1 and len(m.chain[0]) == 1 and m.chain[0][0][1] == 1)
            or (not m.chain and len(numerator) == 1 and numerator[0][1] == 1))
        plain = len(pieces) == 1 and not m.chain and not numerator and not denominator
        prec = ATOM if lone or plain else PRODUCT
        return (f"-{text}", UNARY) if negative else (text, prec)

    def over(self, text: str, denominator: list[tuple[Atom, Fraction]], compound: bool) -> str:
        parts = [self.group((self.power(at, exp), POWER), PRODUCT) for at, exp in denominator]
        if self.style.latex:
            return rf"\frac{{{text}}}{{{' '.join(parts)}}}"
        below = parts[0] if len(parts) == 1 else f"({' * '.join(parts)})"
        return f"{text} / {below}"

    def factor(self, f: Factor, *, chained: bool) -> str:
        """An entrywise product of atom powers; parenthesised inside a matrix product."""
        up = [(at, exp) for at, exp in f if exp > 0]
        down = [(at, -exp) for at, exp in f if exp < 0]
        text = self.style.times.join(
            self.group((self.power(at, exp), POWER), PRODUCT) for at, exp in up) or "1"
        compound = len(up) > 1 or bool(down)
        if down:
            text = self.over(text, down, len(up) > 1)
        if chained and compound:
            return self.group((text, PRODUCT), ATOM)
        return text

    def power(self, at: Atom, exp: Fraction) -> str:
        if exp == 1:
            return self.atom(at)
        if exp == Fraction(1, 2):
            return rf"\sqrt{{{self.atom(at)}}}" if self.style.latex else f"sqrt({self.plain(at)})"
        base = self.atom(at)
        if not simple(at):
            base = self.group((base, SUM), ATOM) if not base.startswith("(") else base
        if self.style.latex:
            return f"{base}^{{{number(exp)}}}"
        shown = number(exp)
        return f"{base}**{shown if exp.denominator == 1 else '(' + shown + ')'}"

    def plain(self, at: Atom) -> str:
        if isinstance(at, Group):
            return self.text(at.poly)
        return self.atom(at)

    # -------------------------------------------------------- atoms

    def atom(self, at: Atom) -> str:
        name = self.lets.get(al.atom(at))
        if name is not None:
            return name
        if isinstance(at, Leaf):
            return r"\pi" if self.style.latex and at.name == "pi" else at.name
        if isinstance(at, Const):
            return self.const(at)
        if isinstance(at, Tr):
            if self.style.latex and isinstance(at.inner, Fn) and at.inner.name == "inv":
                return f"{self.group(self.poly(at.inner.args[0]), ATOM)}^{{-\\top}}"
            inner = self.atom(at.inner)
            return f"{inner}^\\top" if self.style.latex else f"{inner}.T"
        if isinstance(at, Group):
            return self.group(self.poly(at.poly), ATOM)
        if isinstance(at, Fn):
            return self.call(at)
        raise TypeError(type(at).__name__)

    def const(self, at: Const) -> str:
        if at.kind == "eye":
            return "I" if self.style.latex else f"eye({at.shape[0]})"
        if at.kind == "ones":
            return self.ones(at.shape)
        rows = ["[" + ", ".join(number(v) for v in row) + "]" for row in at.values]
        if at.shape[1] == 1:
            return "[" + ", ".join(number(row[0]) for row in at.values) + "]"
        return "[" + ", ".join(rows) + "]"

    def call(self, at: Fn) -> str:
        if at.name == "index":
            (operand,) = at.args
            base = self.group(self.poly(operand), ATOM)
            row, col = at.sizes
            if operand.shape[1] == 1:
                return f"{base}[{row}]"
            if operand.shape[0] == 1:
                return f"{base}[{col}]"
            return f"{base}[{row}, {col}]"
        if at.name == "power":
            lower, upper = at.args
            return f"{self.group(self.poly(lower), ATOM)}**{self.group(self.poly(upper), ATOM)}"
        if at.name == "sum" and at.axis is None:
            shown = self.inner_product(at.args[0])
            if shown is not None:
                return shown
        if at.name == "inv" and self.style.latex:
            return f"{self.group(self.poly(at.args[0]), ATOM)}^{{-1}}"
        args = [self.text(a) for a in at.args]
        if at.axis is not None:
            args.append(str(at.axis))
        name = LATEX_NAMES.get(at.name, rf"\operatorname{{{at.name}}}") if self.style.latex else at.name
        if self.style.latex:
            return rf"{name}\left({', '.join(args)}\right)"
        return f"{at.name}({', '.join(args)})"

    def inner_product(self, body: Poly) -> str | None:
        """``sum(u * v)`` of vectors, shown as ``u.T @ v`` (what a person writes)."""
        if len(body.terms) != 1 or body.shape[1] != 1 or self.lets.get(body):
            return None
        m = body.terms[0]
        if m.coef != 1 or m.scalars or len(m.chain) != 1:
            return None
        (f,) = m.chain
        firsts = [i for i, (at, exp) in enumerate(f) if exp >= 1 and at.shape == body.shape]
        if not firsts or sum(exp for _, exp in f if exp > 0) < 2:
            return None
        at = f[firsts[0]][0]
        rest = al.merge(f, ((at, Fraction(-1)),))
        left = self.atom(al.transpose_atom(at)) if simple(at) else self.group(
            (self.atom(at), ATOM), ATOM) + ".T"
        right = self.factor(rest, chained=True)
        return f"{left}{self.style.matmul}{right}"


def combine(factors: list[sp.Expr]) -> list[sp.Expr]:
    """Merge two factors whose expanded product has no more terms than either (1 - h)(1 + h)."""
    factors = list(factors)
    merged = True
    while merged:
        merged = False
        for i in range(len(factors)):
            for j in range(i + 1, len(factors)):
                sizes = (len(sp.Add.make_args(factors[i])), len(sp.Add.make_args(factors[j])))
                product = sp.expand(factors[i] * factors[j])
                if min(sizes) > 1 and len(sp.Add.make_args(product)) <= max(sizes):
                    factors = [f for k, f in enumerate(factors) if k not in (i, j)] + [product]
                    merged = True
                    break
            if merged:
                break
    return factors


def leading_negative(f: sp.Expr, symbols: Symbols) -> bool:
    """A factor reads better with a positive constant (``1 - h**2``), else a positive first term."""
    terms = sp.Add.make_args(sp.expand(f))
    if len(terms) < 2:
        return False
    constant = [t for t in terms if t.is_number]
    if constant:
        return bool(constant[0] < 0)
    first = min(terms, key=lambda t: [symbols.atoms[s].key() for s in sorted(t.free_symbols, key=str)])
    return bool(first.as_coeff_Mul()[0] < 0)


def simple(at: Atom) -> bool:
    return isinstance(at, (Leaf, Fn, Const, Tr))


def number(value: Fraction | int) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        text = f"{float(value):.12g}"
        if "e" not in text:
            return text
    return f"{value.numerator}/{value.denominator}"


def unwrapped(m: Mono) -> Mono:
    """A term that is only a kept-whole product, ``c * (U.T @ a)``, as that product itself."""
    if m.scalars or len(m.chain) != 1 or len(m.chain[0]) != 1:
        return m
    at, exp = m.chain[0][0]
    if not isinstance(at, Group) or exp != 1 or len(at.poly.terms) != 1:
        return m
    inner = at.poly.terms[0]
    return Mono(m.coef * inner.coef, inner.scalars, inner.chain)


def normalise(monos: list[Mono], shape: tuple[int, int]) -> list[Mono]:
    """Terms left after pulling a factor out: a lone ``ones`` of the sum's shape is the scalar 1
    (broadcast), as long as another term has the sum's full shape."""

    def lone_ones(m: Mono) -> bool:
        return len(m.chain) == 1 and al.ones_factor(m.chain[0]) and al.factor_shape(m.chain[0]) == shape

    if not any(m.chain and m.shape == shape and not lone_ones(m) for m in monos):
        return monos
    return [Mono(m.coef, m.scalars, ()) if lone_ones(m) else m for m in monos]


def divide_out(m: Mono, at: Atom, exp: Fraction) -> Mono:
    if at.shape == SCALAR:
        return Mono(m.coef, al.merge(m.scalars, ((at, -exp),)), m.chain)
    (f,) = m.chain
    rest = al.merge(f, ((at, -exp),))
    return Mono(m.coef, m.scalars, (rest,) if rest else ())


def best_factor(monos: list[Mono]) -> tuple[str, Any, list[Mono], list[Mono]] | None:
    """The factor shared by most terms (at least two): a left or right matrix factor of
    products of two or more factors, or an atom power of entrywise terms."""
    counts: dict[tuple[str, Any], list[Mono]] = {}
    samples: dict[tuple[str, Any], Any] = {}
    for m in monos:
        seen: set[tuple[str, Any]] = set()
        if len(m.chain) >= 2:
            for side, f in (("left", m.chain[0]), ("right", m.chain[-1])):
                key = (side, al.factor_key(f))
                if key not in seen:
                    seen.add(key)
                    counts.setdefault(key, []).append(m)
                    samples[key] = f
        if len(m.chain) <= 1:
            for at, exp in (*m.scalars, *(m.chain[0] if m.chain else ())):
                if exp > 0:
                    key = ("entry", at.key())
                    if key not in seen:
                        seen.add(key)
                        counts.setdefault(key, []).append(m)
                        samples[key] = (at, exp)
    best = None
    for key, members in counts.items():
        if len(members) < 2:
            continue
        if key[0] == "entry":
            at = samples[key][0]
            low = min(dict((a.key(), e) for a, e in (*m.scalars, *(m.chain[0] if m.chain else ())))[at.key()]
                      for m in members)
            samples[key] = (at, low)
        rank = (len(members), {"left": 2, "right": 1, "entry": 0}[key[0]])
        if best is None or rank > best[0]:
            best = (rank, key)
    if best is None:
        return None
    key = best[1]
    inside = counts[key]
    outside = [m for m in monos if all(m is not other for other in inside)]
    return key[0], samples[key], inside, outside
