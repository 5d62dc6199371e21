"""Layers with parameters or a change of width: affine maps and polynomial features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    Field,
    FiniteFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gradcheck_cli.errors import plain_text
from gradcheck_cli.ops import register
from gradcheck_cli.ops.base import Array, Cache, Layer, index
from gradcheck_cli.policy import MAX_WIDTH

if TYPE_CHECKING:
    import sympy as sp


@register
class Linear(Layer):
    """Affine map z = W x + b, W ∈ R^{out×n}, b ∈ R^{out}: z_i = Σ_j W_ij x_j + b_i.

    ``W`` and ``b`` may be given inline (``W`` as a list of rows); otherwise they are drawn from
    the spec's seed, W ~ N(0, 1/n) and b ~ N(0, 1/4). ``names`` renames the parameters in
    reports (``{W: U, b: b2}``); by default the l-th linear layer owns ``W{l}`` and ``b{l}``.
    """

    kind = "linear"
    penalised = ("W",)
    examples = ({"out": 4}, {"out": 2, "bias": False})

    out: PositiveInt | None = Field(default=None, le=MAX_WIDTH)
    bias: bool = True
    W: list[list[FiniteFloat]] | None = Field(default=None, min_length=1)
    b: list[FiniteFloat] | None = Field(default=None, min_length=1)
    #: printed in every report, so plain text (``errors.plain_text``), as sheet names are
    names: dict[Literal["W", "b"], Annotated[str, Field(min_length=1), AfterValidator(plain_text)]] = Field(
        default_factory=dict)

    @field_validator("W")
    @classmethod
    def _rectangular(cls, W: list[list[float]] | None, info: ValidationInfo) -> list[list[float]] | None:
        if W is None:
            return W
        if len({len(row) for row in W}) > 1 or not W[0]:
            raise ValueError("the rows of `W` must be non-empty and all of the same length")
        out = info.data.get("out")
        if out is not None and len(W) != out:
            raise ValueError(f"`W` has {len(W)} rows but `out` is {out}")
        return W

    @field_validator("b")
    @classmethod
    def _fits(cls, b: list[float] | None, info: ValidationInfo) -> list[float] | None:
        if b is None:
            return b
        if not info.data.get("bias", True):
            raise ValueError("`b` is given but `bias` is false")
        W, out = info.data.get("W"), info.data.get("out")
        width = out if out is not None else (len(W) if W else None)
        if width is not None and len(b) != width:
            raise ValueError(f"`b` has {len(b)} entries but the layer has {width} outputs")
        return b

    @model_validator(mode="after")
    def _sized(self) -> Linear:
        if self.out is None and self.W is None:
            raise ValueError("give the output size `out` or the weight matrix `W`")
        return self

    @property
    def width(self) -> int:
        return self.out if self.out is not None else len(self.W or [])

    def describe(self) -> str:
        return f"linear({self.width}{'' if self.bias else ', no bias'})"

    def out_size(self, n_in: int) -> int:
        return self.width

    def param_shapes(self, n_in: int) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {"W": (self.width, n_in)}
        if self.bias:
            shapes["b"] = (self.width,)
        return shapes

    def given_values(self) -> dict[str, Array]:
        given: dict[str, Array] = {}
        if self.W is not None:
            given["W"] = np.array(self.W, dtype=np.float64)
        if self.b is not None:
            given["b"] = np.array(self.b, dtype=np.float64)
        return given

    def init_params(self, n_in: int, rng: np.random.Generator) -> dict[str, Array]:
        values = {"W": rng.standard_normal((self.width, n_in)) / np.sqrt(n_in)}
        if self.bias:
            values["b"] = 0.5 * rng.standard_normal(self.width)
        return values

    def forward(self, x: Array, params: Mapping[str, Array]) -> tuple[Array, Cache]:
        W = params["W"]
        z = _product(x, W)
        if self.bias:
            z = z + params["b"][..., None, :]
        return z, (x, W)

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        x, W = cache
        grads = {"W": g.T @ x}
        if self.bias:
            grads["b"] = g.sum(axis=0)
        return g @ W, grads

    def moved_column(self, x: Array, local: str, flat: Array, delta: Array) -> tuple[Array, Array]:
        """What moving one parameter entry does to the output z = xWᵀ + b, for a stack of copies:
        entry ``flat[s]`` (row-major) of ``local`` moved by ``delta[s]`` moves only column p[s]
        of z, by shift[s] (copies × batch). W[p, q] moves z[:, p] by δ·x[:, q]; b[p] by δ.

        Returns:
            p (copies,) and shift (copies, batch).
        """
        if local == "W":
            p, q = np.divmod(flat, x.shape[-1])
            return p, delta[:, None] * x[:, q].T
        return flat, np.broadcast_to(delta[:, None], (flat.size, x.shape[0]))

    def column_change(self, params: Mapping[str, Array], p: Array, change: Array) -> Array:
        """The change of the output z = xWᵀ + b when column p[s] of the input changes by
        ``change[s]`` (copies × batch) in copy s: the rank-1 update change[s] ⊗ W[:, p[s]],
        shape (copies, batch, out)."""
        moved: Array = np.multiply(change[:, :, None], params["W"][:, p].T[:, None, :])
        return moved

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        """W a + b."""
        product = f"{params['W']} @ {a}"
        return f"{product} + {params['b']}" if "b" in params else product

    def math(
        self, i: sp.Symbol, x: sp.IndexedBase, n: sp.Symbol, params: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        j = index("j")
        z = sp.Sum(params["W"][i, j] * x[j], (j, 0, n - 1))
        return z + params["b"][i] if self.bias else z


def _product(x: Array, W: Array) -> Array:
    """x Wᵀ over any leading axes, on real BLAS: a complex operand is split into its real and
    imaginary parts (NumPy's mixed and stacked complex products take a slow generic loop).

    Products take as many rows as they can at once (a product of a few rows is bound by reading
    W): a complex x against a real W multiplies its real and imaginary parts stacked as rows, and
    leading axes against one W are rows too.
    """
    if np.iscomplexobj(x) and not np.iscomplexobj(W):
        m = x.shape[-2]
        both = _product(np.concatenate([x.real, x.imag], axis=-2), W)
        out = np.empty((*both.shape[:-2], m, both.shape[-1]), dtype=np.result_type(x, W))
        out.real, out.imag = both[..., :m, :], both[..., m:, :]
        return out
    if np.iscomplexobj(x) or np.iscomplexobj(W):
        real = _product(x.real, W.real)
        imag = _product(x.real, W.imag) if np.iscomplexobj(W) else 0.0
        if np.iscomplexobj(x):
            real = real - (_product(x.imag, W.imag) if np.iscomplexobj(W) else 0.0)
            imag = imag + _product(x.imag, W.real)
        return real + 1j * imag
    if W.ndim > 2 and x.ndim == 2:
        return np.swapaxes(W @ x.T, -1, -2)
    if W.ndim == 2 and x.ndim > 2:
        flat: Array = x.reshape(-1, x.shape[-1]) @ W.T
        return flat.reshape(*x.shape[:-1], W.shape[0])
    return x @ np.swapaxes(W, -1, -2)


@register
class Polynomial(Layer):
    """Polynomial features of a scalar input: out_i = x^(i+1), i = 0..degree-1.

    Followed by ``linear`` with one output this is the polynomial regression
    f(x, θ) = θ_0 + Σ_{d≥1} θ_d x^d of the vector-calculus slides (θ_0 is the bias).
    """

    kind = "polynomial"
    examples = ({"degree": 3},)

    degree: PositiveInt = Field(le=MAX_WIDTH)

    def describe(self) -> str:
        return f"polynomial({self.degree})"

    def out_size(self, n_in: int) -> int:
        return self.degree

    def forward(self, x: Array, params: Mapping[str, Array]) -> tuple[Array, Cache]:
        powers = np.arange(1, self.degree + 1)
        return x**powers, (x,)

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        (x,) = cache
        powers = np.arange(1, self.degree + 1)
        slopes = powers * x ** (powers - 1)
        return (g * slopes).sum(axis=-1, keepdims=True), {}

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        """The column (x, x², …, x^degree) of a scalar input."""
        return "vec(" + ", ".join(f"{a}**{d}" for d in range(1, self.degree + 1)) + ")"

    def math(
        self, i: sp.Symbol, x: sp.IndexedBase, n: sp.Symbol, params: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        return x[0] ** (i + 1)
