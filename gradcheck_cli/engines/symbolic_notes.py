"""The derivation behind the symbolic engine, written out like course notes.

Names: the input is ``x``; a layer with parameters (or a change of width) outputs ``z1, z2, …``;
an activation after it outputs ``a1, a2, …``; the network output is ``ŷ`` and the target ``y``.
For every named quantity v, δ_v[p] = ∂L/∂v[p] for one example (the δ recursion):

    δ_ŷ[p] = ∂L/∂ŷ[p],     δ_in[p] = Σ_i δ_out[i] ∂out_i/∂in[p],
    ∂J/∂θ[p, q] = s Σ_examples Σ_i δ_out[i] ∂out_i/∂θ[p, q] (+ ∂R/∂θ[p, q]),

with s = 1/m (``mean``) or 1 (``sum``). Where the δ's and activations of the layers above have
no sums they are also substituted, giving the per-example closed form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.printing.pretty.pretty_symbology import pretty_symbol

from gradcheck_cli.engines.symbolic_derive import (
    COLS,
    FREE,
    OUT,
    ROWS,
    WEIGHT,
    G,
    K,
    N,
    X,
    loss_rules,
    penalty_rules,
    rules_of,
)
from gradcheck_cli.ops.penalty import L2Penalty
from gradcheck_cli.problem import INPUT, Problem

_M = sp.Symbol("m", integer=True, positive=True)
_EXAMPLE = sp.Symbol("s", integer=True, positive=True)
_J = sp.Symbol("J")
_L = sp.Symbol("L")


@dataclass(frozen=True)
class Formula:
    """One line of the derivation: ``lhs = rhs``, under a short English label."""

    label: str
    lhs: sp.Expr
    rhs: sp.Expr


@dataclass(frozen=True)
class Derivation:
    """Forward definitions, the δ recursion and the gradient of every tensor in ``wrt``."""

    forward: tuple[Formula, ...]
    backward: tuple[Formula, ...]
    gradients: tuple[Formula, ...]

    def sections(self) -> tuple[tuple[str, tuple[Formula, ...]], ...]:
        return (
            ("Forward (one example)", self.forward),
            ("Backward: δ_v[p] = ∂L/∂v[p] (one example)", self.backward),
            ("Gradients", self.gradients),
        )

    def pretty(self) -> str:
        """Unicode rendering via ``sympy.pretty``."""
        lines: list[str] = []
        for title, formulas in self.sections():
            lines += [title, "=" * len(title)]
            for formula in formulas:
                equation = sp.Eq(_unicode(formula.lhs), _unicode(formula.rhs), evaluate=False)
                lines += [f"{formula.label}:", sp.pretty(equation, use_unicode=True), ""]
        return "\n".join(lines).rstrip() + "\n"

    def latex(self) -> str:
        """LaTeX rendering: one ``align*`` block per section."""
        parts: list[str] = []
        for title, formulas in self.sections():
            rows = [
                f"{sp.latex(f.lhs)} &= {sp.latex(f.rhs)} && \\text{{{_latex_text(f.label)}}}"
                for f in formulas
            ]
            body = " \\\\\n".join(rows)
            parts.append(f"% {title}\n\\begin{{align*}}\n{body}\n\\end{{align*}}")
        return "\n".join(parts) + "\n"


def derivation(problem: Problem) -> Derivation:
    """The symbolic derivation of ``problem``'s gradients, with readable names."""
    names = _names(problem)
    forward = _forward(problem, names)
    backward = _backward(problem, names)
    definitions = {f.lhs.base: (f.lhs.indices[0], f.rhs) for f in forward + backward if _simple(f)}
    gradients = [g for name in problem.wrt for g in _gradient(problem, names, name, definitions)]
    return Derivation(tuple(forward), tuple(backward), tuple(gradients))


def _names(problem: Problem) -> list[str]:
    """Names of the input and of every layer's output, ``x`` first and ``yhat`` last."""
    names, count = [INPUT], 0
    for node in problem.nodes:
        activation = not node.params and node.n_in == node.n_out
        count += 0 if activation else 1
        names.append(f"a{count}" if activation else f"z{count}")
    names[-1] = "yhat"
    return names


def _base(name: str) -> sp.IndexedBase:
    return sp.IndexedBase(name)


def _delta(name: str) -> sp.IndexedBase:
    return sp.IndexedBase(f"delta_{name}")


def _rename(expr: sp.Expr, problem: Problem, layer: int, names: list[str]) -> sp.Expr:
    """Give the generic symbols of layer ``layer``'s rules their names in this network."""
    node = problem.nodes[layer]
    rules = rules_of(node)
    mapping: dict[sp.Basic, sp.Basic] = {X: _base(names[layer]), G: _delta(names[layer + 1])}
    mapping.update({base: _base(node.params[local]) for local, base in rules.params.items()})
    mapping.update({N: sp.Integer(node.n_in), K: sp.Integer(node.n_out)})
    return expr.xreplace(mapping)


def _forward(problem: Problem, names: list[str]) -> list[Formula]:
    formulas = []
    for layer, node in enumerate(problem.nodes):
        out = _rename(rules_of(node).out, problem, layer, names)
        label = f"layer {layer}: {node.op.describe()}"
        formulas.append(Formula(label, _base(names[layer + 1])[OUT], out))
    loss = loss_rules(problem.loss, tuple(problem.loss.constants(problem.y.shape[1])))
    k = sp.Integer(problem.y.shape[1])
    formulas.append(Formula(f"loss: {problem.loss.describe()}", _L, loss.value.xreplace({K: k})))
    total = _scale(problem) * sp.Sum(_L, (_EXAMPLE, 1, _M))
    for penalty, name in problem.penalties():
        total += _penalty(penalty, problem, name, value=True)
    formulas.append(Formula(f"objective ({problem.reduction} over the batch)", _J, total))
    return formulas


def _backward(problem: Problem, names: list[str]) -> list[Formula]:
    loss = loss_rules(problem.loss, tuple(problem.loss.constants(problem.y.shape[1])))
    p = FREE[0]
    grad = loss.grad.xreplace({K: sp.Integer(problem.y.shape[1])})
    formulas = [Formula("δ at the output ŷ (from the loss)", _delta("yhat")[p], grad)]
    for layer in reversed(range(len(problem.nodes))):
        rule = _rename(rules_of(problem.nodes[layer]).input_vjp, problem, layer, names)
        label = f"δ at the input of layer {layer} ({problem.nodes[layer].op.describe()})"
        formulas.append(Formula(label, _delta(names[layer])[p], rule))
    return formulas


def _gradient(
    problem: Problem,
    names: list[str],
    name: str,
    definitions: Mapping[sp.Basic, tuple[sp.Expr, sp.Expr]],
) -> list[Formula]:
    """∂J/∂name in δ form, and in closed form when substituting the δ's changes it."""
    if name == INPUT:
        lhs = sp.Derivative(_J, _base(INPUT)[FREE[0]])
        return [
            Formula("the input, example by example", lhs, _scale(problem) * _delta(INPUT)[FREE[0]])
        ]
    lhs = sp.Derivative(_J, _base(name)[FREE[: len(problem.shape_of(name))]])
    per_example = sp.Integer(0)
    for layer, node in enumerate(problem.nodes):
        rules = rules_of(node)
        for local, global_name in node.params.items():
            if global_name == name:
                per_example += _rename(rules.param_vjps[local], problem, layer, names)
    penalty = sum((_penalty(op, problem, name, value=False) for op, n in problem.penalties() if n == name),
                  sp.Integer(0))
    formulas = [Formula(f"{name} (δ form)", lhs, _batch_sum(problem, per_example) + penalty)]
    closed = _substitute(per_example, definitions)
    if closed != per_example:
        formulas.append(
            Formula(f"{name} (closed form)", lhs, _batch_sum(problem, closed) + penalty)
        )
    return formulas


def _penalty(penalty: L2Penalty, problem: Problem, name: str, *, value: bool) -> sp.Expr:
    """The penalty's term of J on ``name`` (``value``), or its derivative, from its math."""
    rules = penalty_rules(penalty)
    rows, cols = problem.values[name].shape
    mapping = {WEIGHT: _base(name), ROWS: sp.Integer(rows), COLS: sp.Integer(cols)}
    return (rules.value if value else rules.grad).xreplace(mapping)


def _scale(problem: Problem) -> sp.Expr:
    return 1 / _M if problem.reduction == "mean" else sp.Integer(1)


def _batch_sum(problem: Problem, per_example: sp.Expr) -> sp.Expr:
    return _scale(problem) * sp.Sum(per_example, (_EXAMPLE, 1, _M))


def _simple(formula: Formula) -> bool:
    """A definition that can be substituted without capturing a summation variable."""
    return isinstance(formula.lhs, sp.Indexed) and not formula.rhs.has(sp.Sum)


def _substitute(expr: sp.Expr, definitions: Mapping[sp.Basic, tuple[sp.Expr, sp.Expr]]) -> sp.Expr:
    """Replace v[j] by its definition with the index renamed, until no definition applies."""
    while True:
        mapping = {
            entry: definitions[entry.base][1].xreplace(
                {definitions[entry.base][0]: entry.indices[0]}
            )
            for entry in expr.atoms(sp.Indexed)
            if entry.base in definitions
        }
        if not mapping:
            return expr
        expr = expr.xreplace(mapping)


def _unicode(expr: sp.Expr) -> sp.Expr:
    """Rename ``delta_z1`` → ``δ_z1``, ``yhat`` → ``ŷ`` for the unicode printer."""
    bases = expr.atoms(sp.IndexedBase)
    return expr.xreplace({b: sp.IndexedBase(_unicode_name(str(b.label))) for b in bases})


def _unicode_name(name: str) -> str:
    """``delta_z1`` → ``δ_z₁`` (the δ keeps its underscore so every δ reads alike)."""
    head, _, rest = name.partition("_")
    return f"δ_{pretty_symbol(rest)}" if head == "delta" and rest else pretty_symbol(name)


def _latex_text(label: str) -> str:
    return label.replace("_", r"\_").replace("δ", r"$\delta$").replace("ŷ", r"$\hat y$")
