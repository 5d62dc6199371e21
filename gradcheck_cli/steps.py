"""The error of a finite difference against its step: the V of truncation and round-off.

For one entry θ_k, a difference D(h) is computed for steps from 1e-15 to 1e-1 (1e-22 for the
complex step), relative to max(1, |θ_k|), and compared with a reference value (the symbolic
engine for a spec; the user's own gradient for a function). For a spec the difference is that of
the scheme in force there — the complex step Im J(θ + ih)/h for complex-safe ops, whose error has
no round-off arm, else central, forward or Richardson differences, as ``engines.numeric`` takes
them — and the step marked is the one the check takes for that entry. For a function it is the
central difference D(h) = (J(θ + h e_k) − J(θ − h e_k)) / 2h: on the right its error falls as h²
(truncation), on the left it grows as ε|J|/h (round-off), and the step marked sits near the
bottom of the V.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.engines import forward, kinks, numeric, symbolic
from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.fd import stencils
from gradcheck_cli.fd import steps as fd_steps
from gradcheck_cli.problem import INPUT, Problem
from gradcheck_cli.usercode import calls
from gradcheck_cli.usercode.core import prepare

#: Relative steps tried: 10^-15 … 10^-1, four per decade.
EXPONENTS = np.arange(-15.0, -0.99, 0.25)
#: For the complex step, whose own step is far below 10^-15: 10^-22 … 10^-1.
COMPLEX_EXPONENTS = np.arange(-22.0, -0.99, 0.25)

#: Offsets of each scheme's stencil, in steps, as ``engines.numeric`` takes them.
OFFSETS: dict[str, tuple[complex, ...]] = {
    "complex": (1j,), "forward": (1.0, 2.0), "central": (1.0, -1.0, 2.0, -2.0),
    "richardson": (1.0, -1.0, 2.0, -2.0),
}


@dataclass(frozen=True)
class Curve:
    """|D(h) − reference| for every step h, and where gradcheck's own step falls."""

    entry: str
    reference: float
    reference_source: str
    steps: tuple[float, ...]
    errors: tuple[float, ...]
    chosen: float
    #: the differences plotted, and whose step ``chosen`` is: complex, central, forward, richardson
    scheme: str = "central"


def for_problem(problem: Problem, entry: str | None = None) -> Curve:
    """The curve for ``entry`` (``W0[1, 2]``), or for the entry whose default finite difference
    is furthest from the symbolic value."""
    truth = symbolic.gradients(problem).grads
    name, index = parse_entry(entry, problem) if entry else _worst(problem, truth)
    J, outputs, caches, _ = forward.run(problem)
    problem = kinks.resolved(problem, outputs, caches)
    base = problem.x if name == INPUT else problem.values[name]
    flat = int(np.ravel_multi_index(index, base.shape)) if base.ndim else 0
    scheme = problem.scheme
    h = 10.0 ** (COMPLEX_EXPONENTS if scheme == "complex" else EXPONENTS) * max(1.0, abs(float(base[index])))
    reference = float(truth[name][index])
    errors = np.abs(_differences(problem, name, flat, h, float(J)) - reference)
    chosen = float(fd_steps.per_entry(base.reshape(-1), scheme, problem.settings.step)[flat])
    return Curve(f"{name}{list(index)}", reference, "symbolic", tuple(float(v) for v in h),
                 tuple(float(v) for v in errors), chosen, scheme)


def _differences(problem: Problem, name: str, flat: int, h: Array, J: float) -> Array:
    """The difference of the problem's scheme for entry ``flat`` of ``name``, at every step ``h``."""
    scheme = problem.scheme
    base = problem.x if name == INPUT else problem.values[name]
    offsets = np.array(OFFSETS[scheme])
    stack = np.broadcast_to(base.reshape(-1), (offsets.size, h.size, base.size)).astype(offsets.dtype)
    stack[:, :, flat] += offsets[:, None] * h[None, :]
    with np.errstate(invalid="ignore", over="ignore"):  # a loss not finite at a large step: nan
        f, _, _, _ = forward.run(problem, {**problem.values, name: stack.reshape(-1, *base.shape)})
        f = np.asarray(f).reshape(offsets.size, h.size)
        if scheme == "complex":
            return np.asarray(f[0].imag / h)
        if scheme == "forward":
            return np.asarray(stencils.forward(f.real, J, h, 0.0)[0])
        d1, d2, _ = stencils.central(f.real, h, 0.0)
    return np.asarray(d1 if scheme == "central" else (4 * d1 - d2) / 3)


def for_function(
    fun: Callable[..., Any], grad: Callable[..., Any] | None, inputs: Mapping[str, Any], entry: str | None,
    wrt: str | Sequence[str] | None = None,
) -> Curve:
    """The curve for a user's scalar function, against the user's own gradient: ``grad``'s, or
    the second of the pair ``fun`` returns when ``grad`` is None. ``inputs`` and ``wrt`` are
    those of ``check_function`` (labels and masks held fixed, dict inputs by dotted name); the
    default entry is the first of the first input differentiated.

    Raises:
        GradcheckError: bad inputs, ``wrt`` or entry; UserCodeError when the user's code raises
            or returns something unusable at the given inputs.
    """
    values, names = prepare(inputs, wrt)
    shapes = {n: np.shape(values[n]) for n in names}
    name, index = _entry_in(entry, shapes) if entry else (names[0], (0,) * len(shapes[names[0]]))
    user = calls.name_of(fun if grad is None else grad)
    g = calls.gradients(_user_gradient(fun, grad, values), user, names, shapes, "computing the gradient")
    theta = float(values[name][index])
    h = 10.0**EXPONENTS * max(1.0, abs(theta))
    J = np.empty((2, h.size))
    for side, sign in enumerate((1.0, -1.0)):
        for i, step in enumerate(h):
            moved = {**values, name: values[name].copy()}
            moved[name][index] += sign * step
            J[side, i] = _loss(fun, grad is None, moved)
    chosen = policy.CENTRAL_STEP * max(1.0, abs(theta))
    return _curve(f"{name}{list(index)}", float(g[name][index]), "your gradient", h, J, chosen)


#: What a loss given without a gradient function must return.
_PAIR = "(loss, gradient) when no gradient function is given"


def _user_gradient(
    fun: Callable[..., Any], grad: Callable[..., Any] | None, values: Mapping[str, Any]
) -> Any:
    if grad is None:
        return calls.call_for_pair(fun, _PAIR, "computing the gradient", values)[1]
    return calls.call(grad, "computing the gradient", **calls.fresh(values))


def _loss(fun: Callable[..., Any], pair: bool, point: Mapping[str, Any]) -> float:
    """The loss at ``point``: a scalar, which may be inf or nan at a large step (the curve shows
    it); anything that is not one number is refused as ``check_function`` refuses it."""
    doing = "evaluating the loss"
    if pair:
        value = calls.call_for_pair(fun, _PAIR, doing, point)[0]
    else:
        value = calls.call(fun, doing, **calls.fresh(point))
    out = np.asarray(value)
    if out.dtype.kind not in "fciub" or out.size != 1:
        calls.as_output(value, calls.name_of(fun), doing, scalar=True)  # raises, saying why
    return float(out.real.reshape(()))


def _curve(entry: str, reference: float, source: str, h: Array, J: Array, chosen: float) -> Curve:
    with np.errstate(invalid="ignore", over="ignore"):  # a loss not finite at a large step: nan
        d = (J[0] - J[1]) / (2 * h)
    errors = np.abs(d - reference)
    steps = tuple(float(v) for v in h)
    return Curve(entry, reference, source, steps, tuple(float(v) for v in errors), chosen)


def _worst(problem: Problem, truth: Mapping[str, Array]) -> tuple[str, tuple[int, ...]]:
    found = numeric.gradients(problem)
    best: tuple[float, str, tuple[int, ...]] = (-1.0, problem.wrt[0], ())
    for name in problem.wrt:
        gap = np.abs(found.grads[name] - truth[name])
        flat = int(np.argmax(gap))
        index = tuple(int(i) for i in np.unravel_index(flat, gap.shape))
        if float(gap.reshape(-1)[flat]) > best[0]:
            best = (float(gap.reshape(-1)[flat]), name, index)
    return best[1], best[2]


def parse_entry(text: str, problem: Problem) -> tuple[str, tuple[int, ...]]:
    return _entry_in(text, {n: problem.shape_of(n) for n in problem.wrt})


def _entry_in(text: str, shapes: Mapping[str, tuple[int, ...]]) -> tuple[str, tuple[int, ...]]:
    """``W0[1, 2]`` → ("W0", (1, 2)), checked against the shapes."""
    name, _, rest = text.partition("[")
    name = name.strip()
    if name not in shapes:
        raise GradcheckError(f"--entry {text!r}: `{name}` is not differentiated here",
                             hint=did_you_mean(name, shapes) or f"known: {', '.join(shapes)}")
    try:
        index = tuple(int(p) for p in rest.rstrip("] ").split(",") if p.strip())
    except ValueError:
        raise GradcheckError(f"--entry {text!r}: write NAME[i, j] with integer indices") from None
    shape = shapes[name]
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape, strict=False)):
        raise GradcheckError(f"--entry {text!r}: `{name}` has shape {list(shape)}")
    return name, index


def plot(curve: Curve, rows: int = 14) -> str:
    """A log-log text plot of error against step; the chosen step is marked ▲ under the axis."""
    logs = np.log10(np.maximum(np.array(curve.errors), policy.TINY))
    finite = logs[logs > np.log10(policy.TINY) + 1]
    top, bottom = (float(finite.max()), float(finite.min())) if finite.size else (0.0, -1.0)
    top, bottom = np.ceil(top), np.floor(bottom)
    height = max(top - bottom, 1.0)
    lines = []
    for r in range(rows):
        level = top - r * height / (rows - 1)
        marks = "".join("●" if abs(v - level) <= height / (2 * (rows - 1)) else " " for v in logs)
        lines.append(f"{level:6.1f} │{marks}")
    chosen = int(np.argmin(np.abs(np.log10(curve.steps) - np.log10(curve.chosen))))
    lines.append("       └" + "─" * len(curve.steps))
    lines.append("        " + " " * chosen + f"▲ gradcheck's {curve.scheme} step h = {curve.chosen:.1e}")
    lines.append(f"        log10 h from {np.log10(curve.steps[0]):.0f} to {np.log10(curve.steps[-1]):.0f}; "
                 "y: log10 |D(h) − reference|")
    return "\n".join(lines)


def table(curve: Curve) -> str:
    """The curve as a Markdown table (for a CI job summary); the chosen step's row is marked."""
    chosen = int(np.argmin(np.abs(np.log10(curve.steps) - np.log10(curve.chosen))))
    lines = ["| h | \\|D(h) − reference\\| | |", "|---|---|---|"]
    for k, (h, err) in enumerate(zip(curve.steps, curve.errors, strict=True)):
        mark = f"◀ gradcheck's step ({curve.chosen:.1e})" if k == chosen else ""
        lines.append(f"| {h:.1e} | {err:.2e} | {mark} |")
    return "\n".join(lines)
