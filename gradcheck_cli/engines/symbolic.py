"""The symbolic engine: gradients from the ops' SymPy math alone.

SymPy differentiates each op once, in index notation and independent of its size
(``symbolic_derive``); the engine then chains these local derivatives numerically, as
vector-Jacobian products evaluated by the index-notation translator (``indexed``):

    g_ŷ = s · ∂L/∂ŷ                        (s = 1/m for ``mean``, 1 for ``sum``)
    g_{l}[p] = Σ_i g_{l+1}[i] ∂out_i/∂x[p]    (the cotangent at the input of layer l)
    ∂J/∂θ[p, q] = Σ_examples Σ_i g_{l+1}[i] ∂out_i/∂θ[p, q]  (+ ∂R/∂θ for penalised weights)

The forward values (the network output and J) are evaluated from the same math. Nothing here
calls an op's NumPy ``forward``, ``backward``, ``value`` or ``derivative``: this engine is an
independent witness of the backprop engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import sympy as sp

from gradcheck_cli import policy
from gradcheck_cli.engines import Gradients
from gradcheck_cli.engines.indexed import Binding
from gradcheck_cli.engines.indexed import evaluate as _unchecked
from gradcheck_cli.engines.symbolic_derive import (
    COLS,
    FREE,
    OUT,
    ROWS,
    WEIGHT,
    YHAT,
    G,
    K,
    N,
    X,
    Y,
    loss_rules,
    penalty_rules,
    rules_of,
)
from gradcheck_cli.engines.symbolic_notes import Derivation, derivation
from gradcheck_cli.errors import SpecError
from gradcheck_cli.ops.base import Array
from gradcheck_cli.problem import INPUT, Node, Problem

__all__ = ["Derivation", "derivation", "gradients"]


def gradients(problem: Problem) -> Gradients:
    """J, the network output and ∂J/∂(each name in ``problem.wrt``), from the SymPy math.

    Returns:
        ``Gradients`` with source ``symbolic``; ``cotangents`` holds ∂J/∂(input of layer l)
        for every layer, then ∂J/∂ŷ, each including the reduction scale.

    Raises:
        SpecError: the activations or one intermediate array would exceed
            ``policy.MAX_ACTIVATIONS`` or ``policy.SYMBOLIC_MAX_ENTRIES`` entries.
    """
    _refuse_deep_and_wide(problem)
    activations = _forward(problem)
    loss, g = _loss(problem, activations[-1])
    cotangents = [g]
    grads: dict[str, Array] = {}
    wanted = set(problem.wrt)
    for node, a in zip(reversed(problem.nodes), reversed(activations[:-1]), strict=True):
        g = _backward(problem, node, a, g, wanted, grads)
        cotangents.insert(0, g)
    if INPUT in wanted:
        grads[INPUT] = cotangents[0]
    J = loss + _penalties(problem, wanted, grads)
    missing = wanted - grads.keys()
    for name in missing:
        grads[name] = np.zeros(problem.shape_of(name))
    ordered = {name: grads[name] for name in problem.wrt}
    return Gradients(
        "symbolic",
        J,
        activations[-1],
        ordered,
        cotangents=tuple(cotangents),
        activations=tuple(activations[1:]),
    )


def _bindings(problem: Problem, node: Node, a: Array) -> dict[sp.IndexedBase, Binding]:
    rules = rules_of(node)
    arrays = {
        base: Binding(problem.values[node.params[name]]) for name, base in rules.params.items()
    }
    arrays[X] = Binding(a, batched=True)
    return arrays


def _sizes(node: Node) -> dict[sp.Symbol, float]:
    return {N: node.n_in, K: node.n_out}


def _forward(problem: Problem) -> list[Array]:
    """a_0 = x, a_{l+1}[i] = out_i(a_l): every activation, the network output last."""
    activations = [problem.x]
    for node in problem.nodes:
        out = rules_of(node).out
        arrays = _bindings(problem, node, activations[-1])
        a = evaluate(out, arrays, _sizes(node), [(OUT, node.n_out)], problem.batch)
        activations.append(a)
    return activations


def _loss(problem: Problem, yhat: Array) -> tuple[float, Array]:
    """s · Σ_examples L(ŷ, y) and the cotangent s · ∂L/∂ŷ, shape (m, k)."""
    k = int(yhat.shape[1])
    constants = problem.loss.constants(k)
    rules = loss_rules(problem.loss, tuple(constants))
    arrays = {YHAT: Binding(yhat, batched=True), Y: Binding(problem.y, batched=True)}
    arrays.update({rules.consts[name]: Binding(value) for name, value in constants.items()})
    sizes: Mapping[sp.Symbol, float] = {K: k}
    per_example = evaluate(rules.value, arrays, sizes, [], problem.batch)
    grad = evaluate(rules.grad, arrays, sizes, [(FREE[0], k)], problem.batch)
    return problem.scale * float(per_example.sum()), problem.scale * grad


def _backward(
    problem: Problem, node: Node, a: Array, g: Array, wanted: set[str], grads: dict[str, Array]
) -> Array:
    """Add this layer's parameter gradients to ``grads``; return the cotangent at its input."""
    rules = rules_of(node)
    arrays = _bindings(problem, node, a)
    arrays[G] = Binding(g, batched=True)
    for local, name in node.params.items():
        if name not in wanted:
            continue
        shape = problem.values[name].shape
        vjp = evaluate(
            rules.param_vjps[local],
            arrays,
            _sizes(node),
            list(zip(FREE[: len(shape)], shape, strict=True)),
            problem.batch,
        )
        grads[name] = grads.get(name, 0.0) + vjp.sum(axis=0)
    return evaluate(rules.input_vjp, arrays, _sizes(node), [(FREE[0], node.n_in)], problem.batch)


def _penalties(problem: Problem, wanted: set[str], grads: dict[str, Array]) -> float:
    """Σ_W R(W), adding ∂R/∂W to the gradient of every penalised W in ``wanted``."""
    total = 0.0
    for penalty, name in problem.penalties():
        rules = penalty_rules(penalty)
        W = problem.values[name]
        arrays = {WEIGHT: Binding(W)}
        sizes: Mapping[sp.Symbol, float] = {ROWS: W.shape[0], COLS: W.shape[1]}
        total += float(evaluate(rules.value, arrays, sizes, [], 1)[0])
        if name in wanted:
            grad = evaluate(
                rules.grad, arrays, sizes, list(zip(FREE[:2], W.shape, strict=True)), 1
            )[0]
            grads[name] = grads.get(name, 0.0) + grad
    return total


def evaluate(
    expr: sp.Expr,
    arrays: Mapping[sp.IndexedBase, Binding],
    scalars: Mapping[sp.Symbol, float],
    free: list[tuple[sp.Symbol, int]],
    batch: int,
) -> Array:
    """``indexed.evaluate``, after refusing work whose arrays would not fit.

    Raises:
        SpecError: the estimate exceeds ``policy.SYMBOLIC_MAX_ENTRIES``.
    """
    sizes = [batch, *(size for _, size in free), *_deepest_sums(expr, scalars)]
    entries = math.prod(sizes)
    if entries > policy.SYMBOLIC_MAX_ENTRIES:
        formula = " × ".join(f"{n:,}" for n in sizes)
        raise SpecError(
            f"the symbolic engine would build an array of batch × output indices × summed indices = "
            f"{formula} = {entries:,} entries, more than {policy.SYMBOLIC_MAX_ENTRIES:,} "
            "(policy.SYMBOLIC_MAX_ENTRIES); use a smaller batch or narrower layers")
    return _unchecked(expr, arrays, scalars, free, batch)


def _refuse_deep_and_wide(problem: Problem) -> None:
    """Every engine holds an activation and a cotangent per layer and example: refuse before the
    forward pass when they would not fit (3,000 layers of width 300 at a batch of 700)."""
    widths = sum(node.n_out for node in problem.nodes) + problem.x.shape[1]
    entries = problem.batch * widths
    if entries > policy.MAX_ACTIVATIONS:
        raise SpecError(
            f"the network's activations are batch × (the input's and every layer's width) = "
            f"{problem.batch:,} × {widths:,} = {entries:,} numbers, more than {policy.MAX_ACTIVATIONS:,} "
            "(policy.MAX_ACTIVATIONS); use a smaller batch, or fewer or narrower layers")


def _deepest_sums(expr: sp.Basic, scalars: Mapping[sp.Symbol, float]) -> list[int]:
    """The ranges of the nested sums along the path through ``expr`` whose product is largest:
    the axes ``indexed.evaluate`` adds on top of the batch and the free indices."""
    best: list[int] = []
    for arg in expr.args:
        inner = _deepest_sums(arg, scalars)
        if math.prod(inner) > math.prod(best):
            best = inner
    if isinstance(expr, sp.Sum):
        ranges = [int(hi.subs(scalars)) - int(lo.subs(scalars)) + 1
                  for _, lo, hi in expr.limits]
        best = [*ranges, *best]
    return best
