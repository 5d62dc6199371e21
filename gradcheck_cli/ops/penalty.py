"""The L2 penalty on weight matrices, added to J once per matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import NonNegativeFloat

from gradcheck_cli.ops.base import Array, Op, index

if TYPE_CHECKING:
    import sympy as sp


class L2Penalty(Op):
    """R(W) = (λ/2)‖W‖²_F, added once per weight matrix to J; ∂R/∂W = λW."""

    kind: ClassVar[str] = "l2"
    #: R is a sum over W's entries of one function of each: moving one entry changes R by the
    #: forward of that entry alone (a 1 × 1 matrix), so the numeric engine need not copy W.
    separable: ClassVar[bool] = True

    strength: NonNegativeFloat

    def forward(self, W: Array) -> Array:
        """R of a matrix, or of every matrix of a stack (the last two axes)."""
        return 0.5 * self.strength * (W * W).sum(axis=(-2, -1))  # type: ignore[no-any-return]

    def backward(self, W: Array) -> Array:
        return self.strength * W

    def math(self, W: sp.IndexedBase, rows: sp.Symbol, cols: sp.Symbol) -> sp.Expr:
        import sympy as sp
        i, j = index("i"), index("j")
        lam = sp.Float(self.strength)
        return lam / 2 * sp.Sum(sp.Sum(W[i, j] ** 2, (j, 0, cols - 1)), (i, 0, rows - 1))
