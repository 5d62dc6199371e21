"""Per-example losses L(ŷ, y)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import FiniteFloat, NonNegativeFloat, field_validator

from gradcheck_cli.ops import register
from gradcheck_cli.ops.activations import logistic, softplus
from gradcheck_cli.ops.base import Array, Cache, Loss, index
from gradcheck_cli.ops.complexstep import exp, log
from gradcheck_cli.policy import SYMPY_INVERSE_WIDTH

if TYPE_CHECKING:
    import sympy as sp


class _SquaredError(Loss):
    """c·‖ŷ - y‖² with c = 1, ½ or 1/k; ∂L/∂ŷ = 2c(ŷ - y)."""

    #: Which constant c: "one", "half" or "mean" (1/k).
    scale: ClassVar[str]

    def _c(self, k: int) -> float:
        return {"half": 0.5, "mean": 1.0 / k}.get(self.scale, 1.0)

    def _c_math(self, k: sp.Symbol) -> sp.Expr:
        import sympy as sp
        return {"half": sp.Rational(1, 2), "mean": 1 / k}.get(self.scale, sp.Integer(1))

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        e = yhat - y
        return self._c(y.shape[-1]) * (e * e).sum(axis=-1), (e,)

    def backward(self, cache: Cache) -> Array:
        e: Array = cache[0]
        return 2.0 * self._c(e.shape[-1]) * e

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        c = {"half": "0.5 * ", "mean": f"1/{k} * "}.get(self.scale, "")
        return f"{c}sum(({yhat} - {y})**2)", {}

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i = index("i")
        return self._c_math(k) * sp.Sum((yhat[i] - y[i]) ** 2, (i, 0, k - 1))


@register
class SquaredError(_SquaredError):
    """L = ‖ŷ - y‖² (the notes' square-error cost; least squares)."""

    kind = "squared_error"
    scale = "one"


@register
class HalfSquaredError(_SquaredError):
    """L = ½‖ŷ - y‖² (the slides' squared loss; Gaussian NLL with Σ = I up to a constant)."""

    kind = "half_squared_error"
    scale = "half"


@register
class MeanSquaredError(_SquaredError):
    """L = (1/k)‖ŷ - y‖², the mean over the k outputs."""

    kind = "mean_squared_error"
    scale = "mean"


@register
class CrossEntropy(Loss):
    """L = -Σ_i y_i log ŷ_i on probabilities ŷ (after softmax); ∂L/∂ŷ = -y/ŷ."""

    kind = "cross_entropy"
    targets = "onehot"
    domain = "simplex"

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        return -(y * log(yhat)).sum(axis=-1), (yhat, y)

    def backward(self, cache: Cache) -> Array:
        yhat, y = cache
        return -y / yhat  # type: ignore[no-any-return]

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        return f"-{y}.T @ log({yhat})", {}

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i = index("i")
        return -sp.Sum(y[i] * sp.log(yhat[i]), (i, 0, k - 1))


@register
class SoftmaxCrossEntropy(Loss):
    """Cross-entropy from logits z: L = -Σ_i y_i (z_i - log Σ_j e^{z_j}) (log-sum-exp).

    ∂L/∂z = softmax(z)·Σ_i y_i - y, which is ŷ - y for one-hot y (the notes' δ₁).
    """

    kind = "softmax_cross_entropy"
    targets = "onehot"

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        top = yhat.real.max(axis=-1, keepdims=True)
        lse = top + log(exp(yhat - top).sum(axis=-1, keepdims=True))
        return (y * (lse - yhat)).sum(axis=-1), (yhat, y, lse)

    def backward(self, cache: Cache) -> Array:
        yhat, y, lse = cache
        return np.exp(yhat - lse) * y.sum(axis=-1, keepdims=True) - y  # type: ignore[no-any-return]

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        return f"-{y}.T @ log(softmax({yhat}))", {}

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i, j = index("i"), index("j")
        lse = sp.log(sp.Sum(sp.exp(yhat[j]), (j, 0, k - 1)))
        return -sp.Sum(y[i] * (yhat[i] - lse), (i, 0, k - 1))


@register
class BinaryCrossEntropy(Loss):
    """L = -Σ_i [y_i log p_i + (1 - y_i) log(1 - p_i)] on probabilities p (after sigmoid).

    ∂L/∂p = -y/p + (1 - y)/(1 - p).
    """

    kind = "binary_cross_entropy"
    targets = "binary"
    domain = "unit"

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        losses = -(y * log(yhat) + (1.0 - y) * np.log1p(-yhat))
        return losses.sum(axis=-1), (yhat, y)

    def backward(self, cache: Cache) -> Array:
        p, y = cache
        return -y / p + (1.0 - y) / (1.0 - p)  # type: ignore[no-any-return]

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        return f"-sum({y} * log({yhat}) + (1 - {y}) * log(1 - {yhat}))", {}

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i = index("i")
        return -sp.Sum(y[i] * sp.log(yhat[i]) + (1 - y[i]) * sp.log(1 - yhat[i]), (i, 0, k - 1))


@register
class SigmoidBinaryCrossEntropy(Loss):
    """Binary cross-entropy from logits z: L = Σ_i [log(1 + e^{z_i}) - y_i z_i]; ∂L/∂z = σ(z) - y."""

    kind = "sigmoid_binary_cross_entropy"
    targets = "binary"

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        return (softplus(yhat) - y * yhat).sum(axis=-1), (yhat, y)

    def backward(self, cache: Cache) -> Array:
        z, y = cache
        return logistic(z) - y  # type: ignore[no-any-return]

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        return f"sum(softplus({yhat}) - {y} * {yhat})", {}

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i = index("i")
        return sp.Sum(sp.log(1 + sp.exp(yhat[i])) - y[i] * yhat[i], (i, 0, k - 1))


@register
class Hinge(Loss):
    """Multiclass hinge (SVM) loss on scores z with one-hot y: L = Σ_{j≠c} max(0, z_j - z_c + Δ),
    c the label, margin Δ (default 1). ∂L/∂z_j = 1[m_j > 0] for j ≠ c, -Σ_{j≠c} 1[m_j > 0] for c
    (the subgradient 0 taken at a kink m_j = 0).
    """

    kind = "hinge"
    targets = "onehot"
    examples = ({}, {"margin": 0.5})

    margin: NonNegativeFloat = 1.0

    def describe(self) -> str:
        return "hinge" if self.margin == 1.0 else f"hinge({self.margin:g})"

    def hinges(self, yhat: Array, y: Array) -> Array:
        """m_j = z_j - z_c + Δ for every j ≠ c (−1 at the label itself: never a kink there)."""
        correct = (y * yhat).sum(axis=-1, keepdims=True)
        return np.where(y > 0, -1.0, yhat - correct + self.margin)

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        """Σ over the wrong classes of max(0, z_j − z_c + Δ), z_c = yᵀz for a one-hot y."""
        return f"sum((1 - {y}) * maximum(0, {yhat} - {y}.T @ {yhat} + {self.margin!r}))", {}

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        m = self.hinges(yhat, y)
        # complex points take the piece of the real part, as relu does
        return (m * (m.real > 0)).sum(axis=-1), (m, y)

    def backward(self, cache: Cache) -> Array:
        m, y = cache
        active = (m > 0).astype(m.dtype)
        return active - y * active.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i, j = index("i"), index("j")
        correct = sp.Sum(y[i] * yhat[i], (i, 0, k - 1))
        term = yhat[j] - correct + sp.Float(self.margin)
        return sp.Sum((1 - y[j]) * sp.Max(term, 0), (j, 0, k - 1))


@register
class GaussianNLL(Loss):
    """Negative log-likelihood of y ~ N(ŷ, Σ): L = ½ eᵀ Σ⁻¹ e + ½ log det(2πΣ), e = y - ŷ.

    ``covariance`` is a scalar σ² (Σ = σ²I), a list (the diagonal of Σ) or a full symmetric
    positive-definite matrix. ∂L/∂ŷ = -Σ⁻¹ e. ``constant: false`` drops the log-det term,
    which does not depend on ŷ.
    """

    kind = "gaussian_nll"
    examples = (
        {},
        {"covariance": 0.5},
        {"covariance": [0.5, 2.0, 1.0]},
        {"covariance": [[2.0, 0.3, 0.0], [0.3, 1.0, -0.2], [0.0, -0.2, 0.7]], "constant": False},
    )

    covariance: FiniteFloat | list[FiniteFloat] | list[list[FiniteFloat]] = 1.0
    constant: bool = True

    @field_validator("covariance")
    @classmethod
    def _positive_definite(cls, cov: Any) -> Any:
        if isinstance(cov, list) and cov and isinstance(cov[0], list):
            if any(len(row) != len(cov) for row in cov):
                raise ValueError("a full `covariance` must be a square matrix (k rows of k entries)")
            full = np.array(cov, dtype=np.float64)
            if not np.array_equal(full, full.T):
                raise ValueError("`covariance` must be symmetric")
            if np.any(np.linalg.eigvalsh(full) <= 0):
                raise ValueError("`covariance` must be positive definite")
            return cov
        if np.any(np.atleast_1d(np.array(cov, dtype=np.float64)) <= 0) or cov == []:
            raise ValueError("the variances in `covariance` must be positive")
        return cov

    def describe(self) -> str:
        cov = np.array(self.covariance)
        form = {0: "scalar", 1: "diagonal", 2: "full"}[cov.ndim]
        return f"gaussian_nll({form} Σ)"

    def sigma(self, k: int) -> Array:
        cov = np.array(self.covariance, dtype=np.float64)
        if cov.ndim == 0:
            return float(cov) * np.eye(k)
        if cov.ndim == 1:
            return np.diag(cov)
        return cov

    def check_output(self, k: int) -> tuple[str, str] | None:
        cov = np.array(self.covariance)
        if cov.ndim > 0 and cov.shape[0] != k:
            return "covariance", f"`covariance` is {cov.shape[0]}-dimensional but the network has {k} outputs"
        return None

    def constants(self, k: int) -> dict[str, Array]:
        """Σ⁻¹ (``P``) and ½ log det(2πΣ) (``c``), derived by SymPy for the symbolic engine alone.

        The NumPy forward and backward solve with Σ each on their own, so no engine reads an
        inverse another one computed: Σ⁻¹ replaced by Σ in any one of them is a disagreement.
        """
        cov = np.array(self.covariance, dtype=np.float64)
        if cov.ndim < 2:
            precision, logdet = _diagonal_inverse(np.broadcast_to(cov, (k,)))
        else:
            precision, logdet = _cholesky_inverse(cov)
        constant = 0.5 * (k * np.log(2.0 * np.pi) + logdet) if self.constant else 0.0
        return {"P": precision, "c": np.array([constant])}

    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        sigma = self.sigma(y.shape[-1])
        e = y - yhat
        # Σ⁻¹e by a solve with Σ, one column per example (and per perturbed copy)
        columns = e.reshape(-1, e.shape[-1]).T
        quad = (columns * np.linalg.solve(sigma, columns)).sum(axis=0).reshape(e.shape[:-1])
        constant = 0.5 * np.linalg.slogdet(2.0 * np.pi * sigma)[1] if self.constant else 0.0
        return 0.5 * quad + constant, (e, sigma)

    def backward(self, cache: Cache) -> Array:
        """-Σ⁻¹e per example (Σ is symmetric), by a solve of its own."""
        e, sigma = cache
        return -np.linalg.solve(sigma, e.T).T  # type: ignore[no-any-return]

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        """½ eᵀ Σ⁻¹ e (+ ½ log det 2πΣ) with Σ the constant ``Sigma``."""
        quadratic = f"0.5 * ({y} - {yhat}).T @ inv(Sigma) @ ({y} - {yhat})"
        constant = " + 0.5 * logdet(2 * pi * Sigma)" if self.constant else ""
        return quadratic + constant, {"Sigma": self.sigma(k)}

    def math(
        self, yhat: sp.IndexedBase, y: sp.IndexedBase, k: sp.Symbol, consts: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        i, j = index("i"), index("j")
        P, c = consts["P"], consts["c"]
        quad = sp.Sum(sp.Sum((y[i] - yhat[i]) * P[i, j] * (y[j] - yhat[j]), (j, 0, k - 1)), (i, 0, k - 1))
        return quad / 2 + c[0]


def _diagonal_inverse(variances: Array) -> tuple[Array, float]:
    """Σ⁻¹ and log det Σ of Σ = diag(variances), by SymPy's arithmetic."""
    import sympy as sp
    entries = [sp.Float(float(v)) for v in variances]
    precision = np.diag(np.array([float(1 / v) for v in entries]))
    return precision, float(sum(sp.log(v) for v in entries))


def _cholesky_inverse(sigma: Array) -> tuple[Array, float]:
    """Σ⁻¹ and log det Σ of a full symmetric positive-definite Σ: by SymPy, Σ = LLᵀ, L⁻¹ by a
    triangular solve, Σ⁻¹ = L⁻ᵀL⁻¹ and log det Σ = 2 Σ log Lᵢᵢ. SymPy's arithmetic grows as k³
    in Python; wider than ``policy.SYMPY_INVERSE_WIDTH`` the eigendecomposition Σ = VΛVᵀ is taken
    instead, an algorithm neither NumPy forward nor backward uses."""
    k = sigma.shape[0]
    if k > SYMPY_INVERSE_WIDTH:
        values, vectors = np.linalg.eigh(sigma)
        return (vectors / values) @ vectors.T, float(np.log(values).sum())
    import sympy as sp
    L = sp.Matrix(sigma.tolist()).cholesky(hermitian=False)
    inverse = L.lower_triangular_solve(sp.eye(k))
    precision = np.array((inverse.T * inverse).tolist(), dtype=np.float64)
    return precision, float(2 * sum(sp.log(L[i, i]) for i in range(k)))
