"""Differences of J over a stencil, and their error model, shared by every engine that takes
them (the entry-by-entry numeric engine and the directional one).

Rows of ``f`` are J at θ + h, θ − h, θ + 2h, θ − 2h (a forward stencil: θ + h, θ + 2h); ``J`` is
J at θ and ``sigma`` the rounding noise of J (``fd.noise``).

    D(h)  = (J(θ + h) − J(θ − h)) / 2h        central: f′ + O(h²)
    error = |D(h) − D(2h)|/3 + σ/h           its truncation (from the 2h difference) + round-off

A one-sided difference over h is O(h) off its one-sided derivative; the same difference over 2h
is twice as far off, so their gap estimates that error (and the round-off is 2σ/h).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcheck_cli.arrays import Array


def difference(scheme: str, f: Array, J: Array | float, h: Array | float) -> Array:
    """The derivative a scheme reads from its stencil's values ``f`` (rows in the offsets of
    ``engines.numeric.OFFSETS``): Im J(θ + ih)/h for the complex step, the forward difference, the
    central D(h), or Richardson's (4D(h) − D(2h))/3, which cancels the h² term."""
    if scheme == "complex":
        return np.asarray(f[0].imag / h)
    f = f.real
    if scheme == "forward":
        return np.asarray((f[0] - J) / h)
    d1, d2, _ = central(f, h, 0.0)
    return np.asarray(d1 if scheme == "central" else (4 * d1 - d2) / 3)


def central(f: Array, h: Array | float, sigma: float) -> tuple[Array, Array, Array]:
    """D(h), D(2h) and the error estimate of D(h)."""
    d1, d2 = (f[0] - f[1]) / (2 * h), (f[2] - f[3]) / (4 * h)
    return d1, d2, abs(d1 - d2) / 3 + sigma / h


def forward(f: Array, J: Array | float, h: Array | float, sigma: float) -> tuple[Array, Array]:
    """The forward difference over h and its error estimate (gap to 2h + round-off)."""
    d1, d2 = (f[0] - J) / h, (f[1] - J) / (2 * h)
    return d1, abs(d1 - d2) + 2 * sigma / h


@dataclass(frozen=True)
class Sides:
    """The one-sided differences around θ over h, each with its own error estimate."""

    right: Array
    left: Array
    right_error: Array
    left_error: Array


def sides(f: Array, J: Array | float, h: Array | float, sigma: float) -> Sides:
    """One-sided differences from a central stencil's values (rows +h, −h, +2h, −2h)."""
    right, left = (f[0] - J) / h, (J - f[1]) / h
    right2, left2 = (f[2] - J) / (2 * h), (J - f[3]) / (2 * h)
    noise = 2 * sigma / h
    return Sides(right, left, abs(right - right2) + noise, abs(left - left2) + noise)
