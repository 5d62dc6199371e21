"""What an op is: its math (SymPy, index notation), its NumPy forward and its NumPy backward.

Shapes. A batch is stored row-wise, as in the course notes (X ∈ R^{m×n}): an activation has
shape ``(..., m, n)`` where ``...`` are optional leading axes the numeric engine uses to
evaluate many perturbed parameter sets in one call. Forwards must broadcast over those axes;
backwards see unbatched ``(m, n)`` arrays only.

Math. ``math`` returns entry ``i`` of the op's output for one example, written with SymPy
``IndexedBase`` objects and a symbolic input size, so derivatives derived from it do not grow
with the size of the layer. The symbolic engine differentiates this form and never looks at
``backward``; the numeric engine calls ``forward`` only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from gradcheck_cli.arrays import Array as Array  # re-exported: the ops speak of it

if TYPE_CHECKING:
    import sympy as sp

Cache = tuple[Any, ...]
TargetKind = Literal["real", "onehot", "binary"]



def index(name: str) -> sp.Symbol:
    """A summation index of the ops' math: a non-negative integer symbol."""
    import sympy as sp
    return sp.Symbol(name, integer=True, nonnegative=True)

class Op(BaseModel, ABC):
    """Common ground of layers and losses: a frozen, validated record of the op's settings."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    #: The name the op has in specs and in reports.
    kind: ClassVar[str]
    #: True when the forward is an analytic function safe to evaluate at complex points.
    complex_safe: ClassVar[bool] = True
    #: Settings to exercise the op with in the registry-driven tests (and `gradcheck ops`).
    examples: ClassVar[tuple[dict[str, Any], ...]] = ({},)

    @model_validator(mode="before")
    @classmethod
    def _spec_form(cls, data: Any) -> Any:
        return _unwrap(cls, data)

    def describe(self) -> str:
        """A short label for reports, e.g. ``linear(3)`` or ``leaky_relu(0.01)``."""
        return self.kind


class Layer(Op):
    """A network layer mapping ``(..., m, n_in)`` to ``(..., m, n_out)``."""

    #: Local names of parameters that L2 regularisation applies to.
    penalised: ClassVar[tuple[str, ...]] = ()

    def out_size(self, n_in: int) -> int:
        """Width of the output for an input of width ``n_in``."""
        return n_in

    def param_shapes(self, n_in: int) -> dict[str, tuple[int, ...]]:
        """Local parameter name → shape, for an input of width ``n_in``."""
        return {}

    def given_values(self) -> dict[str, Array]:
        """Parameter values written inline in the spec (local name → array)."""
        return {}

    def init_params(self, n_in: int, rng: np.random.Generator) -> dict[str, Array]:
        """Seeded initial values for every parameter not given inline."""
        return {}

    @abstractmethod
    def forward(self, x: Array, params: Mapping[str, Array]) -> tuple[Array, Cache]:
        """Output of the layer and what ``backward`` needs."""

    @abstractmethod
    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        """Given ∂J/∂out of shape (m, n_out): ∂J/∂in (m, n_in) and ∂J/∂param, summed over the batch."""

    @abstractmethod
    def math(
        self, i: sp.Symbol, x: sp.IndexedBase, n: sp.Symbol, params: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        """Entry ``i`` of the output for one example whose input is ``x[0..n-1]``."""

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        """The output for one example, a column ``a``, in the expression language, with the
        parameters under ``params`` (local name → global name); None where it has no form."""
        return None


class Elementwise(Layer):
    """An activation applied entry by entry: out_i = g(z_i)."""

    #: g's name in the expression language, where it has one.
    function: ClassVar[str | None] = None

    def formula(self, a: str, params: Mapping[str, str]) -> str | None:
        return None if self.function is None else f"{self.function}({a})"

    @abstractmethod
    def scalar(self, t: sp.Symbol) -> sp.Expr:
        """The function g as a SymPy expression of one real variable."""

    @abstractmethod
    def value(self, z: Array) -> Array:
        """g(z), elementwise, numerically stable."""

    @abstractmethod
    def derivative(self, z: Array, y: Array) -> Array:
        """g'(z), given also y = g(z) (cheaper for tanh and sigmoid)."""

    def branch(self, z: Array) -> Array | None:
        """For a function with kinks: which smooth piece each entry of z is on (an array that
        changes where z crosses a kink); None for a smooth function."""
        return None

    def forward(self, x: Array, params: Mapping[str, Array]) -> tuple[Array, Cache]:
        y = self.value(x)
        return y, (x, y)

    def backward(self, cache: Cache, g: Array) -> tuple[Array, dict[str, Array]]:
        z, y = cache
        return g * self.derivative(z, y), {}

    def math(
        self, i: sp.Symbol, x: sp.IndexedBase, n: sp.Symbol, params: Mapping[str, sp.IndexedBase]
    ) -> sp.Expr:
        import sympy as sp
        t = sp.Dummy("t", real=True)
        return self.scalar(t).subs(t, x[i])


class Loss(Op):
    """A per-example loss L(ŷ, y) of the network output ŷ and the target y, both of width k."""

    def formula(self, yhat: str, y: str, k: int) -> tuple[str, dict[str, Array]] | None:
        """L for one example in the expression language (columns ``yhat`` and ``y``), with the
        constant arrays it names; None where the language has no form."""
        return None

    #: The kind of target the loss expects when the spec does not give targets inline.
    targets: ClassVar[TargetKind] = "real"
    #: Where the network output must lie: any real, the probability simplex (after softmax),
    #: or the open interval (0, 1) entrywise (after sigmoid).
    domain: ClassVar[Literal["real", "simplex", "unit"]] = "real"

    def check_output(self, k: int) -> tuple[str, str] | None:
        """Why the loss cannot take a network output of width ``k`` — the setting at fault and
        a sentence — or None when it can."""
        return None

    def constants(self, k: int) -> dict[str, Array]:
        """Numeric constants the math refers to (name → array), e.g. Σ⁻¹: the symbolic engine's
        alone, derived by SymPy; the NumPy forward and backward derive what they need themselves,
        so no engine reads a quantity another one computed."""
        return {}

    def hinges(self, yhat: Array, y: Array) -> Array | None:
        """For a loss with kinks: the quantities whose signs select its smooth piece (a hinge's
        margins), shape ``(..., m, k)``; None for a smooth loss."""
        return None

    @abstractmethod
    def forward(self, yhat: Array, y: Array) -> tuple[Array, Cache]:
        """Per-example losses of shape ``(..., m)`` and what ``backward`` needs."""

    @abstractmethod
    def backward(self, cache: Cache) -> Array:
        """∂L_i/∂ŷ_i for every example, shape (m, k)."""

    @abstractmethod
    def math(
        self,
        yhat: sp.IndexedBase,
        y: sp.IndexedBase,
        k: sp.Symbol,
        consts: Mapping[str, sp.IndexedBase],
    ) -> sp.Expr:
        """The loss of one example whose output is ``yhat[0..k-1]`` and target ``y[0..k-1]``."""


def _unwrap(cls: type[Op], data: Any) -> Any:
    """Accept the spec forms ``"tanh"`` and ``{"linear": {...}}`` for an op's settings."""
    if isinstance(data, str) and data == cls.kind:
        return {}
    if isinstance(data, dict) and list(data) == [cls.kind]:
        return data[cls.kind] if data[cls.kind] is not None else {}
    return data
