"""Local derivatives of every op, derived once by SymPy in index notation.

For a layer with output entry out_i(x, θ) (from ``Layer.math``) and a cotangent ``g`` over its
output, the vector-Jacobian products are

    ∂J/∂x[p]    = Σ_i g[i] ∂out_i/∂x[p]
    ∂J/∂θ[p, q] = Σ_i g[i] ∂out_i/∂θ[p, q]

with the widths ``n`` (input) and ``k`` (output) left as symbols. SymPy differentiates each op
once, whatever the size of the layer: the result is keyed by the math itself, so
``linear(5)`` and ``linear(200)`` share one derivation. The engine then evaluates these
formulas numerically with ``gradcheck_cli.engines.indexed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import sympy as sp

from gradcheck_cli.ops.base import Layer, Loss
from gradcheck_cli.ops.penalty import L2Penalty
from gradcheck_cli.problem import Node

_INDEX = {"integer": True, "nonnegative": True}

#: The output entry of a layer, as passed to ``Layer.math``.
OUT = sp.Symbol("i", **_INDEX)
#: Free indices of a derivative: ∂/∂x[p], ∂/∂W[p, q], ∂/∂T[p, q, r].
FREE = tuple(sp.Symbol(name, **_INDEX) for name in ("p", "q", "r", "u"))
#: Input width n, output width k (for a loss: the width of ŷ), and a weight's rows × cols.
N, K, ROWS, COLS = (sp.Symbol(name, integer=True, positive=True) for name in ("n", "k", "R", "C"))
#: The input of a layer, the cotangent over its output, the network output and the target.
X, G, YHAT, Y = (sp.IndexedBase(name) for name in ("x", "g", "yhat", "y"))
#: The matrix an L2 penalty applies to.
WEIGHT = sp.IndexedBase("W")


@dataclass(frozen=True)
class LayerRules:
    """One layer in index notation.

    Attributes:
        out: entry ``I`` of the output, in terms of ``X[·]`` and the parameters.
        input_vjp: Σ_i G[i] ∂out_i/∂X[p], free index ``p``.
        param_vjps: local parameter name → Σ_i G[i] ∂out_i/∂θ[p, q, …].
        params: local parameter name → its ``IndexedBase``.
    """

    out: sp.Expr
    input_vjp: sp.Expr
    param_vjps: Mapping[str, sp.Expr]
    params: Mapping[str, sp.IndexedBase]


@dataclass(frozen=True)
class LossRules:
    """A loss in index notation: ``value`` = L(ŷ, y), ``grad`` = ∂L/∂ŷ[p]."""

    value: sp.Expr
    grad: sp.Expr
    consts: Mapping[str, sp.IndexedBase]


@dataclass(frozen=True)
class PenaltyRules:
    """The penalty R(W) of one weight matrix and ∂R/∂W[p, q]."""

    value: sp.Expr
    grad: sp.Expr


def rules_of(node: Node) -> LayerRules:
    """The rules of the layer at ``node`` (parameter ranks from ``param_shapes``)."""
    shapes = node.op.param_shapes(node.n_in)
    return layer_rules(node.op, {name: len(shape) for name, shape in shapes.items()})


def layer_rules(op: Layer, ranks: Mapping[str, int]) -> LayerRules:
    """The rules of ``op``, whose parameters have the given ranks (local name → ndim)."""
    params = {name: sp.IndexedBase(name) for name in ranks}
    out = op.math(OUT, X, N, params)
    return _layer_rules(out, tuple(sorted(ranks.items())))


def loss_rules(loss: Loss, const_names: tuple[str, ...]) -> LossRules:
    """The rules of ``loss``, whose constants (``Loss.constants``) have the given names."""
    consts = {name: sp.IndexedBase(name) for name in const_names}
    return _loss_rules(loss.math(YHAT, Y, K, consts), const_names)


def penalty_rules(penalty: L2Penalty) -> PenaltyRules:
    """R(W) from ``L2Penalty.math`` and its derivative ∂R/∂W[p, q]."""
    return _penalty_rules(penalty.math(WEIGHT, ROWS, COLS))


@cache
def _layer_rules(out: sp.Expr, ranks: tuple[tuple[str, int], ...]) -> LayerRules:
    params = {name: sp.IndexedBase(name) for name, _ in ranks}
    vjps = {
        name: _vjp(out, params[name][FREE[:rank]] if rank else params[name]) for name, rank in ranks
    }
    return LayerRules(out, _vjp(out, X[FREE[0]]), vjps, params)


@cache
def _loss_rules(value: sp.Expr, const_names: tuple[str, ...]) -> LossRules:
    consts = {name: sp.IndexedBase(name) for name in const_names}
    return LossRules(value, _derivative(value, YHAT[FREE[0]]), consts)


@cache
def _penalty_rules(value: sp.Expr) -> PenaltyRules:
    return PenaltyRules(value, _derivative(value, WEIGHT[FREE[0], FREE[1]]))


def derivation_count() -> int:
    """How many distinct layer and loss derivations SymPy has done in this process."""
    return _layer_rules.cache_info().currsize + _loss_rules.cache_info().currsize


def _vjp(out: sp.Expr, wrt: sp.Expr) -> sp.Expr:
    """Σ_{i<k} G[i] ∂out_i/∂wrt, tidied."""
    return tidy(sp.Sum(G[OUT] * _derivative(out, wrt), (OUT, 0, K - 1)))


def _derivative(expr: sp.Expr, wrt: sp.Expr) -> sp.Expr:
    return tidy(sp.diff(expr, wrt))


def tidy(expr: sp.Expr) -> sp.Expr:
    """Evaluate sums and deltas, dropping index range guards, until nothing changes.

    Differentiating Σ_j W[i, j] x[j] by x[p] gives ``Piecewise((W[i, p], p <= n - 1), (0, True))``:
    SymPy does not know that p is a valid index. Every index is in range here, so a guard is
    replaced by its guarded branch; conditions on data (from max, Heaviside, …) are kept.
    """
    while True:
        tidied = sp.powsimp(_drop_guards(expr).doit())
        if tidied == expr:
            return tidied
        expr = tidied


def _drop_guards(expr: sp.Basic) -> sp.Basic:
    if not expr.args:
        return expr
    args = [_drop_guards(arg) for arg in expr.args]
    if not isinstance(expr, sp.Piecewise):
        return expr.func(*args) if args != list(expr.args) else expr
    branches: list[tuple[sp.Basic, sp.Basic]] = []
    for value, condition in args:
        if condition == sp.true or _is_range_guard(condition):
            branches.append((value, sp.true))
            break
        branches.append((value, condition))
    return sp.Piecewise(*branches)


def _is_range_guard(condition: sp.Basic) -> bool:
    """True for a conjunction of inequalities of index and size symbols, e.g. ``p <= n - 1``."""
    parts = condition.args if isinstance(condition, sp.And) else (condition,)
    inequalities = (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)
    return all(
        isinstance(part, inequalities)
        and not part.atoms(sp.Indexed)
        and all(symbol.is_integer for symbol in part.free_symbols)
        for part in parts
    )


def clear_cache() -> None:
    """Forget every derivation (tests use it to count the work done from a cold start)."""
    for cached in (_layer_rules, _loss_rules, _penalty_rules):
        cached.cache_clear()
