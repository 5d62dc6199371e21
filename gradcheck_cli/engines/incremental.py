"""Finite differences that know the network's structure — still forward evaluations only.

Perturbing one entry of a linear layer's W[p, q] (or b[p]) changes one column of that layer's
output: z[:, p] += δ·x[:, q]. Elementwise layers after it change only that column too. At the
next linear layer the change becomes the rank-1 update Δz = Δa[:, p] ⊗ W'[:, p], and from there
the layers run as usual on a stack of perturbed copies. The layer says which column moves and
how (``Linear.moved_column``, ``Linear.column_change``); a penalty's change is its own forward of
the moved entry. Whatever the shortcut gets wrong is caught where the sources disagree, by plain
differences of the whole forward (``engines.recheck``). This uses no derivative of any op: every
value is still the forward of the perturbed network, computed with less arithmetic. It agrees
with recomputing the whole forward to rounding (a test says so).

At the complex step's points (θ + ih·e, h ≈ 1e-20) more is shared. Every copy's real parts equal
the unperturbed network's to rounding (they move by O(h²)), and each op's imaginary part is linear
in the one it receives: Im g(a + ib) = b·g'(a)(1 + O(b²)) = b·Im g(a + iε)/ε to rounding. So after
the perturbed column only the imaginary parts are carried: an elementwise op multiplies them by
its factor Im g(a + iε)/ε, read once per point from the op's own forward at a complex point; a
linear layer is one real product; the loss is its complex-step response to each output entry,
again read once from the loss's forward. The values are those of the complex forward of every
copy, to rounding (a test says so); no op's backward is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import kinks
from gradcheck_cli.ops import Elementwise
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.problem import Problem

if TYPE_CHECKING:
    from gradcheck_cli.engines.numeric import Base as Point


def applies(problem: Problem, name: str) -> tuple[int, str] | None:
    """(node position, local name) when ``name`` is a linear layer's W or b, else None (also when
    a penalty on it is not a sum over its entries: then J needs the whole perturbed matrix)."""
    if any(n == name and not penalty.separable for penalty, n in problem.penalties()):
        return None
    for position, node in enumerate(problem.nodes):
        for local, global_name in node.params.items():
            if global_name == name and isinstance(node.op, Linear):
                return position, local
    return None


def shifted_losses(
    problem: Problem, base: Point, where: tuple[int, str], flat: Array, delta: Array
) -> tuple[Array, Array]:
    """J after adding ``delta[s]`` to entry ``flat[s]`` of the parameter, for every s, and
    whether copy s moved a kinked op onto another piece: two arrays of shape (S,).

    Args:
        problem: the network.
        base: the unperturbed point: every layer's output and the kinked ops' pieces.
        where: (node position, local parameter name) from ``applies``.
        flat: flat indices into the parameter, one per perturbed copy.
        delta: the signed perturbation of each copy.
    """
    outputs = base.outputs
    position, local = where
    node = problem.nodes[position]
    assert isinstance(node.op, Linear)
    x_in = problem.x if position == 0 else outputs[position - 1]
    p, shift = node.op.moved_column(x_in, local, flat, delta)
    base_col = outputs[position][:, p].T
    col = base_col + shift
    crossed = np.zeros(flat.size, dtype=bool)
    k = position + 1
    while k < len(problem.nodes):
        op = problem.nodes[k].op
        if not isinstance(op, Elementwise):
            break
        moved = op.branch(col)
        if moved is not None:
            crossed |= (moved != op.branch(base_col)).any(axis=1)
        col = op.value(col)
        base_col = outputs[k][:, p].T
        k += 1
    if _linear_regime(delta, col):
        J_imag = _imaginary_tail(problem, base, k, p, col.imag)
        J_imag += np.imag(_penalty(problem, node.params[local], flat, delta))
        return base.J + 1j * J_imag, crossed
    a = _spread(problem, outputs, k, p, col, base_col)
    start = k + 1 if k < len(problem.nodes) and isinstance(problem.nodes[k].op, Linear) else k
    caches = []
    for later in problem.nodes[start:]:
        a, cache = later.op.forward(a, problem.local_values(later))
        caches.append(cache)
    crossed |= kinks.crossed(base.pieces[start:], kinks.pieces(problem.nodes[start:], caches), flat.size)
    crossed |= kinks.crossed([base.hinges], [kinks.loss_pieces(problem, a)], flat.size)
    per_example, _ = problem.loss.forward(a, problem.y)
    J: Array = problem.scale * per_example.sum(axis=-1) + _penalty(problem, node.params[local], flat, delta)
    return J, crossed


def _linear_regime(delta: Array, col: Array) -> bool:
    """Complex-step copies (purely imaginary steps) whose imaginary parts are tiny next to 1."""
    if not np.iscomplexobj(delta) or np.any(delta.real):
        return False
    return bool(np.abs(col.imag).max(initial=0.0) < policy.LINEAR_IMAGINARY)


def _imaginary_tail(problem: Problem, base: Point, k: int, p: Array, b: Array) -> Array:
    """Im J of every copy whose only imaginary part, ``b`` (copies × batch), enters node ``k``
    in column p (per copy), the real parts being the unperturbed network's."""
    nodes, outputs = problem.nodes, base.outputs
    if k < len(nodes) and isinstance(op := nodes[k].op, Linear):
        B = op.column_change(problem.local_values(nodes[k]), p, b)
        k += 1
    else:
        B = np.zeros((b.shape[0], *outputs[k - 1].shape))
        B[np.arange(b.shape[0]), :, p] = b
    for position in range(k, len(nodes)):
        node, a = nodes[position], (problem.x if position == 0 else outputs[position - 1])
        if isinstance(node.op, Linear):
            B, _ = node.op.forward(B, {"W": problem.local_values(node)["W"], "b": np.zeros(node.n_out)})
        elif isinstance(node.op, Elementwise):
            B *= _factor(base, position, node.op, a)
        else:  # any other layer: its forward at the complex points themselves
            B = node.op.forward(a + 1j * B, problem.local_values(node))[0].imag
    yhat = outputs[-1]
    if yhat.shape[-1] > LOSS_RESPONSE_WIDTH:
        per_example, _ = problem.loss.forward(yhat + 1j * B, problem.y)
        J_imag: Array = problem.scale * per_example.imag.sum(axis=-1)
        return J_imag
    response = _loss_response(problem, base)
    J_imag = problem.scale * (B.reshape(B.shape[0], -1) @ response.reshape(-1))
    return J_imag


#: Widest output for which the loss's response is read entry by entry (a stack of width² rows).
LOSS_RESPONSE_WIDTH = 256


def _factor(base: Point, position: int, op: Elementwise, a: Array) -> Array:
    """Im g(a + iε)/ε for the elementwise op g at ``position``, once per point."""
    key = ("factor", position)
    if key not in base.memo:
        eps = policy.COMPLEX_STEP
        base.memo[key] = op.value(a + 1j * eps).imag / eps
    return base.memo[key]


def _loss_response(problem: Problem, base: Point) -> Array:
    """Im ℓᵢ(ŷ + iε·e_{ij})/ε for every example i and output j: the loss's complex-step response
    to each output entry (batch × width), from one stacked call of the loss's forward."""
    key = "loss"
    if key not in base.memo:
        yhat, eps = base.outputs[-1], policy.COMPLEX_STEP
        width = yhat.shape[-1]
        bumped = yhat[None] + 1j * eps * np.eye(width)[:, None, :]
        per_example, _ = problem.loss.forward(bumped, problem.y)
        base.memo[key] = np.asarray(per_example).imag.T / eps
    return base.memo[key]


def _spread(
    problem: Problem, outputs: Sequence[Array], k: int, p: Array, col: Array, base_col: Array
) -> Array:
    """The stack of perturbed arrays entering layer ``k`` (or its output, for a linear layer)."""
    if k < len(problem.nodes) and isinstance(op := problem.nodes[k].op, Linear):
        # one (copies, batch, width) array, written in place: the change, then the base added
        updated = op.column_change(problem.local_values(problem.nodes[k]), p, col - base_col)
        updated += outputs[k][None]
        return updated
    before = outputs[k - 1]
    stack: Array = np.broadcast_to(before, (col.shape[0], *before.shape)).astype(np.result_type(before, col))
    stack[np.arange(col.shape[0]), :, p] = col
    return stack


def _penalty(problem: Problem, name: str, flat: Array, delta: Array) -> Array | float:
    """R(θ + δe) for every copy, from the penalties' forwards: each penalised matrix's R, and for
    the perturbed one the change of its one moved entry. A separable penalty (``applies`` takes
    no other) is a sum over entries, so that change is its forward of the entry alone, as a
    1 × 1 matrix, after the move less before it."""
    total: Array | float = 0.0
    for penalty, penalised in problem.penalties():
        total = total + float(penalty.forward(problem.values[penalised]))
        if penalised == name:
            w = problem.values[name].reshape(-1)[flat][:, None, None]
            total = total + (penalty.forward(w + delta[:, None, None]) - penalty.forward(w))
    return total
