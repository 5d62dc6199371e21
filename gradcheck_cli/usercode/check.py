"""Check hand-written gradient code against finite differences: the public functions.

The reference is taken in float64 (float inputs are cast before every call), with central
differences at s, 2s and 4s, Richardson-extrapolated, a step per entry sized from the measured
rounding noise (shrunk where the function has a kink) and an error bound per entry; the
tolerance is a multiple of that bound (see ``numerics``, ``stencil`` and ``verdict``).
User code is called with fresh copies of the inputs: the caller's arrays are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from gradcheck_cli.arrays import Array
from gradcheck_cli.errors import GradcheckError
from gradcheck_cli.usercode import calls
from gradcheck_cli.usercode.core import Form, Inputs, arrange, run, source_file
from gradcheck_cli.usercode.options import Options
from gradcheck_cli.usercode.result import Result

Wrt = str | Sequence[str] | None


def check_function(
    fun: Callable[..., Any], grad: Callable[..., Any] | None, inputs: Inputs, *, wrt: Wrt = None,
    **options: Any,
) -> Result:
    """Check ``grad``, the hand-written gradient of the scalar function ``fun``.

    Args:
        fun: ``fun(**inputs)`` returns a scalar (a loss); with ``grad=None``, the pair
            ``(loss, gradient)`` instead, as many course assignments write it.
        grad: ``grad(**inputs)`` returns a dict name → array of the shape of that input, for
            every name in ``wrt`` (a tuple in the order of ``wrt`` is accepted too, and one array
            when there is one name); None when ``fun`` returns the gradient itself.
        inputs: the point to check at. Float arrays are passed as float64 copies.
        wrt: the inputs to differentiate; default: every float array. The others (labels,
            masks, hyper-parameters) are held fixed.
        **options: see ``Options``: ``scheme``, ``step``, ``atol``, ``rtol``, ``seed``, ``probes``.

    Returns:
        The verdict per input; ``result.passed``, ``result.report()``.

    Raises:
        GradcheckError: bad inputs or options; ``UserCodeError`` (a subclass) when the user's
            code raises or returns something of the wrong kind, shape, or not finite.
    """
    opts = Options.parse(options)
    values, names, layout = arrange(inputs, wrt, fun)
    fun_name = calls.name_of(fun)
    if grad is None:
        return _check_loss_and_gradient(fun, values, names, layout, opts)
    who = calls.name_of(grad)

    def evaluate(point: Mapping[str, Any], doing: str) -> Array:
        return calls.as_output(calls.call_at(fun, doing, layout, point), fun_name, doing, scalar=True)

    def user(_: Array, point: Mapping[str, Any]) -> Any:
        return calls.call_at(grad, "computing the gradient", layout, point)

    form = Form(f"{fun_name} / {who}", who, fun_name, evaluate, user, True, source_file(grad),
                f"{fun_name}({', '.join(layout.tops(values))}) → scalar", "function", layout)
    return run(form, values, names, opts)


def _check_loss_and_gradient(fun: Callable[..., Any], values: dict[str, Any], names: tuple[str, ...],
                             layout: calls.Layout, opts: Options) -> Result:
    """``check_function`` for a ``fun`` that returns ``(loss, gradient)``."""
    name = calls.name_of(fun)

    def both(point: Mapping[str, Any], doing: str) -> tuple[Any, Any]:
        return calls.call_for_pair(fun, "(loss, gradient) when no gradient function is given", doing, point,
                                   layout)

    def evaluate(point: Mapping[str, Any], doing: str) -> Array:
        return calls.as_output(both(point, doing)[0], name, doing, scalar=True)

    def user(_: Array, point: Mapping[str, Any]) -> Any:
        return both(point, "computing the gradient")[1]

    form = Form(name, name, name, evaluate, user, True, source_file(fun),
                f"{name}({', '.join(layout.tops(values))})[0] → scalar", "function", layout)
    return run(form, values, names, opts)


def check_vjp(
    fun: Callable[..., Any], vjp: Callable[..., Any], inputs: Inputs, *, wrt: Wrt = None,
    **options: Any,
) -> Result:
    """Check ``vjp``, the hand-written vector-Jacobian product of the array function ``fun``.

    J = ⟨c, fun(**inputs)⟩ is differentiated numerically for several seeded random cotangents c
    and, when the output has at most ``policy.USER_JACOBIAN_MAX`` entries, for every unit
    vector c (the full Jacobian, row by row).

    Args:
        fun: ``fun(**inputs)`` returns an array.
        vjp: ``vjp(cotangent, **inputs)`` returns the gradients of ⟨cotangent, fun⟩, as
            ``check_function``'s ``grad`` does.
        inputs, wrt, options: as for ``check_function``.

    Raises:
        GradcheckError: as for ``check_function``.
    """
    opts = Options.parse(options)
    values, names, layout = arrange(inputs, wrt, fun)
    who, fun_name = calls.name_of(vjp), calls.name_of(fun)

    def evaluate(point: Mapping[str, Any], doing: str) -> Array:
        return calls.as_output(calls.call_at(fun, doing, layout, point), fun_name, doing, scalar=False)

    def user(c: Array, point: Mapping[str, Any]) -> Any:
        return calls.call_at(vjp, "computing the VJP with a cotangent", layout, point, c.copy())

    form = Form(f"{fun_name} / {who}", who, fun_name, evaluate, user, False, source_file(vjp),
                f"⟨c, {fun_name}({', '.join(layout.tops(values))})⟩", "vjp", layout)
    return run(form, values, names, opts)


def check_layer(
    forward: Callable[..., Any], backward: Callable[..., Any], inputs: Inputs, *,
    wrt: Wrt = None, **options: Any,
) -> Result:
    """Check a layer written assignment style: ``forward(**inputs)`` returns ``(out, cache)``,
    ``backward(dout, cache)`` returns the gradients (a dict, a tuple in the order of ``wrt``,
    or one array when there is one input). Checked like ``check_vjp`` with random ``dout``.

    Raises:
        GradcheckError: as for ``check_function``; also when forward does not return a pair.
    """
    opts = Options.parse(options)
    values, names, layout = arrange(inputs, wrt, forward)
    who, fun_name = calls.name_of(backward), calls.name_of(forward)

    def run_forward(point: Mapping[str, Any], doing: str) -> tuple[Any, Any]:
        return calls.call_for_pair(forward, "(out, cache)", doing, point, layout)

    def evaluate(point: Mapping[str, Any], doing: str) -> Array:
        return calls.as_output(run_forward(point, doing)[0], fun_name, doing, scalar=False)

    def user(dout: Array, point: Mapping[str, Any]) -> Any:
        # A fresh forward per call: a backward that writes into its cache cannot spoil the next.
        _, cache = run_forward(point, "computing the cache for backward")
        return calls.call(backward, "computing backward(dout, cache)", dout.copy(), cache)

    form = Form(f"{fun_name} / {who}", who, fun_name, evaluate, user, False, source_file(backward),
                f"⟨dout, {fun_name}({', '.join(layout.tops(values))})[0]⟩", "layer", layout)
    return run(form, values, names, opts)


Kind = Literal["function", "vjp", "layer"]
CHECKS: dict[Kind, Callable[..., Result]] = {
    "function": check_function, "vjp": check_vjp, "layer": check_layer,
}


def assert_gradients_ok(
    fun: Callable[..., Any], grad: Callable[..., Any], inputs: Inputs, *, wrt: Wrt = None,
    kind: Kind = "function", **options: Any,
) -> Result:
    """``check_function`` (or ``check_vjp`` / ``check_layer`` with ``kind="vjp"`` / ``"layer"``)
    for a plain pytest test.

    Returns:
        The Result, when every gradient is right.

    Raises:
        AssertionError: a gradient is wrong; the message is the plain-text report.
        GradcheckError: as for ``check_function``.
    """
    if kind not in CHECKS:
        raise GradcheckError(f"unknown kind `{kind}`", hint=f"known: {', '.join(CHECKS)}")
    result = CHECKS[kind](fun, grad, inputs, wrt=wrt, **options)
    result.assert_ok()
    return result
