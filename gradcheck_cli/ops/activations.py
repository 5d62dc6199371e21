"""Activations: elementwise functions and softmax."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from pydantic import confloat

from gradcheck_cli.ops import register
from gradcheck_cli.ops.base import Array, Cache, Elementwise, Layer, index
from gradcheck_cli.ops.complexstep import exp, tanh

if TYPE_CHECKING:
    import sympy as sp


def logistic(z: Array) -> Array:
    """σ(z) = 1/(1 + e^{-z}) to a few ulps for every z: e^{-|z|} never overflows, and for
    z < 0 the form e^{z}/(1 + e^{z}) keeps the relative accuracy of tiny probabilities.

    The branch is chosen by the real part and each branch is the same analytic function, so a
    complex argument (the complex step) gets σ's analytic continuation.
    """
    ahead = z.real >= 0
    e = exp(np.where(ahead, -z, z))
    return np.where(ahead, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(z: Array) -> Array:
    """log(1 + e^z) as max(z, 0) + log1p(e^{-|z|}), which never overflows; branches chosen by
    the real part, so it is analytic at complex points as ``logistic`` is."""
    ahead = z.real > 0
    return np.where(ahead, z, 0.0) + np.log1p(exp(np.where(ahead, -z, z)))


@register
class Identity(Elementwise):
    """g(z) = z (a linear output layer)."""

    kind = "identity"

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        return a

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        return t

    def value(self, z: Array) -> Array:
        return z

    def derivative(self, z: Array, y: Array) -> Array:
        return np.ones_like(z)


@register
class ReLU(Elementwise):
    """g(z) = max(z, 0); g'(z) = 1[z > 0] (the subgradient 0 is taken at the kink)."""

    kind = "relu"
    function = "relu"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        import sympy as sp
        return sp.Max(t, 0)

    def value(self, z: Array) -> Array:
        # complex points take the piece of their real part (each piece is analytic)
        return z * (z.real > 0) if np.iscomplexobj(z) else np.maximum(z, 0.0)

    def derivative(self, z: Array, y: Array) -> Array:
        return (z > 0).astype(z.dtype)

    def branch(self, z: Array) -> Array:
        return np.asarray(z.real > 0)


@register
class LeakyReLU(Elementwise):
    """g(z) = max(z, 0) + a·min(z, 0) with slope a (default 0.01); g'(z) = 1 if z > 0 else a."""

    kind = "leaky_relu"
    examples = ({}, {"slope": 0.2})

    slope: confloat(ge=0.0, lt=1.0) = 0.01  # type: ignore[valid-type]

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        """max(z, a·z) for 0 ≤ a < 1."""
        return f"maximum({a}, {self.slope!r} * {a})"

    def describe(self) -> str:
        return f"leaky_relu({self.slope:g})"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        import sympy as sp
        return sp.Max(t, 0) + sp.Float(self.slope) * sp.Min(t, 0)

    def value(self, z: Array) -> Array:
        return np.where(z.real > 0, z, self.slope * z)

    def derivative(self, z: Array, y: Array) -> Array:
        return np.where(z > 0, 1.0, self.slope)

    def branch(self, z: Array) -> Array:
        return np.asarray(z.real > 0)


@register
class Abs(Elementwise):
    """g(z) = |z|; g'(z) = sign(z) (the subgradient 0 is taken at the kink)."""

    kind = "abs"
    function = "abs"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        import sympy as sp

        # max(z, -z) rather than Abs: SymPy differentiates Max of indexed reals piece by piece
        return sp.Max(t, -t)

    def value(self, z: Array) -> Array:
        # complex points take the piece of their real part (each piece, ±z, is analytic)
        return np.where(z.real >= 0, z, -z) if np.iscomplexobj(z) else np.abs(z)

    def derivative(self, z: Array, y: Array) -> Array:
        return np.sign(z)

    def branch(self, z: Array) -> Array:
        return np.asarray(z.real > 0)


@register
class Sigmoid(Elementwise):
    """g(z) = σ(z) = 1/(1 + e^{-z}); g'(z) = σ(z)(1 - σ(z)) = y(1 - y)."""

    kind = "sigmoid"
    function = "sigmoid"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        import sympy as sp
        return 1 / (1 + sp.exp(-t))

    def value(self, z: Array) -> Array:
        return logistic(z)

    def derivative(self, z: Array, y: Array) -> Array:
        return y * (1.0 - y)


@register
class Tanh(Elementwise):
    """g(z) = tanh(z); g'(z) = 1 - tanh²(z) = 1 - y²."""

    kind = "tanh"
    function = "tanh"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        import sympy as sp
        return sp.tanh(t)

    def value(self, z: Array) -> Array:
        return tanh(z)

    def derivative(self, z: Array, y: Array) -> Array:
        return 1.0 - y * y


@register
class Softplus(Elementwise):
    """g(z) = log(1 + e^z), computed as max(z, 0) + log1p(e^{-|z|}); g'(z) = σ(z)."""

    kind = "softplus"
    function = "softplus"

    def scalar(self, t: sp.Symbol) -> sp.Expr:
        import sympy as sp
        return sp.log(1 + sp.exp(t))

    def value(self, z: Array) -> Array:
        return softplus(z)

    def derivative(self, z: Array, y: Array) -> Array:
        return logistic(z)


@register
class Softmax(Layer):
    """s_i = e^{z_i} / Σ_j e^{z_j} (computed after subtracting max_j z_j; complex-safe).

    Backward: ∂J/∂z = s ⊙ (g - ⟨g, s⟩), the product with the Jacobian diag(s) - s sᵀ.
    """

    kind = "softmax"

    def forward(self, x: Array, params: Mapping[str, Array]) -> tuple[Array, Cache]:
        # the shift by the largest real part keeps exp from overflowing and, being a constant
        # along the axis, leaves the function analytic (the complex step still applies)
        e = exp(x - x.real.max(axis=-1, keepdims=True))
        s = e / e.sum(axis=-1, keepdims=True)
        return s, (s,)

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        (s,) = cache
        return s * (g - (g * s).sum(axis=-1, keepdims=True)), {}

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        return f"softmax({a})"

    def math(
        self, i: sp.Symbol, x: sp.IndexedBase, n: sp.Symbol, params: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        j = index("j")
        return sp.exp(x[i]) / sp.Sum(sp.exp(x[j]), (j, 0, n - 1))
