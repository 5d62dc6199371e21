"""A network spec's gradients as a person writes them: one example's loss as a question of the
expression language, differentiated in matrix form.

Each layer's output is a ``let`` named as in claims (z1 = W0 @ x + b0, a1 = tanh(z1), …), the
loss is f, and every parameter is a variable, so the answer reads like the course notes:
``(a2 - y) @ a1.T`` for a linear layer under softmax + cross-entropy, δ₁ = ŷ − y. The answers
come from the same witnessed derivation as ``gradcheck expr``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gradcheck_cli.claims.derivation import Derivation, derivation
from gradcheck_cli.claims.question import Question
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.expr import Expr, ExprError, Shape, compile_expr
from gradcheck_cli.ops.base import Array
from gradcheck_cli.problem import INPUT, Problem
from gradcheck_cli.results import SpecResult
from gradcheck_cli.spec.network_claims import TARGET, quantity_names

#: Properties of the target implied by a loss's kind of targets.
TARGET_FACTS = {"onehot": ("onehot",), "binary": ("binary",)}


@dataclass(frozen=True)
class Network:
    """One example's loss as a question: the lets (layer by layer) and L."""

    lets: tuple[tuple[str, str], ...]
    loss: str
    variables: Mapping[str, Shape]
    assume: Mapping[str, tuple[str, ...]]


def network(problem: Problem, *, literal_constants: bool = False) -> Network | None:
    """The spec as lets and a loss in the language; None when an op has no form there.

    The loss's constants (Σ) are variables of their own, or — ``literal_constants``, for answers
    pasted as claims on the spec, which cannot name them — matrix literals in the formula."""
    k = int(problem.y.shape[1])
    variables: dict[str, Shape] = {INPUT: (int(problem.x.shape[1]), 1), TARGET: (k, 1)}
    for name, value in problem.values.items():
        variables[name] = (value.shape[0], value.shape[1] if value.ndim == 2 else 1)
    lets: list[tuple[str, str]] = []
    current = INPUT
    names = problem.quantities or quantity_names(problem.nodes)
    for node, name in zip(problem.nodes, names, strict=True):
        text = node.op.formula(current, node.params)
        if text is None:
            return None
        lets.append((name, text))
        current = name
    found = problem.loss.formula(current, TARGET, k)
    if found is None:
        return None
    loss, constants = found
    for name, value in constants.items():
        if literal_constants:
            loss = re.sub(rf"\b{name}\b", literal(value), loss)
        else:
            variables[name] = (value.shape[0], value.shape[1] if value.ndim == 2 else 1)
    targets = getattr(problem.loss, "targets", "real")
    assume: dict[str, tuple[str, ...]] = {TARGET: TARGET_FACTS[targets]} if targets in TARGET_FACTS else {}
    square = [name for name in constants if name in variables and variables[name][0] > 1]
    assume.update({name: ("symmetric",) for name in square})
    return Network(tuple(lets), loss, variables, assume)


def literal(value: Array) -> str:
    """A constant array as a matrix literal of the language."""
    rows = value if value.ndim == 2 else value[:, None]
    return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in rows) + "]"


def question(net: Network, wrt: str) -> Question:
    """The question ∂L/∂wrt for one example.

    Raises:
        GradcheckError: an op's formula did not compile (a bug in that op's ``formula``).
    """
    lets: dict[str, Expr] = {}
    try:
        for name, text in net.lets:
            lets[name] = compile_expr(text, net.variables, lets)
        f = compile_expr(net.loss, net.variables, lets)
    except ExprError as exc:
        raise GradcheckError(f"the network's formula does not compile: {exc}") from None
    return Question(f"∂L/∂{wrt}", net.variables, f, wrt, "gradient", None, net.assume, None, lets)


def answers(problem: Problem, *, seed: int = 0,
            literal_constants: bool = False) -> dict[str, Derivation] | None:
    """Every parameter's per-example derivative in matrix form (None: the network has no form)."""
    net = network(problem, literal_constants=literal_constants)
    if net is None:
        return None
    return {name: derivation(question(net, name), seed=seed) for name in problem.wrt}


def with_answers(result: SpecResult, problem: Problem) -> SpecResult:
    """The spec's claims with the right answer (one example's gradient in matrix form, in the
    claims' own names) in each; a parameter the engine has no matrix form for keeps none."""
    net = network(problem, literal_constants=True)
    if net is None:
        return result
    claims = []
    for claim in result.claims:
        found = derivation(question(net, claim.wrt)) if claim.wrt in net.variables else None
        answer = found.matrix if found is not None and found.error is None else None
        claims.append(dataclasses.replace(claim, answer=answer))
    return dataclasses.replace(result, claims=tuple(claims))


def describe(net: Network) -> list[str]:
    """The network as the lines a person writes: each layer, then L."""
    lines = [f"{name} = {text}" for name, text in net.lets]
    facts = "; ".join(f"{name} {' and '.join(props)}" for name, props in net.assume.items())
    lines.append(f"L = {net.loss}" + (f"   ({facts})" if facts else ""))
    return lines


def render(problem: Problem, *, seed: int = 0) -> str:
    """``gradcheck derive``: the forward, the δ recursion and every gradient, in matrix form."""
    net = network(problem)
    if net is None:
        raise GradcheckError("this network has an op without a form in the expression language; "
                             "use --index for SymPy's index notation")
    found = {name: derivation(question(net, name), seed=seed) for name in problem.wrt}
    lines = ["one example (each layer named as in claims):", *(f"  {line}" for line in describe(net))]
    found_constants = problem.loss.formula("yhat", TARGET, int(problem.y.shape[1]))
    for name, value in (found_constants[1] if found_constants else {}).items():
        lines.append(f"  {name} = {literal(value)}   (the loss's constant)")
    steps: dict[str, str] = {}
    for answer in found.values():
        steps.update(answer.steps)
    if steps:
        lines += ["backpropagation, δ = ∂L/∂(that quantity):", *(f"  {k} = {v}" for k, v in steps.items())]
    lines.append("gradients of one example's L:")
    for name, answer in found.items():
        shown = answer.short or answer.matrix
        if answer.error is not None:
            lines.append(f"  ∂L/∂{name}: {answer.error}")
        elif shown is None:
            lines.append(f"  ∂L/∂{name}: no matrix form (use --index)")
        else:
            lines.append(f"  ∂L/∂{name} = {shown}")
    lines.append(reduction(problem))
    lines.append("each gradient agreed with the element-wise SymPy derivative at random points "
                 f"(seed {seed})")
    return "\n".join(lines) + "\n"


def reduction(problem: Problem) -> str:
    """How J is made of the examples' L (the batch's mean or sum, and the L2 term)."""
    over = f"(1/{problem.batch}) Σ L over the batch of {problem.batch}" if problem.reduction == "mean" else \
        f"Σ L over the batch of {problem.batch}"
    penalised = problem.penalised()
    if problem.penalty is not None and penalised:
        over += f" + ({problem.penalty.strength:g}/2) ‖W‖² for W in {', '.join(penalised)} " \
                f"(adds {problem.penalty.strength:g} * W to ∂J/∂W)"
    return f"J = {over}"


__all__ = ["Network", "answers", "describe", "network", "question", "reduction", "render", "with_answers"]
