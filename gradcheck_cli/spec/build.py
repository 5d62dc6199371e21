"""Turn a validated network spec into a Problem: widths checked, arrays drawn from the seed.

Draw order is fixed (x, then every layer's parameters in order, then y), and random
initial values are drawn even where values are given inline, so editing one matrix in a
spec never changes the numbers drawn for the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.errors import Problems, did_you_mean
from gradcheck_cli.ops import Layer
from gradcheck_cli.ops.base import Array, TargetKind
from gradcheck_cli.ops.layers import Polynomial
from gradcheck_cli.ops.penalty import L2Penalty
from gradcheck_cli.problem import INPUT, Node, Problem, Settings
from gradcheck_cli.spec import network_claims
from gradcheck_cli.spec.loader import Loaded


def build(loaded: Loaded, *, seed: int | None = None) -> Problem:
    """The Problem a network spec describes; ``seed`` overrides the spec's seed.

    Raises:
        SpecError: a given matrix that does not fit its layer, targets that do not fit the
            output, an unknown name in ``wrt``, a claim that does not compile — every one found,
            together (``SpecProblems``); an array too large to allocate, alone and at once.
    """
    spec, source = loaded.spec, loaded.source
    seed = spec.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    _check_sizes(loaded)
    problems = Problems()
    x = _inputs(spec.data, rng)
    nodes, values = _layers(loaded, x.shape[1], rng, problems)
    if not values and spec.wrt is None:
        problems.add(source.error(("network",), "nothing to differentiate: the network has no parameters",
                                  hint="add `wrt: [x]` to differentiate with respect to the inputs"))
    k = nodes[-1].n_out if nodes else x.shape[1]
    misfit = spec.loss.check_output(k)
    if misfit:
        problems.add(source.error(("loss", spec.loss.kind, misfit[0]), misfit[1]))
    y = _targets(loaded, x.shape[0], k, rng, problems)
    penalty = spec.regularization and spec.regularization.l2
    shapes = network_claims.variables(nodes, values, x.shape[1], k)
    claims = network_claims.compile_claims(spec.let, spec.claims, shapes, [*values, INPUT], source, problems)
    wrt = _wrt(loaded, values, problems)
    problems.raise_any()
    return Problem(
        name=spec.name or loaded.source.file.rsplit("/", 1)[-1].rsplit(".", 1)[0],
        seed=seed,
        x=x,
        y=y,
        nodes=tuple(nodes),
        loss=spec.loss,
        values=values,
        wrt=wrt,
        reduction=spec.reduction,
        penalty=L2Penalty(strength=penalty) if penalty else None,
        settings=Settings(**spec.check.model_dump()),
        path=loaded.path,
        quantities=network_claims.quantity_names(nodes),
        claims=claims,
    )


def _check_sizes(loaded: Loaded) -> None:
    """Refuse arrays too large to hold before any of them is allocated."""
    data = loaded.spec.data
    m = data.size
    width = data.inputs or len(data.x[0])
    for index, op in enumerate([None, *loaded.spec.network]):
        if op is not None:
            width_in, width = width, op.out_size(width)
            params = max((int(np.prod(s)) for s in op.param_shapes(width_in).values()), default=0)
        else:
            params = 0
        if max(m * width, params) > policy.MAX_ENTRIES:
            loc: tuple[str | int, ...] = ("data",) if op is None else ("network", index - 1)
            raise loaded.source.error(
                loc, f"this makes an array of more than {policy.MAX_ENTRIES:,} entries; use a smaller size"
            )


def _inputs(data: Any, rng: np.random.Generator) -> Array:
    drawn = rng.standard_normal((data.size, data.inputs or len(data.x[0])))
    return np.array(data.x, dtype=np.float64) if data.x is not None else drawn


def _layers(loaded: Loaded, n_in: int, rng: np.random.Generator,
            problems: Problems) -> tuple[list[Node], dict[str, Array]]:
    """The nodes and the parameters drawn (or given); a misfit is noted and the drawn value kept,
    so the later layers are still checked."""
    nodes: list[Node] = []
    values: dict[str, Array] = {}
    counter = 0
    for index, op in enumerate(loaded.spec.network):
        loc = ("network", index, op.kind)
        if isinstance(op, Polynomial) and n_in != 1:
            message = f"`polynomial` needs a scalar input, but its input has {n_in} entries"
            problems.add(loaded.source.error(loc, message))
        shapes = op.param_shapes(n_in)
        drawn = op.init_params(n_in, rng)
        for local, given in op.given_values().items():
            if given.shape != shapes[local]:
                misfit = _misfit(op, local, given.shape, shapes[local], n_in)
                problems.add(loaded.source.error((*loc, local), misfit))
            else:
                drawn[local] = given
        names = _names(op, shapes, counter)
        for local, name in names.items():
            if name in values or name == INPUT:
                problems.add(loaded.source.error(loc, f"the parameter name `{name}` is used twice"))
            values[name] = drawn[local]
        counter += bool(shapes)
        nodes.append(Node(op, index, n_in, op.out_size(n_in), names))
        n_in = op.out_size(n_in)
    return nodes, values


def _names(op: Layer, shapes: dict[str, tuple[int, ...]], counter: int) -> dict[str, str]:
    renames: dict[str, str] = dict(getattr(op, "names", {}))
    return {local: renames.get(local, f"{local}{counter}") for local in shapes}


def _misfit(op: Layer, local: str, got: tuple[int, ...], want: tuple[int, ...], n_in: int) -> str:
    fmt = "×".join
    return (
        f"`{local}` is {fmt(map(str, got))} but {op.describe()} after a layer of width {n_in} "
        f"needs {fmt(map(str, want))}"
    )


def _targets(loaded: Loaded, m: int, k: int, rng: np.random.Generator, problems: Problems) -> Array:
    data, source = loaded.spec.data, loaded.source
    kind: TargetKind = data.targets or loaded.spec.loss.targets
    drawn = _draw_targets(kind, m, k, rng)
    if data.labels is not None:
        if max(data.labels) >= k:
            message = f"a label is {max(data.labels)} but the network has only {k} outputs"
            problems.add(source.error(("data", "labels"), message))
            return drawn
        onehot: Array = np.eye(k)[np.array(data.labels)]
        return onehot
    if data.y is not None:
        y = np.array(data.y, dtype=np.float64)
        if y.shape != (m, k):
            message = f"`y` is {y.shape[0]}×{y.shape[1]} but the batch needs {m}×{k}"
            problems.add(source.error(("data", "y"), message))
            return drawn
        return y
    return drawn


def _draw_targets(kind: TargetKind, m: int, k: int, rng: np.random.Generator) -> Array:
    if kind == "onehot":
        return np.eye(k)[rng.integers(k, size=m)]
    if kind == "binary":
        return rng.integers(2, size=(m, k)).astype(np.float64)
    return rng.standard_normal((m, k))


def _wrt(loaded: Loaded, values: dict[str, Array], problems: Problems) -> tuple[str, ...]:
    if loaded.spec.wrt is None:
        return tuple(values)
    known = [*values, INPUT]
    for i, name in enumerate(loaded.spec.wrt):
        if name not in known:
            hint = did_you_mean(name, known) or f"known: {', '.join(known)}"
            problems.add(loaded.source.error(("wrt", i), f"`{name}` is not a parameter of the network",
                                             hint=hint))
    return tuple(dict.fromkeys(loaded.spec.wrt))
