"""What evaluating a compiled expression costs, estimated from its shapes before it is run: the
largest array it builds and the arithmetic it does. Claims on a network spec are evaluated once
per example, at the network's sizes, so ``outer(W0.T, W0.T)`` or a chain of ``inv`` of a wide
layer's weights could ask for terabytes or hours; they are refused with the estimate instead."""

from __future__ import annotations

from gradcheck_cli import policy
from gradcheck_cli.expr import Expr
from gradcheck_cli.expr.nodes import Binary, Call, quote

#: Functions whose work grows as n³ for an n×n argument (LU factorisations).
CUBIC = {"inv", "det", "logdet"}


def _work(node: Expr) -> int:
    """Multiply-adds of one node: m·k·n for a product, n³ for an inverse or determinant,
    one per entry otherwise."""
    rows, cols = node.shape
    if isinstance(node, Binary) and node.op == "@":
        return rows * node.left.shape[1] * cols
    if isinstance(node, Call) and node.function in CUBIC:
        n = node.args[0].shape[0]
        return n**3
    return rows * cols


def refusal(expr: Expr, repeats: int) -> str | None:
    """Why evaluating ``expr`` ``repeats`` times is refused, with the estimate; None when it fits."""
    nodes: dict[int, Expr] = {}
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node.children())
    largest = max(nodes.values(), key=lambda n: n.shape[0] * n.shape[1])
    rows, cols = largest.shape
    if rows * cols > policy.MAX_ENTRIES:
        return (f"`{quote(largest.text)}` is {rows:,} × {cols:,} = {rows * cols:,} entries per example, more "
                f"than {policy.MAX_ENTRIES:,} (policy.MAX_ENTRIES); write the claim without building it")
    work = repeats * sum(_work(node) for node in nodes.values())
    if work > policy.CLAIM_MAX_WORK:
        return (f"evaluating the claim at {repeats:,} example(s) takes about {work:.3g} multiply-adds "
                "(examples × Σ of m·k·n per product, n³ per inverse or determinant, the entries of the "
                f"rest), more than {policy.CLAIM_MAX_WORK:.3g} (policy.CLAIM_MAX_WORK)")
    return None
