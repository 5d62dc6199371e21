"""Numerical faults: a loss that is not finite at the chosen point, a gradient that is not finite
at some entry. They are reported with their cause as ``error`` verdicts, never passed over."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gradcheck_cli.engines import Gradients
from gradcheck_cli.problem import INPUT, Problem
from gradcheck_cli.results import TensorResult

#: Losses on probabilities and the form from logits that stays finite where they do not.
STABLE_FORMS = {
    "binary_cross_entropy": "; `sigmoid_binary_cross_entropy` takes logits and stays finite",
    "cross_entropy": "; `softmax_cross_entropy` takes logits and stays finite",
}


def forward_fault(problem: Problem, found: Mapping[str, Gradients]) -> str | None:
    """Why J is not a finite number at the problem's point — naming the first layer (or the loss)
    whose output is not finite — or None when it is finite."""
    reference = found.get("backprop") or next(iter(found.values()))
    if np.isfinite(reference.loss):
        return None
    where = f"{problem.path}: " if problem.path else ""
    for node, out in zip(problem.nodes, reference.activations, strict=False):
        bad = ~np.isfinite(out)
        if bad.any():
            example, unit = (int(i) for i in np.argwhere(bad)[0])
            return (f"{where}the forward pass is not finite at this point: layer {node.index} "
                    f"({node.op.describe()}) gives {out[example, unit]} for example {example}, unit {unit} "
                    "(overflow); use smaller weights or inputs")
    hint = STABLE_FORMS.get(problem.loss.kind, "")
    return (f"{where}the loss `{problem.loss.kind}` is not finite at this point (J = {reference.loss}): "
            f"a log of 0 or an overflow{hint}")


def not_finite(problem: Problem, name: str, found: Mapping[str, Gradients]) -> TensorResult | None:
    """An ``error`` verdict when a source's gradient is not finite, naming the source and entry."""
    for source, gradients in found.items():
        bad = ~np.isfinite(gradients.grads[name])
        if not bad.any():
            continue
        index = [int(i) for i in np.argwhere(bad)[0]] if bad.ndim else []
        why = ("the finite-difference stencil leaves the function's domain or overflows there"
               if source == "numeric" else "its derivative overflows or divides by zero there")
        explanation = f"{source} gives a non-finite ∂J/∂{name} at {bad.sum()} entries, first {index}: {why}"
        return TensorResult(name, problem.shape_of(name), owner(problem, name), "error", (),
                            explanation=explanation)
    return None


def owner(problem: Problem, name: str) -> str:
    """Where a tensor lives: ``input`` or ``layer l: op``."""
    if name == INPUT:
        return "input"
    for node in problem.nodes:
        if name in node.params.values():
            return f"layer {node.index}: {node.op.describe()}"
    return ""
