"""How far a finite difference moves an entry: every step rule, for every subject.

A step is a relative size times what it is relative to:

- **Network specs**, entry by entry: the scheme's default (``policy.CENTRAL_STEP``,
  ``FORWARD_STEP``, ``COMPLEX_STEP``) or the spec's ``step``, times max(1, |θ|), then made
  exactly representable (h = (θ + h) − θ) so that the divided difference uses the step taken.
- **Network specs**, along a random direction: the same relative size times max(1, RMS of all
  the entries moved), one step for the whole direction.
- **User code**: ν^(1/4) for Richardson (ν^(1/3) for ``central``), ν the function's rounding noise
  relative to its size, times ``unit`` (max(|θ|, τ)), rounded to a power of two so that the
  levels s, 2s, 4s are in exact ratio; a user's ``step`` is taken as given. The complex step is
  ``COMPLEX_STEP`` (or ``step``) times ``unit``.
- **Noise runs**: points ``spacing`` × the same unit apart (``fd.noise``).

``gradcheck steps`` marks the step these rules give for the entry it plots.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.fd.noise import rms

#: Richardson's levels, in units of its first step s: the entry is moved by ±s, ±2s and ±4s.
LEVELS = (1.0, 2.0, 4.0)


def default(scheme: str) -> float:
    """The relative step of a network spec's scheme when the spec gives none."""
    defaults: dict[str, float] = {"forward": policy.FORWARD_STEP, "complex": policy.COMPLEX_STEP}
    return float(defaults.get(scheme, policy.CENTRAL_STEP))


def per_entry(value: Array, scheme: str, given: float | None = None) -> Array:
    """A network spec's step for every entry of ``value``: relative to max(1, |θ|) and exactly
    representable.

    A relative step keeps the perturbation above the round-off of large entries; rounding
    θ + h back (h = (θ + h) − θ) makes the divided difference use the step actually taken.
    """
    h = (given if given is not None else default(scheme)) * np.maximum(1.0, np.abs(value))
    return h if scheme == "complex" else (value + h) - value


def along(values: Iterable[Array], total: int, scheme: str, given: float | None = None) -> float:
    """A network spec's step along a random direction over all the entries of ``values``
    (``total`` of them): relative to max(1, their RMS)."""
    mean_square = sum(float(np.vdot(v, v)) for v in values) / max(total, 1)
    return (given or default(scheme)) * max(1.0, float(np.sqrt(mean_square)))


def unit(value: Any) -> Array:
    """What a step of user code is relative to, per entry: max(|θ_i|, τ) with τ = min(1, 10·RMS of
    the tensor) (1 for an all-zero tensor). Entries of a tensor of order one — weights of 0.1 to 1
    included — step relative to max(1, |θ_i|), as the round-off of f's O(1) values asks; a tensor
    whose entries are all far below 1 (1e-6, 1e-100) is stepped near its own scale, not at 1, which
    would step over the scale f varies on (sin(10⁶x) at x ~ 1e-6)."""
    flat = np.abs(np.asarray(value, dtype=np.float64))
    typical = min(1.0, policy.STEP_SCALE_DECADE * rms(flat.reshape(-1))) or 1.0
    unit: Array = np.maximum(flat, typical)
    return unit


def from_noise(value: Any, noise: float, scheme: str, given: float | None = None) -> Array:
    """User code's first step s for every entry of ``value``: ν^(1/4)·``unit`` for Richardson
    (ν^(1/3) for ``central``), ν = ``noise``, rounded to a power of two; ``given`` (the user's
    ``step``) times ``unit`` as it is. For the complex step: ``COMPLEX_STEP`` (or ``given``)
    times ``unit``."""
    if scheme == "complex":
        return np.asarray((given or policy.COMPLEX_STEP) * unit(value), dtype=np.float64)
    power = policy.RICHARDSON_STEP_POWER if scheme == "richardson" else policy.CENTRAL_STEP_POWER
    steps = (given if given is not None else noise**power) * unit(value)
    return np.asarray(steps if given is not None else 2.0 ** np.round(np.log2(steps)), dtype=np.float64)


def spacing(value: Any, dtype: str) -> Array:
    """How far apart user code's noise samples are along a direction, per entry."""
    return np.asarray(policy.USER_NOISE_SPACING[dtype] * unit(value), dtype=np.float64)


def noise_spacing(value: Array) -> Array:
    """How far apart a network spec's noise samples are along a direction, per entry."""
    return np.asarray(policy.NOISE_SPACING * np.maximum(1.0, np.abs(value)), dtype=np.float64)
