"""One check for every form of user code: a function f of named inputs, and the user's VJP of it.

A loss and its gradient, a function and its VJP, a layer's forward and backward all become a
``Form``: f at a point, and the user's gradient of ⟨c, f⟩ for a cotangent c. ``run`` takes the
finite differences once, asks the user's code once per probe, and judges every input.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradcheck_cli import policy, streams
from gradcheck_cli.arrays import Array
from gradcheck_cli.errors import GradcheckError, did_you_mean
from gradcheck_cli.fd import steps
from gradcheck_cli.fd.noise import estimates
from gradcheck_cli.results import DirectionalCheck, Subject, TensorResult
from gradcheck_cli.usercode import calls, directional
from gradcheck_cli.usercode.numerics import Evaluate, Precision, differentiate, measure
from gradcheck_cli.usercode.options import Options
from gradcheck_cli.usercode.progress import Progress
from gradcheck_cli.usercode.result import Result
from gradcheck_cli.usercode.verdict import Compared, judge, misshapen

#: The user's gradient code: (cotangent shaped like f's output, point) → what it returns.
UserVjp = Callable[[Array, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Form:
    """What to check: f, the user's VJP of it, and how to name them."""

    title: str
    #: the user's gradient code, named in messages
    who: str
    #: f, named in messages
    fun: str
    evaluate: Evaluate
    user: UserVjp
    #: f must return a scalar (a loss): the single probe is c = 1 and the VJP is the gradient
    scalar: bool
    path: str
    #: how J is formed from f, for the report header
    describes: str
    #: what is checked: the gradient of a loss, a VJP, or a layer's backward
    subject: Subject
    #: how the inputs become the user's arguments, and how returned gradients are named
    layout: calls.Layout = field(default_factory=calls.Layout)


Inputs = Mapping[str, Any] | Sequence[Any] | np.ndarray[Any, Any]


def prepare(
    inputs: Mapping[str, Any], wrt: str | Sequence[str] | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``arrange`` for keyword inputs: the values and the names to differentiate."""
    values, names, _ = arrange(inputs, wrt, None)
    return values, names


def arrange(
    inputs: Inputs, wrt: str | Sequence[str] | None, fun: Callable[..., Any] | None
) -> tuple[dict[str, Any], tuple[str, ...], calls.Layout]:
    """Inputs held flat by name with every float array (and every scalar in ``wrt``) as float64
    copies, the names to differentiate, and how they become ``fun``'s arguments.

    A dict of inputs is passed by keyword; a tuple or list (or one array) positionally, each
    named after ``fun``'s parameter in its place. The names to differentiate default to every
    float array and every list or tuple of them, in the order given; a dict, list or tuple named
    in ``wrt`` stands for every float array in it, checked entry by entry (``params.W``,
    ``params[0][1]``).

    Raises:
        GradcheckError: inputs neither a dict nor a sequence, or a ``wrt`` that is unknown or not
            floats.
    """
    inputs, positional = _named(inputs, fun)
    names = tuple(n for n, v in inputs.items() if _is_float_array(v) or _all_float_arrays(v)) \
        if wrt is None else ((wrt,) if isinstance(wrt, str) else tuple(wrt))
    layout, inputs = calls.Layout.unpacking(inputs, {calls.top_of(n) for n in names}, positional)
    # an input named in `wrt` that was unpacked stands for every float array in it
    names = tuple(m for n in names for m in ([k for k in inputs if k.startswith((n + calls.NESTED, n + "["))
                                              and _is_float_array(inputs[k])] or [n]))
    if not names:
        raise GradcheckError("no float array among the inputs to differentiate", hint="pass `wrt`")
    for name in names:
        if name not in inputs:
            hint = did_you_mean(name, inputs) or f"inputs: {', '.join(inputs)}"
            raise GradcheckError(f"`wrt` names `{name}`, which is not among the inputs", hint=hint)
        if not (_is_float_array(inputs[name]) or isinstance(inputs[name], (float, np.floating))):
            raise GradcheckError(f"`{name}` is not an array of floats ({_kind(inputs[name])}); "
                                 "it can only be held fixed")
    values = {n: (np.array(v, dtype=np.float64) if n in names or _is_float_array(v) else v)
              for n, v in inputs.items()}
    return values, names, layout


def _named(inputs: Inputs, fun: Callable[..., Any] | None) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    """Keyword inputs as they are; positional ones named after ``fun``'s parameters (``arg0``,
    ``arg1``… where it has none to read), with those names in order."""
    if isinstance(inputs, np.ndarray):
        inputs = (inputs,)
    if isinstance(inputs, Mapping) and all(isinstance(k, str) for k in inputs):
        return inputs, ()
    if not isinstance(inputs, (tuple, list)) or fun is None:
        raise GradcheckError("inputs must be a dict of name → value, passed to the function as keywords, "
                             "or a tuple of values, passed positionally")
    names = _parameters(fun)[:len(inputs)]
    names += [f"arg{i}" for i in range(len(names), len(inputs))]
    if len(set(names)) != len(names):
        names = [f"arg{i}" for i in range(len(inputs))]
    return dict(zip(names, inputs, strict=True)), tuple(names)


def _parameters(fun: Callable[..., Any]) -> list[str]:
    try:
        parameters = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return []
    return [p.name for p in parameters
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]


def _kind(value: Any) -> str:
    """What a value is, for a refusal: its type and, for what NumPy can read, its dtype."""
    try:
        return f"{type(value).__name__}, dtype {np.asarray(value).dtype}"
    except ValueError:  # a ragged list
        return type(value).__name__


def run(form: Form, values: Mapping[str, Any], wrt: tuple[str, ...], options: Options) -> Result:
    """Finite differences against the user's gradients, for every input in ``wrt``: entry by
    entry, or along random directions (``options.mode``, ``auto`` by the number of entries)."""
    evaluate = _real_valued(form.evaluate, form.fun)
    base = evaluate(values, "at the given inputs")
    probes, labels = _probes(base, form.scalar, options)
    first = _gradients_once(form, values, wrt, probes[0].reshape(base.shape).astype(_cast(base)))
    entries = sum(int(np.size(values[n])) for n in wrt)
    if options.resolved(entries) == "directional":
        return _directional(form, evaluate, values, base, wrt, probes, labels, first, options)
    # a long run says how long, on stderr
    counted = Progress(evaluate, entries, form.fun, complex_step=options.scheme == "complex")
    numeric = differentiate(counted, values, base, wrt, probes, options, form.fun)
    user, dtype, given = _user_gradients(form, numeric.values, wrt, probes, base, first)
    # measured only where a verdict would otherwise fail (14 calls), once for every input
    spread = functools.cache(lambda: _gradient_noise(
        form, values, wrt, probes[0].reshape(base.shape).astype(_cast(base)), first[1], options.seed,
        numeric.spacing))
    judged: dict[str, TensorResult] = {}
    for name in user:
        eps = max(numeric.precision.eps, float(np.finfo(dtype).eps))
        arrays = Compared(user[name], numeric.value[name], numeric.error[name], eps,
                          _lower(dtype, numeric.precision), None, numeric.edges.get(name, ""))
        judged[name] = _judged(form, name, values, arrays, labels, options, spread)
    return _result(form, options, base, labels, _with_misshapen(form, values, wrt, judged, given),
                   numeric.precision, dtype)


def _directional(form: Form, evaluate: Evaluate, values: Mapping[str, Any], base: Array,
                 wrt: tuple[str, ...], probes: Array, labels: list[str],
                 first: tuple[Mapping[str, Any], dict[str, Array]], options: Options) -> Result:
    """Each input along random directions, bisected to a wrong entry (``usercode.directional``)."""
    measured = measure(evaluate, values, base, wrt, probes, options.seed)
    user, dtype, given = _user_gradients(form, measured.values, wrt, probes, base, first)
    eps = max(measured.precision.eps, float(np.finfo(dtype).eps))
    subject = directional.Subject(form.who, f"input of {form.fun}", labels,
                                  0 if form.scalar else options.probes)
    lowest = _lower(dtype, measured.precision)
    found = directional.check_all(evaluate, measured, wrt, probes, user, eps, lowest, options, subject)
    judged = {n: tensor for n, (tensor, _) in found.items()}
    evidence = tuple(found[n][1] for n in wrt if n in found)
    return _result(form, options, base, labels, _with_misshapen(form, values, wrt, judged, given),
                   measured.precision, dtype, evidence)


def _with_misshapen(form: Form, values: Mapping[str, Any], wrt: tuple[str, ...],
                    judged: dict[str, TensorResult],
                    given: dict[str, tuple[int, ...]]) -> tuple[TensorResult, ...]:
    """Every input's verdict in ``wrt`` order, a gradient returned in a wrong shape failed."""
    tensors = []
    for name in wrt:
        found = judged.get(name)
        if name in given:
            owner = f"input of {form.fun}"
            found = misshapen(name, np.shape(values[name]), given[name], form.who, owner, found)
        assert found is not None  # every name is in `judged`, in `given`, or in both
        tensors.append(found)
    return tuple(tensors)


def _result(form: Form, options: Options, base: Array, labels: list[str], tensors: tuple[TensorResult, ...],
            precision: Precision, dtype: str,
            evidence: tuple[DirectionalCheck, ...] | None = None) -> Result:
    """The report tree's node of this check: a full one, or a directional one with its evidence."""
    limited = precision.limited or dtype != "float64"
    note = precision.why if precision.limited else (f"its gradients are {dtype}" if limited else "")
    lowest = _lower(dtype, precision)
    return Result(
        name=form.title, path=form.path, seed=options.seed, batch=base.shape[0] if base.ndim else 1,
        loss=form.describes + (f", {len(labels)} probes" if not form.scalar else ""),
        reduction=f"{lowest}, precision-limited: {note}" if limited else lowest,
        layers=(), forward=None, tensors=tensors, subject=form.subject,
        mode="full" if evidence is None else "directional", directional=evidence or (),
        precision=lowest, precision_limited=limited, precision_note=note,
    )


def _judged(form: Form, name: str, values: Mapping[str, Any], arrays: Compared, labels: list[str],
            options: Options, spread: Callable[[], dict[str, Array]]) -> TensorResult:
    """The verdict on ∂/∂``name``. The user's gradient's own rounding noise (``spread()``) can
    only widen its tolerance: it is asked for where the verdict would otherwise fail, to tell a
    noisy gradient (ill-conditioned, cancelling) from a wrong one."""
    shape, owner = np.shape(values[name]), f"input of {form.fun}"
    # a loss's gradient may be off by a multiple of the input itself (an L2 term)
    related = {name: np.asarray(values[name], dtype=np.float64)} if form.scalar else None
    random = 0 if form.scalar else options.probes
    sizes = dimensions(values)
    judged = judge(name, shape, arrays, labels, random, options, form.who, owner, related, sizes)
    if not judged.passed and name in spread():
        judged = judge(name, shape, replace(arrays, spread=spread()[name]), labels, random, options, form.who,
                       owner, related, sizes)
    return judged


def dimensions(values: Mapping[str, Any]) -> dict[str, int]:
    """Each input's dimensions, named as the user's code names them (``X.shape[0]``): a gradient
    off by one of them is a mean's 1/N left out or taken twice."""
    return {f"{name}.shape[{axis}]": int(size) for name, value in values.items()
            if isinstance(value, np.ndarray) for axis, size in enumerate(value.shape)}


def _gradients_once(
    form: Form, values: Mapping[str, Any], wrt: tuple[str, ...], probe: Array
) -> tuple[Mapping[str, Any], dict[str, Array]]:
    """Call the user's gradient code once, before any finite differences: a signature or a
    returned structure that cannot be checked is reported in a moment, not after the whole pass.
    Returns the point and what came back, for the first probe to use when it is asked there.

    Raises:
        UserCodeError: it cannot be called with the inputs, raised, or returned the wrong structure.
    """
    shapes = {n: np.shape(values[n]) for n in wrt}
    return values, calls.gradients(form.user(probe, values), form.who, wrt, shapes, _doing(form), form.layout)


def _gradient_noise(form: Form, values: Mapping[str, Any], wrt: tuple[str, ...], probe: Array,
                    first: Mapping[str, Array], seed: int, spacing: float) -> dict[str, Array]:
    """The rounding noise of the user's gradient under the first probe, per entry of every input
    (inputs whose gradient came back misshapen are left out): ECnoise, as for f, along
    ``USER_GRADIENT_NOISE_DIRECTIONS`` random directions of ``USER_GRADIENT_NOISE_POINTS``
    points each, from the point (where the gradient is ``first``), at the relative ``spacing``
    f's noise was measured at, combined as a root mean square. It sees what the gradient's own
    arithmetic loses — to an ill-conditioned solve, to cancellation (1 − cos x at x ~ 1e-3 keeps
    10 of 16 digits) — which a fixed count of ulps of its largest entry does not allow."""
    rng = streams.rng(seed, streams.USER_GRADIENT_NOISE)
    shapes = {n: np.shape(values[n]) for n in wrt}
    start = {n: np.asarray(g, dtype=np.float64).reshape(-1) for n, g in first.items() if g.shape == shapes[n]}
    runs: dict[str, list[Array]] = {n: [] for n in start}
    for _ in range(policy.USER_GRADIENT_NOISE_DIRECTIONS):
        moves = {n: rng.standard_normal(shapes[n]) * spacing * steps.unit(values[n]) for n in wrt}
        for name, run in _gradient_run(form, values, wrt, probe, moves, start).items():
            runs[name].append(run)
    return {n: np.sqrt(np.mean(np.stack([estimates(run) for run in r]) ** 2, axis=0))
            for n, r in runs.items() if r}


def _gradient_run(form: Form, values: Mapping[str, Any], wrt: tuple[str, ...], probe: Array,
                  moves: Mapping[str, Array], start: Mapping[str, Array]) -> dict[str, Array]:
    """The user's gradient at ``USER_GRADIENT_NOISE_POINTS`` points along ``moves`` from the point
    (where it is ``start``), per input: (points, entries); walked the other way where the first
    leaves the domain, and empty where both do (the point is at its edge)."""
    shapes = {n: np.shape(values[n]) for n in wrt}
    for way in (1.0, -1.0):
        rows: dict[str, list[Array]] = {n: [g] for n, g in start.items()}
        try:
            for t in range(1, policy.USER_GRADIENT_NOISE_POINTS):
                point = {**values, **{n: values[n] + way * t * moves[n] for n in wrt}}
                grads = calls.gradients(form.user(probe, point), form.who, wrt, shapes, _doing(form),
                                        form.layout)
                for name, row in rows.items():
                    row.append(np.asarray(grads[name], dtype=np.float64).reshape(-1))
        except calls.UserCodeError:
            continue
        return {n: np.stack(row) for n, row in rows.items() if all(r.shape == row[0].shape for r in row)}
    return {}


def _doing(form: Form) -> str:
    return "computing the gradient" if form.scalar else "computing the VJP with a cotangent"


def _cast(base: Array) -> np.dtype[Any]:
    """The dtype cotangents are passed in: the output's own float type."""
    return base.dtype if base.dtype.kind == "f" else np.dtype(np.float64)


def _real_valued(evaluate: Evaluate, fun: str) -> Evaluate:
    """``evaluate``, refusing a complex output at real inputs: its imaginary part would be
    dropped unseen (the complex step alone feeds complex inputs, and reads Im f for itself)."""

    def real(point: Mapping[str, Any], doing: str) -> Array:
        out = evaluate(point, doing)
        if out.dtype.kind == "c" and not any(np.iscomplexobj(v) for v in point.values()
                                             if isinstance(v, np.ndarray)):
            raise calls.UserCodeError(
                f"`{fun}` returned complex numbers ({out.dtype}) for real inputs ({doing}); only "
                "real-valued functions can be checked",
                hint=f"check its real and imaginary parts as two real functions, e.g. "
                     f"lambda **kw: {fun}(**kw).real and lambda **kw: {fun}(**kw).imag")
        return out

    return real


def _probes(base: Array, scalar: bool, options: Options) -> tuple[Array, list[str]]:
    """Cotangents, one per row: c = 1 for a loss; else seeded random ones plus, for small
    outputs, every unit vector (the rows of the Jacobian)."""
    if scalar:
        return np.ones((1, 1)), [""]
    rng = streams.rng(options.seed, streams.PROBES)
    levels = policy.USER_PROBE_LEVELS
    size = (options.probes, base.size)
    random = rng.choice([-1.0, 1.0], size=size) * rng.integers(1, levels + 1, size=size) / levels
    labels = [f"cotangent {i + 1} of {options.probes}, random with seed {options.seed}"
              for i in range(options.probes)]
    if base.size > policy.USER_JACOBIAN_MAX:
        return random, labels
    rows = [f"row {[int(i) for i in np.unravel_index(j, base.shape)]} of the Jacobian"
            for j in range(base.size)]
    return np.vstack([random, np.eye(base.size)]), labels + rows


def _user_gradients(
    form: Form, point: Mapping[str, Any], wrt: tuple[str, ...], probes: Array, base: Array,
    first: tuple[Mapping[str, Any], dict[str, Array]],
) -> tuple[dict[str, Array], str, dict[str, tuple[int, ...]]]:
    """The user's gradients under every probe, (probes, entries) per input, the lowest float
    precision they came back in, and the shapes of those that came back in the wrong shape.

    A matrix's gradient in the transposed shape is kept, turned back, so the verdict can say
    whether it is the transpose of the right one; one in another wrong shape is left out."""
    shapes = {n: np.shape(point[n]) for n in wrt}
    found: dict[str, list[Array]] = {n: [] for n in wrt}
    given: dict[str, tuple[int, ...]] = {}
    dtype = "float64"
    for k, c in enumerate(probes):
        # the first probe was asked before the finite differences, at these very values
        grads = first[1] if k == 0 and first[0] is point else calls.gradients(
            form.user(c.reshape(base.shape).astype(_cast(base)), point), form.who, wrt, shapes,
            _doing(form), form.layout)
        for name, grad in grads.items():
            if grad.dtype.kind == "f" and np.finfo(grad.dtype).eps > np.finfo(dtype).eps:
                dtype = grad.dtype.name
            if grad.shape != shapes[name]:
                given[name] = grad.shape
                if grad.shape != shapes[name][::-1] or grad.ndim != 2:
                    continue
                grad = grad.T
            found[name].append(np.asarray(grad, dtype=np.float64).reshape(-1))
    turned = {n: np.stack(rows) for n, rows in found.items() if len(rows) == len(probes)}
    return turned, dtype, given


def _lower(dtype: str, precision: Precision) -> str:
    """The lower of the gradient's precision and the function's."""
    return dtype if np.finfo(dtype).eps > precision.eps else precision.dtype


def _is_float_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _all_float_arrays(value: Any, depth: int = 1) -> bool:
    """A list or tuple holding float arrays only, at any depth it is unpacked to
    (``[(W1, b1), (W2, b2)]``)."""
    return type(value) in (list, tuple) and bool(value) and depth <= calls.MAX_NESTING and all(
        _is_float_array(v) or _all_float_arrays(v, depth + 1) for v in value)


def source_file(fn: object) -> str:
    """The file a user's function is defined in, or an empty string."""
    try:
        # an adapter's wrapper names what it wraps (gradcheck_cli.torch: the Function's backward)
        return inspect.getsourcefile(inspect.unwrap(fn)) or ""  # type: ignore[arg-type]
    except TypeError:
        return ""
