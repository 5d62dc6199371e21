"""The error of a finite difference against its step: the V of truncation and round-off.

For one entry θ_k, a difference D(h) is computed for steps from 1e-15 to 1e-1 (1e-22 for the
complex step), relative to what the check's own step is relative to (``fd.steps``), and
compared with a reference value (the symbolic engine for a spec; the user's own gradient for a
function). The difference is that of the scheme the check uses for that subject, and the step
marked is the one the check takes for that entry, with the other levels of its stencil:

- a spec: the complex step Im J(θ + ih)/h for complex-safe ops, whose error has no round-off
  arm, else central, forward or Richardson differences at h and 2h, as ``engines.numeric``
  takes them, at the spec's step rule;
- a function: Richardson's extrapolation of the central differences at s, 2s and 4s
  (``fd.richardson``; the central D(s) or the complex step with ``scheme``), at the first step
  ``check_function`` sizes from the function's measured noise, shrunk by 4 where the function
  is not smooth at that scale — as the check itself shrinks it.

On the right of the V the error falls with h (truncation), on the left it grows as ε|J|/h
(round-off); the step marked sits near the bottom.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck_cli import policy
from gradcheck_cli.arrays import Array
from gradcheck_cli.choices import Scheme
from gradcheck_cli.engines import forward, kinks, numeric, symbolic
from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.fd import richardson as stencil
from gradcheck_cli.fd import stencils
from gradcheck_cli.fd import steps as fd_steps
from gradcheck_cli.problem import INPUT, Problem
from gradcheck_cli.usercode import calls, numerics
from gradcheck_cli.usercode.calls import UserCodeError
from gradcheck_cli.usercode.core import Inputs, arrange
from gradcheck_cli.usercode.options import Options

#: Relative steps tried: 10^-15 … 10^-1, four per decade.
EXPONENTS = np.arange(-15.0, -0.99, 0.25)
#: For the complex step, whose own step is far below 10^-15: 10^-22 … 10^-1.
COMPLEX_EXPONENTS = np.arange(-22.0, -0.99, 0.25)

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
    #: every step the check's stencil takes from ``chosen``: h and 2h for a spec's central,
    #: forward and Richardson differences, s, 2s and 4s for user code (its central difference
    #: is D(s), judged with the others); h alone for the complex step
    levels: tuple[float, ...] = ()
    #: a spec's check: ``full`` (a stencil per entry) or ``directional`` (its step is along random
    #: directions, one for all entries); user code's: ``full``
    mode: str = "full"


def for_problem(problem: Problem, entry: str | None = None) -> Curve:
    """The curve for ``entry`` (``W0[1, 2]``), or for the entry whose default finite difference
    is furthest from the symbolic value.

    A full check differences each entry with the scheme's step for it; a directional one (a large
    spec, or ``mode: directional``) takes central differences (or the complex step) along random
    directions with one step relative to the RMS of every entry moved, which is where its
    bisection ends for one entry: the curve is of that difference, with that step marked.
    """
    truth = symbolic.gradients(problem).grads
    name, index = parse_entry(entry, problem) if entry else _worst(problem, truth)
    J, outputs, caches, _ = forward.run(problem)
    problem = kinks.resolved(problem, outputs, caches)
    base = problem.x if name == INPUT else problem.values[name]
    flat = int(np.ravel_multi_index(index, base.shape)) if base.ndim else 0
    directional = problem.mode == "directional"
    scheme = problem.scheme
    if directional:  # as engines.directions takes them
        scheme = "complex" if scheme == "complex" else "central"
        moved = [problem.x if n == INPUT else problem.values[n] for n in problem.wrt]
        chosen = fd_steps.along(moved, sum(v.size for v in moved), scheme, problem.settings.step)
    else:
        chosen = float(fd_steps.per_entry(base.reshape(-1), scheme, problem.settings.step)[flat])
    h = 10.0 ** (COMPLEX_EXPONENTS if scheme == "complex" else EXPONENTS) * max(1.0, abs(float(base[index])))
    reference = float(truth[name][index])
    errors = np.abs(_differences(problem, scheme, name, flat, h, float(J)) - reference)
    levels = tuple(sorted({abs(o) * chosen for o in numeric.OFFSETS[scheme]}))
    return Curve(f"{name}{list(index)}", reference, "symbolic", tuple(float(v) for v in h),
                 tuple(float(v) for v in errors), chosen, scheme, levels,
                 "directional" if directional else "full")


def _differences(problem: Problem, scheme: Scheme, name: str, flat: int, h: Array, J: float) -> Array:
    """The difference of ``scheme`` for entry ``flat`` of ``name``, at every step ``h``."""
    base = problem.x if name == INPUT else problem.values[name]
    offsets = np.array(numeric.OFFSETS[scheme])
    stack = np.broadcast_to(base.reshape(-1), (offsets.size, h.size, base.size)).astype(offsets.dtype)
    stack[:, :, flat] += offsets[:, None] * h[None, :]
    with np.errstate(invalid="ignore", over="ignore"):  # a loss not finite at a large step: nan
        f, _, _, _ = forward.run(problem, {**problem.values, name: stack.reshape(-1, *base.shape)})
        return stencils.difference(scheme, np.asarray(f).reshape(offsets.size, h.size), J, h)


def for_function(
    fun: Callable[..., Any], grad: Callable[..., Any] | None, inputs: Inputs, entry: str | None,
    wrt: str | Sequence[str] | None = None, *, scheme: str = "richardson", seed: int = 0,
) -> Curve:
    """The curve for a user's scalar function, against the user's own gradient: ``grad``'s, or
    the second of the pair ``fun`` returns when ``grad`` is None. ``inputs``, ``wrt``, ``scheme``
    and ``seed`` are those of ``check_function`` (labels and masks held fixed, dict inputs by
    dotted name); the default entry is the first of the first input differentiated.

    The difference plotted is the scheme's (Richardson's extrapolation of D(h), D(2h), D(4h);
    the central D(h); the complex step), and the step marked is the one ``check_function`` takes
    for that entry: sized from the function's measured noise, shrunk where it is not smooth at
    that scale.

    Raises:
        GradcheckError: bad inputs, ``wrt``, scheme or entry, or a gradient of the wrong shape;
            UserCodeError when the user's code raises or returns something unusable.
    """
    options = Options.parse({"scheme": scheme, "seed": seed})
    values, names, layout = arrange(inputs, wrt, fun)
    shapes = {n: np.shape(values[n]) for n in names}
    name, index = _entry_in(entry, shapes) if entry else (names[0], (0,) * len(shapes[names[0]]))
    flat = int(np.ravel_multi_index(index, shapes[name])) if index else 0
    reference = _reference(fun, grad, values, names, shapes, layout, name, index)
    loss = _Loss(fun, grad is None, layout)
    if options.scheme == "complex":
        chosen = float(fd_steps.from_noise(values[name], 0.0, "complex").reshape(-1)[flat])
        return _complex_curve(loss, values, name, index, reference, chosen)
    measured = numerics.measure(loss.checked, values, loss.checked(values, "at the given inputs"), names,
                                np.ones((1, 1)), options.seed)
    point = measured.values
    first = float(fd_steps.from_noise(point[name], measured.noise, options.scheme).reshape(-1)[flat])
    chosen = _taken(loss, measured, name, flat, first, options.scheme == "richardson")
    theta = float(np.asarray(point[name]).reshape(-1)[flat])
    h = 10.0**EXPONENTS * float(fd_steps.unit(point[name]).reshape(-1)[flat])
    probe = numerics.mover(loss.loose, point, name, flat, np.ones((1, 1)), measured.precision.dtype)
    f0 = float(measured.output[0])
    d = np.array([_stencil_value(probe, theta, f0, step, options.scheme == "richardson") for step in h])
    levels = tuple(chosen * v for v in fd_steps.LEVELS)  # the stencil takes all three in either scheme
    return Curve(f"{name}{list(index)}", reference, "your gradient", tuple(float(v) for v in h),
                 tuple(float(v) for v in np.abs(d - reference)), chosen, options.scheme, levels)


def _reference(
    fun: Callable[..., Any], grad: Callable[..., Any] | None, values: Mapping[str, Any],
    names: tuple[str, ...], shapes: Mapping[str, tuple[int, ...]], layout: calls.Layout, name: str,
    index: tuple[int, ...],
) -> float:
    """The user's ∂J/∂``name`` at ``index``: the value the curve measures the differences against.

    Raises:
        GradcheckError: the gradient of ``name`` has another shape than ``name`` (``gradcheck
            func`` fails it, kind ``transpose`` or ``shape``; no entry of it can be plotted).
    """
    doing = "computing the gradient"
    if grad is None:
        returned = calls.call_for_pair(fun, _PAIR, doing, values, layout)[1]
    else:
        returned = calls.call_at(grad, doing, layout, values)
    user = calls.name_of(fun if grad is None else grad)
    g = calls.gradients(returned, user, names, shapes, doing, layout)
    if np.shape(g[name]) != shapes[name]:
        raise GradcheckError(
            f"`{user}` returns ∂J/∂{name} of shape {list(np.shape(g[name]))} where `{name}` has shape "
            f"{list(shapes[name])}: no entry of it can be plotted",
            hint="gradcheck func fails it as a wrong gradient (kind transpose or shape)")
    return float(g[name][index])


#: What a loss given without a gradient function must return.
_PAIR = "(loss, gradient) when no gradient function is given"


@dataclass(frozen=True)
class _Loss:
    """The user's loss at a point: ``checked`` as ``check_function`` takes it (one finite number),
    ``loose`` for the curve, which may be inf or nan at a large step (the curve shows it)."""

    fun: Callable[..., Any]
    pair: bool
    layout: calls.Layout

    def _value(self, point: Mapping[str, Any], doing: str) -> Any:
        if self.pair:
            return calls.call_for_pair(self.fun, _PAIR, doing, point, self.layout)[0]
        return calls.call_at(self.fun, doing, self.layout, point)

    def checked(self, point: Mapping[str, Any], doing: str) -> Array:
        return calls.as_output(self._value(point, doing), calls.name_of(self.fun), doing, scalar=True)

    def loose(self, point: Mapping[str, Any], doing: str) -> Array:
        value = self._value(point, doing)
        out = np.asarray(value)
        if out.dtype.kind not in "fciub" or out.size != 1:
            calls.as_output(value, calls.name_of(self.fun), doing, scalar=True)  # raises, saying why
        return np.asarray(out, dtype=np.complex128 if out.dtype.kind == "c" else np.float64).reshape(1)


def _taken(
    loss: _Loss, measured: numerics.Measured, name: str, flat: int, first: float, richardson: bool
) -> float:
    """The step the check ends on for this entry: ``first``, or where ``fd.richardson`` moved it —
    smaller where the function is not smooth at that scale or a stencil point left its domain,
    larger where round-off left it coarse — as the check takes it (``usercode.numerics``)."""
    dtype = measured.precision.dtype
    probe = numerics.mover(loss.checked, measured.values, name, flat, np.ones((1, 1)), dtype)
    failures: list[UserCodeError] = []
    theta = float(np.asarray(measured.values[name]).reshape(-1)[flat])
    found = stencil.derivative(numerics.tolerant(probe, failures), theta, measured.output[:1], first,
                               measured.sigma, richardson, policy.USER_RESOLUTION[dtype])
    if found is None:
        raise failures[-1]
    return found.step


def _stencil_value(probe: stencil.Probe, theta: float, f0: float, step: float, richardson: bool) -> float:
    """The scheme's difference at first step ``step``, over the moves actually taken."""
    # a loss not finite at a large step, or a step below the precision computed in (the point
    # rounds back to θ, a float32 function's at 1e-12): nan, which the curve shows as a gap
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        taken = [probe(offset * step) for offset in stencil.OFFSETS]
        moves = np.array([coordinate - theta for coordinate, _ in taken])
        f = np.array([f0, *(float(value[0]) for _, value in taken)])
        return float(stencil.weights(moves, richardson).value @ f)


def _complex_curve(loss: _Loss, values: Mapping[str, Any], name: str, index: tuple[int, ...],
                   reference: float, chosen: float) -> Curve:
    """Im J(θ + ih)/h against the user's gradient, for complex-safe code."""
    unit = float(fd_steps.unit(values[name])[index])
    h = 10.0**COMPLEX_EXPONENTS * unit
    flat = int(np.ravel_multi_index(index, np.shape(values[name]))) if index else 0
    who = calls.name_of(loss.fun)
    d = np.array([float(numerics.complex_step(loss.loose, values, name, flat, np.ones((1, 1)), float(step),
                                              who)[0]) for step in h])
    return Curve(f"{name}{list(index)}", reference, "your gradient", tuple(float(v) for v in h),
                 tuple(float(v) for v in np.abs(d - reference)), chosen, "complex", (chosen,))


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
    """A log-log text plot of error against step; the chosen step is marked ▲ under the axis, the
    other levels of its stencil △."""
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
    lines.append("       └" + "─" * len(curve.steps))
    under = [" "] * len(curve.steps)
    for level in curve.levels:
        under[_column(curve, level)] = "△"
    chosen = _column(curve, curve.chosen)
    under[chosen] = "▲"
    if len(curve.levels) > 1:
        lines.append(("        " + "".join(under)).rstrip())
    lines.append("        " + " " * chosen + "▲ " + _marked(curve))
    lines.append(f"        log10 h from {np.log10(curve.steps[0]):.0f} to {np.log10(curve.steps[-1]):.0f}; "
                 "y: log10 |D(h) − reference|")
    return "\n".join(lines)


def _column(curve: Curve, step: float) -> int:
    return int(np.argmin(np.abs(np.log10(curve.steps) - np.log10(step))))


def _marked(curve: Curve) -> str:
    """What the ▲ (and the △) stand for."""
    text = f"{_whose(curve)} h = {curve.chosen:.1e}"
    others = [level for level in curve.levels if level != curve.chosen]
    if others:
        text += f"; △ the stencil's other steps {', '.join(f'{v / curve.chosen:g}h' for v in others)}"
    return text


def _whose(curve: Curve) -> str:
    return f"gradcheck's {'directional ' if curve.mode == 'directional' else ''}{curve.scheme} step"


def table(curve: Curve) -> str:
    """The curve as a Markdown table (for a CI job summary); the chosen step's row is marked, and
    the rows of the other levels of its stencil."""
    chosen = _column(curve, curve.chosen)
    others = {_column(curve, level): level for level in curve.levels if level != curve.chosen}
    lines = ["| h | \\|D(h) − reference\\| | |", "|---|---|---|"]
    for k, (h, err) in enumerate(zip(curve.steps, curve.errors, strict=True)):
        mark = f"◀ {_whose(curve)} ({curve.chosen:.1e})" if k == chosen else ""
        if k in others and k != chosen:
            mark = f"◁ {others[k] / curve.chosen:g}h ({others[k]:.1e})"
        lines.append(f"| {h:.1e} | {err:.2e} | {mark} |")
    return "\n".join(lines)
