"""The numeric engine: finite differences of the NumPy forward, with a per-entry error estimate.

Only forwards are called: no derivative rule of any op is used. Two shortcuts (the complex
step through the ops' complex forms, the linear layers' structure in ``incremental``) are
recorded per tensor in ``Gradients.shortcuts``; ``plain`` differences the whole real forward
without either, and ``engines.recheck`` uses it to referee them. Perturbed copies of a
tensor are stacked along a leading axis and pushed through the network in one vectorised call
per chunk, so there is no Python loop per entry.

Every scheme is evaluated at steps h and 2h. The difference of the two estimates measures the
truncation error (for a central difference D(h) = f' + ch², so |D(h) - D(2h)|/3 ≈ |ch²|); the
round-off is the forward's rounding noise (measured, see ``noise``) divided by
the step. Their sum is the error estimate
that verdicts are judged against (see ``policy``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.choices import Scheme
from gradcheck_cli.engines import Gradients, forward, incremental, kinks, noise
from gradcheck_cli.fd import stencils, steps, tolerance
from gradcheck_cli.ops.base import Cache
from gradcheck_cli.problem import INPUT, Problem

#: Stencil offsets (in units of h) evaluated for each scheme: h and 2h, both sides if central;
#: one imaginary step for the complex step.
OFFSETS: Mapping[Scheme, tuple[complex, ...]] = {
    "central": (1.0, -1.0, 2.0, -2.0),
    "richardson": (1.0, -1.0, 2.0, -2.0),
    "forward": (1.0, 2.0),
    "complex": (1j,),
}


def gradients(problem: Problem) -> Gradients:
    """Finite-difference ∂J/∂(every name in ``problem.wrt``) and the error estimate per entry;
    entries whose stencil straddled a kink are flagged, with their one-sided differences."""
    J, outputs, caches, _ = forward.run(problem)
    problem = kinks.resolved(problem, outputs, caches)
    base = _base(problem, float(J), outputs, caches)
    found: dict[str, Stencil] = {name: _differentiate(problem, name, base) for name in problem.wrt}
    shortcuts = {name: path for name in problem.wrt if (path := shortcut(problem, name)) is not None}
    return Gradients(
        "numeric",
        float(J),
        outputs[-1],
        {name: s.value for name, s in found.items()},
        error={name: s.error for name, s in found.items()},
        kinks={name: s.kink for name, s in found.items()},
        one_sided={name: (s.low, s.high) for name, s in found.items()},
        shortcuts=shortcuts,
    )


def plain(problem: Problem, name: str, entries: Array) -> Stencil:
    """Richardson differences of the whole real forward (``forward.run`` on stacked copies) at
    the flat ``entries`` of ``name``: no structure-aware shortcut, no complex step, so nothing of
    any op but its real forward. The referee of the shortcuts (``engines.recheck``).

    The step is the spec's where it set one for central or Richardson differences, else the
    policy's central step. Returns a ``Stencil`` over the entries (shape (len(entries),)).
    """
    step = problem.settings.step if problem.scheme in ("central", "richardson") else None
    settings = dataclasses.replace(problem.settings, scheme="richardson", step=step)
    problem = dataclasses.replace(problem, settings=settings)
    J, outputs, caches, _ = forward.run(problem)
    return _differentiate(problem, name, _base(problem, float(J), outputs, caches), entries, plain=True)


def shortcut(problem: Problem, name: str) -> str | None:
    """The shortcut the differences of ``name`` take at this (kink-resolved) problem, in words —
    the complex step through the ops' complex forms, the linear layers' structure — or None for
    plain differences of the whole real forward."""
    used = [*(["the complex step"] if problem.scheme == "complex" else []),
            *(["the linear layer's structure"] if incremental.applies(problem, name) is not None else [])]
    return " and ".join(used) or None


def _base(problem: Problem, J: float, outputs: list[Array], caches: list[Cache]) -> Base:
    return Base(J, outputs, kinks.pieces(problem.nodes, caches), noise.level(problem, J),
                kinks.loss_pieces(problem, outputs[-1]))


@dataclass(frozen=True)
class Base:
    """The unperturbed point: J, every layer's output, the kinked ops' pieces, J's noise."""

    J: float
    outputs: list[Array]
    pieces: list[Array | None]
    noise: float
    #: the loss's hinge pieces (``kinks.loss_pieces``), None for a smooth loss
    hinges: Array | None = None
    #: what ``incremental`` computes once per point and reuses for every chunk of copies
    memo: dict[object, Array] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Stencil:
    """One tensor's finite differences: value, error estimate, kink mask, one-sided bounds."""

    value: Array
    error: Array
    kink: Array
    low: Array
    high: Array


def _differentiate(
    problem: Problem, name: str, base: Base, entries: Array | None = None, *, plain: bool = False
) -> Stencil:
    """The stencil of every entry of ``name`` (shaped like it), or of the flat ``entries`` only
    (a flat stencil); ``plain`` forgoes the linear layers' structure."""
    value = problem.x if name == INPUT else problem.values[name]
    flat = value.reshape(-1)
    chosen = np.arange(flat.size) if entries is None else entries
    h = steps.per_entry(flat[chosen], problem.scheme, problem.settings.step)
    offsets = np.array(OFFSETS[problem.scheme])
    shifts = np.empty((offsets.size, chosen.size), dtype=offsets.dtype)
    crossed = np.zeros((offsets.size, chosen.size), dtype=bool)
    where = None if plain else incremental.applies(problem, name)
    chunk = _chunk(problem, offsets.size, value.size if where is None else 1, where is not None)
    for start in range(0, chosen.size, chunk):
        span = slice(start, min(start + chunk, chosen.size))
        idx = chosen[span]
        if where is None:
            J_s, kinked = _shifted_losses(problem, name, value, idx, h[span], offsets, base)
        else:
            delta = (offsets[:, None] * h[span][None, :]).reshape(-1)
            J_s, kinked = incremental.shifted_losses(problem, base, where, np.tile(idx, offsets.size), delta)
        shifts[:, span] = J_s.reshape(offsets.size, idx.size)
        crossed[:, span] = kinked.reshape(offsets.size, idx.size)
    shape = value.shape if entries is None else chosen.shape
    return _combine(problem.scheme, shifts, crossed, base, h, shape)


def _chunk(problem: Problem, offsets: int, copied: int, downstream_only: bool) -> int:
    """Entries per vectorised call, so a stack of activations stays within the memory budget
    (an incremental stack holds the layers after the perturbed one, never the input)."""
    widths = [n.n_out for n in problem.nodes] if downstream_only else [problem.x.shape[1]]
    widest = max([*widths, *(n.n_out for n in problem.nodes), 1])
    per_entry = offsets * (copied + problem.batch * widest)
    return int(max(1, min(policy.PERTURBATION_CHUNK, policy.PERTURBATION_BUDGET // per_entry)))


def _shifted_losses(
    problem: Problem, name: str, base: Array, idx: Array, h: Array, offsets: Array, point: Base,
) -> tuple[Array, Array]:
    """J at θ + offset·h·e_i for every offset and every entry i in ``idx`` (flattened, offsets
    first), and whether each copy crossed a kink."""
    count = idx.size
    stack = np.broadcast_to(base.reshape(-1), (offsets.size, count, base.size)).astype(offsets.dtype)
    cols = np.arange(count)
    stack[:, cols, idx] += offsets[:, None] * h[None, :]
    values = {**problem.values, name: stack.reshape(offsets.size * count, *base.shape)}
    J, outputs, caches, _ = forward.run(problem, values)
    copies = offsets.size * count
    crossed = kinks.crossed(point.pieces, kinks.pieces(problem.nodes, caches), copies)
    crossed |= kinks.crossed([point.hinges], [kinks.loss_pieces(problem, outputs[-1])], copies)
    return J.reshape(-1), crossed


def _combine(
    scheme: Scheme, f: Array, crossed: Array, base: Base, h: Array, shape: tuple[int, ...]
) -> Stencil:
    """Value and error estimate from the stencil values ``f`` (offsets × entries); an entry
    whose stencil crossed a kink is flagged, with the one-sided differences around θ."""
    kink: Array = np.asarray(crossed.any(axis=0))
    value = stencils.difference(scheme, f, base.J, h)
    if scheme == "complex":
        scale = float(np.abs(value).max(initial=0.0))
        error = np.full(value.shape, policy.COMPLEX_ULPS * policy.EPS * max(scale, policy.TINY))
        return _shaped(value, error, kink, value, value, shape)
    f, J, sigma = f.real, base.J, base.noise
    if scheme == "forward":
        _, error = stencils.forward(f, J, h, sigma)
        return _shaped(value, error, kink, value, value, shape)
    _, _, error = stencils.central(f, h, sigma)
    low, high = tolerance.between(stencils.sides(f, J, h, sigma))
    return _shaped(value, error, kink, low, high, shape)


def _shaped(
    value: Array, error: Array, kink: Array, low: Array, high: Array, shape: tuple[int, ...]
) -> Stencil:
    return Stencil(*(a.reshape(shape) for a in (value, error, kink, low, high)))
