"""Matrix expressions in a canonical, expanded form: sums of monomials over atoms.

A value is a ``Poly`` of a shape: a sum of ``Mono`` terms, each ``coef · scalars · chain``
where ``coef`` is an exact fraction, ``scalars`` an entrywise product of powers of 1×1 atoms,
and ``chain`` a matrix product ``F₁ @ F₂ @ …`` of factors, each an entrywise (Hadamard) product
of powers of atoms of one shape. An empty chain is a scalar, broadcast to the shape of the sum
it is in (so ``ones(m, n)`` is the scalar 1 in an m×n sum). Atoms are the things that cannot be
expanded further: variables, constants, function calls (whose arguments are canonical sums),
transposes of those, and ``Group`` — a parenthesised sum kept as one factor (``(1 - s)**-1``).

The constructors (``add``, ``matmul``, ``hadamard``, ``power``, ``transpose``, ``call``) keep
this form canonical: transposes pushed to the leaves, products distributed over sums, like
terms combined, identities dropped, a 1×1 product ``u.T @ v`` of two vectors written as
``sum(u * v)`` so that entrywise cancellations happen, and a 1×1 chain identified with its
transpose. Every rewrite is an identity of matrix algebra wherever both sides are defined, so
two expressions with the same canonical form are equal — the basis of a proof in matrix form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

Shape = tuple[int, int]
SCALAR: Shape = (1, 1)

#: Functions applied entry by entry: f(A)ᵀ = f(Aᵀ), and their derivative is entrywise.
ENTRYWISE = frozenset({
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs", "sign", "step",
    "maximum", "minimum", "power",
})

#: Linear functions kept whole (not distributed over sums, so ``diag(1 - h**2)`` stays as written)
#: whose constant factor is taken out, so that multiples of one argument share one form.
LINEAR = frozenset({"diag", "vec"})

#: Largest number of terms a canonical sum may have: beyond it the expansion gives up.
MAX_TERMS = 400


class TooLarge(Exception):
    """The canonical expansion outgrew ``MAX_TERMS``; callers fall back to entrywise SymPy."""


class Unsupported(Exception):
    """A construct this engine has no matrix-form rule for (the caller falls back)."""


# ---------------------------------------------------------------- atoms


@dataclass(frozen=True)
class Atom:
    """Something that is not expanded further; ``key`` orders atoms canonically."""

    shape: Shape

    def key(self) -> tuple[Any, ...]:
        raise NotImplementedError


@dataclass(frozen=True)
class Leaf(Atom):
    """A variable (or ``pi``)."""

    name: str

    def key(self) -> tuple[Any, ...]:
        return (1, self.name, self.shape)


@dataclass(frozen=True)
class Const(Atom):
    """``eye(n)`` (kind ``eye``) or a literal matrix (kind ``lit`` with row-major ``values``)."""

    kind: str
    values: tuple[tuple[Fraction, ...], ...] = ()

    def key(self) -> tuple[Any, ...]:
        return (0, self.kind, self.shape, tuple(tuple(str(v) for v in row) for row in self.values))


@dataclass(frozen=True)
class Fn(Atom):
    """A call of a function of the language on canonical arguments."""

    name: str
    args: tuple[Poly, ...]
    axis: int | None = None
    sizes: tuple[int, ...] = ()

    def key(self) -> tuple[Any, ...]:
        return (2, self.name, -1 if self.axis is None else self.axis, self.sizes, self.shape,
                tuple(a.key() for a in self.args))


@dataclass(frozen=True)
class Tr(Atom):
    """The transpose of a leaf or of a call whose transpose cannot be pushed inside."""

    inner: Atom

    def key(self) -> tuple[Any, ...]:
        return (3, self.inner.key())


@dataclass(frozen=True)
class Group(Atom):
    """A sum (or a 1×1 matrix product) kept whole as one factor."""

    poly: Poly

    def key(self) -> tuple[Any, ...]:
        return (4, self.poly.key())


Factor = tuple[tuple[Atom, Fraction], ...]


def factor_key(factor: Factor) -> tuple[Any, ...]:
    return tuple((atom.key(), str(exp)) for atom, exp in factor)


def factor_shape(factor: Factor) -> Shape:
    """The broadcast shape of an entrywise product (1×1 when empty)."""
    shape = SCALAR
    for atom, _ in factor:
        shape = broadcast(shape, atom.shape)
    return shape


@dataclass(frozen=True)
class Mono:
    """``coef · scalars · (chain[0] @ chain[1] @ …)``."""

    coef: Fraction
    scalars: Factor = ()
    chain: tuple[Factor, ...] = ()

    def ident(self) -> tuple[Any, ...]:
        """What like terms share: everything but the coefficient."""
        return (tuple(factor_key(f) for f in self.chain), factor_key(self.scalars))

    def key(self) -> tuple[Any, ...]:
        return (*self.ident(), str(self.coef))

    @property
    def shape(self) -> Shape:
        if not self.chain:
            return SCALAR
        return (factor_shape(self.chain[0])[0], factor_shape(self.chain[-1])[1])


@dataclass(frozen=True)
class Poly:
    """A canonical sum of monomials of one shape (terms sorted, like terms combined)."""

    shape: Shape
    terms: tuple[Mono, ...] = ()
    _key: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def key(self) -> tuple[Any, ...]:
        if not self._key and self.terms:
            object.__setattr__(self, "_key", (self.shape, tuple(t.key() for t in self.terms)))
        return self._key or (self.shape,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Poly) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    @property
    def is_zero(self) -> bool:
        return not self.terms


Number = int | Fraction


# ---------------------------------------------------------------- shapes


def broadcast(a: Shape, b: Shape) -> Shape:
    """NumPy's rule on two 2-D shapes (each size equal, or 1)."""
    rows = a[0] if b[0] == 1 else b[0]
    cols = a[1] if b[1] == 1 else b[1]
    if a[0] not in (1, rows) or a[1] not in (1, cols):
        raise Unsupported(f"shapes {a} and {b} do not broadcast")
    return (rows, cols)


# ---------------------------------------------------------------- building sums


def poly(shape: Shape, monos: list[Mono]) -> Poly:
    """Combine like terms, drop zeros, sort."""
    merged: dict[tuple[Any, ...], Mono] = {}
    for mono in monos:
        if mono.coef == 0:
            continue
        ident = mono.ident()
        if ident in merged:
            old = merged[ident]
            merged[ident] = Mono(old.coef + mono.coef, old.scalars, old.chain)
        else:
            merged[ident] = mono
    terms = [m for m in merged.values() if m.coef != 0]
    if len(terms) > MAX_TERMS:
        raise TooLarge(f"more than {MAX_TERMS} terms")
    terms.sort(key=lambda m: m.ident())
    return Poly(shape, tuple(terms))


def zero(shape: Shape) -> Poly:
    return Poly(shape)


def const(value: Number, shape: Shape = SCALAR) -> Poly:
    """The scalar ``value`` (broadcast to ``shape``: ``ones(m, n)`` times it)."""
    return poly(shape, [Mono(Fraction(value))])


def atom(a: Atom) -> Poly:
    """One atom as a sum."""
    if a.shape == SCALAR:
        return poly(SCALAR, [Mono(Fraction(1), ((a, Fraction(1)),))])
    return poly(a.shape, [Mono(Fraction(1), (), (((a, Fraction(1)),),))])


def eye(n: int) -> Poly:
    return const(1) if n == 1 else atom(Const((n, n), "eye"))


def ones(shape: Shape) -> Poly:
    return const(1, shape)


def add(*parts: Poly) -> Poly:
    shape = SCALAR
    for p in parts:
        shape = broadcast(shape, p.shape)
    return poly(shape, [m for p in parts for m in p.terms])


def scale(p: Poly, c: Number) -> Poly:
    return poly(p.shape, [Mono(m.coef * c, m.scalars, m.chain) for m in p.terms])


def neg(p: Poly) -> Poly:
    return scale(p, -1)


def sub(a: Poly, b: Poly) -> Poly:
    return add(a, neg(b))


def with_shape(p: Poly, shape: Shape) -> Poly:
    """``p`` broadcast to ``shape`` (its terms unchanged: they broadcast where they are used)."""
    broadcast(p.shape, shape)
    return Poly(shape, p.terms)


# ---------------------------------------------------------------- entrywise products


def merge(a: Factor, b: Factor) -> Factor:
    """The entrywise product of two factors: exponents of equal atoms add, ones drop out."""
    powers: dict[tuple[Any, ...], tuple[Atom, Fraction]] = {}
    for at, exp in (*a, *b):
        k = at.key()
        if k in powers:
            powers[k] = (at, powers[k][1] + exp)
        else:
            powers[k] = (at, exp)
    out = [(at, exp) for at, exp in powers.values() if exp != 0]
    out.sort(key=lambda pair: (pair[0].key(), str(pair[1])))
    return tuple(out)


def grouped(chain: tuple[Factor, ...]) -> Factor:
    """A chain as one entrywise factor: itself when it has one factor, else a ``Group``."""
    if len(chain) == 1:
        return chain[0]
    inner = Poly((factor_shape(chain[0])[0], factor_shape(chain[-1])[1]), (Mono(Fraction(1), (), chain),))
    return ((Group(inner.shape, inner), Fraction(1)),)


def mono_hadamard(a: Mono, b: Mono, shape: Shape) -> Mono:
    scalars = merge(a.scalars, b.scalars)
    if not a.chain or not b.chain:
        return settle(Mono(a.coef * b.coef, scalars, a.chain or b.chain), shape)
    merged = merge(grouped(a.chain), grouped(b.chain))
    return settle(Mono(a.coef * b.coef, scalars, (merged,) if merged else ()), shape)


def settle(m: Mono, shape: Shape) -> Mono:
    """Move 1×1 atoms of a one-factor chain into the scalars; an empty factor is the scalar 1."""
    if len(m.chain) != 1:
        return m
    (factor,) = m.chain
    scal = tuple(pair for pair in factor if pair[0].shape == SCALAR)
    rest = tuple(pair for pair in factor if pair[0].shape != SCALAR)
    if not scal:
        return m
    return Mono(m.coef, merge(m.scalars, scal), (rest,) if rest else ())


def hadamard(a: Poly, b: Poly) -> Poly:
    """a ∘ b, entrywise (with broadcasting)."""
    shape = broadcast(a.shape, b.shape)
    if len(a.terms) * len(b.terms) > MAX_TERMS:
        raise TooLarge("product too large")
    return poly(shape, [mono_hadamard(x, y, shape) for x in a.terms for y in b.terms])


def group(p: Poly) -> tuple[Fraction, Atom] | None:
    """``p`` as ``c · Group(q)`` with q's first coefficient 1 (None for a zero sum)."""
    if not p.terms:
        return None
    c = p.terms[0].coef
    q = scale(p, 1 / c)
    return c, Group(q.shape, q)


def power(p: Poly, e: Number) -> Poly:
    """p ** e entrywise. An integer power distributes over an entrywise product; a fractional
    one only reaches a lone atom ((x**2)**0.5 is |x|, not x), else the sum is kept whole."""
    e = Fraction(e)
    if e == 0:
        return ones(p.shape)
    if e == 1:
        return p
    if p.is_zero:
        if e < 0:
            raise Unsupported("a negative power of zero")
        return p
    if len(p.terms) == 1 and len(p.terms[0].chain) <= 1:
        m = p.terms[0]
        pairs = (*m.scalars, *(m.chain[0] if m.chain else ()))
        if e.denominator == 1 or (m.coef == 1 and len(pairs) == 1 and pairs[0][1] == 1):
            coef = m.coef ** int(e) if e.denominator == 1 else Fraction(1)
            scal = merge(tuple((at, exp * e) for at, exp in m.scalars), ())
            chain = tuple(merge(tuple((at, exp * e) for at, exp in f), ()) for f in m.chain)
            return poly(p.shape, [settle(Mono(coef, scal, tuple(f for f in chain if f)), p.shape)])
    found = group(p)
    assert found is not None
    c, g = found
    if e.denominator != 1:
        return atom_power(g if c == 1 else Group(p.shape, p), e)
    return hadamard(const(c ** int(e), p.shape), atom_power(g, e))


def atom_power(a: Atom, e: Fraction) -> Poly:
    if a.shape == SCALAR:
        return poly(SCALAR, [Mono(Fraction(1), ((a, e),))])
    return poly(a.shape, [Mono(Fraction(1), (), (((a, e),),))])


def divide(a: Poly, b: Poly) -> Poly:
    return hadamard(a, power(b, -1))


# ---------------------------------------------------------------- matrix products


def materialise(m: Mono, shape: Shape) -> Mono:
    """A term broadcast in a sum of ``shape`` written as a true product of that shape."""
    own = m.shape
    if own == shape:
        return m
    rows, cols = shape
    if not m.chain:
        return Mono(m.coef, m.scalars, ((((Const(shape, "ones"), Fraction(1))),),))
    if own == (rows, 1):
        return Mono(m.coef, m.scalars, (*m.chain, (((Const((1, cols), "ones"), Fraction(1))),)))
    if own == (1, cols):
        return Mono(m.coef, m.scalars, ((((Const((rows, 1), "ones"), Fraction(1))),), *m.chain))
    raise Unsupported(f"a {own} term in a {shape} sum")


def is_eye(f: Factor) -> bool:
    return len(f) == 1 and isinstance(f[0][0], Const) and f[0][0].kind == "eye" and f[0][1] == 1


def transpose_factor(f: Factor) -> Factor:
    return merge(tuple((transpose_atom(at), exp) for at, exp in f), ())


def ones_factor(f: Factor) -> bool:
    return len(f) == 1 and isinstance(f[0][0], Const) and f[0][0].kind == "ones"


def mono_matmul(a: Mono, b: Mono, shape: Shape) -> Mono:
    coef, scalars = a.coef * b.coef, merge(a.scalars, b.scalars)
    chain = [f for f in (*a.chain, *b.chain) if not is_eye(f)]
    if not chain and shape != SCALAR:
        chain = [(((Const(shape, "eye"), Fraction(1))),)]
    if shape != SCALAR or not chain:
        return Mono(coef, scalars, tuple(chain))
    return Mono(coef, merge(scalars, ((inner_product(tuple(chain)), Fraction(1)),)), ())


def inner_product(chain: tuple[Factor, ...]) -> Atom:
    """A 1×1 chain as one scalar atom: ``u.T @ v`` of two vectors is ``sum(u * v)`` (so entrywise
    factors can cancel); a longer chain is a group, identified with its own transpose."""
    if len(chain) == 2 and factor_shape(chain[0])[0] == 1 and factor_shape(chain[1])[1] == 1:
        row, col = chain
        prod = merge(transpose_factor(row), col)
        body = poly(factor_shape(col), [settle(Mono(Fraction(1), (), (prod,) if prod else ()),
                                               factor_shape(col))])
        return sum_atom(body)
    forward = Poly(SCALAR, (Mono(Fraction(1), (), chain),))
    backward = Poly(SCALAR, (Mono(Fraction(1), (), tuple(transpose_factor(f) for f in reversed(chain))),))
    chosen = min(forward, backward, key=lambda p: p.key())
    return Group(SCALAR, chosen)


def sum_atom(body: Poly) -> Atom:
    """``sum(body)`` of a one-term body whose coefficient is 1."""
    return Fn(SCALAR, "sum", (body,))


def matmul(a: Poly, b: Poly) -> Poly:
    """a @ b."""
    if a.shape[1] != b.shape[0]:
        raise Unsupported(f"{a.shape} @ {b.shape}")
    shape = (a.shape[0], b.shape[1])
    if len(a.terms) * len(b.terms) > MAX_TERMS:
        raise TooLarge("product too large")
    if a.shape == SCALAR:
        return hadamard(a, b)
    if b.shape == SCALAR:
        return hadamard(a, b)
    monos = []
    for x in a.terms:
        for y in b.terms:
            monos.append(mono_matmul(materialise(x, a.shape), materialise(y, b.shape), shape))
    return poly(shape, monos)


# ---------------------------------------------------------------- transposes


def transpose_atom(a: Atom) -> Atom:
    if a.shape == SCALAR:
        return a
    rows, cols = a.shape
    if isinstance(a, Tr):
        return a.inner
    if isinstance(a, Const):
        if a.kind == "lit":
            return Const((cols, rows), "lit", tuple(zip(*a.values, strict=True)))
        return Const((cols, rows), a.kind)
    if isinstance(a, Group):
        return Group((cols, rows), transpose(a.poly))
    if isinstance(a, Fn) and a.name in ENTRYWISE:
        return Fn((cols, rows), a.name, tuple(transpose(arg) for arg in a.args), a.axis, a.sizes)
    if isinstance(a, Fn) and a.name == "inv" and transpose(a.args[0]) == a.args[0]:
        return a  # the inverse of a symmetric matrix (a symmetric literal, A + A.T) is symmetric
    return Tr((cols, rows), a)


def transpose(p: Poly) -> Poly:
    """pᵀ, pushed to the atoms: (AB)ᵀ = BᵀAᵀ, (A ∘ B)ᵀ = Aᵀ ∘ Bᵀ, f(A)ᵀ = f(Aᵀ) entrywise."""
    rows, cols = p.shape
    monos = [Mono(m.coef, m.scalars, tuple(transpose_factor(f) for f in reversed(m.chain))) for m in p.terms]
    return poly((cols, rows), monos)


# ---------------------------------------------------------------- calls


def call(name: str, args: tuple[Poly, ...], shape: Shape, axis: int | None = None,
         sizes: tuple[int, ...] = ()) -> Poly:
    """A function of the language applied to canonical arguments, with the rewrites that keep
    the form canonical (linear functions distributed, inverses of transposes, …)."""
    if name in ("sum", "trace") and args[0].shape == SCALAR and axis is None:
        return args[0]
    if name == "sum" and axis is None:
        return linear_sum(args[0])
    if name == "trace":
        return add(*[trace_mono(m, args[0].shape) for m in args[0].terms]) if args[0].terms else const(0)
    if name == "inv":
        return inverse(args[0])
    if name in ("det", "logdet") and len(args[0].terms) == 1:
        only = args[0].terms[0]
        if only.coef == 1 and not only.scalars and len(only.chain) == 1 and len(only.chain[0]) == 1:
            at = only.chain[0][0][0]
            if isinstance(at, Tr) and only.chain[0][0][1] == 1:
                return atom(Fn(shape, name, (atom(at.inner),)))
    if name == "diag" and args[0].shape[0] == 1 and args[0].shape[1] > 1:
        return call(name, (transpose(args[0]),), shape)
    if name in LINEAR and args[0].is_zero:
        return zero(shape)
    if name in LINEAR and args[0].terms and args[0].terms[0].coef != 1:
        c = args[0].terms[0].coef  # diag(c·v) = c·diag(v): one form for every multiple
        return scale(call(name, (scale(args[0], 1 / c), *args[1:]), shape, axis, sizes), c)
    return atom(Fn(shape, name, args, axis, sizes))


def linear_sum(p: Poly) -> Poly:
    """sum(Σ cᵢ tᵢ) = Σ cᵢ sum(tᵢ); the sum of a broadcast scalar is it times the entry count."""
    out = []
    count = p.shape[0] * p.shape[1]
    for m in p.terms:
        if not m.chain:
            out.append(Mono(m.coef * count, m.scalars))
            continue
        own = m.shape
        if own != p.shape:
            m = materialise(m, p.shape)
        body = poly(p.shape, [Mono(Fraction(1), (), m.chain)])
        out.append(Mono(m.coef, merge(m.scalars, ((sum_atom(body), Fraction(1)),))))
    return poly(SCALAR, out)


def trace_mono(m: Mono, shape: Shape) -> Poly:
    """tr(c · s · chain); tr(AB…) kept as a call on the product (rotations are not identified)."""
    if not m.chain:
        return poly(SCALAR, [Mono(m.coef * shape[0], m.scalars)])
    if len(m.chain) == 1 and is_eye(m.chain[0]):
        return poly(SCALAR, [Mono(m.coef * shape[0], m.scalars)])
    body = poly(shape, [Mono(Fraction(1), (), m.chain)])
    return poly(SCALAR, [Mono(m.coef, merge(m.scalars, ((Fn(SCALAR, "trace", (body,)), Fraction(1)),)))])


def inverse(p: Poly) -> Poly:
    """inv(p): inv(c·A) = inv(A)/c, inv(Aᵀ) = inv(A)ᵀ, inv(inv(A)) = A, inv(I) = I."""
    if p.shape == SCALAR:
        return power(p, -1)
    if len(p.terms) == 1:
        m = p.terms[0]
        if len(m.chain) == 1 and len(m.chain[0]) == 1 and m.chain[0][0][1] == 1:
            at = m.chain[0][0][0]
            inner = Mono(Fraction(1), (), m.chain)
            factor = hadamard(const(1 / m.coef), atom_power_scalars(m.scalars, -1))
            if isinstance(at, Const) and at.kind == "eye":
                return hadamard(factor, poly(p.shape, [inner]))
            if isinstance(at, Fn) and at.name == "inv":
                return hadamard(factor, at.args[0])
            if isinstance(at, Tr):
                return hadamard(factor, transpose(inverse(atom(at.inner))))
            return hadamard(factor, atom(Fn(p.shape, "inv", (poly(p.shape, [inner]),))))
    return atom(Fn(p.shape, "inv", (p,)))


def atom_power_scalars(scalars: Factor, e: int) -> Poly:
    return poly(SCALAR, [Mono(Fraction(1), tuple((at, exp * e) for at, exp in scalars))])
