"""Did a finite-difference stencil straddle a kink (relu at 0, …)?

Each kinked op reports which smooth piece every entry of its input is on (``branch``). A
perturbed copy of the network whose pieces differ from the unperturbed network's crossed a kink
between θ and θ + offset·h; a central difference across a kink is not a derivative, so that
entry is judged against the interval between the one-sided differences instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from gradcheck_cli import policy, streams
from gradcheck_cli.engines import forward
from gradcheck_cli.ops import Elementwise
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.problem import Node, Problem

#: Names the smooth piece each entry of a kinked quantity is on.
Piece = Callable[[Array], Array]


def pieces(nodes: Sequence[Node], caches: Sequence[Cache]) -> list[Array | None]:
    """The branch of every kinked op's input, per layer (None for smooth layers)."""
    found: list[Array | None] = []
    for node, cache in zip(nodes, caches, strict=True):
        op = node.op
        found.append(op.branch(cache[0]) if isinstance(op, Elementwise) else None)
    return found


def crossed(base: Sequence[Array | None], stacked: Sequence[Array | None], copies: int) -> Array:
    """Per perturbed copy (leading axis of ``stacked``): did any kinked input change piece?"""
    out = np.zeros(copies, dtype=bool)
    for before, after in zip(base, stacked, strict=True):
        if before is not None and after is not None:
            out |= (after != before).reshape(copies, -1).any(axis=1)
    return out


def loss_pieces(problem: Problem, yhat: Array) -> Array | None:
    """Which piece each of the loss's hinges is on (hinge loss: margin > 0), None for a smooth
    loss; ``yhat`` may carry leading axes of perturbed copies."""
    hinges = problem.loss.hinges(yhat, problem.y)
    return None if hinges is None else np.asarray(hinges.real > 0)


def _pieces_of(op: Elementwise) -> Piece:
    def piece(z: Array) -> Array:
        return np.asarray(op.branch(z))

    return piece


def _active(m: Array) -> Array:
    return np.asarray(m > 0)


def _kinked(
    problem: Problem, outputs: Sequence[Array], caches: Sequence[Cache]
) -> Iterator[tuple[Piece, Array]]:
    """Every quantity whose sign (or other threshold) picks a smooth piece at this point, with the
    function that names the piece: kinked ops' inputs and the loss's hinges."""
    for node, cache in zip(problem.nodes, caches, strict=True):
        op = node.op
        if isinstance(op, Elementwise) and op.branch(cache[0]) is not None:
            yield _pieces_of(op), np.asarray(cache[0]).real
    hinges = problem.loss.hinges(outputs[-1], problem.y)
    if hinges is not None:
        yield _active, np.asarray(hinges).real


def _straddling(problem: Problem, outputs: Sequence[Array], caches: Sequence[Cache], reach: float) -> int:
    """How many kinked quantities z change piece when moved by ``reach``·max(1, |z|) either way."""
    count = 0
    for piece, z in _kinked(problem, outputs, caches):
        nudge = reach * np.maximum(1.0, np.abs(z))
        count += int(np.count_nonzero(piece(z + nudge) != piece(z - nudge)))
    return count


def on_a_kink(problem: Problem, outputs: Sequence[Array], caches: Sequence[Cache]) -> bool:
    """Does some kinked quantity sit on its kink (within ``policy.KINK_ULPS``) at this point?"""
    return _straddling(problem, outputs, caches, policy.KINK_ULPS * policy.EPS) > 0


def resolved(problem: Problem, outputs: Sequence[Array], caches: Sequence[Cache]) -> Problem:
    """``problem`` with the scheme ``auto`` chose made explicit: the complex step, unless some
    kinked quantity sits on its kink, where the complex step cannot see it (central instead)."""
    scheme = problem.scheme
    if problem.settings.scheme == "auto" and scheme == "complex" and on_a_kink(problem, outputs, caches):
        scheme = "central"
    return dataclasses.replace(problem, settings=dataclasses.replace(problem.settings, scheme=scheme))


def moved_off(problem: Problem) -> tuple[Problem, str | None]:
    """``problem`` at a point where no kinked quantity (an op's input, a hinge's margin) is within
    ``KINK_CLEARANCE`` of its kink, and a sentence saying how it was moved (None when it already
    was clear).

    Every parameter moves by a seeded random ``KINK_MOVE``·max(1, |θ|)·N(0, 1), ten times more
    per try; the data x, y stay as given. If no try clears the kinks the problem is returned
    unmoved and the sentence says so: the check then judges at the kinks as usual.
    """
    _, outputs, caches, _ = forward.run(problem)
    close = _straddling(problem, outputs, caches, policy.KINK_CLEARANCE)
    if close == 0:
        return problem, None
    rng = streams.rng(problem.seed, streams.KINK_MOVES)
    size = policy.KINK_MOVE
    for _ in range(policy.KINK_MOVE_TRIES):
        values = {name: v + size * np.maximum(1.0, np.abs(v)) * rng.standard_normal(v.shape)
                  for name, v in problem.values.items()}
        moved = dataclasses.replace(problem, values=values)
        _, outputs, caches, _ = forward.run(moved)
        if _straddling(moved, outputs, caches, policy.KINK_CLEARANCE) == 0:
            return moved, (f"moved off {close} kinked input{'s' if close != 1 else ''} (within "
                           f"{policy.KINK_CLEARANCE:g} of a kink): every parameter shifted by "
                           f"{size:g}·max(1, |θ|)·N(0, 1), seed {problem.seed}")
        size *= 10.0
    return problem, (f"{close} kinked input{'s' if close != 1 else ''} could not be moved off their "
                     f"kink (parameters shifted by up to {size / 10:g}·max(1, |θ|)): judged at the kinks")
