"""exp, log and tanh at the points the complex step evaluates: a + ib with b tiny.

The complex step pushes every perturbed copy of a network through the ops in complex128, and
NumPy's complex transcendental functions cost 5–20× its vectorised real ones. Where every
|b| < ``SMALL_IMAGINARY``, each function below is computed from real functions of a and b by an
identity that is exact to rounding there (the neglected terms are below half an ulp); any other
argument, and every real one, goes to NumPy unchanged. These are the functions' values, not
their derivatives: nothing here knows what an op's backward is.
"""

from __future__ import annotations

import numpy as np

from gradcheck_cli.ops.base import Array

#: Below this |b|: cos b = 1, sin b = tan b = b and 1 + b² = 1 in float64 (b²/2, b³/6 and b³/3 are
#: under half an ulp of 1 and of b).
SMALL_IMAGINARY = 1e-9


def _small(z: Array) -> bool:
    """Complex, with every imaginary part below ``SMALL_IMAGINARY`` in magnitude."""
    if not np.iscomplexobj(z):
        return False
    b = z.imag
    return bool(b.max(initial=0.0) < SMALL_IMAGINARY and -b.min(initial=0.0) < SMALL_IMAGINARY)


def tanh(z: Array) -> Array:
    """tanh(a + ib) = (t(1 + s²) + i s(1 - t²)) / (1 + t²s²), t = tanh a, s = tan b (the addition
    theorem: tanh ib = i tan b); for small b that is t + i b(1 - t²)."""
    if not _small(z):
        return np.tanh(z)
    out = np.empty(z.shape, dtype=z.dtype)
    t = np.tanh(z.real)
    out.real = t
    np.multiply(t, t, out=t)
    np.subtract(1.0, t, out=t)
    np.multiply(z.imag, t, out=out.imag)
    return out


def exp(z: Array) -> Array:
    """exp(a + ib) = eᵃ(cos b + i sin b); for small b that is eᵃ + i b eᵃ."""
    if not _small(z):
        return np.exp(z)
    out = np.empty(z.shape, dtype=z.dtype)
    e = np.exp(z.real)
    out.real = e
    np.multiply(z.imag, e, out=out.imag)
    return out


def log(z: Array) -> Array:
    """log(a + ib) = ½ log(a² + b²) + i atan2(b, a); for a > 0 and |b| < SMALL_IMAGINARY·a that
    is log a + i b/a."""
    if not np.iscomplexobj(z):
        return np.log(z)
    a, b = z.real, z.imag
    if not ((a > 0).all() and (np.abs(b) < SMALL_IMAGINARY * a).all()):
        return np.log(z)
    out = np.empty(z.shape, dtype=z.dtype)
    out.real = np.log(a)
    np.divide(b, a, out=out.imag)
    return out
