"""Claims on a network spec: the names a claim may use, and the claims compiled."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from gradcheck_cli.errors import Problems, did_you_mean
from gradcheck_cli.expr import Expr, Shape
from gradcheck_cli.ops.base import Array
from gradcheck_cli.ops.layers import Linear
from gradcheck_cli.problem import INPUT, Node
from gradcheck_cli.spec.expressions import compile_at
from gradcheck_cli.spec.source import SourceMap

#: The name of the network output and of the target in claims.
OUTPUT, TARGET = "yhat", "y"


def quantity_names(nodes: Sequence[Node]) -> tuple[str, ...]:
    """Names of the layer outputs: z1, z2, … after linear layers, a1, a2, … after the others
    (numbered by the linear layer they follow; a repeat gets a suffix: a1_2)."""
    names: list[str] = []
    k = 0
    for node in nodes:
        if isinstance(node.op, Linear):
            k += 1
            name = f"z{k}"
        else:
            name = f"a{k}"
        base, repeat = name, 1
        while name in names:
            repeat += 1
            name = f"{base}_{repeat}"
        names.append(name)
    return tuple(names)


def variables(nodes: Sequence[Node], values: Mapping[str, Array], n_in: int, k: int) -> dict[str, Shape]:
    """Every name a claim may use, with its per-example shape (vectors are columns)."""
    shapes: dict[str, Shape] = {INPUT: (n_in, 1), TARGET: (k, 1), OUTPUT: (k, 1)}
    for name, node in zip(quantity_names(nodes), nodes, strict=True):
        shapes[name] = (node.n_out, 1)
    for name, value in values.items():
        shapes[name] = (value.shape[0], value.shape[1] if value.ndim == 2 else 1)
    return shapes


def compile_claims(
    lets: Mapping[str, str],
    claims: Mapping[str, str],
    shapes: Mapping[str, Shape],
    targets: Collection[str],
    source: SourceMap,
    problems: Problems,
) -> dict[str, Expr]:
    """Compile the spec's ``let`` and ``claims`` (keys: parameter names or ``x``); each error,
    placed in the YAML, goes to ``problems``. The claims are compiled only when every let did:
    a claim using a broken let would only repeat its error as an unknown name."""
    compiled_lets: dict[str, Expr] = {}
    found = len(problems.found)
    for name, text in lets.items():
        let = problems.attempt(compile_at, text, shapes, compiled_lets, source, ("let", name))
        if let is not None:
            compiled_lets[name] = let
    compiled: dict[str, Expr] = {}
    for name, text in claims.items() if len(problems.found) == found else ():
        if name not in targets:
            hint = did_you_mean(name, targets) or f"claims can be made for: {', '.join(targets)}"
            message = f"`{name}` is not a parameter of the network (or `x`)"
            problems.add(source.error(("claims", name), message, key=True, hint=hint))
            continue
        claim = problems.attempt(compile_at, text, shapes, compiled_lets, source, ("claims", name))
        if claim is not None:
            compiled[name] = claim
    return compiled
