"""The numeric engine: finite differences of the NumPy forward, with a per-entry error estimate.

Only ``forward.run`` is called: no derivative rule of any op is used. Perturbed copies of a
tensor are stacked along a leading axis and pushed through the network in one vectorised call
per chunk, so there is no Python loop per entry.

Every scheme is evaluated at steps h and 2h. The difference of the two estimates measures the
truncation error (for a central difference D(h) = f' + ch², so |D(h) - D(2h)|/3 ≈ |ch²|); the
round-off is the forward's rounding noise (measured, see ``noise``) divided by
the step. Their sum is the error estimate
that verdicts are judged against (see ``policy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.choices import Scheme
from gradcheck_cli.engines import Gradients, forward, incremental, kinks, noise
from gradcheck_cli.fd import stencils, steps, tolerance
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
    base = Base(float(J), outputs, kinks.pieces(problem.nodes, caches), noise.level(problem, float(J)),
                kinks.loss_pieces(problem, outputs[-1]))
    found: dict[str, Stencil] = {name: _differentiate(problem, name, base) for name in problem.wrt}
    return Gradients(
        "numeric",
        float(J),
        outputs[-1],
        {name: s.value for name, s in found.items()},
        error={name: s.error for name, s in found.items()},
        kinks={name: s.kink for name, s in found.items()},
        one_sided={name: (s.low, s.high) for name, s in found.items()},
    )


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


def _differentiate(problem: Problem, name: str, base: Base) -> Stencil:
    value = problem.x if name == INPUT else problem.values[name]
    flat = value.reshape(-1)
    h = steps.per_entry(flat, problem.scheme, problem.settings.step)
    offsets = np.array(OFFSETS[problem.scheme])
    shifts = np.empty((offsets.size, flat.size), dtype=offsets.dtype)
    crossed = np.zeros((offsets.size, flat.size), dtype=bool)
    where = incremental.applies(problem, name)
    chunk = _chunk(problem, offsets.size, value.size if where is None else 1, where is not None)
    for start in range(0, flat.size, chunk):
        idx = np.arange(start, min(start + chunk, flat.size))
        if where is None:
            J_s, kinked = _shifted_losses(problem, name, value, idx, h[idx], offsets, base)
        else:
            delta = (offsets[:, None] * h[idx][None, :]).reshape(-1)
            flat_idx = np.tile(idx, offsets.size)
            J_s, kinked = incremental.shifted_losses(problem, base, where, flat_idx, delta)
        shifts[:, idx] = J_s.reshape(offsets.size, idx.size)
        crossed[:, idx] = kinked.reshape(offsets.size, idx.size)
    return _combine(problem.scheme, shifts, crossed, base, h, value.shape)


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
