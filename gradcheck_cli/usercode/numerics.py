"""Finite differences of the user's function, one entry at a time, with an error bound each.

The function f maps the inputs to an output of m entries (m = 1 for a loss). It is probed with k
cotangents c (rows of ``probes``): every quantity is the derivative of J_c = ⟨c, f⟩, so one
evaluation of f per perturbed point serves every probe; no evaluation is repeated.

Rounding noise. σ_c, the noise of J_c, is measured (Moré & Wild's ECnoise) along
``USER_NOISE_DIRECTIONS`` random directions of ``USER_NOISE_POINTS`` points each, combined as a
root mean square: one short run can see almost no noise (its samples may even be exactly
polynomial), several rarely all do. It is never taken below the probes' pooled relative noise
(a Jacobian row's own estimate rests on one output entry) nor below the rounding of the
returned values themselves (``OUTPUT_ROUNDING``). Where the noise seen is high, or the difference
tables are not ones of noise, f may vary on a scale near the spacing (a near-singular matrix's
inverse): the spacing is narrowed while that lowers the noise seen (``_narrowed``).

Steps. With ν the largest σ_c/Σ|c_j f_j| (the noise relative to the terms J_c sums), the first
step is s = ν^(1/4)·max(|θ_i|, τ) for Richardson (ν^(1/3) for ``central``), τ = 1 for a tensor
of order one and its own scale for a tensor of tiny entries (see ``fd.steps``), rounded to a power of
two: the levels are then in exact ratio 1 : 2 : 4 and, for inputs held in the precision computed
in, θ ± s is exact (the moves actually taken are used either way). ``fd.richardson`` differences
each entry at s, 2s and 4s, shrinks s where f is not smooth at that scale, and bounds the error.

Precision: inputs arrive in float64. If f returns a lower-precision float, or its measured noise
is far above float64's and rounding its inputs to float32 leaves it unchanged (it computes in
float32 inside), the check is *precision-limited*: points are rounded to that precision, noise is
measured at its scale, and the verdict says so.

Domain: a stencil point where f returns nan or inf or raises, while f is defined at the point,
shrinks that entry's step (``fd.richardson``); the report names the entries and the failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcheck_cli import policy, streams
from gradcheck_cli.arrays import Array
from gradcheck_cli.fd import richardson as stencil
from gradcheck_cli.fd import steps
from gradcheck_cli.fd.noise import estimates, rms, settled
from gradcheck_cli.usercode.calls import UserCodeError
from gradcheck_cli.usercode.options import Options

#: f at a point: (values, what we are doing, for messages) → the output array, checked finite.
Evaluate = Callable[[Mapping[str, Any], str], Array]


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
    #: per input, what the report should say of steps shrunk at the edge of f's domain, or ""
    edges: Mapping[str, str] = field(default_factory=dict)
    #: the spacing f's rounding noise was measured at, relative to ``fd.steps.unit`` of the
    #: inputs: where f varies on a finer scale than the precision's spacing, a narrower one
    spacing: float = policy.USER_NOISE_SPACING["float64"]


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
    m = measure(evaluate, values, base, wrt, probes, options.seed)
    values, output, precision = m.values, m.output, m.precision
    found = {n: _entries(evaluate, values, n, probes @ output, probes, m.sigma, m.noise, precision, options)
             for n in wrt}
    return Numeric(values, output, precision, {n: v for n, (v, _, _) in found.items()},
                   {n: e for n, (_, e, _) in found.items()}, {n: note for n, (_, _, note) in found.items()},
                   m.spacing)


@dataclass(frozen=True)
class Measured:
    """What the steps and error bounds of a finite-difference pass rest on, measured at the point."""

    #: the point, rounded to the precision f computes in when that is below float64
    values: Mapping[str, Any]
    #: f there, flat, in float64
    output: Array
    precision: Precision
    #: the rounding noise of J_c for every probe c: (probes,)
    sigma: Array
    #: ν, the noise relative to the size of J, that the first step is sized from (``fd.steps``)
    noise: float
    #: the spacing the noise was measured at, relative to ``fd.steps.unit`` (``_narrowed``)
    spacing: float = policy.USER_NOISE_SPACING["float64"]


def measure(
    evaluate: Evaluate, values: Mapping[str, Any], base: Array, wrt: Sequence[str], probes: Array, seed: int
) -> Measured:
    """The precision f computes in and its rounding noise at ``values`` (where f is ``base``).

    Raises:
        UserCodeError: f raised or returned something unusable at some point.
    """
    precision, samples, spacing = _precision(evaluate, values, wrt, probes, base, seed)
    if precision.limited:
        values = {**values, **{n: _rounded(values[n], precision.dtype) for n in wrt}}
        base = evaluate(values, f"at the inputs rounded to {precision.dtype}")
        samples = None
    if samples is None:
        samples = _samples(evaluate, values, wrt, precision.dtype, seed, base)
    output = _f64(base).reshape(-1)
    sigma = _sigma(samples, probes, output, precision.eps)
    scales = np.array([_scale(c, output) for c in probes])
    relative = sigma / np.where(scales > 0, scales, np.inf)
    # ν for the step: the noisiest probe's; ε where f is 0 (nothing to be relative to); at most
    # 1, so that a step is never more than max(|θ|, τ) (the stencil shrinks it if f needs it).
    noise = min(float(relative.max()), 1.0) if relative.any() else precision.eps
    return Measured(values, output, precision, sigma, noise, spacing)


def _precision(
    evaluate: Evaluate, values: Mapping[str, Any], wrt: Sequence[str], probes: Array, base: Array, seed: int
) -> tuple[Precision, Array | None, float]:
    """Lower than float64 if f returns less, or if its noise is that of float32 and it sees its
    inputs only to float32's precision; the float64 noise samples for reuse when it is not, and
    the spacing they were taken at."""
    dtype = _real_dtype(base)
    if dtype != "float64":
        return Precision(dtype, True, f"it returns {base.dtype}"), None, policy.USER_NOISE_SPACING[dtype]
    samples = _samples(evaluate, values, wrt, "float64", seed, base)
    scale = max(_scale(probes[0], _f64(base).reshape(-1)), policy.TINY)
    sigma = _noise(samples @ probes[0])
    top32 = float(np.finfo(np.float32).max)
    in_float32 = all(float(np.abs(values[n]).max(initial=0.0)) <= top32 for n in wrt)
    if sigma <= policy.PRECISION_LIMITED_NOISE * scale and np.ptp(samples @ probes[0]) == 0 and in_float32:
        # Identical samples: constant, or rounding every input to float32 hides our moves.
        sigma = _noise(_samples(evaluate, values, wrt, "float32", seed) @ probes[0])
    if sigma > policy.PRECISION_LIMITED_NOISE * scale and in_float32 and _sees_float32(
            evaluate, values, wrt, probes[0], base):
        why = f"it computes below float64: its rounding noise is {sigma / scale:.0e} of |J|"
        return Precision("float32", True, why), None, policy.USER_NOISE_SPACING["float32"]
    spacing = policy.USER_NOISE_SPACING["float64"]
    if sigma > policy.PRECISION_LIMITED_NOISE * scale or not _settled(samples @ probes[0]):
        samples, spacing = _narrowed(evaluate, values, wrt, seed, base, samples, probes[0])
    return Precision("float64"), samples, spacing


def _narrowed(evaluate: Evaluate, values: Mapping[str, Any], wrt: Sequence[str], seed: int, base: Array,
              samples: Array, c: Array) -> tuple[Array, float]:
    """Float64 noise samples at the spacing, narrowed ``USER_NOISE_NARROWING``-fold at a time,
    that sees the least noise — until two in a row agree within ``USER_NOISE_STEADY``, both with
    difference tables of noise (``_settled``): a rounding noise does not depend on the spacing,
    so what changed with it was the smooth part of f, varying on a scale near the spacing (a
    near-singular matrix's inverse, on that of its smallest singular value: the noise seen rises
    as the spacing nears it, then falls)."""
    spacing = policy.USER_NOISE_SPACING["float64"]
    levels = [(_noise(samples @ c), samples, spacing)]
    for narrowing in range(1, policy.USER_NOISE_RESPACINGS + 1):
        narrower = _samples(evaluate, values, wrt, "float64", seed, base,
                            narrower=policy.USER_NOISE_NARROWING ** narrowing)
        seen = _noise(narrower @ c)
        if seen == 0:  # identical samples: narrower than the inputs' ulps
            break
        levels.append((seen, narrower, spacing / policy.USER_NOISE_NARROWING ** narrowing))
        before = levels[-2]
        if (before[0] <= policy.USER_NOISE_STEADY * seen and seen <= policy.USER_NOISE_STEADY * before[0]
                and _settled(before[1] @ c) and _settled(narrower @ c)):
            break
    _, samples, spacing = min(levels, key=lambda level: level[0] if level[0] > 0 else np.inf)
    return samples, spacing


def _settled(runs: Array) -> bool:
    """Whether most runs' difference tables are ones of noise (``fd.noise.settled``)."""
    return 2 * sum(settled(run) for run in runs) >= len(runs)


def _sees_float32(evaluate: Evaluate, values: Mapping[str, Any], wrt: Sequence[str], c: Array,
                  base: Array) -> bool:
    """Whether f sees its inputs only to float32's precision: rounding them to float32 leaves J
    exactly as it was (code that casts its inputs, as float32 NumPy, JAX and torch code does).
    Float64 code whose noise is high for another reason — ill-conditioned (inv of a matrix of
    condition 1e6), cancelling ((1 − cos x)/x² at x ~ 1e-3), offset (x ~ 1e8) — does not."""
    rounded = evaluate({**values, **{n: _rounded(values[n], "float32") for n in wrt}},
                       "at the inputs rounded to float32")
    return bool(c @ _f64(rounded).reshape(-1) == c @ _f64(base).reshape(-1))


def _samples(
    evaluate: Evaluate, values: Mapping[str, Any], wrt: Sequence[str], dtype: str, seed: int,
    start: Array | None = None, narrower: float = 1.0,
) -> Array:
    """f at ``USER_NOISE_POINTS`` equally spaced points along each of ``USER_NOISE_DIRECTIONS``
    random directions, all from ``values`` (where f is ``start``, if known), at ``narrower``
    times less than the precision's spacing: (directions, points, m). A direction that leaves
    f's domain (the point is at its edge) is walked the other way, or left out.

    Raises:
        UserCodeError: f fails along every direction, both ways.
    """
    rng = streams.rng(seed, streams.USER_NOISE)
    first = start if start is not None else evaluate(
        {**values, **{n: _rounded(values[n], dtype) for n in wrt}}, "measuring its rounding noise")
    runs, failures = [], []
    for _ in range(policy.USER_NOISE_DIRECTIONS):
        # Gaussian, not ±1, entries: the few sign patterns of a small input would repeat
        moves = {n: rng.standard_normal(np.shape(values[n])) * steps.spacing(values[n], dtype) / narrower
                 for n in wrt}
        for way in (1.0, -1.0):
            try:
                rows = [_f64(first).reshape(-1)] + [
                    _f64(evaluate({**values, **{n: _rounded(values[n] + way * t * moves[n], dtype)
                                                for n in wrt}}, "measuring its rounding noise")).reshape(-1)
                    for t in range(1, policy.USER_NOISE_POINTS)]
            except UserCodeError as failure:
                failures.append(failure)
                continue
            runs.append(np.stack(rows))
            break
    if not runs:
        raise failures[0]
    return np.stack(runs)


def _noise(runs: Array) -> float:
    """The root mean square of the ECnoise estimates of several runs: (directions, points)."""
    return rms(estimates(np.asarray(runs).T))


def _sigma(samples: Array, probes: Array, output: Array, eps: float) -> Array:
    """Noise of every J_c: measured, but at least the typical relative noise of all the probes
    (pooled: a single probe's estimate can be low, a Jacobian row's especially, where it is
    the rounding of one output entry), and at least the rounding of f's values: (probes,)."""
    measured = np.array([_noise(samples @ c) for c in probes])
    size = np.array([rms(c * output) * np.sqrt(output.size) for c in probes])
    relative = measured[size > 0] / size[size > 0]
    pooled = rms(relative) if relative.size else 0.0
    floor = max(pooled, policy.OUTPUT_ROUNDING * eps) * size
    return np.asarray(np.maximum(measured, floor), dtype=np.float64)


def _entries(
    evaluate: Evaluate, values: Mapping[str, Any], name: str, base: Array, probes: Array, sigma: Array,
    noise: float, precision: Precision, options: Options,
) -> tuple[Array, Array, str]:
    """Every entry of input ``name``: values and error bounds, each (probes, entries), and what
    the report should say of steps shrunk at the edge of f's domain ("" where none was).

    Raises:
        UserCodeError: f is undefined on some side of an entry at every step down to the last.
    """
    flat = np.asarray(values[name], dtype=np.float64).reshape(-1)
    richardson = options.scheme == "richardson"
    first = steps.from_noise(flat, noise, options.scheme, options.step)
    # a step the user chose is not widened
    resolution = policy.USER_RESOLUTION[precision.dtype] if options.step is None else np.inf
    value = np.empty((flat.size, probes.shape[0]))
    error = np.empty_like(value)
    edges: list[tuple[int, float, UserCodeError]] = []
    for i in range(flat.size):
        failures: list[UserCodeError] = []
        probe = tolerant(mover(evaluate, values, name, i, probes, precision.dtype), failures)
        found = stencil.derivative(probe, float(flat[i]), base, float(first[i]), sigma, richardson,
                                   resolution)
        if found is None:
            last = failures[-1]
            raise UserCodeError(last.message, details=last.details, hint=(
                f"it is not defined on both sides of {_entry(name, np.shape(values[name]), i)} even at a "
                f"step of {abs(float(first[i])) / stencil.SHRINK ** policy.USER_STEP_SHRINKS_MAX:.1g}: "
                "check it at a point inside its domain"))
        value[i], error[i] = found.value, found.error
        if found.edge:
            edges.append((i, found.step, failures[0]))
    return value.T.copy(), error.T.copy(), _edge_note(name, np.shape(values[name]), edges)


def tolerant(probe: stencil.Probe, failures: list[UserCodeError]) -> stencil.Partial:
    """``probe``, None where f fails (nan, inf or an exception: outside its domain, since f is
    defined at the point itself), the failure appended to ``failures``."""

    def tolerant(offset: float) -> tuple[float, Array] | None:
        try:
            return probe(offset)
        except UserCodeError as failure:
            failures.append(failure)
            return None

    return tolerant


def _edge_note(name: str, shape: tuple[int, ...], edges: list[tuple[int, float, UserCodeError]]) -> str:
    """Which entries' steps shrank because a wider stencil left f's domain, to what, and the
    first failure that made one shrink."""
    if not edges:
        return ""
    where = (_entry(name, shape, edges[0][0]) if len(edges) == 1
             else f"{len(edges)} entries of {name}")
    least = min(step for _, step, _ in edges)
    return (f"the step was shrunk (to {least:.1e}{' at the least' if len(edges) > 1 else ''}) for {where}, "
            f"where a wider stencil left the function's domain: {edges[0][2].message}")


def mover(
    evaluate: Evaluate, values: Mapping[str, Any], name: str, i: int, probes: Array, dtype: str
) -> stencil.Probe:
    """J_c of every probe with entry ``i`` of ``name`` moved by an offset (rounded to ``dtype``)."""
    shape = np.shape(values[name])
    flat = np.asarray(values[name], dtype=np.float64).reshape(-1)

    def probe(offset: float) -> tuple[float, Array]:
        moved = flat.copy()
        moved[i] = float(_rounded(flat[i] + offset, dtype))
        doing = f"at {_entry(name, shape, i)} {'+' if offset > 0 else '-'} {abs(offset):.3g}"
        out = evaluate({**values, name: moved.reshape(shape)}, doing)
        return float(moved[i]), probes @ _f64(out).reshape(-1)

    return probe


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
        h = steps.from_noise(flat, 0.0, "complex", options.step)
        columns = [complex_step(evaluate, values, name, i, probes, float(step), who)
                   for i, step in enumerate(h)]
        value[name] = np.array(columns).reshape(flat.size, probes.shape[0]).T.copy()
    error = {n: policy.ANALYTIC_ULPS * precision.eps * np.abs(v) for n, v in value.items()}
    return Numeric(values, np.real(base).astype(np.float64).reshape(-1), precision, value, error)


def complex_step(
    evaluate: Evaluate, values: Mapping[str, Any], name: str, i: int, probes: Array, h: float, who: str
) -> Array:
    """Im ⟨c, f(θ + ih·e_i)⟩/h for every probe c, entry ``i`` of input ``name`` moved by ih.

    Raises:
        UserCodeError: f (named ``who``) returned a real output: it is not complex-safe.
    """
    shape = np.shape(values[name])
    moved = np.asarray(values[name], dtype=np.complex128).reshape(-1).copy()
    moved[i] += 1j * h
    out = evaluate({**values, name: moved.reshape(shape)}, f"at {_entry(name, shape, i)} + ih")
    if not np.iscomplexobj(out):
        raise UserCodeError(f"`{who}` returned a real {out.dtype} output for a complex input: it is "
                            "not complex-safe", hint="use the default scheme `richardson`")
    return np.asarray(probes @ np.asarray(out).imag.reshape(-1) / h)


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
