"""Derivatives in matrix form, independent of the declared sizes.

A scalar f is differentiated in reverse mode: every node receives its adjoint Ḡ (∂f/∂node,
in the node's own shape) and passes on the vector–Jacobian product of its rule — the matrix
differential dF = tr(Ḡᵀ dX) read off as a gradient (Magnus & Neudecker's identification rule).
A vector f is differentiated in forward mode: every node gets its Jacobian with respect to the
variable (with respect to vec(X), column-major, when the variable is a matrix X), so
vec(X u) = (uᵀ ⊗ I) vec(X) gives ``kron(u.T, eye(m))``.

Each rule is written from the forward math of the function, never from another engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction

from gradcheck_cli.expr.nodes import (
    SCALAR,
    Binary,
    Call,
    Expr,
    Index,
    LetRef,
    Negate,
    Power,
    Transpose,
    Variable,
)
from gradcheck_cli.matrix import algebra as al
from gradcheck_cli.matrix.algebra import Poly, Shape, Unsupported
from gradcheck_cli.matrix.convert import Converter, column, constant_of

ONE = Fraction(1)


def numel(shape: Shape) -> int:
    return shape[0] * shape[1]


def is_vector(shape: Shape) -> bool:
    return 1 in shape


def unbroadcast(g: Poly, shape: Shape) -> Poly:
    """The adjoint of an operand that was broadcast to g's shape: summed over the broadcast axes."""
    if g.shape == shape:
        return g
    if shape == SCALAR:
        return al.call("sum", (g,), SCALAR)
    if shape == (g.shape[0], 1):
        return al.call("sum", (g,), shape, 1)
    if shape == (1, g.shape[1]):
        return al.call("sum", (g,), shape, 0)
    raise Unsupported(f"cannot unbroadcast {g.shape} to {shape}")


def spread(g: Poly, shape: Shape) -> Poly:
    """A reduced adjoint (1×1, a row or a column) broadcast back to ``shape``."""
    if g.shape == SCALAR:
        return al.with_shape(g, shape)
    return al.hadamard(g, al.ones(shape))


def topological(root: Expr) -> list[Expr]:
    """Every node once, children before parents (a let's body is a child of its uses)."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in node.children())
    return order


def dependent(order: list[Expr], wrt: str) -> set[int]:
    """The nodes whose value depends on the variable ``wrt``."""
    found: set[int] = set()
    for node in order:
        if (isinstance(node, Variable) and node.name == wrt) or any(id(c) in found for c in node.children()):
            found.add(id(node))
    return found


# ---------------------------------------------------------------- reverse mode


def gradient(f: Expr, wrt: str, wrt_shape: Shape, value: Converter | None = None,
             named: Callable[[Expr, Poly], Poly] | None = None) -> Poly:
    """∂f/∂wrt for a 1×1 f, in the shape of the variable.

    ``named(node, adjoint)``, when given, sees each node's complete adjoint before it is passed
    on and returns what to pass on instead (a name δ standing for it: the δ recursion).

    Raises:
        Unsupported: f uses a function with no matrix-form rule here.
        TooLarge: the canonical form grew too large.
    """
    value = value or Converter()
    order = topological(f)
    live = dependent(order, wrt)
    adjoint: dict[int, Poly] = {id(f): al.const(1)}
    total = al.zero(wrt_shape)
    for node in reversed(order):
        g = adjoint.pop(id(node), None)
        if g is None or id(node) not in live:
            continue
        if isinstance(node, Variable):
            total = al.add(total, g)
            continue
        if named is not None:
            g = named(node, g)
        for child, part in vjp(node, g, value):
            if id(child) in live:
                old = adjoint.get(id(child))
                adjoint[id(child)] = part if old is None else al.add(old, part)
    return al.with_shape(total, wrt_shape) if total.shape != wrt_shape else total


def vjp(node: Expr, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """(child, its share of the adjoint) for each operand of ``node``, whose adjoint is ``g``."""
    if isinstance(node, LetRef):
        yield node.body, g
    elif isinstance(node, Negate):
        yield node.operand, al.neg(g)
    elif isinstance(node, Transpose):
        yield node.operand, al.transpose(g)
    elif isinstance(node, Binary):
        yield from binary_vjp(node, g, value)
    elif isinstance(node, Power):
        yield from power_vjp(node, g, value)
    elif isinstance(node, Index):
        rows, cols = node.operand.shape
        place = (node.row, node.col)
        unit = tuple(tuple(Fraction(int((i, j) == place)) for j in range(cols)) for i in range(rows))
        yield node.operand, al.hadamard(g, al.atom(al.Const((rows, cols), "lit", unit)))
    elif isinstance(node, Call):
        rule = CALL_VJPS.get(node.function)
        if rule is None:
            if node.function in ENTRYWISE_DERIVATIVES:
                (arg,) = node.args
                yield arg, al.hadamard(g, ENTRYWISE_DERIVATIVES[node.function](value(arg)))
                return
            raise Unsupported(f"no matrix-form rule for {node.function}")
        yield from rule(node, g, value)
    elif node.children():
        raise Unsupported(f"no matrix-form rule for {type(node).__name__}")


def binary_vjp(node: Binary, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    left, right = node.left, node.right
    a, b = value(left), value(right)
    if node.op == "@":
        if a.shape == SCALAR or b.shape == SCALAR:
            yield left, unbroadcast(al.hadamard(g, b), left.shape)
            yield right, unbroadcast(al.hadamard(g, a), right.shape)
            return
        yield left, al.matmul(g, al.transpose(b))
        yield right, al.matmul(al.transpose(a), g)
    elif node.op in "+-":
        yield left, unbroadcast(g, left.shape)
        yield right, unbroadcast(g if node.op == "+" else al.neg(g), right.shape)
    elif node.op == "*":
        yield left, unbroadcast(al.hadamard(g, b), left.shape)
        yield right, unbroadcast(al.hadamard(g, a), right.shape)
    elif node.op == "/":
        yield left, unbroadcast(al.divide(g, b), left.shape)
        yield right, unbroadcast(al.neg(al.hadamard(g, al.hadamard(a, al.power(b, -2)))), right.shape)
    else:
        raise Unsupported(f"operator {node.op}")


def power_vjp(node: Power, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    base, exponent = value(node.base), value(node.exponent)
    p = constant_of(exponent)
    if p is not None:
        yield node.base, al.hadamard(g, al.scale(al.power(base, p - 1), p))
        return
    lowered = al.call("power", (base, al.sub(exponent, al.const(1))), node.shape)
    yield node.base, al.hadamard(g, al.hadamard(exponent, lowered))
    whole = al.hadamard(al.call("power", (base, exponent), node.shape), al.call("log", (base,), base.shape))
    yield node.exponent, unbroadcast(al.hadamard(g, whole), node.exponent.shape)


def _sigmoid_prime(a: Poly) -> Poly:
    s = al.call("sigmoid", (a,), a.shape)
    return al.hadamard(s, al.sub(al.const(1), s))


#: f′(a) for the entrywise functions, written in the language's own functions.
ENTRYWISE_DERIVATIVES: dict[str, Callable[[Poly], Poly]] = {
    "exp": lambda a: al.call("exp", (a,), a.shape),
    "log": lambda a: al.power(a, -1),
    "sin": lambda a: al.call("cos", (a,), a.shape),
    "cos": lambda a: al.neg(al.call("sin", (a,), a.shape)),
    "tanh": lambda a: al.sub(al.const(1), al.power(al.call("tanh", (a,), a.shape), 2)),
    "sigmoid": _sigmoid_prime,
    "relu": lambda a: al.call("step", (a,), a.shape),
    "softplus": lambda a: al.call("sigmoid", (a,), a.shape),
    "abs": lambda a: al.call("sign", (a,), a.shape),
    "sign": lambda a: al.zero(a.shape),
    "step": lambda a: al.zero(a.shape),
}


def _two_sided(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """maximum(a, b): ∂/∂a = step(a − b), ∂/∂b = step(b − a); minimum the other way round."""
    (left, right), (a, b) = node.args, (value(node.args[0]), value(node.args[1]))
    first, second = (a, b) if node.function == "maximum" else (b, a)
    for operand, (high, low) in ((left, (first, second)), (right, (second, first))):
        slope = al.call("step", (al.sub(high, low),), node.shape)
        yield operand, unbroadcast(al.hadamard(g, slope), operand.shape)


def _softmax(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """s = softmax(a): ā = s ∘ (ḡ − Σ s ∘ ḡ), the sum over each softmax group."""
    (arg,) = node.args
    a = value(arg)
    s = al.call("softmax", (a,), a.shape)
    sg = al.hadamard(s, g)
    total = al.call("sum", (sg,), SCALAR) if is_vector(a.shape) else al.call("sum", (sg,), (1, a.shape[1]), 0)
    yield arg, al.hadamard(s, al.sub(g, total))


def _logsumexp(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    a = value(arg)
    yield arg, al.hadamard(al.call("softmax", (a,), a.shape), g)


def _sum(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    yield arg, spread(g, arg.shape)


def _mean(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    rows, cols = arg.shape
    count = {None: rows * cols, 0: rows, 1: cols}[node.axis]
    yield arg, al.scale(spread(g, arg.shape), Fraction(1, count))


def _norm(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    a = value(arg)
    yield arg, al.hadamard(g, al.divide(a, al.call("norm", (a,), SCALAR)))


def _trace(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    yield arg, al.hadamard(g, al.eye(arg.shape[0]))


def _det(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """d det X = det X · tr(X⁻¹ dX), so ∇ det X = det X · X⁻ᵀ."""
    (arg,) = node.args
    x = value(arg)
    det = al.call("det", (x,), SCALAR)
    yield arg, al.hadamard(al.hadamard(g, det), al.transpose(al.call("inv", (x,), x.shape)))


def _logdet(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """d log|det X| = tr(X⁻¹ dX), so ∇ = X⁻ᵀ."""
    (arg,) = node.args
    x = value(arg)
    yield arg, al.hadamard(g, al.transpose(al.call("inv", (x,), x.shape)))


def _inv(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """d X⁻¹ = −X⁻¹ dX X⁻¹, so X̄ = −X⁻ᵀ Ḡ X⁻ᵀ."""
    (arg,) = node.args
    x = value(arg)
    inv_t = al.transpose(al.call("inv", (x,), x.shape))
    yield arg, al.neg(al.matmul(al.matmul(inv_t, g), inv_t))


def _diag(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    rows, cols = arg.shape
    if is_vector(arg.shape):
        d = al.call("diag", (g,), (rows * cols, 1))
        yield arg, d if cols == 1 else al.transpose(d)
    else:
        yield arg, al.call("diag", (g,), (rows, rows))


def _outer(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    """outer(a, b) = a bᵀ: ā = Ḡ b, b̄ = Ḡᵀ a (each in its operand's orientation)."""
    (left, right) = node.args
    a, b = column(value(left)), column(value(right))
    da, db = al.matmul(g, b), al.matmul(al.transpose(g), a)
    yield left, da if left.shape[1] == 1 else al.transpose(da)
    yield right, db if right.shape[1] == 1 else al.transpose(db)


def _sqrt(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    (arg,) = node.args
    yield arg, al.hadamard(g, al.scale(al.power(value(arg), Fraction(-1, 2)), Fraction(1, 2)))


def _vec_scalars(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    if len(node.args) == 1 and is_vector(node.args[0].shape):
        (arg,) = node.args
        yield arg, g if arg.shape == g.shape else al.transpose(g)
        return
    if any(a.shape != SCALAR for a in node.args):
        raise Unsupported("the adjoint of vec(X) of a matrix (no reshape in the language)")
    for k, arg in enumerate(node.args):
        yield arg, al.atom(al.Fn(SCALAR, "index", (g,), None, (k, 0)))


def _constant(node: Call, g: Poly, value: Converter) -> Iterator[tuple[Expr, Poly]]:
    return iter(())


CALL_VJPS: dict[str, Callable[[Call, Poly, Converter], Iterator[tuple[Expr, Poly]]]] = {
    "maximum": _two_sided, "minimum": _two_sided, "softmax": _softmax, "logsumexp": _logsumexp,
    "sum": _sum, "mean": _mean, "norm": _norm, "trace": _trace, "det": _det, "logdet": _logdet,
    "inv": _inv, "diag": _diag, "outer": _outer, "sqrt": _sqrt, "vec": _vec_scalars,
    "eye": _constant, "ones": _constant,
}


# ---------------------------------------------------------------- forward mode


class Forward:
    """Jacobians ∂vec(node)/∂vec(wrt) of vector- and scalar-valued nodes."""

    def __init__(self, f: Expr, wrt: str, wrt_shape: Shape, value: Converter) -> None:
        self.wrt, self.wrt_shape, self.value = wrt, wrt_shape, value
        self.live = dependent(topological(f), wrt)
        self.memo: dict[int, Poly] = {}
        self.width = numel(wrt_shape)

    def zero(self, node: Expr) -> Poly:
        return al.zero((numel(node.shape), self.width))

    def __call__(self, node: Expr) -> Poly:
        if id(node) not in self.live:
            return self.zero(node)
        found = self.memo.get(id(node))
        if found is None:
            if not (is_vector(node.shape)):
                raise Unsupported("a matrix-valued intermediate depends on the variable")
            found = self.rule(node)
            self.memo[id(node)] = found
        return found

    def rule(self, node: Expr) -> Poly:
        if isinstance(node, Variable):
            return al.eye(self.width)
        if isinstance(node, (LetRef, Negate, Transpose)):
            inner = self(node.children()[0])
            return al.neg(inner) if isinstance(node, Negate) else inner
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Power):
            p = constant_of(self.value(node.exponent))
            if p is None or id(node.exponent) in self.live:
                raise Unsupported("a variable exponent in a Jacobian")
            return self.entrywise(node.base, al.scale(al.power(self.value(node.base), p - 1), p))
        if isinstance(node, Call):
            return self.call(node)
        raise Unsupported(f"no Jacobian rule for {type(node).__name__}")

    def entrywise(self, arg: Expr, slope: Poly) -> Poly:
        """J of f(a) entrywise: diag(f′(a)) J_a (a scalar slope simply scales)."""
        inner = self(arg)
        if arg.shape == SCALAR:
            return al.hadamard(slope, inner)
        return al.matmul(al.call("diag", (column(slope),), (numel(arg.shape), numel(arg.shape))), inner)

    def spread(self, node: Expr, operand: Expr) -> Poly:
        """J of an operand broadcast to ``node``'s shape (a scalar repeated p times)."""
        inner = self(operand)
        if operand.shape == node.shape or (numel(operand.shape) == numel(node.shape)):
            return inner
        if operand.shape == SCALAR:
            return al.matmul(al.ones((numel(node.shape), 1)), inner)
        raise Unsupported("broadcast in a Jacobian")

    def binary(self, node: Binary) -> Poly:
        left, right = node.left, node.right
        a, b = self.value(left), self.value(right)
        if node.op in "+-":
            second = self.spread(node, right)
            return al.add(self.spread(node, left), second if node.op == "+" else al.neg(second))
        if node.op == "@":
            return self.product(node)
        if node.op == "*":
            return al.add(self.scaled(node, left, b), self.scaled(node, right, a))
        if node.op == "/":
            first = self.scaled(node, left, al.power(b, -1))
            second = self.scaled(node, right, al.neg(al.hadamard(a, al.power(b, -2))))
            return al.add(first, second)
        raise Unsupported(f"operator {node.op}")

    def scaled(self, node: Expr, operand: Expr, other: Poly) -> Poly:
        """J of ``operand ∘ other`` through ``operand`` alone."""
        if id(operand) not in self.live:
            return self.zero(node)
        inner = self.spread(node, operand)
        if other.shape == SCALAR:
            return al.hadamard(other, inner)
        if operand.shape == SCALAR:
            return al.matmul(column(other), self(operand))
        n = numel(other.shape)
        return al.matmul(al.call("diag", (column(other),), (n, n)), inner)

    def product(self, node: Binary) -> Poly:
        left, right = node.left, node.right
        a, b = self.value(left), self.value(right)
        if a.shape == SCALAR or b.shape == SCALAR:
            return al.add(self.scaled(node, left, b), self.scaled(node, right, a))
        parts = []
        if id(left) in self.live:
            parts.append(self.through_left(left, b))
        if id(right) in self.live:
            parts.append(self.through_right(right, a))
        return al.add(*parts)

    def through_left(self, left: Expr, b: Poly) -> Poly:
        """J of A @ B through A: vec(A B) = (Bᵀ ⊗ I) vec(A)."""
        if isinstance(left, Variable) and not is_vector(left.shape):
            if b.shape[1] != 1:
                raise Unsupported("a matrix-valued product of the variable")
            return al.call("kron", (al.transpose(b), al.eye(left.shape[0])),
                           (left.shape[0], self.width))
        if left.shape[0] != 1:
            raise Unsupported("a column times a row depends on the variable")
        return al.matmul(al.transpose(b), self(left))

    def through_right(self, right: Expr, a: Poly) -> Poly:
        """J of A @ B through B: vec(A B) = (I ⊗ A) vec(B)."""
        if isinstance(right, Variable) and not is_vector(right.shape):
            if a.shape[0] != 1:
                raise Unsupported("a matrix-valued product of the variable")
            return al.call("kron", (al.eye(right.shape[1]), a), (right.shape[1], self.width))
        if right.shape[1] != 1:
            raise Unsupported("a row times a column-less product")
        return al.matmul(a, self(right))

    def call(self, node: Call) -> Poly:
        name = node.function
        if name in ENTRYWISE_DERIVATIVES:
            (arg,) = node.args
            return self.entrywise(arg, ENTRYWISE_DERIVATIVES[name](self.value(arg)))
        if name == "sqrt":
            (arg,) = node.args
            return self.entrywise(arg, al.scale(al.power(self.value(arg), Fraction(-1, 2)), Fraction(1, 2)))
        (arg, *rest) = node.args
        if rest or not is_vector(arg.shape):
            raise Unsupported(f"no Jacobian rule for {name} here")
        a = column(self.value(arg))
        n = numel(arg.shape)
        if name == "softmax":
            s = al.call("softmax", (a,), a.shape)
            jac = al.sub(al.call("diag", (s,), (n, n)), al.matmul(s, al.transpose(s)))
            return al.matmul(jac, self(arg))
        if name in ("sum", "mean") and node.axis is None:
            row = al.ones((1, n)) if name == "sum" else al.scale(al.ones((1, n)), Fraction(1, n))
            return al.matmul(row, self(arg))
        if name == "logsumexp":
            return al.matmul(al.transpose(al.call("softmax", (a,), a.shape)), self(arg))
        if name == "norm":
            return al.matmul(al.transpose(al.divide(a, al.call("norm", (a,), SCALAR))), self(arg))
        raise Unsupported(f"no Jacobian rule for {name}")


def jacobian(f: Expr, wrt: str, wrt_shape: Shape, value: Converter | None = None) -> Poly:
    """∂vec(f)/∂vec(wrt), numel(f) × numel(wrt) (column-major vec for a matrix variable)."""
    value = value or Converter()
    return Forward(f, wrt, wrt_shape, value)(f)
