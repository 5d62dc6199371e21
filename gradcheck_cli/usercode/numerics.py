"""Finite differences of the user's function, one entry at a time, with an error estimate each.

The function f maps the inputs to an output of m entries (m = 1 for a loss). It is probed with k
cotangents c (rows of ``probes``): every quantity is the derivative of J_c = ⟨c, f⟩, so one
evaluation of f per perturbed point serves every probe; no evaluation is repeated.

Per entry θ_i, f is evaluated at θ_i ± h and θ_i ± 2h with h = ε^(1/3)·max(1, |θ_i|), ε the unit
round-off of the precision f computes in, each point rounded to that precision so the step is
the one actually taken. D(h) and D(2h) are central differences; Richardson extrapolation
(r²D(h) − D(2h))/(r² − 1), r = 2, cancels their h² term. The error estimate per entry is

    |D(h) − D(2h)|/(r² − 1)   (truncation of D(h): an upper bound for the extrapolated value)
  + σ_c / h                   (round-off: σ_c is the measured rounding noise of J_c, ECnoise)

Precision: inputs arrive in float64. If f returns a lower-precision float, or its measured noise
is far above float64's (it computes in float32 inside), the check is *precision-limited*: points
are rounded to that precision, steps and noise are sized for it, and the verdict says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.engines.noise import estimate
from gradcheck_cli.ops.base import Array
from gradcheck_cli.usercode.calls import UserCodeError
from gradcheck_cli.usercode.options import Options

#: f at a point: (values, what we are doing, for messages) → the output array, checked finite.
Evaluate = Callable[[Mapping[str, Any], str], Array]

#: Stencil offsets in units of h: D(h) from the first two, D(2h) from the last two.
OFFSETS = (1.0, -1.0, 2.0, -2.0)


@dataclass(frozen=True)
class Precision:
    """The precision the user's function computes in, and why we think so."""

    dtype: str
    limited: bool = False
    why: str = ""

    @property
    def eps(self) -> float:
        return float(np.finfo(self.dtype).eps)


@dataclass(frozen=True)
class Numeric:
    """Finite-difference VJPs: for each input, ``value`` and ``error`` of shape (probes, entries)."""

    values: Mapping[str, Any]
    output: Array
    precision: Precision
    value: Mapping[str, Array]
    error: Mapping[str, Array]


def differentiate(
    evaluate: Evaluate, values: Mapping[str, Any], base: Array, wrt: Sequence[str], probes: Array,
    options: Options, who: str,
) -> Numeric:
    """∂⟨c, f⟩/∂θ for every probe c and every entry θ of the inputs named in ``wrt``; ``base``
    is f(values), already computed.

    Raises:
        UserCodeError: f (named ``who``) raised or returned something unusable at some point.
    """
    if options.scheme == "complex":
        return _complex_step(evaluate, values, base, wrt, probes, options, who)
    precision, samples = _precision(evaluate, values, wrt, probes, base, options.seed)
    if precision.limited:
        values = {**values, **{n: _rounded(values[n], precision.dtype) for n in wrt}}
        base = evaluate(values, f"at the inputs rounded to {precision.dtype}")
        samples = None
    if samples is None:
        samples = _samples(evaluate, values, wrt, precision.dtype, options.seed)
    output = _f64(base).reshape(-1)
    sigma = _sigma(samples, probes, output, precision.eps)
    found = {n: _central(evaluate, values, n, probes, sigma, precision, options) for n in wrt}
    return Numeric(values, output, precision, {n: v for n, (v, _) in found.items()},
                   {n: e for n, (_, e) in found.items()})


def _precision(
    evaluate: Evaluate, values: Mapping[str, Any], wrt: Sequence[str], probes: Array, base: Array, seed: int
) -> tuple[Precision, Array | None]:
    """Lower than float64 if f returns less, or if its noise is that of float32 (the float64
    noise samples are returned for reuse when it is not)."""
    dtype = _real_dtype(base)
    if dtype != "float64":
        return Precision(dtype, True, f"it returns {base.dtype}"), None
    samples = _samples(evaluate, values, wrt, "float64", seed)
    scale = max(_scale(probes[0], _f64(base).reshape(-1)), policy.TINY)
    sigma = estimate(samples @ probes[0])
    if sigma <= policy.PRECISION_LIMITED_NOISE * scale and np.ptp(samples @ probes[0]) == 0:
        # Identical samples: constant, or rounding every input to float32 hides our moves.
        sigma = estimate(_samples(evaluate, values, wrt, "float32", seed) @ probes[0])
    if sigma > policy.PRECISION_LIMITED_NOISE * scale:
        why = f"it computes below float64: its rounding noise is {sigma / scale:.0e} of |J|"
        return Precision("float32", True, why), None
    return Precision("float64"), samples


def _samples(
    evaluate: Evaluate, values: Mapping[str, Any], wrt: Sequence[str], dtype: str, seed: int
) -> Array:
    """f at ``NOISE_POINTS`` equally spaced points along a random ±1 direction: (points, m)."""
    rng = np.random.default_rng(seed)
    spacing = policy.USER_NOISE_SPACING[dtype]
    moves = {n: rng.choice([-1.0, 1.0], size=np.shape(values[n])) * spacing
             * np.maximum(1.0, np.abs(values[n])) for n in wrt}
    rows = []
    for t in range(policy.NOISE_POINTS):
        point = {**values, **{n: _rounded(values[n] + t * moves[n], dtype) for n in wrt}}
        rows.append(_f64(evaluate(point, "measuring its rounding noise")).reshape(-1))
    return np.stack(rows)


def _sigma(samples: Array, probes: Array, output: Array, eps: float) -> Array:
    """Noise of every J_c, at least ``FORWARD_NOISE_ULPS`` ulps of the terms it sums: (probes,)."""
    measured = np.array([estimate(samples @ c) for c in probes])
    floor = policy.FORWARD_NOISE_ULPS * eps * np.array([_scale(c, output) for c in probes])
    return np.asarray(np.maximum(measured, floor), dtype=np.float64)


def _central(
    evaluate: Evaluate, values: Mapping[str, Any], name: str, probes: Array, sigma: Array,
    precision: Precision, options: Options,
) -> tuple[Array, Array]:
    base = np.asarray(values[name], dtype=np.float64)
    flat = base.reshape(-1)
    relative = options.step if options.step is not None else precision.eps ** (1.0 / 3.0)
    h = relative * np.maximum(1.0, np.abs(flat))
    points = np.stack([_rounded(flat + o * h, precision.dtype) for o in OFFSETS])
    shifted = np.empty((len(OFFSETS), flat.size, probes.shape[0]))
    for i in range(flat.size):
        for j, offset in enumerate(OFFSETS):
            moved = flat.copy()
            moved[i] = points[j, i]
            doing = f"at {_entry(name, base.shape, i)} {'+' if offset > 0 else '-'} {abs(offset):g}h"
            out = evaluate({**values, name: moved.reshape(base.shape)}, doing)
            shifted[j, i] = probes @ _f64(out).reshape(-1)
    a1, a2 = points[0] - points[1], points[2] - points[3]
    d1 = (shifted[0] - shifted[1]) / a1[:, None]
    d2 = (shifted[2] - shifted[3]) / a2[:, None]
    r2 = ((a2 / a1) ** 2 - 1.0)[:, None]
    value = d1 if options.scheme == "central" else d1 + (d1 - d2) / r2
    error = np.abs(d1 - d2) / r2 + 2.0 * sigma[None, :] / a1[:, None]
    return value.T.copy(), error.T.copy()


def _complex_step(
    evaluate: Evaluate, values: Mapping[str, Any], base: Array, wrt: Sequence[str], probes: Array,
    options: Options, who: str,
) -> Numeric:
    """Im f(θ + ih·e_i)/h: no subtraction, so accurate to rounding; needs complex-safe code."""
    dtype = _real_dtype(base)
    precision = Precision(dtype, dtype != "float64", f"it returns {base.dtype}" if dtype != "float64" else "")
    value: dict[str, Array] = {}
    for name in wrt:
        flat = np.asarray(values[name], dtype=np.float64).reshape(-1)
        h = (options.step or policy.COMPLEX_STEP) * np.maximum(1.0, np.abs(flat))
        columns = np.empty((flat.size, probes.shape[0]))
        for i in range(flat.size):
            moved = flat.astype(np.complex128)
            moved[i] += 1j * h[i]
            out = evaluate({**values, name: moved.reshape(np.shape(values[name]))},
                           f"at {_entry(name, np.shape(values[name]), i)} + ih")
            if not np.iscomplexobj(out):
                raise UserCodeError(f"`{who}` returned a real {out.dtype} output for a complex input: it is "
                                    "not complex-safe", hint="use the default scheme `richardson`")
            columns[i] = probes @ out.imag.reshape(-1) / h[i]
        value[name] = columns.T.copy()
    error = {n: policy.ANALYTIC_ULPS * precision.eps * np.abs(v) for n, v in value.items()}
    return Numeric(values, np.real(base).astype(np.float64).reshape(-1), precision, value, error)


def _entry(name: str, shape: tuple[int, ...], flat: int) -> str:
    index = [int(i) for i in np.unravel_index(flat, shape)] if shape else []
    return f"{name}{index}" if index else name


def _scale(c: Array, output: Array) -> float:
    """Σ|c_j f_j|: the size of the terms J_c sums, which is what its rounding scales with."""
    return float(np.abs(c) @ np.abs(output))


def _real_dtype(out: Array) -> str:
    kind = np.real(out).dtype
    return kind.name if kind.name in policy.USER_NOISE_SPACING else "float64"


def _rounded(a: Any, dtype: str) -> Array:
    arr = np.asarray(a, dtype=np.float64)
    return arr if dtype == "float64" else np.asarray(arr.astype(dtype), dtype=np.float64)


def _f64(out: Array) -> Array:
    return np.asarray(np.real(out), dtype=np.float64)
