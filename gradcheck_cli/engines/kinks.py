"""Did a finite-difference stencil straddle a kink (relu at 0, …)?

Each kinked op reports which smooth piece every entry of its input is on (``branch``). A
perturbed copy of the network whose pieces differ from the unperturbed network's crossed a kink
between θ and θ + offset·h; a central difference across a kink is not a derivative, so that
entry is judged against the interval between the one-sided differences instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.engines import forward
from gradcheck_cli.ops import Elementwise
from gradcheck_cli.ops.base import Array, Cache
from gradcheck_cli.problem import Node, Problem


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


def has_kinks(problem: Problem) -> bool:
    return any(isinstance(n.op, Elementwise) and n.op.branch(np.zeros(1)) is not None for n in problem.nodes)


def on_a_kink(nodes: Sequence[Node], caches: Sequence[Cache]) -> bool:
    """Does some kinked op's input sit on its kink (within ``policy.KINK_ULPS``) at this point?"""
    for node, cache in zip(nodes, caches, strict=True):
        op = node.op
        if not isinstance(op, Elementwise) or op.branch(cache[0]) is None:
            continue
        z = np.asarray(cache[0]).real
        nudge = policy.KINK_ULPS * policy.EPS * np.maximum(1.0, np.abs(z))
        if np.any(op.branch(z + nudge) != op.branch(z - nudge)):
            return True
    return False


def resolved(problem: Problem, caches: Sequence[Cache]) -> Problem:
    """``problem`` with the scheme ``auto`` chose made explicit: the complex step, unless some
    kinked input sits on its kink, where the complex step cannot see it (central instead)."""
    scheme = problem.scheme
    if problem.settings.scheme == "auto" and scheme == "complex" and on_a_kink(problem.nodes, caches):
        scheme = "central"
    return dataclasses.replace(problem, settings=dataclasses.replace(problem.settings, scheme=scheme))


def _close(nodes: Sequence[Node], caches: Sequence[Cache]) -> int:
    """How many kinked inputs lie within ``KINK_CLEARANCE`` (relative to max(1, |z|)) of their
    kink: moving them that far either way changes their piece."""
    close = 0
    for node, cache in zip(nodes, caches, strict=True):
        op = node.op
        if not isinstance(op, Elementwise) or op.branch(cache[0]) is None:
            continue
        z = np.asarray(cache[0]).real
        reach = policy.KINK_CLEARANCE * np.maximum(1.0, np.abs(z))
        close += int(np.count_nonzero(op.branch(z + reach) != op.branch(z - reach)))
    return close


def moved_off(problem: Problem) -> tuple[Problem, str | None]:
    """``problem`` at a point where no kinked input is within ``KINK_CLEARANCE`` of its kink,
    and a sentence saying how it was moved (None when it already was clear).

    Every parameter moves by a seeded random ``KINK_MOVE``·max(1, |θ|)·N(0, 1), ten times more
    per try; the data x, y stay as given. If no try clears the kinks the problem is returned
    unmoved and the sentence says so: the check then judges at the kinks as usual.
    """
    _, _, caches, _ = forward.run(problem)
    close = _close(problem.nodes, caches)
    if close == 0:
        return problem, None
    rng = np.random.default_rng(problem.seed)
    size = policy.KINK_MOVE
    for _ in range(policy.KINK_MOVE_TRIES):
        values = {name: v + size * np.maximum(1.0, np.abs(v)) * rng.standard_normal(v.shape)
                  for name, v in problem.values.items()}
        moved = dataclasses.replace(problem, values=values)
        _, _, caches, _ = forward.run(moved)
        if _close(moved.nodes, caches) == 0:
            return moved, (f"moved off {close} kinked input{'s' if close != 1 else ''} (within "
                           f"{policy.KINK_CLEARANCE:g} of a kink): every parameter shifted by "
                           f"{size:g}·max(1, |θ|)·N(0, 1), seed {problem.seed}")
        size *= 10.0
    return problem, (f"{close} kinked input{'s' if close != 1 else ''} could not be moved off their "
                     f"kink (parameters shifted by up to {size / 10:g}·max(1, |θ|)): judged at the kinks")
