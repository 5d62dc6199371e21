"""The backprop engine: the δ recursion of the notes, through the ops' hand-written backwards.

δ at the output is ∂J/∂ŷ = (1/m)·∂L/∂ŷ per example; each layer maps the δ at its output to the
δ at its input and to its parameter gradients summed over the batch, which is
∂J/∂W⁽ˡ⁾ = (1/m) Σ_i outer(δ_i⁽ˡ⁾, x_i⁽ˡ⁾) and ∂J/∂b⁽ˡ⁾ = (1/m) Σ_i δ_i⁽ˡ⁾ for a linear layer.
"""

from __future__ import annotations

from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import Gradients, forward
from gradcheck_cli.problem import INPUT, Problem


def gradients(problem: Problem) -> Gradients:
    """∂J/∂(every name in ``problem.wrt``) by backpropagation.

    Args:
        problem: the network, loss and point.

    Returns:
        ``Gradients`` with ``source="backprop"`` and the cotangent at every layer boundary.
    """
    J, outputs, caches, loss_cache = forward.run(problem)
    g = problem.scale * problem.loss.backward(loss_cache)
    cotangents: list[Array] = [g]
    grads: dict[str, Array] = {}
    for node, cache in zip(reversed(problem.nodes), reversed(caches), strict=True):
        g, local = node.op.backward(cache, g)
        cotangents.insert(0, g)
        grads.update({node.params[name]: value for name, value in local.items()})
    for penalty, name in problem.penalties():
        grads[name] = grads[name] + penalty.backward(problem.values[name])
    grads[INPUT] = cotangents[0]
    return Gradients(
        source="backprop",
        loss=float(J),
        output=outputs[-1],
        grads={name: grads[name] for name in problem.wrt},
        cotangents=tuple(cotangents),
        activations=tuple(outputs) if problem.nodes else (),
    )
